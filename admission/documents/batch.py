"""The documents of a committee meeting made together: from the meeting's agenda, every decision
and notice it reached, entered in the register in agenda order, then rendered off the request
path (the `documents` Celery queue) into one ZIP and one combined PDF for printing.

Starting a batch is quick (numbers only, each issue its own short transaction); building it is
the slow part (LibreOffice) and runs in `meeting_batch_build`, called by the task
`admission.documents.tasks.meeting_batch_build`, which updates the batch's progress as it goes.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from pypdf import PdfWriter

from admission.documents import generate as docgen
from admission.documents import register as docregister
from admission.documents.kinds import POSITIONS
from admission.documents.templates import TemplateRefused
from admission.domain.stages import STAGE_INFO, Stage
from admission.models import AgendaItem, CommitteeMeeting, DocumentBatch, GeneratedKind, IssuedDocument
from members import services as member_services
from members.models import AuditLog, User
from members.selectors import scope_for

log = logging.getLogger(__name__)

# LibreOffice converts this many documents per run: each run reports progress, and one start-up
# is shared by the chunk (bench/report.md).
CHUNK = 5


def agenda_kind(item: AgendaItem) -> str | None:
    """The document the meeting's outcome on `item` calls for, None when it calls for none.

    Approved: the admission decision (a dossier listed before probation) or the recognition
    decision (listed in probation). Rejected at the admission decision: the notice of
    non-admission. Returned, deferred or not yet considered: no document ([D] docs/decisions.md).
    """
    phase = STAGE_INFO[Stage(item.stage_listed)].phase
    if item.outcome == AgendaItem.Outcome.APPROVED:
        return GeneratedKind.RECOGNITION_DECISION if phase == "probation" else GeneratedKind.ADMISSION_DECISION
    if item.outcome == AgendaItem.Outcome.REJECTED and phase != "probation":
        return GeneratedKind.NON_ADMISSION_NOTICE
    return None


@dataclass(frozen=True)
class BatchRequest:
    issued_on: dt.date
    signer_name: str
    signer_position: str = POSITIONS[0]


def meeting_batch_start(
    *, acting_user: User, meeting: CommitteeMeeting, request: BatchRequest, now: dt.datetime | None = None
) -> DocumentBatch:
    """Number the meeting's documents in agenda order and queue their files.

    1. Refuses (PermissionDenied) a user who may not act for and edit the meeting's committee;
       IssueRefused for a day in the future, a signer without a name or position, an agenda
       with no outcome that calls for a document, a batch of the meeting still being made.
    2. For each item in agenda order, the entry in force of its kind is kept (a batch made again
       numbers nothing twice), else a new one is issued (`register.document_issue`, its own
       transaction: a refusal half way keeps the numbers already issued, which are never reused,
       and the next attempt continues from them).
    3. One DocumentBatch row with the entries, and the build queued once it commits.
    """
    scope = scope_for(acting_user)
    if not (scope.acts_for_committee(meeting.committee_id) and scope.can_edit(meeting.committee)):
        raise PermissionDenied
    now = now or timezone.now()
    if request.issued_on > timezone.localdate(now):
        raise docregister.IssueRefused(_("Ngày ban hành không được sau hôm nay."))
    if not request.signer_name.strip():
        raise docregister.IssueRefused(_("Cần ghi họ tên người ký."))
    if request.signer_position not in POSITIONS:
        raise docregister.IssueRefused(_("Chức vụ người ký phải là Bí thư hoặc Phó Bí thư."))
    items = list(
        AgendaItem.objects.filter(meeting=meeting).select_related("candidate__person").order_by("position", "pk")
    )
    wanted = [(item, kind) for item in items if (kind := agenda_kind(item)) is not None]
    if not wanted:
        raise docregister.IssueRefused(
            _("Chưa có hồ sơ nào được ghi kết quả “Thông qua” hoặc “Không thông qua”: không có văn bản để tạo.")
        )
    if DocumentBatch.objects.filter(
        meeting=meeting, status__in=[DocumentBatch.Status.QUEUED, DocumentBatch.Status.RUNNING]
    ).exists():
        raise docregister.IssueRefused(_("Bộ văn bản của cuộc họp này đang được tạo; hãy chờ xong rồi tạo lại."))
    entries: list[int] = []
    for item, kind in wanted:
        current = IssuedDocument.objects.filter(candidate=item.candidate, kind=kind, cancelled=False).first()
        if current is None:
            current = docregister.document_issue(
                acting_user=acting_user,
                candidate=item.candidate,
                request=docregister.IssueRequest(
                    kind=kind,
                    issued_on=request.issued_on,
                    signer_name=request.signer_name,
                    signer_position=request.signer_position,
                ),
                now=now,
            )
        entries.append(current.pk)
    with transaction.atomic(durable=True):
        batch = DocumentBatch.objects.create(
            meeting=meeting, entries=entries, total=len(entries), created_by=acting_user, created_at=now
        )
        transaction.on_commit(lambda: _enqueue(batch.pk))
    return batch


def _enqueue(batch_id: int) -> None:
    from admission.documents.tasks import meeting_batch_build as task

    try:
        task.delay(batch_id)
    except Exception:  # the broker is down: the batch stays queued, the page says so
        log.exception("could not queue document batch %s", batch_id)


def _zip_name(index: int, entry: IssuedDocument, fmt: str) -> str:
    person = entry.candidate.person.full_name if entry.candidate else ""
    stem = docgen.download_name(full_name=person, kind=docgen.ascii_fold(entry.symbol).replace("/", "-"), fmt=fmt)
    return f"{index:02d}_{stem}"


def meeting_batch_build(
    *, batch_id: int, now: dt.datetime | None = None, convert: Callable[[list[bytes]], list[bytes]] | None = None
) -> str:
    """Render, convert and store a queued batch; returns its status.

    Claims the batch (queued -> running, a conditional UPDATE: a duplicate task does nothing),
    renders each entry's DOCX, converts CHUNK at a time with LibreOffice (the progress is saved
    after each chunk), joins the PDFs in agenda order, and stores the ZIP and the combined PDF
    with one GENERATE_DOCUMENT audit row per person in one transaction. A failure marks the batch
    failed with the reason; its numbers stand.
    """
    convert = convert or docgen.docx_to_pdf_many
    now = now or timezone.now()
    claimed = DocumentBatch.objects.filter(pk=batch_id, status=DocumentBatch.Status.QUEUED).update(
        status=DocumentBatch.Status.RUNNING, started_at=now
    )
    if claimed != 1:
        return "skipped"
    batch = DocumentBatch.objects.select_related("meeting__committee", "created_by").get(pk=batch_id)
    order = {pk: index for index, pk in enumerate(batch.entries)}
    entries = sorted(
        IssuedDocument.objects.filter(pk__in=batch.entries).select_related(
            "candidate__person", "candidate__organisation"
        ),
        key=lambda e: order[e.pk],
    )
    today = timezone.localdate(now)
    try:
        docx: list[bytes] = []
        for entry in entries:
            if entry.candidate is None or entry.cancelled:
                raise TemplateRefused(_("Văn bản số %(symbol)s đã bị hủy.") % {"symbol": entry.symbol})
            content, _template, _version = docgen.render_document(
                candidate=entry.candidate, kind=entry.kind, issued=entry, today=today
            )
            docx.append(content)
        pdfs: list[bytes] = []
        for start in range(0, len(docx), CHUNK):
            pdfs.extend(convert(docx[start : start + CHUNK]))
            DocumentBatch.objects.filter(pk=batch_id).update(done_count=len(pdfs))
    except (TemplateRefused, docgen.PdfUnavailable) as exc:
        DocumentBatch.objects.filter(pk=batch_id).update(
            status=DocumentBatch.Status.FAILED,
            error=str(getattr(exc, "message", exc))[:500],
            finished_at=timezone.now(),
        )
        return DocumentBatch.Status.FAILED
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        for index, (entry, word, pdf) in enumerate(zip(entries, docx, pdfs, strict=True), start=1):
            bundle.writestr(_zip_name(index, entry, "docx"), word)
            bundle.writestr(_zip_name(index, entry, "pdf"), pdf)
    writer = PdfWriter()
    for pdf in pdfs:
        writer.append(io.BytesIO(pdf))
    combined = io.BytesIO()
    writer.write(combined)
    batch.refresh_from_db()
    with transaction.atomic(durable=True):
        batch.zip_file.save("batch.zip", ContentFile(archive.getvalue()), save=False)
        batch.pdf_file.save("batch.pdf", ContentFile(combined.getvalue()), save=False)
        try:
            batch.status = DocumentBatch.Status.DONE
            batch.done_count = len(pdfs)
            batch.finished_at = timezone.now()
            batch.save(update_fields=["zip_file", "pdf_file", "status", "done_count", "finished_at"])
            for entry in entries:
                member_services.audit_record(
                    user=batch.created_by,
                    action=AuditLog.Action.GENERATE_DOCUMENT,
                    person=entry.candidate.person if entry.candidate else None,
                    detail=f"{entry.kind} {entry.symbol} (bộ văn bản họp #{batch.pk})",
                )
        except Exception:
            batch.zip_file.delete(save=False)
            batch.pdf_file.delete(save=False)
            raise
    return DocumentBatch.Status.DONE


# --- Reads --------------------------------------------------------------------------------------


def meeting_batches(*, meeting: CommitteeMeeting) -> QuerySet[DocumentBatch]:
    return DocumentBatch.objects.filter(meeting=meeting).select_related("created_by").order_by("-created_at", "-pk")


def batch_entries(batch: DocumentBatch) -> list[IssuedDocument]:
    """The batch's register entries in agenda order, with their people."""
    order = {pk: index for index, pk in enumerate(batch.entries)}
    rows = IssuedDocument.objects.filter(pk__in=batch.entries).select_related("candidate__person")
    return sorted(rows, key=lambda e: order[e.pk])
