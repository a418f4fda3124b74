"""The uploaded bytes kept between the dry run and the import."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import re
import time
from pathlib import Path

from django.conf import settings
from django.http import Http404

from admission.models import ImportBatch

# Kept between the dry run and the import; older files are deleted at the next upload.
IMPORT_FILE_TTL = dt.timedelta(days=2)


def _imports_dir() -> Path:
    return Path(settings.MEDIA_ROOT) / "imports"


def _kept_path(sha256: str) -> Path:
    if not re.fullmatch(r"[0-9a-f]{64}", sha256):
        raise Http404
    return _imports_dir() / f"{sha256}.xlsx"


def import_file_keep(*, data: bytes, now: dt.datetime) -> str:
    """Keep the uploaded bytes until the import (named by their SHA-256, under MEDIA_ROOT, outside
    the web root, served by no view); files older than IMPORT_FILE_TTL are deleted meanwhile."""
    sha256 = hashlib.sha256(data).hexdigest()
    folder = _imports_dir()
    folder.mkdir(parents=True, exist_ok=True)
    oldest = now.timestamp() - IMPORT_FILE_TTL.total_seconds()
    for old in folder.glob("*.xlsx"):
        try:
            if old.stat().st_mtime < oldest:
                old.unlink()
        except FileNotFoundError:  # another request removed it first
            pass
    target = _kept_path(sha256)
    temporary = folder / f".{sha256}.{time.monotonic_ns()}.part"
    temporary.write_bytes(data)
    temporary.chmod(0o600)
    temporary.replace(target)  # atomic: a concurrent reader sees the whole file or none
    return sha256


def import_file_read(*, batch: ImportBatch) -> bytes | None:
    """The bytes kept for a dry run, if still there and unchanged."""
    return import_file_read_sha(sha256=batch.sha256)


def import_file_read_sha(*, sha256: str) -> bytes | None:
    """The bytes kept under this hash (an upload waiting for its mapping), if still there and unchanged."""
    try:
        data = _kept_path(sha256).read_bytes()
    except (FileNotFoundError, Http404):
        return None
    return data if hashlib.sha256(data).hexdigest() == sha256 else None


def import_file_forget(*, sha256: str) -> None:
    """Delete the kept bytes once imported: personal data is not kept longer than needed."""
    with contextlib.suppress(Http404):  # not a hash: nothing of ours to delete
        _kept_path(sha256).unlink(missing_ok=True)
