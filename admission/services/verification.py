"""Background verification (HD06 3.4; rules §3 S6, §4 T3): the requests, their replies, corrections
and cancellations.

A request is open until its reply is recorded or it is cancelled with a reason; nothing is ever
deleted, and every change is a history row (django-simple-history) with the acting user and, for a
correction or a cancellation, its reason. One open request per subject of a candidate: adding the
same subject again is refused with the open one named (and a database constraint backs it).

Who: the branch (its secretary or deputy) or the staff of the grassroots committee, which
certifies the biography after verification (workflow: the "verification" step is the grassroots
committee's, entered by the branch). Others who may edit the branch's data (the committees above)
are refused with `verification_body`; read-only roles get PermissionDenied.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import NotRequired, TypedDict, Unpack

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from admission.domain.eligibility import check_order
from admission.domain.reasons import Params, Reason, reason
from admission.models import (
    Candidate,
    DocumentScan,
    VerificationOutcome,
    VerificationRequest,
    verification_subject_key,
)
from admission.rulebook import calendar_for, rulebook_for
from admission.schedule import verification_reply_due, verification_schedule_reminder
from admission.services.base import StepRefused, committee_of, date_problems, require_edit
from admission.workflow import Body
from members.models import User
from members.selectors import scope_for

RULE = "HD06 3.4"


def may_verify(user: User, candidate: Candidate) -> bool:
    """Whether `user` records the candidate's verification requests and replies (pages hide the rest)."""
    scope = scope_for(user)
    if not scope.can_edit(candidate.organisation):
        return False
    if scope.acts_for_branch(candidate.organisation):
        return True
    committee = committee_of(Body.GRASSROOTS_COMMITTEE, candidate)
    return committee is not None and scope.acts_for_committee(committee.id)


def _require_verifier(acting_user: User | None, candidate: Candidate) -> None:
    require_edit(acting_user, candidate)
    if acting_user is None or may_verify(acting_user, candidate):
        return
    committee = committee_of(Body.GRASSROOTS_COMMITTEE, candidate)
    raise StepRefused(
        (
            reason(
                "verification_body",
                RULE,
                branch=candidate.organisation.name,
                committee=committee.name if committee else "—",
            ),
        )
    )


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def open_requests_reason(candidate: Candidate) -> Reason | None:
    """`verification_open` naming each request still awaiting its reply (subject, addressee, sent,
    reply due), or None when every request is answered or cancelled."""
    pending = list(candidate.verifications.filter(replied_on__isnull=True, cancelled_on__isnull=True))
    if not pending:
        return None
    calendar, rules = calendar_for(candidate.organisation), rulebook_for(candidate.organisation)
    return reason(
        "verification_open",
        "HD06 3.4; HD38 I.1.5",
        n=len(pending),
        requests=tuple(
            Params(
                {
                    "id": item.pk,
                    "subject": item.subject,
                    "addressee": item.addressee,
                    "sent_on": item.sent_on,
                    "due": verification_reply_due(item, calendar=calendar, rulebook=rules).day,
                }
            )
            for item in pending
        ),
    )


def _already_open(candidate: Candidate, subject: str) -> StepRefused | None:
    found = VerificationRequest.objects.filter(
        candidate=candidate,
        subject_key=verification_subject_key(subject),
        replied_on__isnull=True,
        cancelled_on__isnull=True,
    ).first()
    if found is None:
        return None
    return StepRefused(
        (
            reason(
                "verification_already_open",
                RULE,
                id=found.pk,
                subject=found.subject,
                addressee=found.addressee,
                sent_on=found.sent_on,
            ),
        )
    )


def verification_record(
    *,
    acting_user: User | None,
    candidate: Candidate,
    subject: str,
    addressee: str,
    sent_on: dt.date,
    received_on: dt.date,
    abroad: bool = False,
    now: dt.datetime | None = None,
) -> VerificationRequest:
    """Record a verification letter sent (open until its reply is recorded or it is cancelled).

    Refused: by anyone but the branch or the grassroots committee staff; dates in the future or
    received before sent; a request about the same subject still open (named in the refusal).
    Side effects: one transaction; the request, its history row and its first reply reminder.
    """
    now = now or timezone.now()
    _require_verifier(acting_user, candidate)
    subject, addressee = _clean(subject), _clean(addressee)
    problems = [*date_problems(sent_on, None, now), *date_problems(received_on, None, now)]
    problems.extend(check_order("verification_sent", sent_on, "verification_received", received_on).reasons)
    if problems:
        raise StepRefused(tuple(problems))
    duplicate = _already_open(candidate, subject)
    if duplicate is not None:
        raise duplicate
    request = VerificationRequest(
        candidate=candidate,
        subject=subject,
        addressee=addressee,
        sent_on=sent_on,
        received_on=received_on,
        abroad=abroad,
        created_by=acting_user,
    )
    verification_schedule_reminder(
        request, now=now, calendar=calendar_for(candidate.organisation), rulebook=rulebook_for(candidate.organisation)
    )
    request._history_user = acting_user  # type: ignore[attr-defined]
    try:
        with transaction.atomic(durable=True):
            request.save()
    except IntegrityError:
        # Someone added the same subject in between: the constraint refused it; name theirs.
        duplicate = _already_open(candidate, subject)
        if duplicate is None:  # pragma: no cover - another constraint
            raise
        raise duplicate from None
    return request


class ReplyFields(TypedDict):
    """A reply's fields as the pages, the API and the import give them (services take them as keywords)."""

    replied_on: dt.date
    outcome: str
    reply_number: str
    findings: NotRequired[str]
    issue_political: NotRequired[bool]
    issue_compliance: NotRequired[bool]
    issue_ethics: NotRequired[bool]


@dataclass(frozen=True)
class _Reply:
    """A reply as typed (recorded or corrected), cleaned once: what the checks read and the row gets."""

    replied_on: dt.date
    outcome: str
    reply_number: str
    findings: str
    issues: tuple[bool, bool, bool]  # political, compliance, ethics

    @classmethod
    def typed(cls, fields: ReplyFields) -> _Reply:
        return cls(
            fields["replied_on"],
            fields["outcome"],
            _clean(fields["reply_number"]),
            (fields.get("findings") or "").strip(),
            (
                fields.get("issue_political", False),
                fields.get("issue_compliance", False),
                fields.get("issue_ethics", False),
            ),
        )

    def problems(self, request: VerificationRequest, now: dt.datetime) -> list[Reason]:
        found = list(date_problems(self.replied_on, None, now))
        found.extend(
            check_order("verification_received", request.received_on, "verification_reply", self.replied_on).reasons
        )
        if self.outcome not in VerificationOutcome.values:
            found.append(reason("verification_outcome_required", RULE))
        if not self.reply_number:
            found.append(reason("verification_reply_number_required", RULE))
        if self.outcome == VerificationOutcome.ISSUES and (not any(self.issues) or not self.findings):
            found.append(reason("verification_findings_required", RULE))
        return found


def _refuse_reply(row: VerificationRequest, reply: _Reply, *, correcting: bool, why: str, now: dt.datetime) -> None:
    """StepRefused unless the reply (or its correction, with its reason) may be written on `row`."""
    if correcting and row.state != "answered":
        raise StepRefused((reason("verification_not_answered", RULE, subject=row.subject),))
    if not correcting and not row.is_open:
        raise StepRefused((reason("verification_not_open", RULE, subject=row.subject, state=row.state),))
    problems = [reason("verification_reason_required", RULE)] if correcting and not why else []
    problems.extend(reply.problems(row, now))
    if problems:
        raise StepRefused(tuple(problems))


def verification_reply_check(
    *,
    acting_user: User | None,
    request: VerificationRequest,
    reason_text: str | None = None,
    now: dt.datetime | None = None,
    **reply_fields: Unpack[ReplyFields],
) -> None:
    """The checks of recording (or, with `reason_text`, correcting) a reply, without writing: a
    page runs them before storing the reply's scan, so a refused reply leaves no scan behind."""
    _require_verifier(acting_user, request.candidate)
    reply = _Reply.typed(reply_fields)
    _refuse_reply(
        request, reply, correcting=reason_text is not None, why=_clean(reason_text or ""), now=now or timezone.now()
    )


def _locked(request: VerificationRequest) -> VerificationRequest:
    """The request's row, locked for the rest of the transaction (a concurrent reply waits)."""
    return VerificationRequest.objects.select_for_update().select_related("candidate__organisation").get(pk=request.pk)


def _scan_of(candidate: Candidate, scan: DocumentScan | None) -> DocumentScan | None:
    if scan is not None and scan.candidate_id != candidate.pk:
        raise PermissionDenied
    return scan


def _reply_write(
    request: VerificationRequest,
    reply: _Reply,
    *,
    acting_user: User | None,
    scan: DocumentScan | None,
    why: str | None,
    now: dt.datetime | None,
) -> VerificationRequest:
    """Record (`why` None) or correct (with its reason) the reply, in one transaction on the locked
    row; its history row keeps the former reply and the reason."""
    now = now or timezone.now()
    candidate = request.candidate
    _require_verifier(acting_user, candidate)
    scan = _scan_of(candidate, scan)
    with transaction.atomic(durable=True):
        row = _locked(request)
        _refuse_reply(row, reply, correcting=why is not None, why=why or "", now=now)
        if why is not None:
            row._change_reason = why[:100]  # type: ignore[attr-defined]
        clear = reply.outcome == VerificationOutcome.CLEAR
        row.replied_on, row.outcome = reply.replied_on, reply.outcome
        row.reply_number, row.findings = reply.reply_number, reply.findings
        row.issue_political, row.issue_compliance, row.issue_ethics = (False, False, False) if clear else reply.issues
        if scan is not None:
            row.reply_scan = scan
        row.replied_by = acting_user
        row.next_reminder_at, row.reminder_sequence = None, None
        row._history_user = acting_user  # type: ignore[attr-defined]
        row.save()
    return row


def verification_reply_record(
    *,
    acting_user: User | None,
    request: VerificationRequest,
    scan: DocumentScan | None = None,
    now: dt.datetime | None = None,
    **reply_fields: Unpack[ReplyFields],
) -> VerificationRequest:
    """Record the reply to an open request, after the fact too (HD06 3.4d).

    Refused: the request is answered or cancelled already; the reply date is in the future or
    before the request was received; no outcome or no document number; an outcome with issues
    that names no area or says nothing. The optional scan is a DocumentScan of the candidate
    (uploaded with admission.documents; type A3, the biography and its verification documents).
    Side effects: one transaction; the request (locked), its history row; its reminders stop.
    """
    reply = _Reply.typed(reply_fields)
    return _reply_write(request, reply, acting_user=acting_user, scan=scan, why=None, now=now)


def verification_reply_correct(
    *,
    acting_user: User | None,
    request: VerificationRequest,
    reason_text: str,
    scan: DocumentScan | None = None,
    now: dt.datetime | None = None,
    **reply_fields: Unpack[ReplyFields],
) -> VerificationRequest:
    """Correct a recorded reply, with the reason; the reply as it was stays in the history.

    The same checks as recording it, on a request that has a reply; a new scan replaces the
    reference (the old scan stays in the dossier), none keeps it.
    """
    reply = _Reply.typed(reply_fields)
    return _reply_write(request, reply, acting_user=acting_user, scan=scan, why=_clean(reason_text), now=now)


def verification_cancel(
    *, acting_user: User | None, request: VerificationRequest, reason_text: str, now: dt.datetime | None = None
) -> VerificationRequest:
    """Cancel an open request (sent by mistake, the relative is exempt, entered twice …) with a
    reason: it is kept, marked cancelled on today's date, and no longer holds up the step.

    Side effects: one transaction; the request (locked) and its history row; its reminders stop.
    """
    now = now or timezone.now()
    _require_verifier(acting_user, request.candidate)
    why = _clean(reason_text)
    with transaction.atomic(durable=True):
        row = _locked(request)
        if not row.is_open:
            raise StepRefused((reason("verification_not_open", RULE, subject=row.subject, state=row.state),))
        if not why:
            raise StepRefused((reason("verification_reason_required", RULE),))
        row.cancelled_on, row.cancel_reason, row.cancelled_by = timezone.localdate(now), why[:255], acting_user
        row.next_reminder_at, row.reminder_sequence = None, None
        row._history_user = acting_user  # type: ignore[attr-defined]
        row._change_reason = why[:100]  # type: ignore[attr-defined]
        row.save()
    return row
