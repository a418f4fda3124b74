"""Dossier documents filled from the tracker's data: DOCX through docxtpl, PDF through LibreOffice.

Rendering, storing and downloading the generated files. What the documents are filled with is in
`admission.documents.context`, which template applies (and uploaded versions) in
`admission.documents.templates`, the built-in templates in `admission.documents.defaults`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
import os
import re
import signal
import subprocess
import tempfile
import unicodedata
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile, File
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from admission.documents.context import IssueFacts, document_context
from admission.documents.defaults import default_template_bytes
from admission.documents.kinds import SPECS, Issuer
from admission.documents.templates import DEFAULT_TEMPLATE_VERSION, TemplateRefused, render_docx, template_for
from admission.models import (
    Candidate,
    DocumentJob,
    DocumentTemplate,
    GeneratedDocument,
    GeneratedKind,
    IssuedDocument,
)
from admission.services import checklist_tick
from admission.workflow import DOCUMENT_DATE
from members import services as member_services
from members.models import AuditLog, User
from members.selectors import scope_for

log = logging.getLogger(__name__)


class PdfUnavailable(Exception):
    """LibreOffice is missing, failed or took too long; the DOCX can still be generated."""


class GenerationThrottled(Exception):
    """The user generated DOCUMENT_GENERATION_LIMIT documents within the window; `message` says when to retry."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def generation_throttle(user: User, now: dt.datetime) -> None:
    """Count one generation by `user` in the current fixed window (the Django cache, shared by the
    workers through Redis); raise GenerationThrottled past DOCUMENT_GENERATION_LIMIT."""
    limit = settings.DOCUMENT_GENERATION_LIMIT
    window = settings.DOCUMENT_GENERATION_WINDOW_SECONDS
    if limit <= 0:
        return
    slot = int(now.timestamp()) // window
    key = f"docgen:{user.pk}:{slot}"
    cache.add(key, 0, window + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, window + 5)
        count = 1
    if count > limit:
        wait = window - int(now.timestamp()) % window
        raise GenerationThrottled(
            _(
                "Bạn đã tạo %(limit)s văn bản trong %(window)s giây, vượt giới hạn cho phép. "
                "Vui lòng thử lại sau %(wait)s giây."
            )
            % {"limit": limit, "window": window, "wait": wait}
        )


def ascii_fold(value: str) -> str:
    """`Nguyễn Văn Đức` -> `Nguyen Van Duc` (file names must stay ASCII for every browser)."""
    decomposed = unicodedata.normalize("NFD", value.replace("Đ", "D").replace("đ", "d"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).encode("ascii", "ignore").decode()


def download_name(*, full_name: str, kind: str, fmt: str) -> str:
    """`Nguyen-Van-Duc_Quyet-dinh-ket-nap-dang-vien.docx`: the person, then what the document is
    (`kind`: a GeneratedKind value, named by its Vietnamese label; any other text as it is)."""
    stem = _file_words(full_name) or "ho-so"
    return f"{stem}_{kind_file_label(kind)}.{fmt}"


def kind_file_label(kind: str) -> str:
    """A document kind as a file name's words, from its Vietnamese label whatever the user's language
    (the document itself is Vietnamese): `admission_decision` -> `Quyet-dinh-ket-nap-dang-vien`."""
    if kind not in GeneratedKind.values:
        return kind
    with translation.override("vi"):
        label = str(GeneratedKind(kind).label)
    return _file_words(label)[:60].strip("-")


def _file_words(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", ascii_fold(text)).strip("-")


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    # soffice is a wrapper script that starts soffice.bin: end the whole process group.
    with contextlib.suppress(ProcessLookupError):  # already gone
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def docx_to_pdf(docx_bytes: bytes) -> bytes:
    """Convert with a headless LibreOffice in a throwaway profile; raise PdfUnavailable on failure.

    Call it outside any database transaction: a conversion takes seconds.
    """
    return docx_to_pdf_many([docx_bytes])[0]


def docx_to_pdf_many(documents: list[bytes]) -> list[bytes]:
    """Convert several DOCX files in one LibreOffice run (its start-up is most of a single
    conversion's time), in order; raise PdfUnavailable when any of them fails.

    Call it outside any database transaction: a conversion takes seconds.
    """
    binary = settings.SOFFICE_BIN
    # The timeout of one conversion, and a few seconds more for each further document.
    timeout = settings.SOFFICE_TIMEOUT_SECONDS + 5 * (len(documents) - 1)
    with tempfile.TemporaryDirectory(prefix="docgen-") as work:
        folder = Path(work)
        sources = []
        for index, content in enumerate(documents, start=1):
            source = folder / f"document-{index:04d}.docx"
            source.write_bytes(content)
            sources.append(source)
        # A private profile per conversion: two conversions at once must not share (and lock) one.
        profile = (folder / "profile").as_uri()
        command = [
            binary,
            "--headless",
            "--norestore",
            f"-env:UserInstallation={profile}",
            "--convert-to",
            "pdf",
            "--outdir",
            str(folder),
            *(str(source) for source in sources),
        ]
        try:
            process = subprocess.Popen(  # noqa: S603 - fixed arguments, no shell
                command,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                cwd=folder,
                env={**os.environ, "HOME": str(folder)},
                start_new_session=True,
            )
        except OSError as exc:
            raise PdfUnavailable(
                _("Không tạo được bản PDF: máy chủ chưa cài LibreOffice (không chạy được “%(binary)s”).")
                % {"binary": binary}
            ) from exc
        try:
            _out, err = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            _kill_group(process)
            raise PdfUnavailable(
                _("Không tạo được bản PDF: LibreOffice chạy quá %(seconds)s giây.") % {"seconds": timeout}
            ) from exc
        results = [source.with_suffix(".pdf") for source in sources]
        if process.returncode != 0 or not all(result.is_file() for result in results):
            raise PdfUnavailable(
                _("Không tạo được bản PDF: LibreOffice báo lỗi (%(detail)s).")
                % {"detail": (err.decode(errors="replace").strip() or f"mã {process.returncode}")[:200]}
            )
        return [result.read_bytes() for result in results]


# --- Services ---------------------------------------------------------------------------------

# The dossier checklist item each generated document is (rules §6.1-6.2). It is ticked when the
# document is generated once the act it records is recorded (its date, workflow.DOCUMENT_DATE),
# dated with that act; printed before, it is a draft and ticks nothing. The member sheet alone is
# not A11 (which also needs the member's record, 1-HSĐV); the cover and the probation summary are
# not checklist items.
GENERATED_ITEM: dict[str, str] = {
    GeneratedKind.BRANCH_RESOLUTION: "A7",
    GeneratedKind.COMMITTEE_RESOLUTION: "A9",
    GeneratedKind.ADMISSION_DECISION: "A10",
    GeneratedKind.RECOGNITION_DECISION: "R8",
}


def _tick_checklist(*, acting_user: User, candidate: Candidate, kind: str, now: dt.datetime) -> None:
    code = GENERATED_ITEM.get(kind)
    day = getattr(candidate, DOCUMENT_DATE[code]) if code else None
    if code and day is not None:
        checklist_tick(candidate=candidate, items={code: (day, f"generated:{kind}")}, acting_user=acting_user, now=now)


def render_document(
    *, candidate: Candidate, kind: str, issued: IssuedDocument | None, today: dt.date
) -> tuple[bytes, DocumentTemplate | None, str]:
    """The DOCX of `kind` for `candidate` from the template in effect `today` (with the register
    entry's number, day and signer when `issued`), the template and its version. No writes.

    Raises TemplateRefused when an uploaded template cannot be filled.
    """
    # The former place's committee writes its transfer letter on its own templates, not on those
    # of the candidate's new branch (whose tree it is not in).
    writer = candidate.organisation
    if issued is not None and SPECS[kind].issuer is Issuer.ORIGIN_DECIDER:
        writer = issued.issuer
    template = template_for(kind=kind, organisation=writer, on=today)
    facts = None
    if issued is not None:
        facts = IssueFacts(
            number=issued.number,
            symbol=issued.symbol,
            issued_on=issued.issued_on,
            signer_name=issued.signer_name,
            signer_position=issued.signer_position,
            recipients=tuple(issued.recipient_lines),
        )
    context = document_context(candidate, today=today, kind=kind, issue=facts)
    if template is None:
        return (
            render_docx(default_template_bytes(kind), context),
            None,
            DEFAULT_TEMPLATE_VERSION,
        )  # ours: an error is a bug
    try:
        with template.file.open("rb") as handle:
            return render_docx(handle.read(), context), template, template.version
    except FileNotFoundError as exc:
        raise TemplateRefused(
            _("Tệp của mẫu “%(version)s” không còn trên máy chủ; hãy tải lên lại.") % {"version": template.version}
        ) from exc
    except Exception as exc:  # an uploaded template passed the check but fails on real data
        raise TemplateRefused(
            _("Mẫu “%(version)s” không điền được dữ liệu: %(error)s") % {"version": template.version, "error": exc}
        ) from exc


def document_generate(
    *,
    acting_user: User,
    candidate: Candidate,
    kind: str,
    fmt: str,
    now: dt.datetime | None = None,
    ip_address: str | None = None,
    issued: IssuedDocument | None = None,
) -> GeneratedDocument:
    """Fill the template of `kind` that applies today for `candidate` and keep the file; with
    `issued` (its register entry, of this candidate and kind) it prints that number, day and signer.

    1. Refuse (PermissionDenied) a user who may not edit the candidate's branch (auditors and
       mentors read the generated documents but do not make them); GenerationThrottled past
       DOCUMENT_GENERATION_LIMIT generations per user and window.
    2. Pick the template (uploaded version in effect, else the built-in default) and render
       it; for PDF, convert with LibreOffice. Both happen before any transaction.
    3. In one durable transaction: store the file under MEDIA_ROOT (random name), write the
       GeneratedDocument row with the template and its version, and one GENERATE_DOCUMENT
       audit row.
    Raises TemplateRefused when the template cannot be rendered, PdfUnavailable when the PDF
    conversion fails (nothing is stored then).
    """
    now = now or timezone.now()
    _check_request(acting_user=acting_user, candidate=candidate, kind=kind, fmt=fmt, issued=issued, now=now)
    today = timezone.localdate(now)
    content, template, version = render_document(candidate=candidate, kind=kind, issued=issued, today=today)
    if fmt == GeneratedDocument.Format.PDF:
        content = docx_to_pdf(content)  # seconds of work: deliberately outside the transaction below
    with transaction.atomic(durable=True):
        document = _store(
            acting_user=acting_user,
            candidate=candidate,
            kind=kind,
            fmt=fmt,
            issued=issued,
            content=content,
            template=template,
            version=version,
            now=now,
            ip_address=ip_address,
        )
    return document


def _check_request(
    *, acting_user: User, candidate: Candidate, kind: str, fmt: str, issued: IssuedDocument | None, now: dt.datetime
) -> None:
    """Who may generate, what, and how often (document_generate 1.); raises, writes nothing but the
    throttle's counter."""
    scope = scope_for(acting_user)
    # The issuing body makes the files of its own register entries, also for a candidate who has
    # left its tree since (the former place's transfer letter, T11).
    if not scope.can_edit(candidate.organisation) and not (issued is not None and scope.can_edit(issued.issuer)):
        raise PermissionDenied
    if kind not in GeneratedKind.values:
        raise TemplateRefused(_("Loại văn bản không hợp lệ."))
    if fmt not in GeneratedDocument.Format.values:
        raise TemplateRefused(_("Định dạng không hợp lệ (chỉ DOCX hoặc PDF)."))
    if issued is not None and (issued.candidate_id != candidate.pk or issued.kind != kind):
        raise TemplateRefused(_("Văn bản trong sổ không phải của người này hoặc loại này."))
    generation_throttle(acting_user, now)


def _store(
    *,
    acting_user: User | None,
    candidate: Candidate,
    kind: str,
    fmt: str,
    issued: IssuedDocument | None,
    content: bytes,
    template: DocumentTemplate | None,
    version: str,
    now: dt.datetime,
    ip_address: str | None,
) -> GeneratedDocument:
    """Inside the caller's transaction: the file under MEDIA_ROOT, its row, the checklist tick and
    one GENERATE_DOCUMENT audit row; the file is deleted again when a write fails."""
    document = GeneratedDocument(
        candidate=candidate,
        kind=kind,
        format=fmt,
        template=template,
        template_version=version,
        issued=issued,
        sha256=hashlib.sha256(content).hexdigest(),
        created_by=acting_user,
        created_at=now,
    )
    document.file.save(f"document.{fmt}", ContentFile(content), save=False)
    try:
        document.save()
        if acting_user is not None:
            _tick_checklist(acting_user=acting_user, candidate=candidate, kind=kind, now=now)
        member_services.audit_record(
            user=acting_user,
            action=AuditLog.Action.GENERATE_DOCUMENT,
            person=candidate.person,
            detail=f"{kind}.{fmt} (mẫu {version})",
            ip_address=ip_address,
        )
    except Exception:
        document.file.delete(save=False)  # no row, no file: an error before commit leaves no orphan
        raise
    return document


# --- Off the request path: one document's file on the `documents` queue ------------------------

# A job still "running" this long after it started was lost with its worker (the task is
# acknowledged late, so the broker delivers it again): the next delivery takes it over.
JOB_STALE_AFTER = dt.timedelta(minutes=10)


def document_job_start(
    *,
    acting_user: User,
    candidate: Candidate,
    kind: str,
    fmt: str,
    now: dt.datetime | None = None,
    ip_address: str | None = None,
    issued: IssuedDocument | None = None,
) -> DocumentJob:
    """Queue the file of `kind` for `candidate` (with `issued`, its register entry) on the
    `documents` queue instead of converting it in the request.

    The same refusals as `document_generate` (PermissionDenied, TemplateRefused, GenerationThrottled);
    then one DocumentJob row in a durable transaction, its task sent once that commits. Nothing is
    numbered here: a register entry was numbered when it was issued.
    """
    now = now or timezone.now()
    _check_request(acting_user=acting_user, candidate=candidate, kind=kind, fmt=fmt, issued=issued, now=now)
    with transaction.atomic(durable=True):
        job = DocumentJob.objects.create(
            candidate=candidate,
            kind=kind,
            format=fmt,
            issued=issued,
            ip_address=ip_address,
            created_by=acting_user,
            created_at=now,
        )
        transaction.on_commit(lambda: _enqueue(job.pk))
    # The candidate's page lists its files being made only after this hint (no query otherwise).
    cache.set(jobs_hint_key(candidate.pk), True, int(JOBS_SHOWN_FOR.total_seconds()))
    return job


# How long the candidate's page lists a file being made or that failed (docs/decisions.md).
JOBS_SHOWN_FOR = dt.timedelta(days=1)


def jobs_hint_key(candidate_id: int) -> str:
    return f"docjobs:{candidate_id}"


def _enqueue(job_id: int) -> None:
    from admission.documents.tasks import document_job_build as task

    try:
        task.delay(job_id)
    except Exception:  # the broker is down: the job stays queued, its page says so
        log.exception("could not queue document job %s", job_id)


def _job_fail(job_id: int, message: str) -> str:
    DocumentJob.objects.filter(pk=job_id, status=DocumentJob.Status.RUNNING).update(
        status=DocumentJob.Status.FAILED, error=message[:500], finished_at=timezone.now()
    )
    return DocumentJob.Status.FAILED


def document_job_build(
    *, job_id: int, now: dt.datetime | None = None, convert: Callable[[bytes], bytes] | None = None
) -> str:
    """Make and store a queued job's file; returns the job's status ("skipped" when not claimed).

    1. Claims the job: queued -> running by a conditional UPDATE, or a running job whose worker was
       lost (started more than JOB_STALE_AFTER ago); a duplicate delivery of a job claimed or done
       does nothing.
    2. Renders the DOCX from the template in effect on the day the job was asked for (with its
       register entry's number, day and signer) and converts it, outside any transaction.
    3. In one durable transaction, with the job's row locked: if it is still this claim's, the file,
       its GeneratedDocument row, the checklist tick and the audit row (as `document_generate`),
       and the job marked done with its document; else the file is dropped. A template or
       LibreOffice failure marks the job failed with the reason; an entry's number stands.
    """
    convert = convert or docx_to_pdf
    now = now or timezone.now()
    stale = Q(status=DocumentJob.Status.RUNNING, started_at__lt=now - JOB_STALE_AFTER)
    claimed = DocumentJob.objects.filter(Q(status=DocumentJob.Status.QUEUED) | stale, pk=job_id).update(
        status=DocumentJob.Status.RUNNING, started_at=now, error=""
    )
    if claimed != 1:
        return "skipped"
    job = DocumentJob.objects.select_related(
        "candidate__person", "candidate__organisation", "created_by", "issued"
    ).get(pk=job_id)
    try:
        if job.issued is not None and job.issued.cancelled:
            raise TemplateRefused(_("Văn bản số %(symbol)s đã bị hủy.") % {"symbol": job.issued.symbol})
        content, template, version = render_document(
            candidate=job.candidate, kind=job.kind, issued=job.issued, today=timezone.localdate(job.created_at)
        )
        if job.format == GeneratedDocument.Format.PDF:
            content = convert(content)
    except (TemplateRefused, PdfUnavailable) as exc:
        return _job_fail(job_id, str(getattr(exc, "message", exc)))
    except Exception:
        log.exception("document job %s failed", job_id)
        return _job_fail(job_id, _("Lỗi không mong đợi khi tạo tệp; hãy thử lại hoặc báo quản trị viên."))
    with transaction.atomic(durable=True):
        current = DocumentJob.objects.select_for_update().get(pk=job_id)
        if current.status != DocumentJob.Status.RUNNING or current.started_at != now:
            return "skipped"  # taken over by a later delivery, which stores the file once
        document = _store(
            acting_user=job.created_by,
            candidate=job.candidate,
            kind=job.kind,
            fmt=job.format,
            issued=job.issued,
            content=content,
            template=template,
            version=version,
            now=now,
            ip_address=job.ip_address,
        )
        DocumentJob.objects.filter(pk=job_id).update(
            status=DocumentJob.Status.DONE, document=document, finished_at=timezone.now()
        )
    return DocumentJob.Status.DONE


def generated_document_open(
    *, acting_user: User, document: GeneratedDocument, candidate: Candidate, ip_address: str | None = None
) -> File[bytes]:
    """Open a generated file for download and write one DOWNLOAD_DOCUMENT audit row.

    The caller has scoped `candidate` (the document's) to the user; Http404 when the file is gone.
    """
    from django.http import Http404

    try:
        handle = document.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    member_services.audit_record(
        user=acting_user,
        action=AuditLog.Action.DOWNLOAD_DOCUMENT,
        person=candidate.person,
        detail=f"{document.kind}.{document.format} #{document.pk} (mẫu {document.template_version})",
        ip_address=ip_address,
    )
    return handle
