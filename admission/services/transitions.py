"""The single mutation point of `Candidate.stage`, and the cascade of entering a stage.

`candidate_transition` is the only code that assigns the stage (compare-and-swap on the stage it
expects, architecture B). The effects of entering a stage are declared in
`admission.domain.stages.CASCADE`; each has its handler in CASCADE_HANDLERS below.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from admission import dates as candidate_date_rules
from admission import schedule
from admission.domain import stages
from admission.domain.reasons import reason
from admission.domain.stages import Stage
from admission.domain.statistics import package_working_days
from admission.models import Candidate, DossierItem, Mentorship, StageTransition, TrialTask, Vote
from admission.rulebook import calendar_for, rulebook_for
from admission.services.base import ConcurrentStageChange, StepRefused
from admission.workflow import TICKED_BY_DATE
from members import services as member_services
from members.freshness import organisations_changed
from members.models import MemberStatus, PartyMember, User


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
    step_key: str = "",
    vote: Vote | None = None,
) -> StageTransition:
    """Move `candidate` from `expected_stage` to `to_stage`; must run inside a transaction.

    1. The transition table must allow it (IllegalTransition) and a reason note is required
       for backward moves, drops, removals and escalations.
    2. Compare-and-swap: one UPDATE filtered on the expected stage also writes `fields`; if it
       changed no row, someone else moved the candidate first (ConcurrentStageChange).
    3. Append the StageTransition row, with the visit of `expected_stage` it ends (entered on,
       working days by the package calendar: `_visit_ended`), and apply the declarative cascade
       of the new stage (CASCADE_HANDLERS), which ends with the new step's legal deadline
       (`next_due_on`) and next reminder.
    4. Notify the branch of returns, approvals and decisions; mark the organisation's figures stale.
    """
    stages.assert_transition(expected_stage, to_stage)
    if (expected_stage, to_stage) in stages.REQUIRES_REASON and not note.strip():
        raise StepRefused((reason("note_required", "", step=f"{expected_stage}→{to_stage}"),))
    changes = dict(fields or {})
    # Compare-and-swap: only the writer that still sees `expected_stage` wins.
    # failed_votes counts the failed votes of the step in progress (QĐ294 4.2.3): a new step starts at 0.
    changes.setdefault("failed_votes", 0)
    # What the step writes, with the values it replaces: a correction edits them, an undo restores them.
    before = Candidate.objects.filter(pk=candidate.pk).values(*changes).first() or {}
    recorded = {name: [before.get(name), value] for name, value in changes.items()}
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
    # The documents the step produces are held from the dates it wrote (workflow.TICKED_BY_DATE).
    checklist_tick(
        candidate=candidate,
        items={
            document: (changes[name], source)
            for name, produced in TICKED_BY_DATE.items()
            if changes.get(name) is not None
            for document, source in produced
        },
        acting_user=acting_user,
        now=now,
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
        step_key=step_key,
        fields=recorded,
        vote=vote,
    )
    cascade_apply(
        CascadeContext(acting_user=acting_user, candidate=candidate, transition=transition, on_date=on_date, now=now),
        stages.CASCADE[to_stage],
    )
    schedule.transition_notify(candidate=candidate, transition=transition, now=now)
    organisations_changed(paths=[candidate.organisation.path])  # its statistics figures are stale
    return transition


def checklist_tick(
    *,
    candidate: Candidate,
    items: Mapping[str, tuple[dt.date, str]],
    acting_user: User | None,
    now: dt.datetime,
) -> list[str]:
    """Tick dossier checklist items the app itself produced: `items` maps a document code to the
    date of the act (or generated document) that makes it and its source (a step key, or
    "generated:<kind>"). Must run inside the caller's transaction; returns the codes changed.

    An item a user entered (`ticked_by` empty) is never changed, nor unticked; a missing, returned
    or automatically ticked item is marked held with the new date and source. Each change is a
    history row of the item with the acting user and the source as its reason.
    """
    if not items:
        return []
    existing = {
        item.doc_type: item
        for item in DossierItem.objects.select_for_update().filter(candidate=candidate, doc_type__in=list(items))
    }
    changed = []
    for code, (day, source) in sorted(items.items()):
        item = existing.get(code) or DossierItem(candidate=candidate, doc_type=code)
        held = item.pk is not None and item.status == DossierItem.Status.RECEIVED
        if held and (not item.ticked_by or (item.issued_on, item.ticked_by) == (day, source)):
            continue  # entered by a user, or already so
        item.status, item.issued_on, item.ticked_by = DossierItem.Status.RECEIVED, day, source
        item.note, item.updated_by = "", acting_user
        item._history_user = acting_user  # type: ignore[attr-defined]
        item._change_reason = source  # type: ignore[attr-defined]
        item.save()
        changed.append(code)
    return changed


def candidate_step_undone(
    *,
    candidate: Candidate,
    transition: StageTransition,
    restored: Mapping[str, Any],
    entered_on: dt.date,
    entered_at: dt.datetime,
) -> bool:
    """The stage's other mutation: the candidate's last step taken back (services.corrections.step_undo),
    back to the stage it left with the fields it wrote restored. Compare-and-swap on the stage the
    step led to; False if someone moved the candidate meanwhile. Must run inside a transaction."""
    updated = Candidate.objects.filter(pk=candidate.pk, stage=transition.to_stage).update(
        stage=transition.from_stage, stage_entered_on=entered_on, stage_entered_at=entered_at, **restored
    )
    return updated == 1


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


@dataclass(frozen=True)
class CascadeContext:
    acting_user: User | None
    candidate: Candidate
    transition: StageTransition
    on_date: dt.date
    now: dt.datetime


def _close_tasks(ctx: CascadeContext) -> None:
    TrialTask.objects.filter(candidate=ctx.candidate, closed=False).update(closed=True)


def _end_mentorships(ctx: CascadeContext) -> None:
    Mentorship.objects.filter(candidate=ctx.candidate, ended_on__isnull=True).update(ended_on=ctx.on_date)


def _create_probationary_member(ctx: CascadeContext) -> None:
    # The step service already checked the acting user's scope: the member services run as the system.
    candidate = ctx.candidate
    if candidate.member is None:
        # A readmitted person keeps their one membership row (E10): it starts a new probation.
        candidate.member = PartyMember.objects.filter(person_id=candidate.person_id).first()
        if candidate.member is not None:
            Candidate.objects.filter(pk=candidate.pk).update(member=candidate.member)
    if candidate.member is None:
        member = member_services.member_create(
            acting_user=None,
            person=candidate.person,
            status=MemberStatus.PROBATIONARY,
            admission_decision_date=candidate.decision_date,
            ceremony_date=candidate.ceremony_date,
        )
        Candidate.objects.filter(pk=candidate.pk).update(member=member)
        candidate.member = member
    elif candidate.member.status in (MemberStatus.REMOVED, MemberStatus.LEFT):  # readmitted, or decided anew
        member_services.member_restore_probation(
            acting_user=None,
            member=candidate.member,
            admission_decision_date=candidate.decision_date,
            ceremony_date=candidate.ceremony_date,
        )


def _make_member_official(ctx: CascadeContext) -> None:
    if ctx.candidate.member is not None:
        member_services.member_make_official(
            acting_user=None, member=ctx.candidate.member, official_date=ctx.candidate.official_date or ctx.on_date
        )


def _remove_member(ctx: CascadeContext) -> None:
    member = ctx.candidate.member
    if member is not None and member.status != MemberStatus.REMOVED:
        member_services.member_remove(acting_user=None, member=member, removed_on=ctx.on_date)


def _reschedule_reminders(ctx: CascadeContext) -> None:
    refresh_due(ctx.candidate, transition=ctx.transition, now=ctx.now)


# Every effect of stages.CASCADE and its handler, in the order they run (the reminders last: they
# read the dates the others may have written).
CASCADE_HANDLERS: dict[str, Callable[[CascadeContext], None]] = {
    stages.CLOSE_TASKS: _close_tasks,
    stages.END_MENTORSHIPS: _end_mentorships,
    stages.CREATE_PROBATIONARY_MEMBER: _create_probationary_member,
    stages.MAKE_MEMBER_OFFICIAL: _make_member_official,
    stages.REMOVE_MEMBER: _remove_member,
    stages.ANNUL_DECISION: _remove_member,  # the decision no longer stands; settled by SX or a new one
    stages.RESCHEDULE_REMINDERS: _reschedule_reminders,
}


def cascade_apply(ctx: CascadeContext, effects: Iterable[str]) -> None:
    wanted = set(effects)
    for effect, handler in CASCADE_HANDLERS.items():
        if effect in wanted:
            handler(ctx)


def refresh_due(
    candidate: Candidate, *, transition: StageTransition | None = None, now: dt.datetime | None = None
) -> None:
    """Recompute the step's legal deadline and, for a new stage visit, its next reminder."""
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
