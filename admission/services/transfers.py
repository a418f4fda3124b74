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
from admission.domain.reasons import reason
from admission.domain.transfers import ROUTE_TARGET, TransferFacts, check_transfer, transfer_route
from admission.models import Candidate, CandidateTransfer, Mentorship
from admission.rulebook import calendar_for, rulebook_for
from admission.services.base import ConcurrentStageChange, StepRefused, refuse_unless, require_edit
from admission.services.transitions import candidate_transition, refresh_due
from admission.workflow import TURN
from members.freshness import organisations_changed
from members.models import MemberStatus, Organisation, User
from members.selectors import scope_for


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
       committee decides within 30 WD, HD06 3.9b); a decision older than 30 WD at S11 is annulled
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
    return transfer


def _move(
    candidate: Candidate, to_branch: Organisation, *, acting_user: User | None, received_on: dt.date | None
) -> None:
    """The candidate, its person and its probationary membership now belong to `to_branch` (history rows kept)."""
    reason_text = f"transfer → {to_branch.code}"
    fields = ["organisation"]
    candidate.organisation = to_branch
    if received_on is not None:
        candidate.transfer_received_date = received_on
        fields.append("transfer_received_date")
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
