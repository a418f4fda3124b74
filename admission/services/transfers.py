"""Transfers: a candidate or probationer who moves to another branch (chuyển sinh hoạt, HD06 3.9, 3.10).

The sending branch records the move (its secretary or deputy, or an administrator). The candidate,
the person and the probationary membership move to the destination branch in one transaction, so
the old branch loses access and the new one gains it at once; the candidate's history, transitions,
votes and documents hang on the candidate and come along. What becomes of the dossier is the pure
rule `admission.domain.transfers.transfer_route`; see docs/decisions.md, "Transfers".
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from admission import schedule
from admission.domain.deadlines import transfer_forward_deadline
from admission.domain.reasons import Reason, reason
from admission.domain.reminders import DEADLINE_LEADS, next_occurrence
from admission.domain.stages import Stage
from admission.domain.transfers import ROUTE_TARGET, TransferFacts, check_transfer, transfer_route
from admission.models import Candidate, CandidateTransfer, Mentorship
from admission.rulebook import calendar_for, rulebook_for
from admission.services.base import ConcurrentStageChange, StepRefused, committee_of, refuse_unless, require_edit
from admission.services.transitions import candidate_transition, refresh_due
from admission.workflow import TURN, Body, body_committee
from members.authority import NoDecidingBody
from members.freshness import organisations_changed
from members.models import MemberStatus, Organisation, User
from members.selectors import organisation_authority, scope_for


def candidate_transfer(
    *,
    acting_user: User | None,
    candidate: Candidate,
    to_branch: Organisation,
    on_date: dt.date,
    note: str,
    now: dt.datetime | None = None,
) -> CandidateTransfer:
    """Record that the candidate moved to `to_branch` on `on_date`, for the reason `note`.

    1. Authority: the user may edit the candidate and acts for its branch (the sending branch owns
       the act, HD06 3.9): the committees above it are refused with `branch_turn`.
    2. Checks (admission.domain.transfers.check_transfer): a reason, a date neither in the future
       nor before the current stage began, a destination that is another branch of the province,
       a candidacy that is open and listed (not S0, S17, SX).
    3. One durable transaction: the CandidateTransfer row; the candidate, the person and the
       probationary member move; open helper and introducer assignments end on `on_date`; a dossier
       that had gone up (S8A, S9, S10) moves to S10 at the destination, received on `on_date` (its
       committee decides within 30 WD, HD06 3.9b; the old place's deciding committee owes its forwarding
       within 15 WD and is reminded, unless it decides for the destination too); a decision older than 30 WD at S11 is annulled
       (S11 -> SZ, HD06 3.9c); otherwise the stage stays and its deadline is recomputed; both
       subtrees' figures go stale; in-app notices to both branches (and to the committee the dossier
       now waits for, when no transition told it).
    Raises PermissionDenied or StepRefused (reason codes): nothing written.
    """
    now = now or timezone.now()
    require_edit(acting_user, candidate)
    origin = candidate.organisation
    if acting_user is not None and not scope_for(acting_user).acts_for_branch(origin):
        raise StepRefused((reason("branch_turn", "HD06 3.9", branch=origin.name),))
    stage = candidate.stage_enum
    facts = TransferFacts(
        stage=stage,
        stage_entered_on=candidate.stage_entered_on,
        on_date=on_date,
        today=timezone.localdate(now),
        note=note,
        from_branch=origin.pk,
        to_branch=to_branch.pk,
        to_name=to_branch.name,
        to_is_branch=to_branch.is_branch,
        same_province=to_branch.ancestor_ids()[:1] == origin.ancestor_ids()[:1],
    )
    refuse_unless(check_transfer(facts))
    decided = candidate.decision_date
    route = transfer_route(
        stage=stage,
        on_date=on_date,
        decision_date=decided,
        calendar=calendar_for(origin),
        rules=rulebook_for(origin).for_date(decided or on_date),
    )
    target = ROUTE_TARGET.get(route)
    # The old place's competent committee forwards a dossier that had gone up (HD06 3.9b).
    sender = committee_of(Body.DECIDING_COMMITTEE, candidate) if target == Stage.S10 else None
    if sender is not None and sender.id == _deciding_committee_id(to_branch):
        sender = None  # the same committee decides for both places: the dossier is already with it
    forward_due = (
        transfer_forward_deadline(
            transferred_on=on_date, calendar=calendar_for(origin), rules=rulebook_for(origin).for_date(on_date)
        ).day
        if sender is not None
        else None
    )
    # Its reminders to the sending committee (admission.reminders): before the day, then weekly and
    # escalated once overdue; from tomorrow on, as today's notice (schedule.forward_notify) announces it.
    tomorrow = timezone.localdate(now) + dt.timedelta(days=1)
    first = next_occurrence(forward_due, DEADLINE_LEADS, today=tomorrow) if forward_due else None
    with transaction.atomic(durable=True):
        # The row is locked for the move: someone else's step or transfer meanwhile is a conflict.
        if not Candidate.objects.select_for_update().filter(pk=candidate.pk, stage=stage, organisation=origin).exists():
            raise ConcurrentStageChange(f"candidate {candidate.pk} changed before its transfer")
        transfer = CandidateTransfer.objects.create(
            candidate=candidate,
            from_organisation=origin,
            to_organisation=to_branch,
            on_date=on_date,
            stage=stage.value,
            stage_after=(target or stage).value,
            note=note.strip(),
            recorded_by=acting_user,
            recorded_at=now,
            forwarding_committee_id=sender.id if sender is not None else None,
            forward_due_on=forward_due,
            next_reminder_at=schedule.due_at(first.day, now) if first is not None else None,
            reminder_sequence=first.sequence if first is not None else None,
        )
        _move(candidate, to_branch, acting_user=acting_user, received_on=on_date if target else None)
        Mentorship.objects.filter(candidate=candidate, ended_on__isnull=True).update(
            ended_on=on_date, ended_by_transfer=transfer
        )
        if target is not None:
            transition = candidate_transition(
                acting_user=acting_user,
                candidate=candidate,
                expected_stage=stage,
                to_stage=target,
                on_date=on_date,
                now=now,
                note=note,
                basis=f"Transfer {transfer.pk}",
            )
            CandidateTransfer.objects.filter(pk=transfer.pk).update(transition=transition)
            transfer.transition = transition
        else:
            refresh_due(candidate, now=now)  # the destination's calendar, rules and reminder settings
        organisations_changed(paths=[origin.path, to_branch.path])  # both subtrees' figures are stale
        # A transition to a committee's turn already told that committee (schedule.transition_notify).
        committee_told = target is not None and TURN.get(stage) != TURN.get(target)
        schedule.transfer_notify(candidate=candidate, transfer=transfer, tell_committee=not committee_told, now=now)
        if sender is not None and forward_due is not None:
            schedule.forward_notify(
                candidate=candidate, transfer=transfer, committee_id=sender.id, due=forward_due, now=now
            )
    return transfer


def _latest_transfer(candidate: Candidate) -> CandidateTransfer | None:
    return CandidateTransfer.objects.filter(candidate=candidate).order_by("-on_date", "-recorded_at", "-pk").first()


def _require_deciding_staff(acting_user: User | None, candidate: Candidate, *also: int) -> None:
    """The destination's competent committee (the one deciding for the candidate's branch now), or
    one of the committees `also` (the old place's), records the acts around a transfer."""
    if acting_user is None:
        return
    committee = committee_of(Body.DECIDING_COMMITTEE, candidate)
    scope = scope_for(acting_user)
    if committee is not None and scope.acts_for_committee(committee.id):
        return
    if any(scope.acts_for_committee(pk) for pk in also):
        return
    name = committee.name if committee is not None else candidate.organisation.name
    raise StepRefused((reason("level_not_due", "HD06 3.9b", committee=name),))


def transfer_forwarded(
    *, acting_user: User | None, candidate: Candidate, on_date: dt.date, now: dt.datetime | None = None
) -> CandidateTransfer:
    """Record that the old place's competent committee forwarded the dossier of a candidate who moved
    after it went up (T11, HD06 3.9b: within 15 WD of the move), received at the destination that day.

    1. Authority: the staff of the competent committee deciding for the candidate now (the
       destination, who receives it) or of the old place's, which sent it (scope: the candidate's
       page is the destination's; the old place's committee was told of the deadline by a notice).
    2. Checks: the latest transfer moved a dossier that had gone up and it is not yet forwarded; the
       day is neither before the move nor in the future.
    3. One durable transaction: the transfer's `forwarded_on`; the candidate's `transfer_forwarded_date`
       and `transfer_received_date` (the destination's 30 WD now count from it), with a history row;
       the step's deadline and reminder recomputed.
    Raises PermissionDenied or StepRefused: nothing written.
    """
    now = now or timezone.now()
    transfer = _latest_transfer(candidate)
    sender = _sending_committee(transfer)
    # The sending committee no longer reads the candidate (its page is the destination's): it
    # records its own forwarding from its list of dossiers to forward (selectors.transfers_to_forward).
    if not (acting_user is not None and sender is not None and scope_for(acting_user).acts_for_committee(sender)):
        require_edit(acting_user, candidate)
    _require_deciding_staff(acting_user, candidate, *([sender] if sender else []))
    if transfer is None or candidate.transferred_on is None or transfer.on_date != candidate.transferred_on:
        raise StepRefused((reason("transfer_not_forwarded_dossier", "HD06 3.9b"),))
    problems = []
    if transfer.forwarded_on is not None:
        problems.append(reason("transfer_already_forwarded", "HD06 3.9b", day=transfer.forwarded_on))
    problems.extend(_act_date_problems(on_date, transfer, now, "HD06 3.9b"))
    if problems:
        raise StepRefused(tuple(problems))
    with transaction.atomic(durable=True):
        # Forwarded: its reminders stop (admission.reminders).
        CandidateTransfer.objects.filter(pk=transfer.pk).update(
            forwarded_on=on_date, next_reminder_at=None, reminder_sequence=None
        )
        _write(
            candidate,
            acting_user,
            "transfer_forwarded",
            transfer_forwarded_date=on_date,
            transfer_received_date=on_date,
        )
        refresh_due(candidate, now=now)
    transfer.forwarded_on = on_date
    return transfer


def transfer_reconsideration_request(
    *, acting_user: User | None, candidate: Candidate, on_date: dt.date, note: str, now: dt.datetime | None = None
) -> CandidateTransfer:
    """Record the destination's request that the committee which sent the dossier or decision
    reconsider it (T13, HD06 3.9c), answered within 60 WD of its receipt (`reconsideration_deadline`).

    Only the staff of the destination's competent committee; only while the dossier or decision that
    moved with the latest transfer awaits the destination (S10, S11, SZ); once per transfer; a reason,
    a day neither before the move nor in the future. One durable transaction: the transfer's request
    and the candidate's `reconsideration_requested_date` (history row). Raises StepRefused.
    """
    now = now or timezone.now()
    require_edit(acting_user, candidate)
    _require_deciding_staff(acting_user, candidate)
    transfer = _latest_transfer(candidate)
    if (
        transfer is None
        or candidate.stage_enum not in RECONSIDERED_STAGES
        or transfer.stage_after not in RECONSIDERED_STAGES
    ):
        raise StepRefused((reason("reconsideration_not_applicable", "HD06 3.9c"),))
    problems = []
    if transfer.reconsideration_requested_on is not None:
        problems.append(
            reason("reconsideration_already_requested", "HD06 3.9c", day=transfer.reconsideration_requested_on)
        )
    if not note.strip():
        problems.append(reason("reconsideration_reason_required", "HD06 3.9c"))
    problems.extend(_act_date_problems(on_date, transfer, now, "HD06 3.9c"))
    if problems:
        raise StepRefused(tuple(problems))
    with transaction.atomic(durable=True):
        CandidateTransfer.objects.filter(pk=transfer.pk).update(
            reconsideration_requested_on=on_date, reconsideration_note=note.strip()
        )
        _write(candidate, acting_user, "transfer_reconsideration_request", reconsideration_requested_date=on_date)
    transfer.reconsideration_requested_on, transfer.reconsideration_note = on_date, note.strip()
    return transfer


# Where a dossier or decision that moved with a transfer waits for the destination's committee.
RECONSIDERED_STAGES = frozenset({Stage.S10, Stage.S11, Stage.SZ})


def _deciding_committee_id(branch: Organisation) -> int | None:
    """The committee that decides admissions for `branch` (None: the tree has none)."""
    try:
        committee = body_committee(Body.DECIDING_COMMITTEE, organisation_authority(organisation=branch))
    except NoDecidingBody:
        return None
    return committee.id if committee is not None else None


def _sending_committee(transfer: CandidateTransfer | None) -> int | None:
    """The old place's committee that forwards the dossier (T11): kept on the transfer since the
    forwarding reminders, else (older transfers) the old branch's deciding committee."""
    if transfer is not None and transfer.forwarding_committee_id is not None:
        return transfer.forwarding_committee_id
    return _origin_decider(transfer)


def _origin_decider(transfer: CandidateTransfer | None) -> int | None:
    if transfer is None:
        return None
    try:
        return organisation_authority(organisation=transfer.from_organisation).decider.id
    except NoDecidingBody:
        return None


def _act_date_problems(on_date: dt.date, transfer: CandidateTransfer, now: dt.datetime, rule: str) -> list[Reason]:
    found = []
    if on_date > timezone.localdate(now):
        found.append(reason("date_in_future", rule, day=on_date))
    if on_date < transfer.on_date:
        found.append(reason("transfer_act_before_move", rule, day=on_date, moved=transfer.on_date))
    return found


def _write(candidate: Candidate, acting_user: User | None, change_reason: str, **fields: object) -> None:
    """Write the candidate's transfer dates with a history row (who, when, why)."""
    for name, value in fields.items():
        setattr(candidate, name, value)
    candidate._history_user = acting_user  # type: ignore[attr-defined]
    candidate._change_reason = change_reason  # type: ignore[attr-defined]
    candidate.save(update_fields=list(fields))


def _move(
    candidate: Candidate, to_branch: Organisation, *, acting_user: User | None, received_on: dt.date | None
) -> None:
    """The candidate, its person and its probationary membership now belong to `to_branch` (history rows kept)."""
    reason_text = f"transfer → {to_branch.code}"
    fields = ["organisation"]
    candidate.organisation = to_branch
    if received_on is not None:
        # Received on the move until the old place's forwarding is recorded (transfer_forwarded).
        candidate.transfer_received_date = received_on
        candidate.transferred_on = received_on
        candidate.transfer_forwarded_date = None
        fields += ["transfer_received_date", "transferred_on", "transfer_forwarded_date"]
    candidate._history_user = acting_user  # type: ignore[attr-defined]
    candidate._change_reason = reason_text  # type: ignore[attr-defined]
    candidate.save(update_fields=fields)
    person = candidate.person
    person.organisation = to_branch
    person._history_user = acting_user  # type: ignore[attr-defined]
    person._change_reason = reason_text  # type: ignore[attr-defined]
    person.save(update_fields=["organisation"])
    member = candidate.member
    if member is not None and member.status == MemberStatus.PROBATIONARY:
        member.organisation = to_branch
        member._history_user = acting_user  # type: ignore[attr-defined]
        member._change_reason = reason_text  # type: ignore[attr-defined]
        member.save(update_fields=["organisation"])
