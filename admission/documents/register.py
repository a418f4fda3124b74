"""The register of issued documents (sổ đăng ký văn bản đi) of each issuing body.

A document is issued when it enters the register: it gets the next number of its type within the
issuing body's term, its day, signer and recipients. The entry is the act; its files (DOCX/PDF) are
renditions generated from it, again whenever needed. A number is never reused: a cancelled
document keeps its number, marked cancelled.

Numbers are consecutive per (issuing body, type, term) in the order of issue, without gaps or
duplicates under concurrency: the counter row is locked with SELECT … FOR UPDATE inside the
issue's transaction, and a unique constraint on the entries stands behind it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from admission.documents.context import issuer_of
from admission.documents.kinds import POSITIONS, SPECS, Issuer, symbol
from admission.domain.statistics import default_term_start
from admission.models import Candidate, CandidateTransfer, CommitteeTerm, DocumentCounter, GeneratedKind, IssuedDocument
from members.authority import Authority, NoDecidingBody
from members.models import Organisation, User
from members.selectors import organisation_authority, scope_for


class IssueRefused(Exception):
    """The document cannot be entered in the register; `message` says why, for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def term_start(*, issuer: Organisation, on: dt.date) -> dt.date:
    """The first day of `issuer`'s term on `on`: its latest CommitteeTerm that has begun, else
    1 January of the national five-year cycle's first year (2025 for 2025-2029)."""
    recorded = (
        CommitteeTerm.objects.filter(organisation=issuer, starts_on__lte=on)
        .order_by("-starts_on")
        .values_list("starts_on", flat=True)
        .first()
    )
    return recorded or default_term_start(on)


def document_issuer(*, candidate: Candidate, kind: str) -> Organisation | None:
    """The organisation that issues `kind` for `candidate` (None: the tree has no such body)."""
    spec = SPECS.get(kind)
    if spec is None:
        return None
    branch = candidate.organisation
    if spec.issuer is Issuer.ORIGIN_DECIDER:  # the former branch's committee forwards (HD06 3.9b)
        move = (
            CandidateTransfer.objects.filter(candidate=candidate)
            .select_related("from_organisation")
            .order_by("-on_date", "-recorded_at", "-pk")
            .first()
        )
        if move is None:
            return None
        branch = move.from_organisation
    chain = list(Organisation.objects.filter(pk__in=branch.ancestor_ids()))
    try:
        authority: Authority | None = organisation_authority(organisation=branch, chain=chain)
    except NoDecidingBody:
        authority = None
    return issuer_of(spec, branch=branch, authority=authority, organisations={o.pk: o for o in chain})


@dataclass(frozen=True)
class IssueRequest:
    kind: str
    issued_on: dt.date
    signer_name: str
    signer_position: str = POSITIONS[0]
    recipients: tuple[str, ...] = ()


def _next_number(*, issuer: Organisation, doc_type: str, term: dt.date) -> int:
    """Take the next number of the counter; call inside the issue's transaction.

    The row is created if missing (a concurrent creation is ignored, not an error) and then
    locked: a second issue of the same type waits here until the first commits, and reads its
    number. Both statements are short; nothing slow happens while the lock is held.
    """
    DocumentCounter.objects.bulk_create(
        [DocumentCounter(issuer=issuer, doc_type=doc_type, term_start=term, last_number=0)], ignore_conflicts=True
    )
    counter = DocumentCounter.objects.select_for_update().get(issuer=issuer, doc_type=doc_type, term_start=term)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return counter.last_number


def document_issue(
    *, acting_user: User, candidate: Candidate, request: IssueRequest, now: dt.datetime | None = None
) -> IssuedDocument:
    """Enter a document of `request.kind` about `candidate` in its issuing body's register.

    1. Refuses (IssueRefused) a kind the register does not number, a tree without the issuing
       body, a day in the future, a signer without a name or with another position, a document
       already in force for this candidate (cancel it first); PermissionDenied for a user who
       may not edit the issuing body (the branch's secretary does not number the committee's
       decisions).
    2. In one durable transaction: the counter of (issuing body, type, term) is locked and
       advanced, and the IssuedDocument row written. No file is made here (`generate`).
    """
    spec = SPECS.get(request.kind)
    if spec is None or spec.doc_type is None:
        raise IssueRefused(_("Loại văn bản này không vào sổ văn bản (không có số, ký hiệu)."))
    issuer = document_issuer(candidate=candidate, kind=request.kind)
    if issuer is None:
        raise IssueRefused(_("Cây tổ chức của chi bộ không có cấp ủy ban hành loại văn bản này."))
    if not scope_for(acting_user).can_edit(issuer):
        raise PermissionDenied
    now = now or timezone.now()
    today = timezone.localdate(now)
    if request.issued_on > today:
        raise IssueRefused(_("Ngày ban hành không được sau hôm nay."))
    name = request.signer_name.strip()
    if not name:
        raise IssueRefused(_("Cần ghi họ tên người ký."))
    if request.signer_position not in POSITIONS:
        raise IssueRefused(_("Chức vụ người ký phải là Bí thư hoặc Phó Bí thư."))
    recipients = [line.strip() for line in request.recipients if line.strip()]
    term = term_start(issuer=issuer, on=request.issued_on)
    in_force = _("“%(kind)s” của người này đã vào sổ, số %(symbol)s; hủy số đó trước khi cấp số mới.")
    with transaction.atomic(durable=True):
        current = (
            IssuedDocument.objects.filter(candidate=candidate, kind=request.kind, cancelled=False)
            .values_list("symbol", flat=True)
            .first()
        )
        if current:
            raise IssueRefused(in_force % {"kind": GeneratedKind(request.kind).label, "symbol": current})
        number = _next_number(issuer=issuer, doc_type=spec.doc_type, term=term)
        document = IssuedDocument(
            issuer=issuer,
            doc_type=spec.doc_type,
            term_start=term,
            number=number,
            symbol=symbol(number=number, doc_type=spec.doc_type, issuer_kind=issuer.kind),
            kind=request.kind,
            candidate=candidate,
            summary=f"{spec.summary} ({candidate.person.full_name})",
            issued_on=request.issued_on,
            signer_name=name,
            signer_position=request.signer_position,
            recipients="\n".join(recipients),
            created_by=acting_user,
            created_at=now,
        )
        try:
            with transaction.atomic():
                document.save()
        except IntegrityError as exc:
            # Another issue of the same kind for this candidate committed while we waited.
            raise IssueRefused(in_force % {"kind": GeneratedKind(request.kind).label, "symbol": _("vừa cấp")}) from exc
    return document


def issued_document_cancel(
    *, acting_user: User, document: IssuedDocument, reason: str, now: dt.datetime | None = None
) -> IssuedDocument:
    """Mark an entry cancelled with a reason; its number stays taken (never reused).

    PermissionDenied unless the user may edit the issuing body; IssueRefused without a reason or
    when the entry is already cancelled (a conditional UPDATE: two cancels never both apply).
    """
    if not scope_for(acting_user).can_edit(document.issuer):
        raise PermissionDenied
    reason = reason.strip()
    if not reason:
        raise IssueRefused(_("Cần ghi lý do hủy văn bản."))
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        updated = IssuedDocument.objects.filter(pk=document.pk, cancelled=False).update(
            cancelled=True, cancelled_at=now, cancelled_by=acting_user, cancel_reason=reason[:255]
        )
        if updated != 1:
            raise IssueRefused(_("Văn bản số %(symbol)s đã bị hủy trước đó.") % {"symbol": document.symbol})
    document.refresh_from_db()
    return document


# --- Reads --------------------------------------------------------------------------------------


def register_entries(*, issuer: Organisation, term: dt.date | None = None) -> QuerySet[IssuedDocument]:
    """The register of `issuer` (of one term if given), by term, type and number, with the person."""
    rows = IssuedDocument.objects.filter(issuer=issuer).select_related("candidate__person", "created_by")
    if term is not None:
        rows = rows.filter(term_start=term)
    return rows.order_by("-term_start", "doc_type", "number")


def register_terms(*, issuer: Organisation) -> list[dt.date]:
    """The terms that have entries, newest first."""
    return list(
        IssuedDocument.objects.filter(issuer=issuer)
        .order_by("-term_start")
        .values_list("term_start", flat=True)
        .distinct()
    )
