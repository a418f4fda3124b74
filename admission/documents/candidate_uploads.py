"""The candidate's own scans (self-service): the same content checks as the secretary's uploads
(uploads.detect_scan_type), only into the checklist items the secretary opened to them.

A scan ticks nothing: the secretary sees it on the candidate's page (uploaded by the candidate)
and records the checklist item when satisfied, as for any scan.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from admission.documents import uploads
from admission.models import CandidateAccess, DocumentScan
from members.models import AuditLog
from members.services import audit_record


def own_scan_upload(
    *,
    access: CandidateAccess,
    doc_type: str,
    uploaded_file: UploadedFile,
    now: dt.datetime,
    ip_address: str | None = None,
) -> DocumentScan:
    """Check and store the candidate's scan of one document opened to them.

    1. The item must be open to the candidate (`access.open_items`); the caller resolved `access`
       as the login's own open access (candidate_selectors.own_candidacy).
    2. Content checks before any write (uploads.detect_scan_type; size re-checked on the bytes read).
    3. The file is written before the transaction; one durable transaction then writes the
       DocumentScan (uploaded by the candidate's login) and its UPLOAD_DOCUMENT audit row; if it
       fails the file is removed.
    """
    if doc_type not in access.open_items:
        raise uploads.ScanRefused(_("Giấy tờ này không được mở để bạn tự tải lên."))
    content_type = uploads.detect_scan_type(uploaded_file)
    sha256, size = uploads._sha256_and_size(uploaded_file)
    if size != uploads._size_of(uploaded_file) or size > settings.UPLOAD_MAX_BYTES:
        raise uploads.ScanRefused(
            _("Tệp «%(name)s» không đọc được trọn vẹn; hãy tải lên lại.")
            % {"name": uploads._display_name(uploaded_file)}
        )
    candidate = access.candidate
    scan = DocumentScan(
        candidate=candidate,
        doc_type=doc_type,
        content_type=content_type,
        size=size,
        sha256=sha256,
        original_name=(uploads._display_name(uploaded_file) or "scan")[:255],
        uploaded_by=access.user,
        uploaded_at=now,
    )
    scan.file.save(f"scan{uploads.EXTENSIONS[content_type]}", uploaded_file, save=False)
    try:
        with transaction.atomic(durable=True):
            scan.save()
            audit_record(
                user=access.user,
                action=AuditLog.Action.UPLOAD_DOCUMENT,
                person=candidate.person,
                detail=f"tự tải lên: scan {scan.pk} {doc_type} {content_type} {size} B «{scan.original_name}»",
                ip_address=ip_address,
            )
    except BaseException:
        # No row points at the file: it would stay on disk, unreachable and unaudited.
        if scan.file.name:
            scan.file.storage.delete(scan.file.name)
        raise
    return scan
