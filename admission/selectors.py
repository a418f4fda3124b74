"""Read queries of the admission pipeline; all of them go through the members scope."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, F, Func, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone, translation
from django.utils.text import capfirst
from django.utils.translation import gettext

from admission import bundle, rulebook, schedule
from admission import dates as date_rules
from admission.domain.calendar import WorkingCalendar, calendar_for_ancestors
from admission.domain.deadlines import ComputedDate, verification_reply_deadline
from admission.domain.eligibility import (
    IntroductionMode,
    MentorFacts,
    check_certificate,
    check_dossier_age,
    check_mentor,
    choose_introducers,
    default_introduction_mode,
    introducers_needed,
)
from admission.domain.mentor_reviews import ReviewPeriod, review_owed, review_period
from admission.domain.reasons import Reason, reason
from admission.domain.rules import RuleBook, RuleSet
from admission.domain.stages import PIPELINE, STAGE_INFO, Stage
from admission.models import (
    CLOSED_STAGES,
    DOCUMENTS_BEFORE_BRANCH_VOTE,
    Candidate,
    CandidateTransfer,
    Correction,
    DocumentScan,
    DossierItem,
    DossierReturn,
    GeneratedDocument,
    IntroductionModeChoice,
    IssuedDocument,
    MentorComment,
    MentorCommentKind,
    Mentorship,
    Notification,
    ProvincialConsent,
    ReturnedDocument,
    StageTransition,
    VerificationRequest,
)
from admission.workflow import NEXT_STEP, STEP_BY_KEY, Step
from members import names
from members.authority import NoDecidingBody
from members.models import MemberStatus, Organisation, PartyMember, Person, User
from members.selectors import (
    member_list,
    name_matches,
    organisation_authority,
    organisation_list,
    person_duplicates,
    scope_for,
)

# The generated documents listed on a candidate's page (admission/_generated_documents.html).
RECENT_GENERATED_DOCUMENTS = 20


def candidate_list(
    *, user: User, organisation: Organisation | None = None, include_closed: bool = False
) -> QuerySet[Candidate]:
    """Candidates of the branches in the user's scope.

    A mentor's mentees are not added: a helper reads their mentee only on the mentor's pages
    (mentee_get), which show the stage, the dates and their own comments, never the votes, the
    history or other people's comments (docs/decisions.md, "Mentors as users")."""
    scope = scope_for(user)
    visible = scope.organisation_q("organisation__")
    qs = Candidate.objects.filter(visible).select_related("person", "organisation")
    if organisation is not None:
        qs = qs.filter(organisation__path__startswith=organisation.path)
    if not include_closed:
        qs = qs.exclude(stage__in=CLOSED_STAGES)
    return qs


def _mentee_ids(user: User) -> QuerySet[Mentorship, Any] | None:
    """Ids of the candidates the user's person currently helps or introduces; None if no person."""
    person_id = getattr(user, "person_id", None)
    if not person_id:
        return None
    return Mentorship.objects.filter(member__person_id=person_id, ended_on__isnull=True).values("candidate_id")


def mentee_list(*, user: User) -> QuerySet[Candidate]:
    """The candidates the user currently helps or introduces."""
    mentees = _mentee_ids(user)
    if mentees is None:
        return Candidate.objects.none()
    return (
        Candidate.objects.filter(pk__in=mentees).select_related("person", "organisation").order_by("person__sort_key")
    )


def mentee_get(*, user: User, pk: int) -> Candidate:
    """One of the candidates the user currently helps or introduces (open candidacy); 404 otherwise."""
    candidate = mentee_list(user=user).exclude(stage__in=CLOSED_STAGES).filter(pk=pk).first()
    if candidate is None:
        raise Http404
    return candidate


# How long before the end of probation the helper is told their comment is due (docs/decisions.md).
MENTOR_COMMENT_NOTICE_DAYS = 30


@dataclass(frozen=True)
class MenteeRow:
    """One line of the mentor's workspace: the mentee, where the case stands and what the mentor owes."""

    candidate: Candidate
    deadline: ComputedDate | None
    probation_end: dt.date | None
    comments: list[MentorComment]
    owes_end_comment: bool  # probationer whose end-of-probation comment is not signed (HD06 4.3)
    end_comment_due_soon: bool  # ... and probation ends within MENTOR_COMMENT_NOTICE_DAYS (or has ended)
    # The period whose periodic comment the mentor owes, where the organisation turned a cadence on
    # (rules §0, §8; domain.mentor_reviews); None otherwise.
    periodic_due: ReviewPeriod | None = None


def mentee_workspace(*, user: User, today: dt.date) -> list[MenteeRow]:
    """The mentor's mentees with their stage deadline, end of probation and their comments."""
    person_id = getattr(user, "person_id", None)
    if not person_id:
        return []
    candidates = list(mentee_list(user=user).exclude(stage__in=CLOSED_STAGES))
    comments: dict[int, list[MentorComment]] = {}
    for comment in MentorComment.objects.filter(candidate__in=candidates, mentor__person_id=person_id).order_by(
        "written_at", "pk"
    ):
        comments.setdefault(comment.candidate_id, []).append(comment)
    cadences = schedule.mentor_review_cadences({c.organisation for c in candidates})
    rows = []
    for candidate in candidates:
        period = review_period(cadences.get(candidate.organisation_id, ""), today)
        periodic_due = (
            period
            if period is not None
            and STAGE_INFO[candidate.stage_enum].phase == "probation"
            and review_owed(
                period,
                ceremony=candidate.ceremony_date,
                signed_on=[c.signed_on for c in comments.get(candidate.pk, []) if c.signed_on],
            )
            else None
        )
        dates = date_rules.candidate_dates(
            candidate,
            calendar=rulebook.calendar_for(candidate.organisation),
            rulebook=rulebook.rulebook_for(candidate.organisation),
        )
        end = candidate.official_date or (dates.probation_end.day if dates.probation_end else None)
        mine = comments.get(candidate.pk, [])
        owes = candidate.ceremony_date is not None and not any(
            c.signed and c.kind == MentorCommentKind.END_OF_PROBATION for c in mine
        )
        due_soon = owes and end is not None and (end - today).days <= MENTOR_COMMENT_NOTICE_DAYS
        rows.append(
            MenteeRow(
                candidate=candidate,
                deadline=date_rules.stage_deadline(candidate.stage_enum, dates),
                probation_end=end,
                comments=mine,
                owes_end_comment=owes,
                end_comment_due_soon=due_soon,
                periodic_due=periodic_due,
            )
        )
    return rows


def candidate_get(*, user: User, pk: int) -> Candidate:
    """The candidate if the user's scope covers their branch; 404 otherwise."""
    candidate = candidate_list(user=user, include_closed=True).filter(pk=pk).first()
    if candidate is None:
        raise Http404
    return candidate


def candidate_of_issued(*, user: User, issued: IssuedDocument) -> Candidate:
    """The candidate a register entry is about, for its files: readable when the user reads the
    candidate, or edits the entry's issuing body.

    The second case is the former place's committee and its transfer letter (T11, HD06 3.9b): the
    candidate now belongs to the destination, whose page that committee no longer reads, but the
    letter is its own document, numbered in its own register. It reaches the candidate only through
    that entry (its files), never the candidate's page. 404 otherwise.
    """
    if issued.candidate_id is None:
        raise Http404
    found = candidate_list(user=user, include_closed=True).filter(pk=issued.candidate_id).first()
    if found is None and scope_for(user).can_edit(issued.issuer):
        found = Candidate.objects.filter(pk=issued.candidate_id).select_related("person", "organisation").first()
    if found is None:
        raise Http404
    return found


def people_without_candidacy(*, user: User, organisation: Organisation) -> QuerySet[Person]:
    """People of the branch who are neither members nor in an open candidacy (former members may be
    followed again: a readmission, E10)."""
    return (
        Person.objects.filter(
            Q(membership__isnull=True) | Q(membership__status__in=[MemberStatus.REMOVED, MemberStatus.LEFT]),
            scope_for(user).organisation_q("organisation__"),
            organisation=organisation,
        )
        .exclude(candidacies__stage__in=[s.value for s in Stage if s.value not in CLOSED_STAGES])
        .order_by("sort_key")
    )


@dataclass(frozen=True)
class PossibleDuplicate:
    """A person the user may see who may be the one being entered (members.selectors.person_duplicates)
    and what the new-candidate page offers instead: follow them, open their candidacy, or their page."""

    person: Person
    same_cccd: bool
    open_candidacy: Candidate | None
    is_member: bool
    may_follow: bool  # in this branch, no open candidacy, not a member


def possible_duplicates(
    *, user: User, organisation: Organisation, full_name: str, date_of_birth: Any, cccd: str | None
) -> list[PossibleDuplicate]:
    """Inside the user's scope only: the same CCCD, or the same name (diacritics and case ignored)
    and date of birth. Two queries: the people, their open candidacies."""
    people = list(person_duplicates(user=user, full_name=full_name, date_of_birth=date_of_birth, cccd=cccd))
    open_by_person = {
        c.person_id: c
        for c in Candidate.objects.filter(person__in=people).exclude(stage__in=CLOSED_STAGES).order_by("pk")
    }
    result = []
    for person in people:
        membership = getattr(person, "membership", None)
        is_member = membership is not None and membership.status in (MemberStatus.OFFICIAL, MemberStatus.PROBATIONARY)
        candidacy = open_by_person.get(person.pk)
        result.append(
            PossibleDuplicate(
                person=person,
                same_cccd=bool(cccd) and person.cccd == cccd,
                open_candidacy=candidacy,
                is_member=is_member,
                may_follow=person.organisation_id == organisation.pk and candidacy is None and not is_member,
            )
        )
    return result


@dataclass(slots=True)  # not frozen: a frozen dataclass's __init__ costs seven times as much
class BoardCandidate:
    """The candidate of a board card: the few columns the card needs (one tuple per row instead of
    a model instance of ~50 fields, 300 times), with the dates its deadline is counted from
    (admission.dates.RecordedDates)."""

    pk: int
    stage: str
    stage_entered_on: dt.date | None
    certificate_issue_date: dt.date | None
    dossier_start_date: dt.date | None
    branch_resolution_date: dt.date | None
    deadline_extended: bool
    decision_received_date: dt.date | None
    ceremony_date: dt.date | None
    recognition_branch_date: dt.date | None
    removal_date: dt.date | None
    transfer_received_date: dt.date | None
    transferred_on: dt.date | None
    reconsideration_requested_date: dt.date | None

    @property
    def stage_enum(self) -> Stage:
        return Stage(self.stage)


BOARD_CANDIDATE_FIELDS = tuple(BoardCandidate.__dataclass_fields__)  # Candidate fields, in the row's order


@dataclass(slots=True)
class BoardCard:
    candidate: BoardCandidate
    name: str  # the person's full name
    next_step: Step | None
    deadline: ComputedDate | None
    overdue: bool
    blockers: list[Reason] = field(default_factory=list)


@dataclass
class BoardColumn:
    stage: Stage
    label: str
    cards: list[BoardCard]


def branch_board(*, user: User, organisation: Organisation, today: dt.date, search: str = "") -> list[BoardColumn]:
    """The secretary's pipeline board: open candidates by stage, each with next step and deadline;
    `search` keeps those whose name contains it, diacritics and case ignored (members.names.search_key).

    Two queries whatever the number of candidates: the candidates (the card's columns and their
    person's name only, as tuples: BoardCandidate), then one bundle (admission.bundle) of the
    received documents of those at S8, the calendar and rule overrides.
    """
    open_candidates = candidate_list(user=user, organisation=organisation).select_related(None)
    key = names.search_key(search)
    if key:
        open_candidates = open_candidates.filter(name_matches(key, "person__"))
    rows = list(
        open_candidates.order_by("person__sort_key", "pk").values_list("person__full_name", *BOARD_CANDIDATE_FIELDS)
    )
    # The received documents of those at S8, by the ids just read (not the scope's query again).
    at_s8 = [row[1] for row in rows if row[2] == Stage.S8.value]  # (name, pk, stage, …)
    bundled = bundle.fetch(
        [
            bundle.Part(
                "documents",
                DossierItem.objects.filter(status=DossierItem.Status.RECEIVED, candidate_id__in=at_s8),
                fields=("candidate", "doc_type"),
            ),
            *_calendar_parts(organisation)[:2],
        ]
    )
    calendar, rulebook_ = _calendar_from(bundled, organisation)
    held: dict[int, set[str]] = {}
    for item in bundled["documents"]:
        held.setdefault(item.candidate_id, set()).add(item.doc_type)
    rules_today = rulebook_.for_date(today)
    # The deadline of each card: only the legal dates that bound the step in progress, each computed
    # once per process for this calendar and rule book (admission.dates.StageDeadlines).
    deadlines = date_rules.StageDeadlines(calendar, rulebook_)
    blockers = _BoardBlockers(today, rules_today)
    columns: dict[Stage, BoardColumn] = {}
    # Per stage, not per card: the step in progress.
    next_steps: dict[Stage, Step | None] = {}
    for name, *values in rows:
        candidate = BoardCandidate(*values)
        stage = Stage(candidate.stage)
        column = columns.get(stage)
        if column is None:
            column = columns[stage] = BoardColumn(stage, STAGE_INFO[stage].label_vi, [])
            next_steps[stage] = STEP_BY_KEY.get(NEXT_STEP.get(stage, ""))
        deadline = deadlines.of(stage, candidate)
        column.cards.append(
            BoardCard(
                candidate=candidate,
                name=name,
                next_step=next_steps[stage],
                deadline=deadline,
                overdue=date_rules.is_overdue(deadline, today),
                blockers=blockers.of(candidate, stage, held.get(candidate.pk, set())),
            )
        )
    order = {stage: index for index, stage in enumerate(PIPELINE)}
    return sorted(columns.values(), key=lambda c: order.get(c.stage, len(order)))


class _BoardBlockers:
    """What already stands in the way of each card's next step, from rows already read (`held`: the
    received documents). The checks of the certificate and the dossier's age depend only on their
    date on one board (same day, same rules): each is made once per date."""

    __slots__ = ("_certificate", "_dossier", "rules", "today")

    def __init__(self, today: dt.date, rules: RuleSet) -> None:
        self.today, self.rules = today, rules
        self._certificate: dict[dt.date, tuple[Reason, ...]] = {}
        self._dossier: dict[dt.date | None, tuple[Reason, ...]] = {}

    def of(self, candidate: BoardCandidate, stage: Stage, held: set[str]) -> list[Reason]:
        found: list[Reason] = []
        issued = candidate.certificate_issue_date
        if stage in _CERTIFICATE_STAGES and issued:
            reasons = self._certificate.get(issued)
            if reasons is None:
                reasons = self._certificate[issued] = check_certificate(issued, self.today, self.rules).reasons
            found.extend(reasons)
        if stage in _DOSSIER_STAGES:
            started = candidate.dossier_start_date
            reasons = self._dossier.get(started)
            if reasons is None:
                reasons = self._dossier[started] = check_dossier_age(started, self.today, self.rules).reasons
            found.extend(reasons)
        if stage == Stage.S8:
            missing = tuple(doc for doc in DOCUMENTS_BEFORE_BRANCH_VOTE if doc not in held)
            if missing:
                found.append(reason("documents_missing", "HD38 II.1.1a", documents=missing))
        return found


_CERTIFICATE_STAGES = frozenset({Stage.S3, Stage.S4, Stage.S5, Stage.S6, Stage.S7, Stage.S8})
_DOSSIER_STAGES = frozenset({Stage.S5, Stage.S6, Stage.S7, Stage.S8})


def branches_overview(*, user: User, today: dt.date) -> QuerySet[Organisation]:
    """Branches in scope with their open candidates, those in the admission phase and those overdue."""
    open_stages = [s.value for s in Stage if s.value not in CLOSED_STAGES]
    return (
        organisation_list(user=user)
        .filter(kind__in=["branch", "grassroots_branch", "village_branch"])
        .annotate(
            open_candidates=Count("candidates", filter=Q(candidates__stage__in=open_stages)),
            probationers=Count("candidates", filter=Q(candidates__stage__in=["S12", "S13", "S14", "S15", "S16", "SY"])),
            overdue=Count("candidates", filter=Q(candidates__stage__in=open_stages, candidates__next_due_on__lt=today)),
        )
        .order_by("path")
    )


USER_FIELDS = ("username", "first_name", "last_name")  # what user_label and str(user) read


def _calendar_parts(organisation: Organisation) -> list[bundle.Part]:
    """The calendar and rule overrides of `organisation`, as parts of a page's bundle."""
    return [
        bundle.Part(
            "calendar", rulebook.calendar_overrides(organisation), fields=("organisation", "day", "is_working_day")
        ),
        bundle.Part("rules", rulebook.rule_overrides(organisation), fields=("effective_from", "key", "value", "label")),
        # The organisation chain, for the committee the dossier is due at (organisation_authority).
        bundle.Part(
            "chain",
            Organisation.objects.filter(pk__in=organisation.ancestor_ids()),
            fields=("kind", "name", "delegated_to_admit", "upper_level_powers", "path"),
        ),
    ]


def _calendar_from(rows: dict[str, list[Any]], organisation: Organisation) -> tuple[WorkingCalendar, RuleBook]:
    """The calendar and rule book of `organisation` from the rows of `_calendar_parts`."""
    calendar = calendar_for_ancestors(
        ((o.organisation_id, o.day, o.is_working_day) for o in rows["calendar"]), organisation.ancestor_ids()
    )
    rules = RuleBook(overrides=tuple((o.effective_from, o.key, o.value, o.label) for o in rows["rules"]))
    return calendar, rules


def _returns_parts(candidate: Candidate) -> list[bundle.Part]:
    return [
        bundle.Part(
            "returns",
            candidate.returns.all(),
            related={"transition": ("to_stage",), "committee": ("name",), "returned_by": USER_FIELDS},
        ),
        bundle.Part("return_items", ReturnedDocument.objects.filter(dossier_return__candidate=candidate)),
    ]


def _returns_from(rows: dict[str, list[Any]]) -> list[DossierReturn]:
    """The returns, newest first, each with its items (`r.items.all()` reads them without a query)."""
    returns: list[DossierReturn] = rows["returns"]
    items: dict[int, list[ReturnedDocument]] = {}
    for item in rows["return_items"]:
        items.setdefault(item.dossier_return_id, []).append(item)
    for returned in returns:
        bundle.set_prefetched(returned, "items", items.get(returned.pk, []))
    return returns


def _documents_parts(candidate: Candidate) -> list[bundle.Part]:
    """Scans (admission/_scans.html) and the latest generated documents (_generated_documents.html)."""
    return [
        bundle.Part("documents", candidate.documents.all()),
        bundle.Part(
            "scans",
            DocumentScan.objects.filter(candidate=candidate).order_by("doc_type", "-uploaded_at", "-pk"),
            related={"uploaded_by": USER_FIELDS},
        ),
        bundle.Part(
            "generated",
            GeneratedDocument.objects.filter(candidate=candidate).order_by("-created_at", "-pk"),
            related={"created_by": USER_FIELDS, "issued": ("symbol", "cancelled")},
            limit=RECENT_GENERATED_DOCUMENTS,
        ),
    ]


def _open_return(candidate: Candidate, returns: list[DossierReturn], documents: list[DossierItem]) -> dict[str, Any]:
    """services.open_return and services.returned_documents_pending (the same DossierReturn rules), from
    rows already read."""
    latest = returns[0] if returns else None
    if latest is None or not latest.is_open_for(candidate):
        return {"open_return": None, "pending_documents": ()}
    received = {d.doc_type for d in documents if d.status == DossierItem.Status.RECEIVED}
    return {"open_return": latest, "pending_documents": latest.documents_pending(received)}


def candidate_page(*, candidate: Candidate, today: dt.date) -> dict[str, Any]:
    """Everything the candidate page shows, in ONE query (admission.bundle) whatever the history:
    transitions, mentors, votes, documents, tasks, verifications, the last 30 history rows, the
    committee returns, scans, generated documents, calendar and rule overrides, organisation chain."""
    history = candidate.history.order_by("-history_date")  # type: ignore[attr-defined]
    rows = bundle.fetch(
        [
            bundle.Part("transitions", candidate.transitions.all(), related={"acting_user": USER_FIELDS}),
            bundle.Part(
                "mentorships",
                Mentorship.objects.filter(candidate=candidate).order_by("assigned_on"),
                related={"member": ("person",), "member__person": ("full_name",)},
            ),
            bundle.Part("votes", candidate.votes.all()),
            bundle.Part(
                "mentor_comments",
                MentorComment.objects.filter(candidate=candidate).order_by("written_at", "pk"),
                related={"mentor": ("person",), "mentor__person": ("full_name",)},
            ),
            bundle.Part(
                "corrections",
                Correction.objects.filter(candidate=candidate).order_by("recorded_at", "pk"),
                related={"recorded_by": USER_FIELDS},
            ),
            bundle.Part(
                "transfers",
                CandidateTransfer.objects.filter(candidate=candidate).order_by("on_date", "recorded_at", "pk"),
                related={"from_organisation": ("name",), "to_organisation": ("name",), "recorded_by": USER_FIELDS},
            ),
            bundle.Part("tasks", candidate.tasks.order_by("due_on")),
            bundle.Part("verifications", candidate.verifications.order_by("sent_on", "pk")),
            bundle.Part(
                "verification_changes",
                VerificationRequest.history.filter(candidate_id=candidate.pk, history_change_reason__isnull=False)  # type: ignore[attr-defined]
                .exclude(history_change_reason="")
                .order_by("history_date"),
                fields=("id", "history_date", "history_change_reason", "history_type", "history_user"),
                related={"history_user": USER_FIELDS},
            ),
            bundle.Part(
                "history",
                history,
                fields=("history_date", "history_type", "history_change_reason", "stage", "history_user"),
                related={"history_user": USER_FIELDS},
                limit=30,
            ),
            *_returns_parts(candidate),
            *_documents_parts(candidate),
            bundle.Part(
                "consents",
                ProvincialConsent.objects.filter(candidate=candidate, withdrawn_at__isnull=True).order_by("kind"),
            ),
            *_calendar_parts(candidate.organisation),
        ]
    )
    calendar, rules = _calendar_from(rows, candidate.organisation)
    _prime_authority(candidate, rows)
    dates = date_rules.candidate_dates(candidate, calendar=calendar, rulebook=rules)
    deadline = date_rules.stage_deadline(candidate.stage_enum, dates)
    returns = _returns_from(rows)
    _describe_bases(rows["transitions"], rows["votes"], rows["transfers"])
    return {
        "introduction": _introduction_summary(candidate, rows["mentorships"], today),
        "dates": dates.named(),
        "deadline": deadline,
        "overdue": date_rules.is_overdue(deadline, today),
        "transitions": rows["transitions"],
        "mentorships": rows["mentorships"],
        "mentor_comments": rows["mentor_comments"],
        "votes": rows["votes"],
        "corrections": rows["corrections"],
        "transfers": rows["transfers"],
        "documents": {item.doc_type: item for item in rows["documents"]},
        "tasks": rows["tasks"],
        "verifications": _verification_rows(rows, calendar, rules, today),
        "history": rows["history"],
        "stage_info": STAGE_INFO[candidate.stage_enum],
        **_open_return(candidate, returns, rows["documents"]),
        "scans": rows["scans"],
        "generated_documents": rows["generated"],
        "consents": rows["consents"],
    }


@dataclass(frozen=True)
class IntroductionSummary:
    """Who introduces the candidate now (the helpers by default, rules §3 S5), in which form."""

    mode: IntroductionMode
    mode_label: str
    needed: int
    names: list[str]

    @property
    def complete(self) -> bool:
        return len(self.names) == self.needed


def _introduction_summary(
    candidate: Candidate, mentorships: list[Mentorship], today: dt.date
) -> IntroductionSummary | None:
    """None once the person is admitted (the helper of the probation introduces no one)."""
    if candidate.ceremony_date is not None:
        return None
    person = candidate.person
    on = candidate.introduction_date or today
    mode = default_introduction_mode(
        candidate.introduction_mode, youth_union_member=person.youth_union_member, born=person.date_of_birth, on=on
    )
    current = [m for m in mentorships if m.ended_on is None]
    names = {m.member_id: m.member.person.full_name for m in current}
    chosen = choose_introducers(
        [m.member_id for m in current if m.role == "introducer"],
        [m.member_id for m in current if m.role == "mentor"],
        introducers_needed(mode),
    )
    labels = dict(IntroductionModeChoice.choices)
    shown = [name for member_id, name in names.items() if member_id in chosen]  # in assignment order
    return IntroductionSummary(mode, str(labels[mode.name]), introducers_needed(mode), shown)


_BASIS = re.compile(r"^(Vote|Transfer|Return) (\d+)$")


def _describe_bases(transitions: list[Any], votes: list[Any], transfers: list[Any]) -> None:
    """Give each transition a `basis_text` in the user's language: the services record the vote,
    transfer or return behind a move by its id ("Vote 12"), which the page shows as what it was
    ("Biểu quyết ngày 05/08/2025: 8/11 tán thành"); a basis typed by a user is shown as typed."""
    by_vote = {vote.pk: vote for vote in votes}
    by_transfer = {transfer.pk: transfer for transfer in transfers}
    for transition in transitions:
        text = transition.basis
        found = _BASIS.match(transition.basis or "")
        if found:
            kind, pk = found.group(1), int(found.group(2))
            if kind == "Vote" and pk in by_vote:
                vote = by_vote[pk]
                text = gettext("Biểu quyết ngày %(day)s: %(yes)s/%(denominator)s tán thành") % {
                    "day": vote.held_on.strftime("%d/%m/%Y"),
                    "yes": vote.yes,
                    "denominator": vote.denominator,
                }
            elif kind == "Transfer" and pk in by_transfer:
                text = gettext("Chuyển sinh hoạt ngày %(day)s") % {"day": by_transfer[pk].on_date.strftime("%d/%m/%Y")}
            elif kind == "Return":
                text = gettext("Nộp lại hồ sơ sau khi cấp ủy trả lại")
            else:
                text = ""
        transition.basis_text = text


@dataclass
class VerificationRow:
    """One request of the candidate page's verification panel: its state, reply due date and changes."""

    request: VerificationRequest
    due: ComputedDate
    overdue: bool
    changes: list[Any]  # history rows with a reason (corrections, cancellation), oldest first


def _verification_rows(
    rows: dict[str, list[Any]], calendar: WorkingCalendar, rules: RuleBook, today: dt.date
) -> list[VerificationRow]:
    changes: dict[int, list[Any]] = {}
    for change in rows["verification_changes"]:
        changes.setdefault(change.id, []).append(change)
    found = []
    for request in rows["verifications"]:
        due = verification_reply_deadline(
            request_received_date=request.received_on,
            abroad=request.abroad,
            calendar=calendar,
            rules=rules.for_date(request.received_on),
        )
        overdue = request.is_open and due.day < today
        found.append(VerificationRow(request, due, overdue, changes.get(request.pk, [])))
    return found


def _prime_authority(candidate: Candidate, rows: dict[str, list[Any]]) -> None:
    """Who the dossier is due at is then known without a query (services.due_committee)."""
    if len(rows["chain"]) == len(candidate.organisation.ancestor_ids()):
        # An invalid tree is left to the caller, which asks again and meets the error where it did before.
        with contextlib.suppress(NoDecidingBody):
            organisation_authority(organisation=candidate.organisation, chain=rows["chain"])


def notification_list(*, user: User) -> QuerySet[Notification]:
    return (
        Notification.objects.filter(user=user)
        .select_related("organisation", "candidate__person")
        .order_by("read_at", "-overdue", "-created_at", "-pk")
    )


def unread_count(*, user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def unread_count_of_outer_user() -> Subquery:
    """`unread_count` as an expression on a query of users (admission.backends reads it with the login)."""
    return Subquery(
        Notification.objects.filter(user=OuterRef("pk"), read_at__isnull=True)
        .order_by()
        .annotate(n=Func(F("pk"), function="COUNT"))
        .values("n")
    )


def calendar_ics(*, user: User, today: dt.date, candidate_url: Any = None) -> bytes:
    """Deadlines of the candidates the user may see and the next meetings of their branches (RFC 5545).

    Each deadline event is named after the legal date it stands for (e.g. "Hồ sơ còn giá trị đến"
    while the dossier is only bounded by its validity, "Hạn ra quyết định kết nạp" for the
    decision) and links to the candidate (`candidate_url(pk)`, an absolute URL, from the view).
    """
    from icalendar import Calendar, Event

    from admission.dates import LEGAL_DATE_NAMES, LEGAL_DATE_TRIGGER, SUPERSEDES
    from admission.workflow import STAGE_DEADLINE

    calendar = Calendar()
    calendar.add("prodid", "-//admission-tracker//vi")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "Phát triển đảng viên")
    horizon = today + dt.timedelta(days=400)
    for candidate in candidate_list(user=user).filter(next_due_on__isnull=False, next_due_on__lte=horizon):
        stage = candidate.stage_enum
        # The legal dates that can bound this candidate's step: triggered, and not superseded.
        names = [n for n in STAGE_DEADLINE.get(stage, ()) if getattr(candidate, LEGAL_DATE_TRIGGER[n]) is not None]
        names = [n for n in names if not any(newer in names for newer, older in SUPERSEDES.items() if older == n)]
        step = STEP_BY_KEY.get(NEXT_STEP.get(stage, ""))
        if len(names) == 1:
            what = str(LEGAL_DATE_NAMES.get(names[0], names[0]))
        else:  # several dates bound the step: the earliest is the step's deadline
            what = gettext("Hạn: %(act)s") % {"act": step.label if step else STAGE_INFO[stage].label_vi}
        event = Event()
        event.add("uid", f"candidate-{candidate.pk}-{candidate.stage}@admission-tracker")
        event.add("summary", f"{what} – {candidate.person.full_name}")
        details = [STAGE_INFO[stage].label_vi]
        if step is not None:
            details.append(gettext("Việc tiếp theo: %(act)s") % {"act": step.label})
        if candidate_url is not None:
            link = candidate_url(candidate.pk)
            event.add("url", link)
            details.append(link)
        event.add("description", "\n".join(str(line) for line in details))
        event.add("dtstart", candidate.next_due_on)
        event.add("dtend", candidate.next_due_on + dt.timedelta(days=1))  # type: ignore[operator]
        event.add("dtstamp", timezone.now())
        calendar.add_component(event)
    branches = organisation_list(user=user).filter(kind__in=["branch", "grassroots_branch", "village_branch"])
    for branch in branches[:200]:
        for months_ahead in range(3):
            year, month = divmod(today.month - 1 + months_ahead, 12)
            meeting = dt.date(today.year + year, month + 1, min(branch.meeting_day, 28))
            if meeting < today:
                continue
            event = Event()
            event.add("uid", f"meeting-{branch.pk}-{meeting:%Y%m}@admission-tracker")
            event.add("summary", f"Sinh hoạt chi bộ – {branch.name}")
            event.add("dtstart", meeting)
            event.add("dtend", meeting + dt.timedelta(days=1))
            event.add("dtstamp", timezone.now())
            calendar.add_component(event)
    return calendar.to_ical()


# --- Committee review queue -------------------------------------------------------------------

DECIDING_KINDS = {"commune", "agencies", "government"}
BRANCH_KINDS = ["branch", "grassroots_branch", "village_branch"]


def _under(paths: list[str]) -> Q:
    """Candidates of the branches below any of `paths` (none: no candidate), in one lookup
    (members/lookups.py: a busy committee has some hundreds of paths)."""
    return Q(organisation__path__startswith_any=paths)


def _path_under(paths: list[str]) -> Q:
    return Q(path__startswith_any=paths)


def _chain_act_pending(date_field: str) -> Q:
    """At S16, the act of the recognition chain that records `date_field` is still awaited for the
    branch's resolution in force, and no ruling of the superior dispensed with it (workflow.chain_pending)."""
    recorded = Q(**{f"{date_field}__gte": F("recognition_branch_date")})
    waived = Q(deadlock_ruling_date__gte=F("recognition_branch_date"))
    return Q(stage="S16") & ~recorded & ~waived


APPRAISAL_PENDING = _chain_act_pending("recognition_appraisal_date")  # R6, where a sub-committee appraises
GRASSROOTS_PENDING = _chain_act_pending("recognition_grassroots_date")  # R7, where a grassroots committee resolves
# Decisions waiting for the deciding committee: admission (S10), recognition (S16, once the chain
# below it is recorded), the superior's ruling after three failed votes (SY, QĐ294 4.2.3) and the
# settling of an annulled admission (SZ, QĐ294 4.4).
DECISION_STAGES = ("S10", "S16", "SY", "SZ")


def _chain_pending_below(roots: list[str], within: Q) -> Q:
    """Candidates under the organisations at `roots` still waiting, at S16, for an act of the chain
    below the decider: the appraisal of their sub-committee or the resolution of their (not
    delegated) grassroots committee."""
    below = Organisation.objects.filter(_path_under(roots))
    subs = list(below.filter(kind="sub_committee").values_list("path", flat=True))
    resolving = list(below.filter(kind="grassroots_committee", delegated_to_admit=False).values_list("path", flat=True))
    return within & ((_under(subs) & APPRAISAL_PENDING) | (_under(resolving) & GRASSROOTS_PENDING))


def committee_due_filter(committee: Organisation) -> Q:
    """Candidates whose step in progress is this committee's to act on (the tree decides, rules §5;
    `services.due_committee` for one candidate).

    Sub-committee: appraisal (S8A) of its branches, and of their recognition resolutions (S16, R6).
    Grassroots committee: its resolution (S9), its resolution on recognition once appraised (S16,
    R7) and, when delegated or empowered, the decisions (S10, S16 once the chain is recorded, SY,
    SZ). Commune, party-agencies and People's-Committee organisations (or any empowered committee):
    the decisions of their subtree, except below a delegated/empowered grassroots committee. The
    province: decisions for the grassroots organisations placed directly under it.
    """
    subtree = Q(organisation__path__startswith=committee.path)
    decisions = Q(stage__in=DECISION_STAGES)
    if committee.kind == "sub_committee":
        return subtree & (Q(stage="S8A") | APPRAISAL_PENDING)
    if committee.kind == "grassroots_committee":
        subs = list(
            Organisation.objects.filter(path__startswith=committee.path, kind="sub_committee").values_list(
                "path", flat=True
            )
        )
        own = subtree & Q(stage="S9")
        if not committee.delegated_to_admit:
            own |= subtree & GRASSROOTS_PENDING & ~(_under(subs) & APPRAISAL_PENDING)
        if committee.delegated_to_admit or committee.upper_level_powers:
            own |= subtree & decisions & ~_chain_pending_below([committee.path], subtree)
        return own
    if committee.kind in DECIDING_KINDS or committee.upper_level_powers:
        excluded = Organisation.objects.filter(
            Q(delegated_to_admit=True) | Q(upper_level_powers=True),
            kind="grassroots_committee",
            path__startswith=committee.path,
        ).exclude(pk=committee.pk)
        condition = subtree & decisions & ~_under(list(excluded.values_list("path", flat=True)))
        return condition & ~_chain_pending_below([committee.path], subtree)
    if committee.kind == "province":
        prefixes = Organisation.objects.filter(parent=committee, kind__in=["grassroots_committee", "grassroots_branch"])
        paths = list(prefixes.values_list("path", flat=True))
        condition = _under(paths)
        return condition & decisions & ~_chain_pending_below(paths, condition)
    return Q(pk__in=[])


def expected_act(candidate: Candidate, committee: Organisation) -> Step | None:
    """What `committee` is expected to record on a dossier of its queue (committee_due_filter): the
    act of the recognition chain it owns while pending, else the stage's forward step (for SY and
    SZ: the superior's rulings, listed by `expected_rulings`)."""
    if candidate.stage_enum == Stage.S16:
        if committee.kind == "sub_committee":
            return STEP_BY_KEY["recognition_appraisal"]
        pending = candidate.recognition_grassroots_date is None or (
            candidate.recognition_branch_date is not None
            and candidate.recognition_grassroots_date < candidate.recognition_branch_date
        )
        waived = candidate.deadlock_ruling_date is not None and (
            candidate.recognition_branch_date is None
            or candidate.deadlock_ruling_date >= candidate.recognition_branch_date
        )
        if committee.kind == "grassroots_committee" and not committee.delegated_to_admit and pending and not waived:
            return STEP_BY_KEY["recognition_grassroots_vote"]
    return STEP_BY_KEY.get(NEXT_STEP.get(candidate.stage_enum, ""))


# The rulings awaited at the stages the committee above settles, in the queue's words.
EXPECTED_RULINGS: dict[Stage, tuple[str, ...]] = {
    Stage.SY: ("deadlock_recognise", "deadlock_revote", "remove"),
    Stage.SZ: ("annulment_redecide", "annulment_remove"),
}


def review_queue(*, user: User, committee: Organisation) -> QuerySet[Candidate]:
    """The dossiers waiting for `committee`, overdue first, with how often each was returned.

    One query (plus the count for pagination) whatever the length of the queue; the working
    days waited are computed per row of the displayed page only.
    """
    # A correlated count rather than a join and GROUP BY: PostgreSQL counts for the rows of the
    # displayed page only (after the sort and the limit), and the paginator's COUNT(*) needs no join.
    returns = (
        StageTransition.objects.filter(candidate=OuterRef("pk"))
        .filter(Q(to_stage="S8", from_stage__in=["S8A", "S9", "S10"]) | Q(to_stage="S15", from_stage="S16"))
        .order_by()
        .values("candidate")
        .annotate(n=Count("pk"))
        .values("n")
    )
    returned = Coalesce(Subquery(returns, output_field=IntegerField()), 0)
    return (
        candidate_list(user=user)
        .filter(committee_due_filter(committee))
        .annotate(times_returned=returned)
        .order_by(F("next_due_on").asc(nulls_last=True), "stage_entered_on", "pk")
    )


# --- Dossier review page ----------------------------------------------------------------------

ADMISSION_REVIEW_DOCUMENTS = ("A1", "A2", "A3", "A4", "A5", "A6", "A7", "A8", "A9")
RECOGNITION_REVIEW_DOCUMENTS = ("R1", "R2", "R3", "R4", "R5", "R6", "R7")
# Documents the branch must send up with its resolution: those it held before the vote and
# the resolution itself (HD38 II.1.1a-b); the recognition dossier likewise (HD06 4.2-4.5).
ADMISSION_SENT_UP = (*DOCUMENTS_BEFORE_BRANCH_VOTE, "A7")
RECOGNITION_SENT_UP = ("R1", "R2", "R3", "R4", "R5")
# Past the sub-committee (S9) and the grassroots committee (S10), their appraisal and resolution
# are part of the dossier too (HD38 II.1.1b(2)-(3)); the steps that record them tick them
# (workflow.DOCUMENT_DATE), so only a dossier that skipped the record (an import, a hand edit)
# lacks them. A tree without such a body has no such document (`not_applicable`).
PASSED_LEVELS_ADD: dict[Stage, tuple[str, ...]] = {Stage.S9: ("A8",), Stage.S10: ("A8", "A9")}


# Resolutions and decisions the app itself records (with their votes): held once their date is.
RECORDED_IN_APP = {
    "A7": "branch_resolution_date",
    "A8": "appraisal_date",
    "A9": "grassroots_resolution_date",
    "R5": "recognition_branch_date",
    "R6": "recognition_appraisal_date",
    "R7": "recognition_grassroots_date",
}


@dataclass
class ReviewDocument:
    code: str
    label: str
    item: DossierItem | None
    problems: list[Reason]
    recorded_on: dt.date | None = None  # the date of a resolution recorded in the app


def dossier_review(*, candidate: Candidate, today: dt.date) -> dict[str, Any]:
    """The committee's view of a dossier: documents with automatic validity flags, votes,
    returns and history, in ONE query (admission.bundle) plus none for the organisation chain.

    Flags are judged on the day the branch considered the dossier (the rules' test, HD06 5.4),
    or today when it has not yet: expired awareness-class certificate (60 months), dossier
    started more than 12 months before, missing introducer letter or other missing documents.
    """
    from admission.models import DocumentType

    rows = bundle.fetch(
        [
            bundle.Part("transitions", candidate.transitions.all(), related={"acting_user": USER_FIELDS}),
            bundle.Part("mentorships", Mentorship.objects.filter(candidate=candidate), fields=("role",)),
            bundle.Part("votes", candidate.votes.all()),
            *_returns_parts(candidate),
            *_documents_parts(candidate),
            *_calendar_parts(candidate.organisation),
        ]
    )
    calendar, rulebook_ = _calendar_from(rows, candidate.organisation)
    recognition = candidate.stage_enum in {Stage.S15, Stage.S16, Stage.SY} or candidate.recognition_branch_date
    rules = rulebook_.for_date(candidate.branch_resolution_date or today)
    considered_on = candidate.branch_resolution_date or today
    items = {item.doc_type: item for item in rows["documents"]}
    labels = dict(DocumentType.choices)
    authority = organisation_authority(organisation=candidate.organisation, chain=rows["chain"])
    # The sub-committee's appraisal and the grassroots resolution exist only where the tree has them.
    not_applicable = {"A8", "R6"} if authority.appraisal_by is None else set()
    if authority.grassroots_resolution_by is None:
        not_applicable |= {"A9", "R7"}
    codes = [
        code
        for code in (RECOGNITION_REVIEW_DOCUMENTS if recognition else ADMISSION_REVIEW_DOCUMENTS)
        if code not in not_applicable
    ]
    required = set(RECOGNITION_SENT_UP if recognition else ADMISSION_SENT_UP)
    if not recognition and candidate.introduction_mode not in ("", "TWO_MEMBERS"):
        required.add("A5")
    if not recognition:  # what the levels already passed added to the dossier, where the tree has them
        required |= set(PASSED_LEVELS_ADD.get(candidate.stage_enum, ())) - not_applicable
    documents: list[ReviewDocument] = []
    for code in codes:
        item = items.get(code)
        recorded_on = getattr(candidate, RECORDED_IN_APP[code]) if code in RECORDED_IN_APP else None
        problems: list[Reason] = []
        if item is None and recorded_on is None and code in required:
            problems.append(reason("documents_missing", "HD38 II.1.1", documents=(code,)))
        if item is not None and item.status == DossierItem.Status.RETURNED:
            problems.append(reason("returned_documents_pending", "QĐ294 4.3.1", documents=(code,)))
        if code == "A1" and not recognition:
            problems.extend(check_certificate(candidate.certificate_issue_date, considered_on, rules).reasons)
        documents.append(ReviewDocument(code, str(labels[code]), item, problems, recorded_on))
    flags: list[Reason] = [p for d in documents for p in d.problems]
    if not recognition:
        flags.extend(check_dossier_age(candidate.dossier_start_date, considered_on, rules).reasons)
        if not rows["mentorships"]:  # the helper introduces by default (rules §3 S5)
            flags.append(reason("introducer_missing", "QĐ294 3.1-3.2"))
    if candidate.next_due_on is not None and candidate.next_due_on < today:
        flags.append(_overdue(candidate, calendar, rulebook_, today))
    return {
        "documents": documents,
        "flags": flags,
        "recognition": bool(recognition),
        "considered_on": considered_on,
        "votes": rows["votes"],
        "returns": _returns_from(rows),
        "transitions": rows["transitions"],
        "scans": rows["scans"],
        "generated_documents": rows["generated"],
        "calendar": calendar,
    }


def _overdue(candidate: Candidate, calendar: WorkingCalendar, rulebook_: RuleBook, today: dt.date) -> Reason:
    """The step in progress is past `next_due_on` (the page's header says by how many working days):
    named and with its rule point when the legal date is still computed from the candidate's dates."""
    due = candidate.next_due_on
    assert due is not None  # noqa: S101 - the caller checked
    names = date_rules.stage_deadline_names(candidate.stage_enum)
    dates = date_rules.candidate_dates(candidate, calendar=calendar, rulebook=rulebook_, only=names)
    found = [
        (name, value) for name in sorted(names) if (value := getattr(dates, name)) is not None and value.day == due
    ]
    label = date_rules.LEGAL_DATE_NAMES[found[0][0]] if found else Candidate._meta.get_field("next_due_on").verbose_name
    with translation.override("vi"):
        label_vi = capfirst(str(label))
    with translation.override("en"):
        label_en = capfirst(str(label))
    return reason(
        "deadline_overdue",
        found[0][1].rule.point if found else "",
        deadline_vi=label_vi,
        deadline_en=label_en,
        due_on=due,
        days=abs(calendar.working_days_between(today, due)),
    )


def committee_meeting_list(*, user: User, committee: Organisation) -> QuerySet[Any]:
    from admission.models import CommitteeMeeting

    return (
        CommitteeMeeting.objects.filter(committee=committee)
        .filter(scope_for(user).organisation_q("committee__"))
        .annotate(
            dossiers=Count("items"),
            decided=Count("items", filter=~Q(items__outcome="pending")),
        )
        .order_by("-held_on", "-pk")
    )


def committee_meeting_get(*, user: User, pk: int) -> Any:
    """The meeting if the user's scope covers its committee; 404 otherwise."""
    from admission.models import CommitteeMeeting

    meeting = (
        CommitteeMeeting.objects.filter(scope_for(user).organisation_q("committee__"), pk=pk)
        .select_related("committee", "created_by")
        .first()
    )
    if meeting is None:
        raise Http404
    return meeting


def agenda_items(*, user: User, meeting: Any) -> list[Any]:
    """The meeting's dossiers the user may see, in agenda order (one query)."""
    from admission.models import AgendaItem

    visible = candidate_list(user=user, include_closed=True).values("pk")
    return list(
        AgendaItem.objects.filter(meeting=meeting, candidate__in=visible)
        .select_related("candidate__person", "candidate__organisation", "recorded_by")
        .order_by("position", "pk")
    )


# --- Branch meetings ---------------------------------------------------------------------------


def branch_meeting_list(*, user: User, organisation: Organisation) -> QuerySet[Any]:
    """The branch's meetings, newest first, with how many list decisions and votes each holds and
    how many of those votes need correcting: one query (plus the page count)."""
    from admission.models import BranchMeeting

    return (
        BranchMeeting.objects.filter(organisation=organisation)
        .filter(scope_for(user).organisation_q("organisation__"))
        .annotate(
            decisions=Count("list_decisions", distinct=True),
            vote_count=Count("votes", distinct=True),
            votes_to_fix=Count("votes", filter=Q(votes__needs_correction=True), distinct=True),
        )
        .order_by("-held_on", "-pk")
    )


def branch_meeting_get(*, user: User, pk: int) -> Any:
    """The branch meeting if the user's scope covers its branch; 404 otherwise."""
    from admission.models import BranchMeeting

    meeting = (
        BranchMeeting.objects.filter(scope_for(user).organisation_q("organisation__"), pk=pk)
        .select_related("organisation", "created_by")
        .first()
    )
    if meeting is None:
        raise Http404
    return meeting


def meeting_counts(meeting: Any, statuses: list[str] | None = None) -> Any:
    """The attendance counts of a meeting: from its rows' statuses when it has attendance, else the
    numbers typed for it (nothing excluded)."""
    from admission.domain.attendance import AttendanceCounts, count_attendance

    if meeting.attendance_recorded and statuses is not None:
        return count_attendance(statuses)
    return AttendanceCounts(summoned=meeting.official_members, present=meeting.present)


def branch_meeting_page(*, user: User, meeting: Any) -> dict[str, Any]:
    """What the meeting page shows: attendance (official members, name order), its counts, the
    list decisions and the votes held at it (of candidates the user may see), the corrections, and
    the branch's next meeting (from then on a change is a correction). Five queries."""
    from admission.models import MeetingAttendance

    visible = candidate_list(user=user, include_closed=True).values("pk")
    attendance = list(
        MeetingAttendance.objects.filter(meeting=meeting)
        .select_related("member__person")
        .order_by("member__person__sort_key", "pk")
    )
    counts = meeting_counts(meeting, [row.status for row in attendance])
    return {
        "attendance": attendance,
        "counts": counts,
        "decisions": list(
            meeting.list_decisions.filter(candidate__in=visible).select_related("candidate__person").order_by("pk")
        ),
        "votes": list(meeting.votes.filter(candidate__in=visible).select_related("candidate__person").order_by("pk")),
        "corrections": list(meeting.corrections.select_related("by").order_by("-at", "-pk")),
        "next_meeting": (
            type(meeting)
            .objects.filter(organisation_id=meeting.organisation_id, held_on__gt=meeting.held_on)
            .order_by("held_on", "pk")
            .only("pk", "held_on")
            .first()
        ),
    }


def branch_meetings_for_vote(*, user: User, organisation: Organisation, limit: int = 24) -> list[tuple[Any, Any]]:
    """The branch's latest meetings a vote can be held at, each with its attendance counts (two queries)."""
    from admission.models import MeetingAttendance

    meetings = list(branch_meeting_list(user=user, organisation=organisation)[:limit])
    statuses: dict[int, list[str]] = {m.pk: [] for m in meetings}
    rows = MeetingAttendance.objects.filter(meeting_id__in=list(statuses)).values_list("meeting_id", "status")
    for meeting_id, status in rows:
        statuses[meeting_id].append(status)
    return [(m, meeting_counts(m, statuses[m.pk])) for m in meetings]


# --- The helper / introducer picker -------------------------------------------------------------


def helper_replaces_after_transfer(candidate: Candidate, role: str = "mentor") -> bool:
    """Whether an assignment of `role` now is one of the first the new branch makes after the
    candidate's latest transfer (HD06 3.9a: no 12-month condition for them): one helper, or the
    two introducers the move ended."""
    latest = candidate.transfers.order_by("-on_date", "-recorded_at", "-pk").first()
    if latest is None:
        return False
    made_since = Mentorship.objects.filter(
        candidate=candidate, role=role, assigned_on__gte=latest.on_date, ended_by_transfer__isnull=True
    ).count()
    return made_since < (2 if role == "introducer" else 1)


@dataclass(frozen=True)
class HelperOption:
    """A member the picker lists: `reasons` (the rules' conditions not met) disable the choice;
    `assigned` names the roles the member already holds for the candidate (shown, not refused)."""

    member: PartyMember
    reasons: tuple[Reason, ...]
    assigned: tuple[str, ...] = ()

    @property
    def eligible(self) -> bool:
        return not self.reasons


@dataclass(frozen=True)
class HelperPicker:
    options: list[HelperOption]
    replacement: bool  # the next helper replaces one a transfer ended: no 12 months (HD06 3.9a)


def helper_picker(
    *, user: User, candidate: Candidate, on: dt.date, together_since: dt.date | None = None
) -> HelperPicker:
    """The members who may be assigned to help (and so introduce) `candidate`: the official and
    probationary members of the candidate's branch that `user` may read (members.selectors.member_list,
    the one scoping point), the person themself excepted, each with the conditions of QĐ294 3.2.1
    it does not meet. Two queries (members, current assignments) plus one for the transfer check.

    The 12 months together are judged only when `together_since` is given: the app holds no date
    from which a member and the candidate worked, studied or lived together.
    """
    members = list(member_list(user=user, organisation=candidate.organisation).exclude(person_id=candidate.person_id))
    roles: dict[int, list[str]] = {}
    for member_id, role in Mentorship.objects.filter(candidate=candidate, ended_on__isnull=True).values_list(
        "member_id", "role"
    ):
        roles.setdefault(member_id, []).append(role)
    replacement = helper_replaces_after_transfer(candidate)
    rules = rulebook.rulebook_for(candidate.organisation).for_date(on)
    options = []
    for member in members:
        facts = MentorFacts(
            is_official=member.status == MemberStatus.OFFICIAL,
            same_grassroots_unit=True,  # a member of the candidate's own branch
            together_since=together_since,
            is_replacement=replacement,
            name=member.person.full_name,
        )
        found = check_mentor(facts, on, rules, together_known=together_since is not None).reasons
        options.append(HelperOption(member, found, tuple(sorted(roles.get(member.pk, ())))))
    options.sort(key=lambda option: not option.eligible)  # those who may be chosen first, in name order
    return HelperPicker(options, replacement)


# --- The home page: what each role has to do ------------------------------------------------------

HOME_HORIZON_DAYS = 14  # "due soon": the legal dates of the next two weeks
HOME_LIMIT = 30  # rows per list; the page links to the full board or queue beyond


@dataclass
class TodoItem:
    """One thing to do: the act, for whom, its legal date, the body that owns it and where to do it."""

    candidate: Candidate
    step: Step | None
    due_on: dt.date | None
    overdue: bool
    owner: str  # the body that acts, in words
    url: str  # the step's form when this user records it, else the page where it is followed


@dataclass
class CommitteeTodo:
    committee_id: int
    name: str
    leader: bool
    items: list[TodoItem]
    total: int
    late: int


@dataclass
class HomeTodo:
    due: list[TodoItem] = field(default_factory=list)
    due_total: int = 0
    branches: list[tuple[int, str]] = field(default_factory=list)
    meetings: list[Any] = field(default_factory=list)
    committee_meetings: list[Any] = field(default_factory=list)
    returned: list[DossierReturn] = field(default_factory=list)
    committees: list[CommitteeTodo] = field(default_factory=list)
    forwarding: list[CandidateTransfer] = field(default_factory=list)  # dossiers to forward (T11)

    @property
    def is_empty(self) -> bool:
        return not (self.branches or self.committees or self.forwarding)


def home_todo(*, user: User, today: dt.date, step_url: Any, candidate_url: Any, review_url: Any) -> HomeTodo:
    """The to-do lists of the home page for the user's roles, in a bounded number of queries.

    A branch secretary or deputy: what is overdue or due within HOME_HORIZON_DAYS in their
    branches (one query), their branches' meetings this month (one) and the dossiers a committee
    returned that wait for the branch (one). Committee staff and leaders: per committee they act
    for, the dossiers whose turn is theirs, the late ones first (two queries each: the page and
    the totals), and the committee's meetings this month (one). Everything through the scope
    (candidate_list); the URL builders come from the view (`step_url(pk, key)`, `candidate_url(pk)`,
    `review_url(pk)`).
    """
    from admission.models import BranchMeeting, CommitteeMeeting
    from admission.workflow import BODY_LABELS, Body
    from members.models import BRANCH_ROLES, COMMITTEE_ROLES, Role

    scope = scope_for(user)
    todo = HomeTodo()
    todo.branches = [(org_id, name) for role, org_id, name in scope.roles if role in BRANCH_ROLES]
    branch_ids = [org_id for org_id, _name in todo.branches]
    month_start = today.replace(day=1)
    month_end = (month_start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)

    def item(candidate: Candidate, acting: bool) -> TodoItem:
        step = STEP_BY_KEY.get(NEXT_STEP.get(candidate.stage_enum, ""))
        branch_records = step is not None and Body.BRANCH in (step.owner, step.recorded_by)
        if acting and step is not None and branch_records:
            url = step_url(candidate.pk, step.key)
        else:
            url = candidate_url(candidate.pk)
        return TodoItem(
            candidate=candidate,
            step=step,
            due_on=candidate.next_due_on,
            overdue=candidate.next_due_on is not None and candidate.next_due_on < today,
            owner=str(BODY_LABELS[step.owner]) if step is not None else "",
            url=url,
        )

    if branch_ids:
        due = (
            candidate_list(user=user)
            .filter(organisation_id__in=branch_ids, next_due_on__lte=today + dt.timedelta(days=HOME_HORIZON_DAYS))
            .order_by("next_due_on", "person__sort_key", "pk")
        )
        rows = list(due[: HOME_LIMIT + 1])
        todo.due = [item(candidate, acting=True) for candidate in rows[:HOME_LIMIT]]
        todo.due_total = len(rows)
        todo.meetings = list(
            BranchMeeting.objects.filter(organisation_id__in=branch_ids, held_on__range=(month_start, month_end))
            .filter(scope.organisation_q("organisation__"))
            .select_related("organisation")
            .order_by("held_on", "pk")
        )
        todo.returned = list(
            DossierReturn.objects.filter(
                candidate__organisation_id__in=branch_ids,
                resubmitted_at__isnull=True,
                transition__to_stage=F("candidate__stage"),  # still at the stage the return sent them to
            )
            .filter(scope.organisation_q("candidate__organisation__"))
            .select_related("candidate__person", "committee")
            .order_by("-at", "-pk")[:HOME_LIMIT]
        )
    committees: dict[int, tuple[str, bool]] = {}
    for role, org_id, name in scope.roles:
        if role in COMMITTEE_ROLES:
            leader = committees.get(org_id, (name, False))[1] or role == Role.COMMITTEE_LEADER
            committees[org_id] = (name, leader)
    if committees:
        organisations = {o.pk: o for o in organisation_list(user=user).filter(pk__in=list(committees))}
        for org_id, (name, leader) in committees.items():
            committee = organisations.get(org_id)
            if committee is None:
                continue
            queue = (
                candidate_list(user=user)
                .filter(committee_due_filter(committee))
                .order_by(F("next_due_on").asc(nulls_last=True), "stage_entered_on", "pk")
            )
            totals = queue.aggregate(total=Count("pk"), late=Count("pk", filter=Q(next_due_on__lt=today)))
            rows = list(queue[:HOME_LIMIT])
            items = [item(candidate, acting=False) for candidate in rows]
            for entry in items:
                entry.url = review_url(entry.candidate.pk)
            todo.committees.append(CommitteeTodo(org_id, name, leader, items, totals["total"], totals["late"]))
        todo.committee_meetings = list(
            CommitteeMeeting.objects.filter(committee_id__in=list(committees), held_on__range=(month_start, month_end))
            .filter(scope.organisation_q("committee__"))
            .select_related("committee")
            .order_by("held_on", "pk")
        )
        todo.forwarding = list(transfers_to_forward(user=user)[:HOME_LIMIT])
    return todo


def transfers_to_forward(*, user: User) -> QuerySet[CandidateTransfer]:
    """The transfers whose dossier a committee the user acts for has still to forward to the new
    place (T11, HD06 3.9b), the earliest due first.

    The scope of this list is the sending committee's duty, not the candidate's branch: the candidate
    now belongs to the destination, whose page the sender no longer reads; the sender sees only what
    its notice already said (name, destination, days), never the candidate's record.
    """
    from members.models import COMMITTEE_ROLES

    scope = scope_for(user)
    found = CandidateTransfer.objects.filter(forwarding_committee__isnull=False, forwarded_on__isnull=True).exclude(
        candidate__stage__in=CLOSED_STAGES
    )
    if not scope.everything:
        committees = [org_id for role, org_id, _name in scope.roles if role in COMMITTEE_ROLES]
        found = found.filter(forwarding_committee_id__in=committees)
    return found.select_related("candidate__person", "to_organisation", "forwarding_committee").order_by(
        "forward_due_on", "pk"
    )
