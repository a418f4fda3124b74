"""Every write of the admission pipeline.

`candidate_transition` is the only code that assigns `Candidate.stage` (compare-and-swap on the
stage it expects). The step services check the rules first (reason codes), then change the
recorded dates and the stage in one durable transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from admission import dates as candidate_date_rules
from admission import schedule
from admission.domain import stages
from admission.domain.eligibility import (
    BranchConsiderationFacts,
    EducationLevel,
    IntroductionMode,
    MentorFacts,
    check_branch_consideration,
    check_ceremony_date,
    check_introduction,
    check_mentor,
    check_order,
    check_recognition_ready,
)
from admission.domain.reasons import CheckResult, Reason, reason
from admission.domain.stages import Stage
from admission.domain.statistics import package_working_days
from admission.domain.votes import VotingBody, deadlock_reached, evaluate_vote, threshold_for, threshold_rule
from admission.models import (
    DOCUMENTS_BEFORE_BRANCH_VOTE,
    DOCUMENTS_BEFORE_RECOGNITION_VOTE,
    AgendaItem,
    BranchMeeting,
    Candidate,
    CommitteeMeeting,
    DossierItem,
    DossierReturn,
    ListDecision,
    MentorRole,
    Mentorship,
    ReturnedDocument,
    StageTransition,
    TrialTask,
    VerificationRequest,
    Vote,
)
from admission.rulebook import calendar_for, rulebook_for
from admission.workflow import COMMITTEE_LEVEL, RETURN_TARGET, STEP_BY_KEY, VOTE_BODY, Step
from members import services as member_services
from members.authority import DecidingBody, OrgNode
from members.models import MemberStatus, PartyMember, Person, User
from members.selectors import organisation_authority, scope_for


class StepRefused(Exception):
    """The rules do not allow the step yet; `reasons` say why (shown on the form)."""

    def __init__(self, reasons: tuple[Reason, ...]) -> None:
        super().__init__(", ".join(r.code for r in reasons))
        self.reasons = reasons


class ConcurrentStageChange(Exception):
    """Someone else changed the candidate's stage between reading and writing."""


def _require_edit(acting_user: User | None, candidate: Candidate) -> None:
    if acting_user is not None and not scope_for(acting_user).can_edit(candidate.organisation):
        raise PermissionDenied


def due_committee(candidate: Candidate) -> OrgNode | None:
    """The committee whose turn it is on the dossier (workflow.COMMITTEE_LEVEL), None at the branch."""
    level = COMMITTEE_LEVEL.get(candidate.stage_enum)
    if level is None:
        return None
    authority = organisation_authority(organisation=candidate.organisation)
    if level == "appraisal":
        return authority.appraisal_by
    if level == "grassroots":
        return authority.grassroots_resolution_by or authority.decider
    return authority.decider


def _require_level(acting_user: User | None, candidate: Candidate) -> None:
    """Only staff of the committee that is due may act on a dossier sitting with a committee;
    the branch, the committees below and those above cannot record its steps (no skipping)."""
    if acting_user is None:
        return  # system actions (imports, demo data) already went through their own checks
    committee = due_committee(candidate)
    if committee is not None and not scope_for(acting_user).acts_for_committee(committee.id):
        raise StepRefused((reason("level_not_due", "QĐ294 4.3; HD06 3.6-3.7", committee=committee.name),))


def _refuse_unless(result: CheckResult) -> None:
    if not result.ok:
        raise StepRefused(result.reasons)


# --- The single mutation point of `stage` ---------------------------------------------------


def candidate_transition(
    *,
    acting_user: User | None,
    candidate: Candidate,
    expected_stage: Stage,
    to_stage: Stage,
    on_date: dt.date,
    now: dt.datetime,
    note: str = "",
    basis: str = "",
    fields: Mapping[str, Any] | None = None,
) -> StageTransition:
    """Move `candidate` from `expected_stage` to `to_stage`; must run inside a transaction.

    1. The transition table must allow it (IllegalTransition) and a reason note is required
       for backward moves, drops, removals and escalations.
    2. Compare-and-swap: one UPDATE filtered on the expected stage also writes `fields`; if it
       changed no row, someone else moved the candidate first (ConcurrentStageChange).
    3. Append the StageTransition row, with the visit of `expected_stage` it ends (entered on,
       working days by the package calendar: `_visit_ended`), and apply the declarative cascade
       of the new stage.
    4. Recompute the step's legal deadline (`next_due_on`).
    """
    stages.assert_transition(expected_stage, to_stage)
    if (expected_stage, to_stage) in stages.REQUIRES_REASON and not note.strip():
        raise StepRefused((reason("note_required", "", step=f"{expected_stage}→{to_stage}"),))
    changes = dict(fields or {})
    # Compare-and-swap: only the writer that still sees `expected_stage` wins.
    # failed_votes counts the failed votes of the step in progress (QĐ294 4.2.3): a new step starts at 0.
    changes.setdefault("failed_votes", 0)
    updated = Candidate.objects.filter(pk=candidate.pk, stage=expected_stage.value).update(
        stage=to_stage.value, stage_entered_at=now, stage_entered_on=on_date, **changes
    )
    if updated != 1:
        raise ConcurrentStageChange(f"candidate {candidate.pk} is no longer in {expected_stage}")
    candidate.refresh_from_db()
    # The UPDATE above bypasses save(), so write the history row (who, when, new values) here.
    Candidate.history.bulk_history_create(  # type: ignore[attr-defined]
        [candidate], update=True, default_user=acting_user, default_change_reason=f"{expected_stage}→{to_stage}"
    )
    entered_on, working_days = _visit_ended(candidate, on_date=on_date, now=now)
    transition = StageTransition.objects.create(
        candidate=candidate,
        from_stage=expected_stage.value,
        to_stage=to_stage.value,
        at=now,
        on_date=on_date,
        acting_user=acting_user,
        note=note.strip(),
        basis=basis.strip(),
        entered_on=entered_on,
        package_working_days=working_days,
    )
    _apply_cascade(acting_user=acting_user, candidate=candidate, stage=to_stage, on_date=on_date)
    _refresh_due(candidate, transition=transition, now=now)
    schedule.transition_notify(candidate=candidate, transition=transition, now=now)
    return transition


def _visit_ended(candidate: Candidate, *, on_date: dt.date, now: dt.datetime) -> tuple[dt.date | None, int | None]:
    """The stage visit a new transition ends: the day it began (the previous transition's
    `on_date` in (at, id) order, as the statistics' LAG read it) and its working days by the
    package calendar; (None, None) for the first transition (StageTransition docstring)."""
    entered_on = (
        StageTransition.objects.filter(candidate=candidate, at__lte=now)
        .order_by("-at", "-pk")
        .values_list("on_date", flat=True)
        .first()
    )
    if entered_on is None:
        return None, None
    return entered_on, package_working_days(entered_on, on_date)


def _apply_cascade(*, acting_user: User | None, candidate: Candidate, stage: Stage, on_date: dt.date) -> None:
    effects = stages.CASCADE[stage]
    if stages.CLOSE_TASKS in effects:
        TrialTask.objects.filter(candidate=candidate, closed=False).update(closed=True)
    if stages.END_MENTORSHIPS in effects:
        Mentorship.objects.filter(candidate=candidate, ended_on__isnull=True).update(ended_on=on_date)
    if stages.CREATE_PROBATIONARY_MEMBER in effects and candidate.member_id is None:
        member = member_services.member_create(
            acting_user=None,  # the step service already checked the acting user's scope
            person=candidate.person,
            status=MemberStatus.PROBATIONARY,
            admission_decision_date=candidate.decision_date,
            ceremony_date=candidate.ceremony_date,
        )
        Candidate.objects.filter(pk=candidate.pk).update(member=member)
        candidate.member = member
    if stages.MAKE_MEMBER_OFFICIAL in effects and candidate.member is not None:
        member_services.member_make_official(
            acting_user=None, member=candidate.member, official_date=candidate.official_date or on_date
        )
    if stages.REMOVE_MEMBER in effects and candidate.member is not None:
        member_services.member_remove(acting_user=None, member=candidate.member, removed_on=on_date)


def _refresh_due(
    candidate: Candidate, *, transition: StageTransition | None = None, now: dt.datetime | None = None
) -> None:
    """Recompute the step's legal deadline and, for a new stage visit, its next reminder (step 4)."""
    calendar = calendar_for(candidate.organisation)
    rulebook = rulebook_for(candidate.organisation)
    stage = candidate.stage_enum
    dates = candidate_date_rules.candidate_dates(
        candidate, calendar=calendar, rulebook=rulebook, only=candidate_date_rules.stage_deadline_names(stage)
    )
    deadline = candidate_date_rules.stage_deadline(stage, dates)
    due = deadline.day if deadline else None
    Candidate.objects.filter(pk=candidate.pk).update(next_due_on=due)
    candidate.next_due_on = due
    schedule.candidate_schedule_reminder(
        candidate=candidate,
        transition=transition,
        now=now or timezone.now(),
        calendar=calendar,
        rulebook=rulebook,
    )


# --- Creating candidates, meetings, mentors, tasks, documents -------------------------------


def candidate_create(*, acting_user: User | None, person: Person, now: dt.datetime | None = None) -> Candidate:
    """Start following an outstanding non-member (S0) in their branch.

    Side effects: one transaction; one Candidate row and its history row.
    """
    now = now or timezone.now()
    candidate = Candidate(
        person=person,
        organisation=person.organisation,
        stage=Stage.S0.value,
        stage_entered_at=now,
        stage_entered_on=timezone.localdate(now),
    )
    _require_edit(acting_user, candidate)
    if Candidate.objects.filter(person=person).exclude(stage__in=[Stage.S17, Stage.SX]).exists():
        raise StepRefused((reason("candidacy_open", "", name=person.full_name),))
    if PartyMember.objects.filter(
        person=person, status__in=[MemberStatus.OFFICIAL, MemberStatus.PROBATIONARY]
    ).exists():
        raise StepRefused((reason("already_member", "", name=person.full_name),))
    with transaction.atomic(durable=True):
        candidate.save()
    return candidate


def meeting_record(
    *,
    acting_user: User | None,
    organisation: Any,
    held_on: dt.date,
    official_members: int,
    present: int,
    minutes: str,
    add: list[Candidate],
    keep: list[Candidate],
    remove: Mapping[int, str],
    now: dt.datetime | None = None,
) -> BranchMeeting:
    """Record a monthly branch meeting and its sympathiser-list decisions (HD38 I.1.1b).

    Side effects: one transaction; the meeting, one ListDecision per person, and a stage
    transition S0→S1 for each person added and S1/S2…→S0 for each person removed.
    """
    now = now or timezone.now()
    if acting_user is not None and not scope_for(acting_user).can_edit(organisation):
        raise PermissionDenied
    problems = list(_date_problems(held_on, None, now))
    for candidate_id, why in remove.items():
        if not why.strip():
            problems.append(reason("note_required", "HD38 I.1.1b", step=str(candidate_id)))
    if problems:
        raise StepRefused(tuple(problems))
    with transaction.atomic(durable=True):
        meeting = BranchMeeting.objects.create(
            organisation=organisation,
            held_on=held_on,
            official_members=official_members,
            present=present,
            minutes=minutes,
            created_by=acting_user,
        )
        for candidate in add:
            _same_branch(candidate, organisation)
            candidate_transition(
                acting_user=acting_user,
                candidate=candidate,
                expected_stage=Stage.S0,
                to_stage=Stage.S1,
                on_date=held_on,
                now=now,
                basis=f"BranchMeeting {held_on:%d/%m/%Y}",
                fields={"sympathiser_date": held_on},
            )
            ListDecision.objects.create(meeting=meeting, candidate=candidate, decision=ListDecision.Decision.ADD)
        for candidate in keep:
            _same_branch(candidate, organisation)
            ListDecision.objects.create(meeting=meeting, candidate=candidate, decision=ListDecision.Decision.KEEP)
        for candidate in Candidate.objects.filter(pk__in=list(remove), organisation=organisation):
            candidate_transition(
                acting_user=acting_user,
                candidate=candidate,
                expected_stage=candidate.stage_enum,
                to_stage=Stage.S0,
                on_date=held_on,
                now=now,
                note=remove[candidate.pk],
            )
            ListDecision.objects.create(
                meeting=meeting, candidate=candidate, decision=ListDecision.Decision.REMOVE, reason=remove[candidate.pk]
            )
    return meeting


def _same_branch(candidate: Candidate, organisation: Any) -> None:
    if candidate.organisation_id != organisation.pk:
        raise PermissionDenied


def mentor_assign(
    *,
    acting_user: User | None,
    candidate: Candidate,
    member: PartyMember,
    together_since: dt.date | None,
    assigned_on: dt.date,
    role: str = MentorRole.MENTOR,
    is_replacement: bool = False,
) -> Mentorship:
    """Assign an official member to help or introduce the candidate (branch resolution, QĐ294 3.2).

    Refused with reasons when the member is not official, from another grassroots unit, or has
    not been with the candidate for 12 months (a replacement is exempt, QĐ294 3.2.2).
    """
    _require_edit(acting_user, candidate)
    facts = _mentor_facts(candidate, member, together_since, is_replacement)
    rules = rulebook_for(candidate.organisation).for_date(assigned_on)
    _refuse_unless(check_mentor(facts, assigned_on, rules))
    if Mentorship.objects.filter(candidate=candidate, member=member, role=role, ended_on__isnull=True).exists():
        raise StepRefused((reason("mentor_already_assigned", "QĐ294 3.2", name=member.person.full_name),))
    with transaction.atomic(durable=True):
        return Mentorship.objects.create(
            candidate=candidate,
            member=member,
            role=role,
            together_since=together_since or assigned_on,
            is_replacement=is_replacement,
            assigned_on=assigned_on,
        )


def _grassroots_unit(ancestors: list[int], kinds: dict[int, str]) -> int | None:
    """The nearest grassroots organisation (or village branch) on a path, by id."""
    for org_id in reversed(ancestors):
        if kinds.get(org_id) in {"grassroots_committee", "grassroots_branch", "village_branch"}:
            return org_id
    return None


def _mentor_facts(
    candidate: Candidate, member: PartyMember, together_since: dt.date | None, is_replacement: bool
) -> MentorFacts:
    from members.models import Organisation

    ids = set(candidate.organisation.ancestor_ids()) | set(member.organisation.ancestor_ids())
    kinds = dict(Organisation.objects.filter(pk__in=ids).values_list("pk", "kind"))
    same_unit = _grassroots_unit(candidate.organisation.ancestor_ids(), kinds) == _grassroots_unit(
        member.organisation.ancestor_ids(), kinds
    )
    return MentorFacts(
        is_official=member.status == MemberStatus.OFFICIAL,
        same_grassroots_unit=same_unit,
        together_since=together_since,
        is_replacement=is_replacement,
        name=member.person.full_name,
    )


def _introducer_facts(candidate: Candidate) -> tuple[MentorFacts, ...]:
    """The rule facts of the candidate's current introducers (QĐ294 3.2)."""
    return tuple(
        _mentor_facts(candidate, m.member, m.together_since, m.is_replacement)
        for m in candidate.mentorships.filter(role=MentorRole.INTRODUCER, ended_on__isnull=True).select_related(
            "member__person", "member__organisation"
        )
    )


CANDIDATE_FLAGS = (
    "area_exception",
    "literacy_exception_approved",
    "over_60_approved",
    "readmission",
    "readmission_approved",
    "political_issue_unresolved",
    "deadline_extended",
)


def candidate_update_flags(*, acting_user: User | None, candidate: Candidate, **flags: bool) -> Candidate:
    """Record the approvals and exceptions the eligibility rules read (E3, E5, E6, E7, E10; QĐ294 4.3.1).

    Side effects: one transaction; the candidate row and a history row; the step deadline is
    recomputed (an extension moves the decision deadline by 15 working days).
    """
    _require_edit(acting_user, candidate)
    unknown = set(flags) - set(CANDIDATE_FLAGS)
    if unknown:
        raise ValueError(f"not a candidate flag: {sorted(unknown)}")
    for name, value in flags.items():
        setattr(candidate, name, bool(value))
    with transaction.atomic(durable=True):
        candidate._history_user = acting_user  # type: ignore[attr-defined]
        candidate.save(update_fields=list(flags))
        _refresh_due(candidate)
    return candidate


def task_assign(*, acting_user: User | None, candidate: Candidate, description: str, due_on: dt.date) -> TrialTask:
    _require_edit(acting_user, candidate)
    with transaction.atomic(durable=True):
        return TrialTask.objects.create(candidate=candidate, description=description, due_on=due_on)


def task_complete(
    *, acting_user: User | None, task: TrialTask, result: str, done_on: dt.date | None, now: dt.datetime | None = None
) -> TrialTask:
    """Record the result of a trial task (HD38 I.1.1b: tasks test the sympathiser)."""
    _require_edit(acting_user, task.candidate)
    problems = _date_problems(done_on, None, now or timezone.now()) if done_on else []
    if problems:
        raise StepRefused(tuple(problems))
    task.result, task.done_on = result.strip(), done_on
    with transaction.atomic(durable=True):
        task.save(update_fields=["result", "done_on"])
    return task


def document_record(
    *,
    acting_user: User | None,
    candidate: Candidate,
    doc_type: str,
    issued_on: dt.date,
    note: str = "",
    returned: bool = False,
) -> DossierItem:
    """Mark a dossier document as held (or returned for correction) with its date."""
    _require_edit(acting_user, candidate)
    status = DossierItem.Status.RETURNED if returned else DossierItem.Status.RECEIVED
    with transaction.atomic(durable=True):
        item, _created = DossierItem.objects.update_or_create(
            candidate=candidate,
            doc_type=doc_type,
            defaults={"issued_on": issued_on, "note": note, "status": status, "updated_by": acting_user},
        )
    return item


def verification_record(
    *,
    acting_user: User | None,
    candidate: Candidate,
    subject: str,
    addressee: str,
    sent_on: dt.date,
    received_on: dt.date,
    abroad: bool = False,
    replied_on: dt.date | None = None,
) -> VerificationRequest:
    _require_edit(acting_user, candidate)
    _refuse_unless(check_order("verification_sent", sent_on, "verification_received", received_on))
    with transaction.atomic(durable=True):
        return VerificationRequest.objects.create(
            candidate=candidate,
            subject=subject,
            addressee=addressee,
            sent_on=sent_on,
            received_on=received_on,
            abroad=abroad,
            replied_on=replied_on,
        )


# --- Steps ---------------------------------------------------------------------------------


def _date_problems(on_date: dt.date, candidate: Candidate | None, now: dt.datetime) -> list[Reason]:
    """A recorded event cannot be in the future nor before the step it ends began."""
    today = timezone.localdate(now)
    found = []
    if on_date > today:
        found.append(reason("date_in_future", "", day=on_date))
    if candidate is not None and on_date < candidate.stage_entered_on:
        found.extend(check_order("stage_entered", candidate.stage_entered_on, "event", on_date).reasons)
    return found


def _route(candidate: Candidate) -> tuple[Stage, DecidingBody]:
    authority = organisation_authority(organisation=candidate.organisation)
    decides_itself = authority.body == DecidingBody.GRASSROOTS_COMMITTEE
    return (
        stages.next_after_branch_resolution(
            has_sub_committee=authority.appraisal_by is not None,
            has_grassroots_committee=authority.grassroots_resolution_by is not None or decides_itself,
            grassroots_decides_itself=decides_itself,
        ),
        authority.body,
    )


def candidate_step(
    *,
    acting_user: User | None,
    candidate: Candidate,
    step_key: str,
    data: Mapping[str, Any],
    now: dt.datetime | None = None,
) -> StageTransition:
    """Record a non-vote step (see workflow.STEPS) and move the candidate on.

    Side effects: one durable transaction; the candidate's dates, the stage (CAS), a
    StageTransition row, cascaded rows (probationary member at the ceremony, official
    status at recognition, removal). Raises StepRefused with reasons, nothing written.
    """
    now = now or timezone.now()
    step = STEP_BY_KEY[step_key]
    _require_edit(acting_user, candidate)
    stage = candidate.stage_enum
    if stage not in step.from_stages or step.kind == "vote":
        raise stages.IllegalTransition(stage, stage)
    _require_level(acting_user, candidate)
    on_date: dt.date = (
        data.get("on_date") or (data.get(step.date_field) if step.date_field else None) or timezone.localdate(now)
    )
    fields = {name: data.get(name) for name in step.extra_fields if name in data}
    if step.date_field:
        fields[step.date_field] = on_date
    checks = [] if step.key == "certificate" else _date_problems(on_date, candidate, now)
    if step.key == "certificate" and on_date > timezone.localdate(now):
        checks.append(reason("date_in_future", "", day=on_date))
    target, extra_checks = _step_target_and_checks(candidate, step, on_date, fields)
    checks.extend(extra_checks)
    vote = _committee_vote(candidate, step, data, on_date, acting_user) if step.committee_vote else None
    step_ok = not checks
    if vote is not None:
        checks.extend(vote.outcome_reasons)  # type: ignore[attr-defined]
    if checks:
        if vote is not None and step_ok and not vote.invalid:  # type: ignore[attr-defined]
            with transaction.atomic(durable=True):
                vote.save()  # a failed committee vote is kept too (HD06 5.1); the dossier does not move
        raise StepRefused(tuple(checks))
    with transaction.atomic(durable=True):
        if vote is not None:
            vote.save()
        return candidate_transition(
            acting_user=acting_user,
            candidate=candidate,
            expected_stage=stage,
            to_stage=target,
            on_date=on_date,
            now=now,
            note=str(data.get("note") or ""),
            basis=str(data.get("basis") or ""),
            fields=fields,
        )


_DECIDING_VOTING_BODY = {
    DecidingBody.GRASSROOTS_COMMITTEE: VotingBody.DELEGATED_GRASSROOTS_COMMITTEE,
    DecidingBody.STANDING_COMMITTEE: VotingBody.STANDING_COMMITTEE,
    DecidingBody.PROVINCIAL_STANDING_OFFICE: VotingBody.PROVINCIAL_STANDING_OFFICE,
}


def _committee_vote(
    candidate: Candidate, step: Step, data: Mapping[str, Any], on_date: dt.date, acting_user: User | None
) -> Vote | None:
    """The committee's vote entered with an appraisal or a decision, evaluated but unsaved; None if absent.

    The body follows the organisation tree: the sub-committee appraises (> 1/2 [R]); the deciding
    body is the delegated committee (>= 2/3) or a standing committee / standing office (> 1/2).
    """
    if data.get("vote_summoned") in (None, ""):
        return None
    summoned, excluded = int(data["vote_summoned"]), int(data.get("vote_excluded") or 0)
    yes, no, abstain = int(data.get("vote_yes") or 0), int(data.get("vote_no") or 0), int(data.get("vote_abstain") or 0)
    if step.key == "appraisal":
        body = VotingBody.SUB_COMMITTEE_APPRAISAL
    else:
        body = _DECIDING_VOTING_BODY[organisation_authority(organisation=candidate.organisation).body]
    outcome = evaluate_vote(
        yes=yes,
        no=no,
        abstain=abstain,
        denominator=summoned - excluded,
        threshold=threshold_for(body),
        rule=threshold_rule(body),
    )
    vote = Vote(
        candidate=candidate,
        body=body.name,
        purpose=step.vote_purpose,
        held_on=on_date,
        summoned=summoned,
        excluded=min(excluded, summoned),
        denominator=max(summoned - excluded, 0),
        yes=yes,
        no=no,
        abstain=abstain,
        form=data.get("vote_form") or "secret",
        required=outcome.required,
        passed=outcome.passed,
        rule=threshold_rule(body),
        created_by=acting_user,
    )
    vote.outcome_reasons = outcome.reasons  # type: ignore[attr-defined]
    vote.invalid = any(r.code != "vote_threshold_not_reached" for r in outcome.reasons)  # type: ignore[attr-defined]
    return vote


def _step_target_and_checks(
    candidate: Candidate, step: Step, on_date: dt.date, fields: dict[str, Any]
) -> tuple[Stage, list[Reason]]:
    """Where the step leads from the candidate's stage, and what the rules say against it."""
    rules = rulebook_for(candidate.organisation).for_date(on_date)
    found: list[Reason] = []
    key = step.key
    if key == "add_to_list":
        return Stage.S1, found
    if key == "propose_class":
        return Stage.S2, found
    if key == "certificate":
        return Stage.S3, found
    if key == "permit_dossier":
        from admission.domain.eligibility import check_certificate

        found.extend(check_certificate(candidate.certificate_issue_date, on_date, rules).reasons)
        return Stage.S4, found
    if key == "application":
        return Stage.S5, found
    if key == "introduction":
        mode = IntroductionMode[fields.get("introduction_mode") or "TWO_MEMBERS"]
        introducers = _introducer_facts(candidate)
        person = candidate.person
        found.extend(
            check_introduction(
                mode,
                introducers,
                on_date,
                rules,
                youth_union_exists=person.youth_union_member,
                is_youth_age=_is_youth_age(person.date_of_birth, on_date),
                is_youth_union_member=person.youth_union_member,
                union_resolution_date=fields.get("union_resolution_date"),
            ).reasons
        )
        return Stage.S6, found
    if key == "verification":
        if candidate.verifications.filter(replied_on__isnull=True).exists():
            found.append(reason("verification_incomplete", "HD06 3.4; HD38 I.1.5"))
        return Stage.S7, found
    if key == "comments":
        return Stage.S8, found
    if key == "appraisal":
        return Stage.S9, found
    if key == "decision":
        received = fields.get("decision_received_date") or on_date
        fields["decision_received_date"] = received
        found.extend(
            _order_after(
                candidate.grassroots_resolution_date or candidate.branch_resolution_date,
                "branch_meeting",
                on_date,
                "decision",
            )
        )
        found.extend(check_order("decision", on_date, "decision_received", received, rule="QĐ294 4.1").reasons)
        return Stage.S11, found
    if key == "ceremony":
        assert candidate.decision_date is not None and candidate.decision_received_date is not None  # noqa: S101  (S11 needs them)
        found.extend(
            check_ceremony_date(
                ceremony_date=on_date,
                decision_date=candidate.decision_date,
                decision_received_date=candidate.decision_received_date,
            ).reasons
        )
        return Stage.S12, found
    if key == "records":
        return Stage.S13, found
    if key == "probation_review":
        if candidate.ceremony_date is None:  # pragma: no cover - S13 is only reached through the ceremony
            raise StepRefused((reason("ceremony_missing", ""),))
        from admission.domain.deadlines import probation_end

        end = probation_end(
            ceremony_date=candidate.ceremony_date,
            rules=rulebook_for(candidate.organisation).for_date(candidate.ceremony_date),
        )
        found.extend(check_recognition_ready(probation_end=end.day, on_date=on_date).reasons)
        fields["official_date"] = end.day
        return Stage.S14, found
    if key == "recognition_dossier":
        missing = _documents_missing(candidate, DOCUMENTS_BEFORE_RECOGNITION_VOTE)
        if missing:
            found.append(reason("documents_missing", "HD06 4.2-4.4", documents=missing))
        return Stage.S15, found
    if key == "recognition_decision":
        found.extend(_order_after(candidate.recognition_branch_date, "recognition_branch", on_date, "decision"))
        return Stage.S17, found
    if key == "deadlock_recognise":
        return Stage.S16, found
    if key == "deadlock_revote":
        return Stage.S15, found
    if key == "drop":
        return Stage.S0, found
    if key == "remove":
        return Stage.SX, found
    raise KeyError(key)  # pragma: no cover - every step of workflow.STEPS is handled above


def _order_after(earlier: dt.date | None, earlier_label: str, later: dt.date, later_label: str) -> tuple[Reason, ...]:
    return check_order(earlier_label, earlier, later_label, later).reasons if earlier else ()


def is_youth_union_case(person: Person, on: dt.date) -> bool:
    """A Youth Union member of youth age must be introduced by the Youth Union (ĐL 4.1)."""
    return person.youth_union_member and _is_youth_age(person.date_of_birth, on)


def _is_youth_age(born: dt.date, on: dt.date) -> bool:
    """Youth age (for the Youth Union introduction rule): up to 30 years, HN02 1.1.2.1b [LOCAL-HN]."""
    return (on.year - born.year - ((on.month, on.day) < (born.month, born.day))) <= 30


def _documents_missing(candidate: Candidate, required: tuple[str, ...]) -> tuple[str, ...]:
    held = set(candidate.documents.filter(status=DossierItem.Status.RECEIVED).values_list("doc_type", flat=True))
    return tuple(doc for doc in required if doc not in held)


# --- Votes -------------------------------------------------------------------------------------


def candidate_vote(
    *,
    acting_user: User | None,
    candidate: Candidate,
    step_key: str,
    held_on: dt.date,
    summoned: int,
    excluded: int,
    yes: int,
    no: int,
    abstain: int,
    form: str,
    note: str = "",
    now: dt.datetime | None = None,
) -> Vote:
    """Record a vote of the branch or grassroots committee; move on if it passed.

    Invalid counts (more votes than the denominator, …) or an admission the branch may not yet
    consider (expired certificate, missing documents, …) raise StepRefused: nothing written.
    A vote below the threshold is recorded as failed; after 3 failed recognition votes the
    candidate is escalated to the superior committee (S-Y, QĐ294 4.2.3).
    Side effects: one durable transaction; the Vote row; on success the stage transition.
    """
    now = now or timezone.now()
    step = STEP_BY_KEY[step_key]
    _require_edit(acting_user, candidate)
    stage = candidate.stage_enum
    if stage not in step.from_stages or step.kind != "vote":
        raise stages.IllegalTransition(stage, stage)
    _require_level(acting_user, candidate)
    target, authority_body = _route(candidate) if step_key == "branch_vote" else (Stage.S16, None)
    body = VOTE_BODY.get(step_key)
    if step_key == "grassroots_vote":
        _route_target, authority_body = _route(candidate)
        delegated = authority_body == DecidingBody.GRASSROOTS_COMMITTEE
        body = VotingBody.DELEGATED_GRASSROOTS_COMMITTEE if delegated else VotingBody.GRASSROOTS_COMMITTEE
        target = stages.next_after_grassroots_resolution(grassroots_decides_itself=delegated)
    assert body is not None  # noqa: S101
    problems = _date_problems(held_on, candidate, now)
    denominator = summoned - excluded
    if excluded > summoned:
        problems.append(
            reason("vote_counts_exceed_denominator", threshold_rule(body), total=excluded, denominator=summoned)
        )
    rules = rulebook_for(candidate.organisation).for_date(held_on)
    if step_key == "branch_vote":
        problems.extend(check_branch_consideration(_consideration_facts(candidate, held_on), rules).reasons)
    if step_key == "recognition_vote" and candidate.official_date and held_on < candidate.official_date:
        problems.extend(check_recognition_ready(probation_end=candidate.official_date, on_date=held_on).reasons)
    if excluded > summoned:
        raise StepRefused(tuple(problems))
    outcome = evaluate_vote(
        yes=yes,
        no=no,
        abstain=abstain,
        denominator=denominator,
        threshold=threshold_for(body),
        rule=threshold_rule(body),
        body=body,
        official_members=summoned if body is VotingBody.BRANCH else None,
    )
    invalid = [r for r in outcome.reasons if r.code != "vote_threshold_not_reached"]
    problems.extend(invalid)
    if problems:
        raise StepRefused(tuple(problems))
    with transaction.atomic(durable=True):
        vote = Vote.objects.create(
            candidate=candidate,
            body=body.name,
            purpose=step.vote_purpose,
            held_on=held_on,
            summoned=summoned,
            excluded=excluded,
            denominator=denominator,
            yes=yes,
            no=no,
            abstain=abstain,
            form=form,
            required=outcome.required,
            passed=outcome.passed,
            rule=threshold_rule(body),
            created_by=acting_user,
        )
        if outcome.passed:
            fields: dict[str, Any] = {step.date_field: held_on} if step.date_field else {}
            if target == Stage.S11:  # a delegated committee's resolution is also the decision
                fields.update(decision_date=held_on, decision_received_date=held_on)
            candidate_transition(
                acting_user=acting_user,
                candidate=candidate,
                expected_stage=stage,
                to_stage=target,
                on_date=held_on,
                now=now,
                note=note,
                basis=f"Vote {vote.pk}",
                fields=fields,
            )
        else:
            Candidate.objects.filter(pk=candidate.pk).update(failed_votes=F("failed_votes") + 1)
            candidate.refresh_from_db(fields=["failed_votes"])
            if step_key == "recognition_vote" and deadlock_reached(candidate.failed_votes, rules):
                candidate_transition(
                    acting_user=acting_user,
                    candidate=candidate,
                    expected_stage=stage,
                    to_stage=Stage.SY,
                    on_date=held_on,
                    now=now,
                    note=f"{candidate.failed_votes} failed votes (QĐ294 4.2.3)",
                    fields={"failed_votes": candidate.failed_votes},  # kept: the superior sees how many
                )
    return vote


def _consideration_facts(candidate: Candidate, meeting_date: dt.date) -> BranchConsiderationFacts:
    person = candidate.person
    introducers = _introducer_facts(candidate)
    mode = IntroductionMode[candidate.introduction_mode or "TWO_MEMBERS"]
    required = DOCUMENTS_BEFORE_BRANCH_VOTE + (("A5",) if mode is not IntroductionMode.TWO_MEMBERS else ())
    return BranchConsiderationFacts(
        birth_date=person.date_of_birth,
        meeting_date=meeting_date,
        certificate_issue_date=candidate.certificate_issue_date,
        dossier_start_date=candidate.dossier_start_date,
        education=EducationLevel[person.education_level.upper()],
        introduction_mode=mode,
        introducers=introducers,
        youth_union_exists=person.youth_union_member,
        is_youth_age=_is_youth_age(person.date_of_birth, meeting_date),
        is_youth_union_member=person.youth_union_member,
        union_resolution_date=candidate.union_resolution_date,
        documents_missing=_documents_missing(candidate, required),
        verification_complete=candidate.verification_completed_date is not None,
        comments_complete=candidate.comments_completed_date is not None,
        area_exception=candidate.area_exception,
        literacy_exception_approved=candidate.literacy_exception_approved,
        over_60_approved=candidate.over_60_approved,
        readmission=candidate.readmission,
        readmission_approved=candidate.readmission_approved,
        political_issue_unresolved=candidate.political_issue_unresolved,
    )


# --- Committee review: returns and resubmission (issue 5) --------------------------------------


def dossier_return(
    *,
    acting_user: User | None,
    candidate: Candidate,
    note: str,
    documents: Mapping[str, str],
    now: dt.datetime | None = None,
) -> DossierReturn:
    """The committee that is due returns the dossier to the branch, with a reason per document.

    1. Only that committee's staff may return (`_require_level`); a general reason is required
       and every named document needs its own reason.
    2. One durable transaction: the backward transition (S8A/S9/S10 -> S8, S16 -> S15, CAS),
       whose note lists the documents, so the branch's notification names them; the
       DossierReturn and ReturnedDocument rows; each named document the dossier holds is
       marked "returned" with the committee's reason.
    Side effects: notifications to the branch's secretaries and the mentors (transition_notify).
    """
    now = now or timezone.now()
    _require_edit(acting_user, candidate)
    stage = candidate.stage_enum
    target = RETURN_TARGET.get(stage)
    if target is None:
        raise stages.IllegalTransition(stage, Stage.S8)
    _require_level(acting_user, candidate)
    committee = due_committee(candidate)
    assert committee is not None  # noqa: S101 - every RETURN_TARGET stage has a committee level
    problems: list[Reason] = []
    if not note.strip():
        problems.append(reason("return_reason_required", "QĐ294 4.3.1"))
    blank = tuple(code for code, text in documents.items() if not text.strip())
    if blank:
        problems.append(reason("return_document_reason_required", "QĐ294 4.3.1", documents=blank))
    if problems:
        raise StepRefused(tuple(problems))
    summary = note.strip() + "".join(f"; {code}: {text.strip()}" for code, text in sorted(documents.items()))
    with transaction.atomic(durable=True):
        transition = candidate_transition(
            acting_user=acting_user,
            candidate=candidate,
            expected_stage=stage,
            to_stage=target,
            on_date=timezone.localdate(now),
            now=now,
            note=summary[:2000],
        )
        returned = DossierReturn.objects.create(
            candidate=candidate,
            transition=transition,
            from_stage=stage.value,
            committee_id=committee.id,
            returned_by=acting_user,
            at=now,
            note=note.strip(),
        )
        ReturnedDocument.objects.bulk_create(
            ReturnedDocument(dossier_return=returned, doc_type=code, reason=text.strip()[:255])
            for code, text in sorted(documents.items())
        )
        for code, text in documents.items():
            DossierItem.objects.filter(candidate=candidate, doc_type=code).update(
                status=DossierItem.Status.RETURNED, note=text.strip()[:255], updated_by=acting_user, updated_at=now
            )
    return returned


def open_return(candidate: Candidate) -> DossierReturn | None:
    """The return that brought the dossier back to the branch and is not resubmitted yet."""
    latest = candidate.returns.select_related("transition").first()
    return latest if latest is not None and latest.is_open_for(candidate) else None


def returned_documents_pending(candidate: Candidate, returned: DossierReturn) -> tuple[str, ...]:
    """Documents of the return that the branch has not recorded again (the return marked the held
    ones "returned"; recording a document again marks it "received")."""
    return returned.documents_pending(
        set(
            DossierItem.objects.filter(candidate=candidate, status=DossierItem.Status.RECEIVED).values_list(
                "doc_type", flat=True
            )
        )
    )


def dossier_resubmit(
    *, acting_user: User | None, candidate: Candidate, note: str = "", now: dt.datetime | None = None
) -> StageTransition:
    """The branch sends a returned dossier up again once every returned document is redone.

    The branch's resolution stands (its date still starts the committee's deadline, QĐ294
    4.3.1); a branch that must vote again does so with the vote step instead. The dossier goes
    to the level the tree gives (S8A/S9/S10), or back to the recognition decision (S16).
    Side effects: one durable transaction; the transition (CAS) and the return marked resubmitted.
    """
    now = now or timezone.now()
    _require_edit(acting_user, candidate)
    returned = open_return(candidate)
    if returned is None:
        raise StepRefused((reason("not_returned", "QĐ294 4.3.1"),))
    pending = returned_documents_pending(candidate, returned)
    if pending:
        raise StepRefused((reason("returned_documents_pending", "QĐ294 4.3.1", documents=pending),))
    stage = candidate.stage_enum
    target = _route(candidate)[0] if stage == Stage.S8 else Stage.S16
    with transaction.atomic(durable=True):
        transition = candidate_transition(
            acting_user=acting_user,
            candidate=candidate,
            expected_stage=stage,
            to_stage=target,
            on_date=timezone.localdate(now),
            now=now,
            note=note.strip(),
            basis=f"Return {returned.pk}",
        )
        DossierReturn.objects.filter(pk=returned.pk).update(resubmitted_at=now)
    return transition


def calendar_token_set(*, acting_user: User, enable: bool) -> str:
    """Create a new private calendar-feed token (revoking any previous one), or revoke it."""
    import secrets

    token = secrets.token_urlsafe(32) if enable else ""
    with transaction.atomic(durable=True):
        User.objects.filter(pk=acting_user.pk).update(calendar_token=token)
    return token


# --- Committee meetings: the agenda and the outcome per dossier (issue 5) ---------------------


def committee_meeting_create(
    *,
    acting_user: User | None,
    committee: Any,
    held_on: dt.date,
    title: str,
    candidates: list[Candidate],
) -> CommitteeMeeting:
    """Put dossiers waiting for `committee` on the agenda of one of its meetings.

    Only the committee's own staff may; every dossier must be due at this committee (the
    caller passes rows from its review queue, checked again here). One durable transaction.
    """
    if acting_user is not None and not scope_for(acting_user).acts_for_committee(committee.pk):
        raise PermissionDenied
    foreign = [c for c in candidates if (due := due_committee(c)) is None or due.id != committee.pk]
    if foreign:
        raise StepRefused(tuple(reason("level_not_due", "QĐ294 4.3", committee=c.person.full_name) for c in foreign))
    with transaction.atomic(durable=True):
        meeting = CommitteeMeeting.objects.create(
            committee=committee, held_on=held_on, title=title.strip(), created_by=acting_user
        )
        AgendaItem.objects.bulk_create(
            AgendaItem(meeting=meeting, candidate=c, position=index, stage_listed=c.stage)
            for index, c in enumerate(candidates, start=1)
        )
    return meeting


def agenda_outcomes_record(
    *,
    acting_user: User | None,
    meeting: CommitteeMeeting,
    outcomes: Mapping[int, tuple[str, str]],
    now: dt.datetime | None = None,
) -> int:
    """Record what the meeting decided on each dossier (outcome and note); returns the rows changed.

    The outcome is the meeting's record; the decision itself (and its vote) is still recorded
    with the step, which moves the dossier on. One durable transaction.
    """
    now = now or timezone.now()
    if acting_user is not None and not scope_for(acting_user).acts_for_committee(meeting.committee_id):
        raise PermissionDenied
    valid = set(AgendaItem.Outcome.values)
    changed = 0
    with transaction.atomic(durable=True):
        for item in AgendaItem.objects.select_for_update().filter(meeting=meeting, pk__in=list(outcomes)):
            outcome, note = outcomes[item.pk]
            if outcome not in valid or (item.outcome, item.note) == (outcome, note):
                continue
            item.outcome, item.note, item.recorded_by, item.recorded_at = outcome, note[:255], acting_user, now
            item.save(update_fields=["outcome", "note", "recorded_by", "recorded_at"])
            changed += 1
    return changed


# --- Personal-data retention (Decree 13/2023/NĐ-CP; issue 7) -------------------------------------
