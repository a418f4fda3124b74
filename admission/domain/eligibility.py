"""Eligibility checks (rules §2, §3 "Introducers and helpers", §4 T1-T2, §7).

Every check is pure and returns a :class:`CheckResult` with reason codes; nothing raises for a
failed rule, so the view can list all the reasons and the service can refuse the step.
"""

import calendar as _stdlib_calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import IntEnum, StrEnum

from admission.domain.periods import add_months, months_between_ignoring_day
from admission.domain.reasons import CheckResult, Reason, reason
from admission.domain.rules import RuleSet

# Documents to redo when the dossier is older than its validity (HD06 5.4a); the last one only
# if something in the biography changed.
REDO_AFTER_DOSSIER_EXPIRY: tuple[str, ...] = (
    "introducer_letter",
    "union_resolution",
    "supplementary_comments",
    "supplementary_verification_if_changed",
)


def age_in_months(birth_date: date, on_date: date, *, counts_day: bool) -> int:
    """Age "counted by month" (QĐ294 1.1.1; rules §0, §2).

    Default (``counts_day=False``): months from the birth month to the meeting month, ignoring
    the day. With ``counts_day`` a month is not complete before the day of birth (§12.2).
    """
    months = months_between_ignoring_day(birth_date, on_date)
    if counts_day and on_date.day < birth_date.day:
        months -= 1
    return months


def _first_day_with_age(birth_date: date, months: int, *, counts_day: bool) -> date:
    """The first day on which ``age_in_months`` reaches ``months``."""
    target = add_months(date(birth_date.year, birth_date.month, 1), months)
    if not counts_day:
        return target
    last = _stdlib_calendar.monthrange(target.year, target.month)[1]
    if birth_date.day <= last:
        return target.replace(day=birth_date.day)
    # Born on a day the target month lacks (e.g. 31st, 29/02): the day is never reached in that
    # month, so the month completes on the 1st of the next month.
    return add_months(target, 1)


def check_age(birth_date: date, meeting_date: date, rules: RuleSet, *, over_60_approved: bool) -> CheckResult:
    """E2-E3: 216 <= age in months <= 720 at the branch meeting; above needs written approval."""
    counts_day = rules.age_counts_day
    months = age_in_months(birth_date, meeting_date, counts_day=counts_day)
    found: list[Reason] = []
    if months < rules.age_min_months:
        eligible_from = _first_day_with_age(birth_date, rules.age_min_months, counts_day=counts_day)
        found.append(
            reason(
                "too_young",
                "QĐ294 1.1.1",
                age_months=months,
                min_months=rules.age_min_months,
                eligible_from=eligible_from,
            )
        )
    elif months > rules.age_max_months_without_approval and not over_60_approved:
        found.append(
            reason(
                "over_60_needs_approval",
                "QĐ294 1.1.2; HD06 1.1",
                age_months=months,
                max_months=rules.age_max_months_without_approval,
            )
        )
    return CheckResult.from_reasons(found)


class EducationLevel(IntEnum):
    """Highest completed level; ordered so that comparisons follow the rules (E4-E6)."""

    NONE = 0
    LITERATE = 1  # reads and writes chữ quốc ngữ
    PRIMARY = 2
    LOWER_SECONDARY = 3  # bằng tốt nghiệp THCS
    UPPER_SECONDARY = 4
    VOCATIONAL = 5
    COLLEGE = 6
    UNIVERSITY = 7
    POSTGRADUATE = 8


def check_education(level: EducationLevel, *, area_exception: bool, literacy_exception_approved: bool) -> CheckResult:
    """E4-E6.

    ``area_exception``: lives in a mountain, border, island, ethnic-minority or extremely
    disadvantaged area, or is a fisherman at sea (HD06 1.2a). ``literacy_exception_approved``:
    the provincial BTV agreed in writing for a village elder, village head or reputable person
    of such an area (HD06 1.2b); without the area condition that approval has no basis.
    """
    if level >= EducationLevel.LOWER_SECONDARY:
        return CheckResult.from_reasons(())  # QĐ294 1.2.1
    if not area_exception:
        return CheckResult.from_reasons((reason("education_below_lower_secondary", "QĐ294 1.2.1"),))
    if level >= EducationLevel.PRIMARY:
        return CheckResult.from_reasons(())  # HD06 1.2a
    if level == EducationLevel.NONE:
        return CheckResult.from_reasons((reason("not_literate", "HD06 1.2b"),))
    if literacy_exception_approved:
        return CheckResult.from_reasons(())  # HD06 1.2b
    return CheckResult.from_reasons((reason("literacy_exception_needs_approval", "HD06 1.2b"),))


def check_order(earlier_label: str, earlier: date, later_label: str, later: date, *, rule: str = "") -> CheckResult:
    """``later`` must not be before ``earlier`` (the same day is allowed).

    Labels are keys of :data:`~admission.domain.reasons.DATE_LABELS` or free text.
    """
    if later >= earlier:
        return CheckResult.from_reasons(())
    return CheckResult.from_reasons(
        (
            reason(
                "date_order",
                rule,
                first=earlier_label,
                first_date=earlier,
                second=later_label,
                second_date=later,
            ),
        )
    )


def check_certificate(
    issue_date: date | None, meeting_date: date, rules: RuleSet, *, day_label: str = "branch_meeting"
) -> CheckResult:
    """T1: the certificate is valid on the meeting day iff meeting <= issue + 60 months (HD06 5.4b).
    `day_label` names `meeting_date` in a message (DATE_LABELS) when it is another act's day."""
    if issue_date is None:
        return CheckResult.from_reasons((reason("certificate_missing", "HD06 3.1"),))
    order = check_order("certificate_issue", issue_date, day_label, meeting_date, rule="HD06 5.4b")
    if not order:
        return order
    valid_until = add_months(issue_date, rules.cert_validity_months)
    if meeting_date <= valid_until:
        return CheckResult.from_reasons(())
    return CheckResult.from_reasons((reason("certificate_expired", "HD06 5.4b", valid_until=valid_until),))


def check_dossier_age(dossier_start_date: date | None, meeting_date: date, rules: RuleSet) -> CheckResult:
    """T2: the dossier is valid on the meeting day iff meeting <= start + 12 months (HD06 5.4a).

    The start is the S3 permission date (rules §0, §12.4).
    """
    if dossier_start_date is None:
        return CheckResult.from_reasons((reason("dossier_start_missing", "HD06 5.4a"),))
    order = check_order("dossier_start", dossier_start_date, "branch_meeting", meeting_date, rule="HD06 5.4a")
    if not order:
        return order
    valid_until = add_months(dossier_start_date, rules.dossier_validity_months)
    if meeting_date <= valid_until:
        return CheckResult.from_reasons(())
    return CheckResult.from_reasons(
        (
            reason(
                "dossier_expired",
                "HD06 5.4a",
                valid_until=valid_until,
                months=rules.dossier_validity_months,
                redo=REDO_AFTER_DOSSIER_EXPIRY,
            ),
        )
    )


@dataclass(frozen=True)
class MentorFacts:
    """An introducer / assigned helper as of the date checked."""

    is_official: bool
    same_grassroots_unit: bool
    together_since: date | None
    is_replacement: bool = False
    name: str = ""


def check_mentor(m: MentorFacts, on_date: date, rules: RuleSet, *, together_known: bool = True) -> CheckResult:
    """QĐ294 3.2.1 (ĐL 4.2): official member, same unit and grassroots organisation, 12 months
    together. A replacement assigned after the first one left is exempt from the 12 months
    (QĐ294 3.2.2; HD06 3.9a for a candidate who moved) but must still be official and local.

    `together_known=False` (the helper picker before a date is typed): the 12 months are not
    judged, since the app holds no date from which a member and the candidate worked together.
    """
    found: list[Reason] = []
    if not m.is_official:
        found.append(reason("mentor_not_official", "QĐ294 3.2.1", name=m.name))
    if not m.same_grassroots_unit:
        found.append(reason("mentor_other_unit", "QĐ294 3.2.1", name=m.name))
    if not m.is_replacement and together_known:
        if m.together_since is None:
            found.append(reason("mentor_together_missing", "QĐ294 3.2.1", name=m.name))
        else:
            reached_on = add_months(m.together_since, rules.mentor_together_months)
            if on_date < reached_on:
                found.append(
                    reason(
                        "mentor_together_too_short",
                        "QĐ294 3.2.1",
                        name=m.name,
                        months=rules.mentor_together_months,
                        reached_on=reached_on,
                    )
                )
    return CheckResult.from_reasons(found)


class IntroductionMode(StrEnum):
    TWO_MEMBERS = "two_members"
    YOUTH_UNION_PLUS_ONE = "youth_union_plus_one"
    TRADE_UNION_PLUS_ONE = "trade_union_plus_one"


def introducers_needed(mode: IntroductionMode) -> int:
    """How many official members introduce (ĐL 4.1; QĐ294 3.1): two, or one beside the union's resolution."""
    return 2 if mode is IntroductionMode.TWO_MEMBERS else 1


def is_youth_age(born: date, on: date) -> bool:
    """Youth age (for the Youth Union introduction rule): up to 30 years, HN02 1.1.2.1b [LOCAL-HN]."""
    return (on.year - born.year - ((on.month, on.day) < (born.month, born.day))) <= 30


def default_introduction_mode(chosen: str, *, youth_union_member: bool, born: date, on: date) -> IntroductionMode:
    """The form of introduction: the one the branch chose (its name), else the Youth Union and one
    member for a Youth Union member of youth age (ĐL 4.1; QĐ294 3.1), else two official members."""
    if chosen:
        return IntroductionMode[chosen]
    if youth_union_member and is_youth_age(born, on):
        return IntroductionMode.YOUTH_UNION_PLUS_ONE
    return IntroductionMode.TWO_MEMBERS


def choose_introducers[K](explicit: Sequence[K], helpers: Sequence[K], needed: int) -> list[K]:
    """Who introduces, among the candidate's current assignments (keys, e.g. member ids).

    The official member assigned to help is the introducer by default (rules §3 S5: the helper
    writes the introduction letter): the helpers count unless the branch named enough
    introducers of its own (`explicit`, assignments "introducer only"), which then stand alone.
    A member assigned both ways counts once.
    """
    chosen = list(dict.fromkeys(explicit))
    if len(chosen) < needed:
        chosen += [key for key in dict.fromkeys(helpers) if key not in chosen]
    return chosen


def check_introduction(
    mode: IntroductionMode,
    introducers: Sequence[MentorFacts],
    on_date: date,
    rules: RuleSet,
    *,
    youth_union_exists: bool,
    is_youth_age: bool,
    is_youth_union_member: bool,
    union_resolution_date: date | None,
) -> CheckResult:
    """Who introduces (ĐL 4.1; QĐ294 3.1): two official members, or the grassroots Youth Union
    (or trade union) executive by resolution plus one official member.

    Youth age is an input: its limit is not set centrally (rules §12.11).
    """
    found: list[Reason] = []
    expected = introducers_needed(mode)
    names = tuple(m.name for m in introducers)
    if len(introducers) < expected:
        found.append(
            reason(
                "introducers_missing",
                "ĐL 4.1; QĐ294 3.1-3.2",
                expected=expected,
                actual=len(introducers),
                missing=expected - len(introducers),
                names=names,
                mode=mode.name,
            )
        )
    elif len(introducers) > expected:
        found.append(
            reason("introducers_too_many", "ĐL 4.1; QĐ294 3.1", expected=expected, actual=len(introducers), names=names)
        )
    youth_mode = mode is IntroductionMode.YOUTH_UNION_PLUS_ONE
    if youth_union_exists and is_youth_age and not (youth_mode and is_youth_union_member):
        found.append(reason("youth_union_required", "ĐL 4.1; QĐ294 3.1"))
    elif youth_mode and not (youth_union_exists and is_youth_union_member):
        found.append(reason("youth_union_cannot_introduce", "ĐL 4.1; QĐ294 3.1"))
    if mode is not IntroductionMode.TWO_MEMBERS and union_resolution_date is None:
        found.append(reason("union_resolution_missing", "HD38 II.1.1a(5)"))
    for introducer in introducers:
        found.extend(check_mentor(introducer, on_date, rules).reasons)
    return CheckResult.from_reasons(found)


@dataclass(frozen=True)
class BranchConsiderationFacts:
    """What the branch meeting (S8) needs to know about a candidate, as of ``meeting_date``."""

    birth_date: date
    meeting_date: date
    certificate_issue_date: date | None
    dossier_start_date: date | None
    education: EducationLevel
    introduction_mode: IntroductionMode
    introducers: tuple[MentorFacts, ...]
    youth_union_exists: bool
    is_youth_age: bool
    is_youth_union_member: bool
    union_resolution_date: date | None
    documents_missing: tuple[str, ...] = ()
    verification_complete: bool = False
    comments_complete: bool = False
    area_exception: bool = False
    literacy_exception_approved: bool = False
    over_60_approved: bool = False
    readmission: bool = False
    readmission_approved: bool = False
    political_issue_unresolved: bool = False
    left_party_on: date | None = None  # readmission: the day the person's last membership ended
    readmitted_before: bool = False  # an earlier readmission led to membership


DossierFacts = BranchConsiderationFacts


def check_branch_consideration(facts: BranchConsiderationFacts, rules: RuleSet) -> CheckResult:
    """Everything that must hold before the branch votes on admission (S8)."""
    meeting = facts.meeting_date
    found: list[Reason] = []
    found.extend(check_age(facts.birth_date, meeting, rules, over_60_approved=facts.over_60_approved).reasons)
    found.extend(
        check_education(
            facts.education,
            area_exception=facts.area_exception,
            literacy_exception_approved=facts.literacy_exception_approved,
        ).reasons
    )
    found.extend(check_certificate(facts.certificate_issue_date, meeting, rules).reasons)
    found.extend(check_dossier_age(facts.dossier_start_date, meeting, rules).reasons)
    found.extend(
        check_introduction(
            facts.introduction_mode,
            facts.introducers,
            meeting,
            rules,
            youth_union_exists=facts.youth_union_exists,
            is_youth_age=facts.is_youth_age,
            is_youth_union_member=facts.is_youth_union_member,
            union_resolution_date=facts.union_resolution_date,
        ).reasons
    )
    if facts.documents_missing:
        found.append(reason("documents_missing", "HD38 II.1.1a", documents=tuple(facts.documents_missing)))
    if not facts.verification_complete:
        found.append(reason("verification_incomplete", "HD06 3.4; HD38 I.1.5"))
    if not facts.comments_complete:
        found.append(reason("comments_incomplete", "HD06 3.5"))
    if facts.readmission:
        found.extend(
            check_readmission(
                facts.left_party_on,
                meeting,
                rules,
                approved=facts.readmission_approved,
                readmitted_before=facts.readmitted_before,
            ).reasons
        )
    if facts.political_issue_unresolved:
        found.append(reason("political_standard_unresolved", "QĐ294 3.3; HD06 3.7c"))
    return CheckResult.from_reasons(found)


def check_readmission(
    left_on: date | None, meeting: date, rules: RuleSet, *, approved: bool, readmitted_before: bool
) -> CheckResult:
    """Readmission (E10, QĐ294 3.5.1): the provincial standing committee's written consent, at least
    `readmit_wait_months` (36) since leaving, counted by the month rule (31/01 + 1 month = end of
    February), and only once in a lifetime. The longer wait after an expunged conviction and the
    cases never readmitted depend on facts the tracker does not hold: the consent covers them."""
    found: list[Reason] = []
    if not approved:
        found.append(reason("readmission_needs_approval", "QĐ294 3.5.1"))
    if readmitted_before:
        found.append(reason("readmission_only_once", "QĐ294 3.5.1"))
    if left_on is not None:
        earliest = add_months(left_on, rules.readmit_wait_months)
        if meeting < earliest:
            found.append(
                reason(
                    "readmission_too_early",
                    "QĐ294 3.5.1b",
                    months=rules.readmit_wait_months,
                    left_on=left_on,
                    earliest=earliest,
                )
            )
    return CheckResult.from_reasons(found)


def check_ceremony_date(*, ceremony_date: date, decision_date: date, decision_received_date: date) -> CheckResult:
    """Decision signed <= received by the branch <= ceremony (QĐ294 4.1; HD06 3.8)."""
    found: list[Reason] = []
    if decision_received_date < decision_date:
        found.append(
            reason(
                "received_before_decision",
                "QĐ294 4.1",
                received_date=decision_received_date,
                decision_date=decision_date,
            )
        )
    if ceremony_date < decision_date:
        found.append(
            reason(
                "ceremony_before_decision",
                "QĐ294 4.1",
                ceremony_date=ceremony_date,
                decision_date=decision_date,
            )
        )
    else:
        found.extend(
            check_order(
                "decision_received",
                decision_received_date,
                "ceremony",
                ceremony_date,
                rule="QĐ294 4.1",
            ).reasons
        )
    return CheckResult.from_reasons(found)


def check_recognition_ready(*, probation_end: date, on_date: date) -> CheckResult:
    """The branch may resolve on recognition from the end of probation, which is the official
    date itself (QĐ294 4.2.1-4.2.2)."""
    if on_date >= probation_end:
        return CheckResult.from_reasons(())
    return CheckResult.from_reasons((reason("probation_not_ended", "QĐ294 4.2.1", ends_on=probation_end),))
