"""Committee review: returning a dossier to the branch, resubmitting it, committee meetings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from admission.domain import stages
from admission.domain.reasons import Reason, reason
from admission.domain.stages import Stage
from admission.models import (
    AgendaItem,
    Candidate,
    CommitteeMeeting,
    DossierItem,
    DossierReturn,
    ReturnedDocument,
    StageTransition,
)
from admission.services.base import StepRefused, due_committee, require_edit, require_turn
from admission.services.steps import route_after_branch_resolution
from admission.services.transitions import candidate_transition
from admission.workflow import RETURN_TARGET
from members.models import User
from members.selectors import scope_for


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
       marked "returned" with the committee's reason, a history row of the item each.
    Side effects: notifications to the branch's secretaries and the mentors (transition_notify).
    """
    now = now or timezone.now()
    require_edit(acting_user, candidate)
    stage = candidate.stage_enum
    target = RETURN_TARGET.get(stage)
    if target is None:
        raise stages.IllegalTransition(stage, Stage.S8)
    require_turn(acting_user, candidate)
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
        # The UPDATE bypasses save(): each returned item's history row (who, the committee's reason)
        # here, so that its history shows the return (an undone step gives it back: step_undo).
        marked = list(DossierItem.objects.filter(candidate=candidate, doc_type__in=list(documents)))
        for item in marked:
            item._change_reason = item.note[:100]  # type: ignore[attr-defined]  # simple-history's reason
        if marked:
            DossierItem.history.bulk_history_create(marked, update=True, default_user=acting_user)  # type: ignore[attr-defined]
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
    require_edit(acting_user, candidate)
    returned = open_return(candidate)
    if returned is None:
        raise StepRefused((reason("not_returned", "QĐ294 4.3.1"),))
    pending = returned_documents_pending(candidate, returned)
    if pending:
        raise StepRefused((reason("returned_documents_pending", "QĐ294 4.3.1", documents=pending),))
    stage = candidate.stage_enum
    target = route_after_branch_resolution(candidate) if stage == Stage.S8 else Stage.S16
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
    # A committee considers a dossier after it reached it: a meeting dated before is a typing mistake
    # (01/01/1990), and the documents of the meeting take its date.
    early = [c for c in candidates if c.stage_entered_on and held_on < c.stage_entered_on]
    if early:
        raise StepRefused(
            tuple(
                reason(
                    "meeting_before_dossier",
                    "QĐ294 4.3",
                    name=c.person.full_name,
                    day=held_on,
                    arrived=c.stage_entered_on,
                )
                for c in early
            )
        )
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
    decided = any(outcome in valid and outcome != AgendaItem.Outcome.PENDING for outcome, _note in outcomes.values())
    if decided and meeting.held_on > timezone.localdate(now):
        # What a meeting decided is known once it has been held (a step's date is never in the future).
        raise StepRefused((reason("meeting_not_held_yet", "QĐ294 4.3", day=meeting.held_on),))
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
