"""Corrections of recorded facts: append-only, with a reason, the original kept (docs/decisions.md "Corrections").

- `step_correct`: the date and the fields of a recorded step (a wrong ceremony date, a mistyped
  certificate or decision number). Deadlines, reminders, statistics and generated documents read
  the corrected values; the probation end and the membership row follow a corrected ceremony or
  decision date.
- `step_undo`: the last step taken back (the candidate returns to the stage it left, the fields
  the step wrote get their former values, the vote it rested on is withdrawn with it).
- `vote_withdraw`: a vote entered by mistake taken back, to be entered again with the right counts.
- `mentorship_withdraw`: a helper assigned by mistake taken back.

Who corrects (the "owner and undo" rule): the body that recorded the fact while no later act rests
on it (it is the candidate's last step); after that, a committee above that body. Every correction
writes one `Correction` row (what changed, before and after, or the whole row taken away) and the
candidate's history row with the reason; nothing is deleted without its copy in that row.

`replayed_fields` folds the candidate's steps (each StageTransition keeps the fields it wrote) into
the values the candidate must hold; the property test compares the two after random acts and
corrections (tests/integration/test_corrections_replay.py).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F, Model
from django.utils import timezone

from admission.domain import stages
from admission.domain.checklist import ItemState, state_before_tick
from admission.domain.deadlines import probation_end
from admission.domain.reasons import Reason, reason
from admission.domain.stages import Stage
from admission.domain.statistics import package_working_days
from admission.domain.votes import VotingBody
from admission.models import (
    Candidate,
    Correction,
    CorrectionKind,
    DossierItem,
    ListDecision,
    MeetingCorrection,
    Mentorship,
    StageTransition,
    TrialTask,
    Vote,
)
from admission.rulebook import rulebook_for
from admission.services.base import StepRefused, committee_of, require_edit
from admission.services.transitions import candidate_step_undone, checklist_tick, refresh_due
from admission.workflow import STEP_BY_KEY, TICKED_BY_DATE, TURN, Body, Step, VoteBy, steps_for
from members.authority import OrgNode
from members.freshness import organisations_changed
from members.models import PartyMember, User
from members.selectors import scope_for

# Steps whose move changed the membership (created, made official, removed, annulled): an undo
# would have to unmake a member, which the rules do through their own acts (annulment S-Z, a
# removal decision); their dates and numbers are corrected with step_correct instead.
_MEMBERSHIP_EFFECTS = frozenset(
    {stages.CREATE_PROBATIONARY_MEMBER, stages.MAKE_MEMBER_OFFICIAL, stages.REMOVE_MEMBER, stages.ANNUL_DECISION}
)
# Fields a correction never takes from the user: kept by the services.
_DERIVED = frozenset({"failed_votes", "official_date"})


# --- Who corrects ---------------------------------------------------------------------------------


def _recording_body(transition: StageTransition, step: Step) -> Body:
    return step.recorded_by or TURN.get(Stage(transition.from_stage), step.owner)


def recorder_of(candidate: Candidate, transition: StageTransition) -> OrgNode | None:
    """The committee whose staff recorded the step (None: the branch)."""
    step = STEP_BY_KEY[transition.step_key]
    return committee_of(_recording_body(transition, step), candidate)


def _ids_above(candidate: Candidate, recorder: OrgNode | None) -> list[int]:
    """The organisations strictly above the recording body: above the branch, or above its committee."""
    chain = candidate.organisation.ancestor_ids()  # root .. branch
    stop = chain.index(recorder.id) if recorder is not None and recorder.id in chain else len(chain) - 1
    return chain[:stop]


def latest_transition(candidate: Candidate) -> StageTransition | None:
    return StageTransition.objects.filter(candidate=candidate).order_by("-at", "-pk").first()


def may_correct(user: User, candidate: Candidate, transition: StageTransition, *, latest: bool) -> bool:
    """The recording body while no later act rests on the step (`latest`), a committee above it always."""
    if transition.step_key not in STEP_BY_KEY:
        return False
    scope = scope_for(user)
    if scope.everything:
        return True
    recorder = recorder_of(candidate, transition)
    if latest:
        own = (
            scope.acts_for_branch(candidate.organisation) if recorder is None else scope.acts_for_committee(recorder.id)
        )
        if own:
            return True
    return scope.acts_for_committee_in(_ids_above(candidate, recorder))


def _require_correct(user: User | None, candidate: Candidate, transition: StageTransition, *, latest: bool) -> None:
    require_edit(user, candidate)
    if transition.step_key not in STEP_BY_KEY:
        raise StepRefused((reason("correction_not_a_step", ""),))
    if user is not None and not may_correct(user, candidate, transition, latest=latest):
        recorder = recorder_of(candidate, transition)
        name = recorder.name if recorder is not None else candidate.organisation.name
        raise StepRefused((reason("correction_not_yours", "QĐ294 4.3", body=name),))


def _require_reason(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise StepRefused((reason("correction_reason_required", ""),))
    return text


# --- Correcting a step's date and fields -------------------------------------------------------


def correctable_fields(transition: StageTransition) -> tuple[str, ...]:
    """The fields of a recorded step that a correction may change: its date field and the others it
    recorded from what was entered (a certificate or decision number, a received date)."""
    step = STEP_BY_KEY.get(transition.step_key)
    if step is None:
        return ()
    names = [step.date_field] if step.date_field else []
    names.extend(name for name in step.extra_fields if name not in _DERIVED)
    return tuple(dict.fromkeys(names))


def _neighbours(candidate: Candidate, transition: StageTransition) -> tuple[dt.date | None, dt.date | None]:
    """The days of the steps just before and just after: a corrected date keeps the order."""
    rows = list(StageTransition.objects.filter(candidate=candidate).order_by("at", "pk").values_list("pk", "on_date"))
    index = [pk for pk, _day in rows].index(transition.pk)
    before = rows[index - 1][1] if index > 0 else None
    after = rows[index + 1][1] if index + 1 < len(rows) else None
    return before, after


def _as_json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def _from_json(name: str, value: Any) -> Any:
    return Candidate._meta.get_field(name).to_python(value)  # type: ignore[union-attr]


def _date_reasons(on_date: dt.date, before: dt.date | None, after: dt.date | None, today: dt.date) -> list[Reason]:
    found = []
    if on_date > today:
        found.append(reason("date_in_future", "", day=on_date))
    if before is not None and on_date < before:
        found.append(reason("correction_before_previous_step", "", day=on_date, previous=before))
    if after is not None and on_date > after:
        found.append(reason("correction_after_next_step", "", day=on_date, next=after))
    return found


def _derived_changes(candidate: Candidate, changes: dict[str, Any]) -> dict[str, Any]:
    """What follows from a corrected date: the probation end from the ceremony (ĐL 5.1; rules T7)."""
    derived: dict[str, Any] = {}
    ceremony = changes.get("ceremony_date")
    if ceremony is not None and candidate.official_date is not None:
        rules = rulebook_for(candidate.organisation).for_date(ceremony)
        derived["official_date"] = probation_end(ceremony_date=ceremony, rules=rules).day
    return derived


def _membership_follows(candidate: Candidate, changes: dict[str, Any]) -> None:
    """The membership row carries the admission decision, ceremony and official dates too."""
    if candidate.member_id is None:
        return
    member_fields = {
        "decision_date": "admission_decision_date",
        "ceremony_date": "ceremony_date",
        "official_date": "official_date",
    }
    update = {member_fields[name]: value for name, value in changes.items() if name in member_fields}
    # Only a member already recognised holds an official date.
    recognised = PartyMember.objects.filter(pk=candidate.member_id, official_date__isnull=False)
    if "official_date" in update and not recognised.exists():
        update.pop("official_date")
    if update:
        PartyMember.objects.filter(pk=candidate.member_id).update(**update)


def step_correct(
    *,
    acting_user: User | None,
    transition: StageTransition,
    reason_text: str,
    on_date: dt.date | None = None,
    values: dict[str, Any] | None = None,
    now: dt.datetime | None = None,
) -> Correction:
    """Correct the date and/or the recorded fields of one step of the candidate's history.

    1. Authority (may_correct) and a reason; only the step's own fields (correctable_fields).
    2. A corrected date stays in the order of the history (not before the previous step, not after
       the next one) and not in the future; a step's date is its transition's day.
    3. One durable transaction: the transition (day, fields, time in stage of it and of the next
       visit), the candidate (fields, derived probation end, stage day when it is the last step,
       deadline and reminder), the membership row, a Correction row and the history row.
    """
    now = now or timezone.now()
    candidate = Candidate.objects.select_related("organisation").get(pk=transition.candidate_id)
    latest = latest_transition(candidate)
    is_latest = latest is not None and latest.pk == transition.pk
    _require_correct(acting_user, candidate, transition, latest=is_latest)
    why = _require_reason(reason_text)
    step = STEP_BY_KEY[transition.step_key]
    allowed = correctable_fields(transition)
    wanted = {name: value for name, value in (values or {}).items() if name in allowed}
    if on_date is not None and step.date_field:
        wanted[step.date_field] = on_date
    changes = {name: value for name, value in wanted.items() if getattr(candidate, name) != value}
    new_day = changes.get(step.date_field) if step.date_field else None
    if new_day is None and on_date is not None and on_date != transition.on_date and not step.date_field:
        new_day = on_date  # a step with no date field of its own (a withdrawal): its day only
    problems: list[Reason] = []
    if new_day is not None:
        before, after = _neighbours(candidate, transition)
        problems.extend(_date_reasons(new_day, before, after, timezone.localdate(now)))
    if not changes and new_day is None:
        problems.append(reason("correction_nothing_changed", ""))
    if problems:
        raise StepRefused(tuple(problems))
    derived = _derived_changes(candidate, changes)
    recorded = {
        name: [_as_json(getattr(candidate, name)), _as_json(value)] for name, value in {**changes, **derived}.items()
    }
    with transaction.atomic(durable=True):
        fields = dict(transition.fields)
        for name, value in changes.items():
            fields[name] = [fields.get(name, [None, None])[0], _as_json(value)]
        transition_update: dict[str, Any] = {"fields": fields}
        if new_day is not None:
            transition_update["on_date"] = new_day
            recorded["on_date"] = [_as_json(transition.on_date), _as_json(new_day)]
        StageTransition.objects.filter(pk=transition.pk).update(**transition_update)
        # A value a later step wrote again stays the candidate's; a derived value (the probation end)
        # is corrected in the step that wrote it, so that the history replays to the same state.
        later = _later_writers(candidate, transition)
        candidate_update = {name: value for name, value in changes.items() if name not in later}
        for name, value in derived.items():
            writer = later.get(name)
            if writer is not None:
                _rewrite_field(writer, name, value)
            candidate_update[name] = value
        if new_day is not None and is_latest:
            candidate_update["stage_entered_on"] = new_day
        Candidate.objects.filter(pk=candidate.pk).update(**candidate_update)
        if new_day is not None:
            _recount_stage_times(candidate)
        _membership_follows(candidate, changes)
        # The dossier items the step ticked take the corrected date (an item a user entered stays).
        checklist_tick(
            candidate=candidate,
            items={
                document: (value, source)
                for name, value in candidate_update.items()
                if value is not None
                for document, source in TICKED_BY_DATE.get(name, ())
            },
            acting_user=acting_user,
            now=now,
        )
        correction = _record(
            candidate, acting_user, CorrectionKind.STEP, why, now, transition=transition, changes=recorded
        )
        _after_change(candidate, acting_user, why)
    return correction


def _later_writers(candidate: Candidate, transition: StageTransition) -> dict[str, StageTransition]:
    """The steps after `transition` by field they wrote (the last writer of each)."""
    writers: dict[str, StageTransition] = {}
    rows = StageTransition.objects.filter(candidate=candidate).order_by("at", "pk")
    seen = False
    for row in rows:
        if seen:
            for name in row.fields:
                writers[name] = row
        seen = seen or row.pk == transition.pk
    return writers


def _rewrite_field(transition: StageTransition, name: str, value: Any) -> None:
    fields = dict(transition.fields)
    fields[name] = [fields[name][0], _as_json(value)]
    StageTransition.objects.filter(pk=transition.pk).update(fields=fields)


def _recount_stage_times(candidate: Candidate) -> None:
    """The stored time in stage (StageTransition docstring) of the visits a moved day bounds."""
    previous: dt.date | None = None
    for row in StageTransition.objects.filter(candidate=candidate).order_by("at", "pk"):
        entered, days = (previous, package_working_days(previous, row.on_date)) if previous else (None, None)
        if (row.entered_on, row.package_working_days) != (entered, days):
            StageTransition.objects.filter(pk=row.pk).update(entered_on=entered, package_working_days=days)
        previous = row.on_date


def _record(
    candidate: Candidate,
    user: User | None,
    kind: str,
    why: str,
    now: dt.datetime,
    *,
    transition: StageTransition | None = None,
    step_key: str = "",
    changes: dict[str, Any] | None = None,
    original: dict[str, Any] | None = None,
) -> Correction:
    return Correction.objects.create(
        candidate=candidate,
        kind=kind,
        transition=transition,
        step_key=step_key or (transition.step_key if transition is not None else ""),
        changes=changes or {},
        original=original or {},
        reason=why,
        recorded_by=user,
        recorded_at=now,
    )


def _after_change(candidate: Candidate, user: User | None, why: str) -> None:
    """The candidate's history row, its deadline and reminder, and its statistics figures."""
    candidate.refresh_from_db()
    Candidate.history.bulk_history_create(  # type: ignore[attr-defined]
        [candidate], update=True, default_user=user, default_change_reason=why[:100]
    )
    refresh_due(candidate, transition=latest_transition(candidate))
    # The member row follows the candidacy's dates (_membership_follows): its organisation's
    # summary too, where the member is held elsewhere.
    member_path = candidate.member.organisation.path if candidate.member is not None else None
    organisations_changed(paths=sorted({candidate.organisation.path, *([member_path] if member_path else [])}))


def _snapshot(row: Model) -> dict[str, Any]:
    """Every stored column of the row (non-editable ones included), for the history."""
    return {field.name: _as_json(getattr(row, field.attname)) for field in row._meta.concrete_fields}


# --- Undoing the last step ------------------------------------------------------------------------


def undo_refusal(candidate: Candidate, transition: StageTransition | None) -> Reason | None:
    """Why the last step cannot be undone (None: it can), naming what to do instead."""
    if transition is None or transition.step_key not in STEP_BY_KEY:
        return reason("undo_not_a_step", "")
    if transition.to_stage != candidate.stage:
        return reason("undo_stage_changed", "")
    if _MEMBERSHIP_EFFECTS & stages.CASCADE[Stage(transition.to_stage)]:
        return reason("undo_changes_membership", "QĐ294 4.3", step=str(STEP_BY_KEY[transition.step_key].label))
    return None


def step_undo(
    *, acting_user: User | None, candidate: Candidate, reason_text: str, now: dt.datetime | None = None
) -> Correction:
    """Take back the candidate's last step: back to the stage it left, its fields as they were before.

    The transition row goes (a full copy stays in the Correction), so every reading of the history
    (deadlines, statistics, documents) sees the step as never taken; the vote it rested on is
    withdrawn with it; mentorships the step ended are open again.

    The dossier items the step ticked automatically (workflow.TICKED_BY_DATE, services.checklist_tick)
    are taken back with it (docs/decisions.md "Undo takes back the dossier ticks of the step"): an item
    still held with the date the step wrote (or a correction of it) and ticked by the step goes back
    to its state before the tick (domain.checklist.state_before_tick): returned again if it had been
    returned, held with the former date when the field gets one back, else as it was before, or gone
    when the tick made it (its history keeps it). An item a user entered, returned or ticked again by
    another source since stays as it is. Each change is a history row with the acting user and the
    reason.
    """
    now = now or timezone.now()
    candidate = Candidate.objects.select_related("organisation").get(pk=candidate.pk)
    transition = latest_transition(candidate)
    refusal = undo_refusal(candidate, transition)
    if refusal is not None:
        raise StepRefused((refusal,))
    assert transition is not None  # noqa: S101 - undo_refusal refuses a missing step
    _require_correct(acting_user, candidate, transition, latest=True)
    why = _require_reason(reason_text)
    with transaction.atomic(durable=True):
        correction = _undo(candidate, transition, acting_user, why, now)
        _after_change(candidate, acting_user, why)
    return correction


def _undo(
    candidate: Candidate, transition: StageTransition, user: User | None, why: str, now: dt.datetime
) -> Correction:
    previous = (
        StageTransition.objects.filter(candidate=candidate).exclude(pk=transition.pk).order_by("-at", "-pk").first()
    )
    restored = {name: _from_json(name, values[0]) for name, values in transition.fields.items()}
    restored.setdefault("failed_votes", 0)
    vote = transition.vote
    if vote is not None and not vote.passed and counts_in_failed_votes(STEP_BY_KEY[transition.step_key]):
        # The failed vote goes with the step: it counts no more.
        restored["failed_votes"] = max(int(restored["failed_votes"] or 0) - 1, 0)
    if previous is not None:
        entered_on, entered_at = previous.on_date, previous.at
    else:  # back to the first stage: the day the candidate was created, as its first history row says
        first = candidate.history.order_by("history_date", "history_id").first()  # type: ignore[attr-defined]
        entered_on = first.stage_entered_on if first is not None else candidate.created_at.date()
        entered_at = first.stage_entered_at if first is not None else candidate.created_at
    undone = candidate_step_undone(
        candidate=candidate, transition=transition, restored=restored, entered_on=entered_on, entered_at=entered_at
    )
    if not undone:
        raise StepRefused((reason("undo_stage_changed", ""),))
    Mentorship.objects.filter(candidate=candidate, ended_on=transition.on_date, ended_by_transfer__isnull=True).update(
        ended_on=None
    )
    _untick(candidate, transition, user, why)
    original = _snapshot(transition)
    correction = _record(
        candidate, user, CorrectionKind.UNDO, why, now, step_key=transition.step_key, original=original
    )
    transition.delete()
    if vote is not None:
        _record(
            candidate,
            user,
            CorrectionKind.VOTE_WITHDRAWN,
            why,
            now,
            step_key=transition.step_key,
            original=_snapshot(vote),
        )
        vote.delete()
    return correction


def _untick(candidate: Candidate, transition: StageTransition, user: User | None, why: str) -> None:
    """The dossier items the undone step ticked back to their state before its tick (step_undo)."""
    key = transition.step_key
    for name, (before_json, after_json) in sorted(transition.fields.items()):
        codes = [code for code, source in TICKED_BY_DATE.get(name, ()) if source == key]
        after = _from_json(name, after_json) if codes else None
        if after is None:
            continue
        before = _from_json(name, before_json)
        held = DossierItem.objects.select_for_update().filter(
            candidate=candidate, doc_type__in=codes, status=DossierItem.Status.RECEIVED, ticked_by=key, issued_on=after
        )
        for item in held.order_by("doc_type"):
            # Newest first in the order the rows were written (a clock moved back cannot reorder them).
            rows = item.history.order_by("-history_id")  # type: ignore[attr-defined]
            history = (
                ItemState(
                    status=row.status,
                    issued_on=row.issued_on,
                    ticked_by=row.ticked_by,
                    note=row.note,
                    deleted=row.history_type == "-",
                )
                for row in rows
            )
            state = state_before_tick(history, source=key, before=before)
            item._history_user = user  # type: ignore[attr-defined]  # simple-history's who and why
            item._change_reason = why[:100]  # type: ignore[attr-defined]
            if state is None:
                item.delete()
                continue
            restored = (state.status, state.issued_on, state.ticked_by, state.note)
            if (item.status, item.issued_on, item.ticked_by, item.note) == restored:
                continue  # the step wrote the date the field held already
            item.status, item.issued_on, item.ticked_by, item.note = restored
            item.updated_by = user
            item.save()


# --- Votes and helpers -----------------------------------------------------------------------------


def vote_withdraw(
    *, acting_user: User | None, vote: Vote, reason_text: str, now: dt.datetime | None = None
) -> Correction:
    """Take back a vote entered by mistake (then enter it again with the right counts).

    A vote that moved the candidate is taken back with its step (step_undo rules: only while it is
    the last step). A failed vote of the step in progress no longer counts towards the three of
    QĐ294 4.2.3. A resolution proposing removal can be taken back while the removal is not decided.
    """
    now = now or timezone.now()
    candidate = Candidate.objects.select_related("organisation").get(pk=vote.candidate_id)
    require_edit(acting_user, candidate)
    why = _require_reason(reason_text)
    moved = StageTransition.objects.filter(vote=vote).order_by("-at", "-pk").first()
    latest = latest_transition(candidate)
    if moved is not None:
        if latest is None or moved.pk != latest.pk:
            raise StepRefused((reason("vote_later_steps", ""),))
        return step_undo(acting_user=acting_user, candidate=candidate, reason_text=why, now=now)
    if vote.held_on < candidate.stage_entered_on:
        raise StepRefused((reason("vote_later_steps", ""),))
    if acting_user is not None and not _may_withdraw_vote(acting_user, candidate, vote):
        raise StepRefused((reason("correction_not_yours", "QĐ294 4.3", body=candidate.organisation.name),))
    with transaction.atomic(durable=True):
        step = _vote_step(vote)
        if not vote.passed and candidate.failed_votes and step is not None and counts_in_failed_votes(step):
            Candidate.objects.filter(pk=candidate.pk, failed_votes__gt=0).update(failed_votes=F("failed_votes") - 1)
        correction = _record(candidate, acting_user, CorrectionKind.VOTE_WITHDRAWN, why, now, original=_snapshot(vote))
        vote.delete()
        _after_change(candidate, acting_user, why)
    return correction


def counts_in_failed_votes(step: Step) -> bool:
    """Whether a failed vote of `step` counts in `Candidate.failed_votes` (services.steps._count_failure):
    the branch's votes and the votes that move the dossier; a committee's resolutions within the
    stage are counted from their Vote rows, which a withdrawal removes."""
    return step.vote == VoteBy.BRANCH or step.target is not None


def _vote_step(vote: Vote) -> Step | None:
    """The vote step of the candidate's current stage that this vote was entered for."""
    candidate = vote.candidate
    for step in steps_for(candidate.stage_enum):
        if step.kind == "vote" and step.vote_purpose == vote.purpose:
            return step
    return None


def _may_withdraw_vote(user: User, candidate: Candidate, vote: Vote) -> bool:
    """The body that voted: the branch for its meetings' votes, else the committee whose turn it is
    (the vote was entered within the current stage); committees above may too."""
    scope = scope_for(user)
    if scope.everything:
        return True
    if vote.body == VotingBody.BRANCH.name:
        own = scope.acts_for_branch(candidate.organisation)
        return own or scope.acts_for_committee_in(candidate.organisation.ancestor_ids()[:-1])
    ids = candidate.organisation.ancestor_ids()[:-1]
    return scope.acts_for_committee_in(ids)


def mentorship_withdraw(
    *, acting_user: User | None, mentorship: Mentorship, reason_text: str, now: dt.datetime | None = None
) -> Correction:
    """Take back a helper or introducer assigned by mistake (by the branch, or a committee above)."""
    now = now or timezone.now()
    candidate = Candidate.objects.select_related("organisation").get(pk=mentorship.candidate_id)
    require_edit(acting_user, candidate)
    if acting_user is not None:
        scope = scope_for(acting_user)
        if not (
            scope.acts_for_branch(candidate.organisation)
            or scope.acts_for_committee_in(candidate.organisation.ancestor_ids()[:-1])
        ):
            raise PermissionDenied
    why = _require_reason(reason_text)
    with transaction.atomic(durable=True):
        correction = _record(
            candidate, acting_user, CorrectionKind.MENTOR_WITHDRAWN, why, now, original=_snapshot(mentorship)
        )
        mentorship._change_reason = why[:100]  # type: ignore[attr-defined]  # simple-history's reason
        mentorship.delete()
    return correction


def task_withdraw(
    *, acting_user: User | None, task: TrialTask, reason_text: str, now: dt.datetime | None = None
) -> Correction:
    """Take back a trial task given by mistake (wrong person, wrong text or due date): the task goes,
    a full copy stays in the Correction with who, when and why; give it again if it was meant.
    Recorded by the branch, as the task was (services.task_assign)."""
    now = now or timezone.now()
    candidate = Candidate.objects.select_related("organisation").get(pk=task.candidate_id)
    require_edit(acting_user, candidate)
    why = _require_reason(reason_text)
    with transaction.atomic(durable=True):
        correction = _record(candidate, acting_user, CorrectionKind.TASK_WITHDRAWN, why, now, original=_snapshot(task))
        task.delete()
    return correction


# --- Replay ---------------------------------------------------------------------------------------


def replayed_fields(candidate: Candidate) -> dict[str, Any]:
    """The candidate's stage, stage day and the fields its steps wrote, folded from its history."""
    state: dict[str, Any] = {"stage": Stage.S0.value, "stage_entered_on": None}
    for row in StageTransition.objects.filter(candidate=candidate).order_by("at", "pk"):
        for name, (_before, after) in row.fields.items():
            if name != "failed_votes":
                state[name] = _from_json(name, after)
        state["stage"] = row.to_stage
        state["stage_entered_on"] = row.on_date
    return state


# --- A branch meeting's decision on the sympathiser list ---------------------------------------


def _list_move(decision: ListDecision) -> StageTransition | None:
    """The move a list decision made (added: S0 -> S1; removed: -> S0) on the meeting's day."""
    if decision.decision == ListDecision.Decision.KEEP:
        return None
    to_stage = Stage.S1 if decision.decision == ListDecision.Decision.ADD else Stage.S0
    return (
        StageTransition.objects.filter(
            candidate_id=decision.candidate_id, to_stage=to_stage.value, on_date=decision.meeting.held_on
        )
        .order_by("-at", "-pk")
        .first()
    )


def list_decision_withdraw(
    *, acting_user: User | None, decision: ListDecision, reason_text: str, now: dt.datetime | None = None
) -> MeetingCorrection:
    """Take back a meeting's decision on one person (added, kept or removed from the list by mistake).

    Who: those who edit the meeting (services.meetings.may_edit_meeting: the branch, and after its
    next meeting the committees above). A reason always. An "added" or "removed" decision moved the
    candidate: the move is undone with it (step_undo rules: only while it is the candidate's last
    step). The decision row goes with a history row naming the reason; the meeting's correction log
    lists it.
    """
    from admission.services.meetings import may_edit_meeting, next_meeting

    now = now or timezone.now()
    meeting = decision.meeting
    later = next_meeting(meeting)
    if acting_user is not None and not may_edit_meeting(acting_user, meeting, after_next=later is not None):
        raise StepRefused((reason("meeting_edit_not_branch", "ĐL 24.2", branch=meeting.organisation.name),))
    why = _require_reason(reason_text)
    candidate = Candidate.objects.select_related("organisation").get(pk=decision.candidate_id)
    move = _list_move(decision)
    if move is not None:
        latest = latest_transition(candidate)
        if latest is None or latest.pk != move.pk or move.to_stage != candidate.stage:
            raise StepRefused((reason("vote_later_steps", ""),))
    with transaction.atomic(durable=True):
        if move is not None:
            if not move.fields and decision.decision == ListDecision.Decision.ADD:
                # Recorded before steps kept their fields: the list date is the one the move wrote.
                move.fields = {"sympathiser_date": [None, _as_json(meeting.held_on)]}
            _undo(candidate, move, acting_user, why, now)
            _after_change(candidate, acting_user, why)
        entry = {
            "kind": "decision_withdrawn",
            "name": candidate.person.full_name,
            "decision": decision.decision,
            "before": decision.reason,
        }
        decision._history_user = acting_user  # type: ignore[attr-defined]
        decision._change_reason = why[:100]  # type: ignore[attr-defined]
        decision.delete()
        return MeetingCorrection.objects.create(meeting=meeting, at=now, by=acting_user, reason=why, changes=[entry])
