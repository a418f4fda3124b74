"""Scans of dossier documents: the content check, the upload service, audited opening, the reads.

A scan is accepted only when its bytes are a PDF, a JPEG or a PNG: the browser's file name and
content type are never trusted, because the stored type is the one the file view later sends
(with nosniff) to every reader of the dossier.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import warnings
from pathlib import PurePath
from typing import IO, Any, Literal

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import Http404
from django.utils.formats import number_format
from django.utils.timezone import now as timezone_now
from django.utils.translation import gettext as _
from PIL import Image

from admission import selectors
from admission.models import Candidate, DocumentScan, DocumentType
from members.models import AuditLog, User
from members.selectors import scope_for
from members.services import audit_record

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
EXTENSIONS = {PDF: ".pdf", JPEG: ".jpg", PNG: ".png"}

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_JPEG_SIGNATURE = b"\xff\xd8\xff"
_PDF_HEADER = b"%PDF-"
# Readers accept the end-of-file marker anywhere in the last kilobyte (trailing newlines,
# scanner padding); a PDF cut short by an interrupted upload has none there.
_PDF_EOF = b"%%EOF"
_PDF_TAIL_BYTES = 1024
# An A4 page scanned at 600 dpi is about 35 million pixels; anything larger is refused before
# decoding, because a few kilobytes of compressed data can claim gigabytes of pixels.
SCAN_MAX_PIXELS = 40_000_000
_CHUNK = 64 * 1024
_MB = 1024 * 1024


class ScanRefused(Exception):
    """The upload is not an acceptable scan; `message` tells the user why (in their language)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def megabytes(size: int, *, round_up: bool) -> str:
    """Megabytes with the user's decimal separator and as few decimals as needed.

    The size is rounded up and the limit down, so "10,1 MB over 10 MB" never reads "10 over 10".
    """
    value = size / _MB
    step = math.ceil if round_up else math.floor
    for places in (0, 1, 2, 3):
        rounded = step(value * 10**places) / 10**places
        if rounded == value or (rounded and places > 0):
            return number_format(rounded, decimal_pos=places)
    return number_format(value, decimal_pos=3)


def _display_name(fileobj: Any) -> str:
    return PurePath(str(getattr(fileobj, "name", "") or "")).name


def _size_of(fileobj: Any) -> int:
    size = getattr(fileobj, "size", None)
    if isinstance(size, int):
        return size
    fileobj.seek(0, 2)
    end: int = fileobj.tell()
    fileobj.seek(0)
    return end


def _check_pdf(fileobj: IO[bytes], size: int, name: str) -> str:
    fileobj.seek(max(0, size - _PDF_TAIL_BYTES))
    if _PDF_EOF not in fileobj.read(_PDF_TAIL_BYTES):
        raise ScanRefused(
            _("Tệp «%(name)s» không phải PDF hoàn chỉnh (thiếu phần kết thúc tệp); có thể tệp bị cắt khi tải lên.")
            % {"name": name}
        )
    return PDF


def _check_image(fileobj: IO[bytes], pillow_format: str, content_type: str, name: str) -> str:
    broken = ScanRefused(
        _("Tệp «%(name)s» có phần đầu của ảnh %(kind)s nhưng nội dung ảnh bị hỏng, không đọc được.")
        % {"name": name, "kind": pillow_format}
    )
    try:
        # Pillow warns (and only errs at twice its own limit) on huge images; as a warning it
        # would let the bomb through, so it is raised here. catch_warnings is process-wide and
        # not thread-safe, which is why the explicit pixel count below is the real guard.
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            fileobj.seek(0)
            # `formats` pins the decoder to the one the magic bytes named: no other plugin gets
            # to interpret the bytes.
            with Image.open(fileobj, formats=[pillow_format]) as image:
                width, height = image.size
                if width * height > SCAN_MAX_PIXELS:
                    raise _too_many_pixels(name, width, height)
                image.verify()
            # verify() leaves the image unusable; only a full decode proves the pixel data.
            fileobj.seek(0)
            with Image.open(fileobj, formats=[pillow_format]) as image:
                image.load()
    except ScanRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise _too_many_pixels(name, 0, 0) from error
    except Exception as error:
        # Hostile input can make a decoder raise almost anything (OSError, SyntaxError,
        # ValueError, struct.error, EOFError...): every failure to decode is a refusal.
        raise broken from error
    return content_type


def _too_many_pixels(name: str, width: int, height: int) -> ScanRefused:
    limit = number_format(SCAN_MAX_PIXELS // 1_000_000)
    if width and height:
        return ScanRefused(
            _("Ảnh «%(name)s» quá lớn (%(width)s × %(height)s điểm ảnh, tối đa %(limit)s triệu điểm ảnh).")
            % {"name": name, "width": width, "height": height, "limit": limit}
        )
    return ScanRefused(_("Ảnh «%(name)s» quá lớn (tối đa %(limit)s triệu điểm ảnh).") % {"name": name, "limit": limit})


def detect_scan_type(fileobj: Any, *, max_bytes: int | None = None) -> str:
    """The scan's content type ("application/pdf", "image/jpeg" or "image/png"), read from its bytes.

    1. Size first, from `UploadedFile.size`, before anything is read: empty or over
       `max_bytes` (default `settings.UPLOAD_MAX_BYTES`) is refused.
    2. Magic bytes: PDF header, JPEG start-of-image, PNG signature.
    3. A PDF must end with its end-of-file marker; an image must pass Pillow's verify() and a
       full decode with a pixel limit.

    Raises ScanRefused with a message for the user. Leaves the file positioned at 0.
    """
    name = _display_name(fileobj)
    limit = settings.UPLOAD_MAX_BYTES if max_bytes is None else max_bytes
    size = _size_of(fileobj)
    if size <= 0:
        raise ScanRefused(_("Tệp «%(name)s» rỗng (0 byte).") % {"name": name})
    if size > limit:
        raise ScanRefused(
            _("Tệp «%(name)s» nặng %(size)s MB, vượt giới hạn %(limit)s MB.")
            % {"name": name, "size": megabytes(size, round_up=True), "limit": megabytes(limit, round_up=False)}
        )
    try:
        fileobj.seek(0)
        head = fileobj.read(len(_PNG_SIGNATURE))
        if head.startswith(_PDF_HEADER):
            return _check_pdf(fileobj, size, name)
        if head.startswith(_JPEG_SIGNATURE):
            return _check_image(fileobj, "JPEG", JPEG, name)
        if head.startswith(_PNG_SIGNATURE):
            return _check_image(fileobj, "PNG", PNG, name)
    finally:
        fileobj.seek(0)
    raise ScanRefused(
        _("Tệp «%(name)s» không phải PDF, JPEG hay PNG (kiểm tra theo nội dung tệp, không theo tên).") % {"name": name}
    )


def _sha256_and_size(fileobj: Any) -> tuple[str, int]:
    """Hash in chunks (a 10 MB scan is never held in memory whole) and count what was really read."""
    digest = hashlib.sha256()
    fileobj.seek(0)
    chunks = fileobj.chunks(_CHUNK) if hasattr(fileobj, "chunks") else iter(lambda: fileobj.read(_CHUNK), b"")
    read = 0
    for chunk in chunks:
        digest.update(chunk)
        read += len(chunk)
    fileobj.seek(0)
    return digest.hexdigest(), read


def scan_upload(
    *,
    acting_user: User,
    candidate: Candidate,
    doc_type: str,
    uploaded_file: UploadedFile,
    now: dt.datetime | None = None,
    ip_address: str | None = None,
) -> DocumentScan:
    """Check and store a scan of one dossier document of the candidate.

    1. Permission: edit scope over the candidate's branch (a branch role, or a committee role on
       an ancestor); read-only roles get PermissionDenied.
    2. Validation before any write: the document type, the size, the type by content, the hash.
       A refusal (ScanRefused) leaves nothing behind.
    3. The file is written under MEDIA_ROOT/scans/ with a random name (no user text in it), before
       the transaction so that no database transaction is held open across the disk write.
    4. One durable transaction: the DocumentScan row and its UPLOAD_DOCUMENT audit row.
    5. If step 4 fails, the file of step 3 is removed.

    Side effects: one file; one transaction with one DocumentScan and one AuditLog row.
    """
    if not scope_for(acting_user).can_edit(candidate.organisation):
        raise PermissionDenied
    if doc_type not in DocumentType.values:
        raise ScanRefused(_("Loại giấy tờ «%(code)s» không có trong hồ sơ.") % {"code": doc_type})
    return scan_store(
        candidate=candidate,
        doc_type=doc_type,
        uploaded_file=uploaded_file,
        uploader=acting_user,
        now=now or timezone_now(),
        ip_address=ip_address,
    )


def scan_store(
    *,
    candidate: Candidate,
    doc_type: str,
    uploaded_file: UploadedFile,
    uploader: User,
    now: dt.datetime,
    ip_address: str | None,
    audit_note: str = "",
) -> DocumentScan:
    """Steps 2-5 of `scan_upload` once the uploader may store this document type (the branch's
    roles there, the candidate for an item opened to them: `candidate_uploads`): the content checks,
    the file, then the row and its audit (`audit_note` before the audit text) in one transaction."""
    content_type = detect_scan_type(uploaded_file)
    sha256, size = _sha256_and_size(uploaded_file)
    # The size claimed by the upload handler was checked first; the bytes actually read are
    # checked again so a lying `size` cannot slip a larger file through.
    if size != _size_of(uploaded_file) or size > settings.UPLOAD_MAX_BYTES:
        raise ScanRefused(
            _("Tệp «%(name)s» không đọc được trọn vẹn; hãy tải lên lại.") % {"name": _display_name(uploaded_file)}
        )
    scan = DocumentScan(
        candidate=candidate,
        doc_type=doc_type,
        content_type=content_type,
        size=size,
        sha256=sha256,
        original_name=(_display_name(uploaded_file) or "scan")[:255],
        uploaded_by=uploader,
        uploaded_at=now,
    )
    # Named by the checked type, so the stored extension always matches the bytes.
    scan.file.save(f"scan{EXTENSIONS[content_type]}", uploaded_file, save=False)
    try:
        with transaction.atomic(durable=True):
            scan.save()
            audit_record(
                user=uploader,
                action=AuditLog.Action.UPLOAD_DOCUMENT,
                person=candidate.person,
                detail=f"{audit_note}scan {scan.pk} {doc_type} {content_type} {size} B «{scan.original_name}»",
                ip_address=ip_address,
            )
    except BaseException:
        # No row points at the file: without this it would stay on disk, unreachable and unaudited.
        if scan.file.name:
            scan.file.storage.delete(scan.file.name)
        raise
    return scan


def scan_open(
    *, acting_user: User, scan: DocumentScan, ip_address: str | None, purpose: Literal["preview", "download"]
) -> File:
    """Open the stored file for reading and audit it (the caller has scoped the scan's candidate).

    Every open is audited, previews and thumbnails included: the log answers "who saw this
    document", not only "who saved a copy". A file missing from disk is a 404, not audited.

    Side effects: one AuditLog row (DOWNLOAD_DOCUMENT).
    """
    try:
        opened = scan.file.storage.open(scan.file.name or "", "rb")
    except (FileNotFoundError, IsADirectoryError) as error:
        raise Http404 from error
    audit_record(
        user=acting_user,
        action=AuditLog.Action.DOWNLOAD_DOCUMENT,
        person=scan.candidate.person,
        detail=f"scan {scan.pk} {scan.doc_type} {purpose}",
        ip_address=ip_address,
    )
    return opened


# --- Reads ----------------------------------------------------------------------------------


def scan_get(*, user: User, pk: int) -> DocumentScan:
    """The scan if the user's scope covers its candidate (the same rule as the candidate page); 404 otherwise."""
    scan = DocumentScan.objects.filter(pk=pk).first()
    if scan is None:
        raise Http404
    # Scoped through the candidate, so mentors and committees see exactly what the page shows.
    scan.candidate = selectors.candidate_get(user=user, pk=scan.candidate_id)
    return scan


def scan_list(*, candidate: Candidate) -> list[DocumentScan]:
    """The candidate's scans, by document type then newest first, with their uploaders (one query)."""
    return list(
        DocumentScan.objects.filter(candidate=candidate)
        .select_related("uploaded_by")
        .order_by("doc_type", "-uploaded_at", "-pk")
    )
