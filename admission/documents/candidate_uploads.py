"""The candidate's own scans (self-service): the same content checks as the secretary's uploads
(uploads.detect_scan_type), only into the checklist items the secretary opened to them.

A scan ticks nothing: the secretary sees it on the candidate's page (uploaded by the candidate)
and records the checklist item when satisfied, as for any scan.
"""

from __future__ import annotations

import datetime as dt

from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from admission.documents import uploads
from admission.models import CandidateAccess, DocumentScan


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
    return uploads.scan_store(
        candidate=access.candidate,
        doc_type=doc_type,
        uploaded_file=uploaded_file,
        uploader=access.user,
        now=now,
        ip_address=ip_address,
        audit_note="tự tải lên: ",
    )
