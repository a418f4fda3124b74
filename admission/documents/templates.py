"""Which template applies, and organisations' uploaded versions: checks, limits, rendering.

An organisation may upload its own version of a template (a DOCX with the same tags); the
nearest ancestor's version in effect on the day wins, then a national one, then the built-in
default (`admission.documents.defaults`).

Uploaded templates are rendered in Jinja's sandbox with autoescaping: a template is data
supplied by committee staff, not code.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile, File
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from docxtpl import DocxTemplate
from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, UndefinedError
from jinja2.sandbox import SandboxedEnvironment, SecurityError

from admission.documents.context import sample_context
from admission.models import DocumentTemplate, GeneratedKind
from members.models import Organisation, User
from members.selectors import scope_for

DEFAULT_TEMPLATE_VERSION = "mặc định 1"
MAX_TEMPLATE_BYTES = 5 * 1024 * 1024
# A DOCX is a zip: refuse archives that would inflate past this (zip bombs).
MAX_TEMPLATE_UNZIPPED_BYTES = 50 * 1024 * 1024


class TemplateRefused(Exception):
    """An uploaded template (or its rendering) is not usable; `message` says why, for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- Which template applies --------------------------------------------------------------


def templates_in_effect(*, organisation: Organisation, on: dt.date) -> dict[str, DocumentTemplate]:
    """For each kind, the template `organisation` uses on `on` (kinds missing: built-in default).

    One query. The innermost ancestor with a version in effect wins (the ids come from the
    materialised path, root first), then national (organisation null) versions; within one
    organisation the latest effective date, then the latest upload.
    """
    ids = organisation.ancestor_ids()
    depth = {org_id: index for index, org_id in enumerate(ids)}
    rows = DocumentTemplate.objects.filter(
        Q(organisation_id__in=ids) | Q(organisation__isnull=True), effective_from__lte=on
    ).select_related("organisation")
    best: dict[str, DocumentTemplate] = {}

    def rank(t: DocumentTemplate) -> tuple[int, dt.date, int]:
        return (depth.get(t.organisation_id, -1) if t.organisation_id else -1, t.effective_from, t.pk)

    for row in rows:
        current = best.get(row.kind)
        if current is None or rank(row) > rank(current):
            best[row.kind] = row
    return best


def template_for(*, kind: str, organisation: Organisation, on: dt.date) -> DocumentTemplate | None:
    """The uploaded template of `kind` that applies, or None for the built-in default."""
    return templates_in_effect(organisation=organisation, on=on).get(kind)


# --- Rendering ------------------------------------------------------------------------------


def _jinja_env(*, strict: bool = False) -> SandboxedEnvironment:
    # Sandboxed: an uploaded template must not reach Python internals ({{ ''.__class__ }}).
    if strict:
        return SandboxedEnvironment(autoescape=True, undefined=StrictUndefined)
    return SandboxedEnvironment(autoescape=True)


def render_docx(template_bytes: bytes, context: Mapping[str, Any], *, strict: bool = False) -> bytes:
    """Fill a DOCX template (docxtpl tags) with `context`; values are XML-escaped."""
    document = DocxTemplate(io.BytesIO(template_bytes))
    document.render(dict(context), jinja_env=_jinja_env(strict=strict), autoescape=True)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


# Every part a Word processor or python-docx parses as XML (relationships included).
XML_PARTS = (".xml", ".rels", ".vml")


def _declares_dtd(part: bytes) -> bool:
    """A DOCTYPE or an entity declaration anywhere in the part (the whole part is read: a DTD may
    follow a long comment), in UTF-8 or in UTF-16 (which XML parsers also accept)."""
    texts = [part]
    if part[:2] in {b"\xff\xfe", b"\xfe\xff"} or (len(part) > 1 and (part[0] == 0 or part[1] == 0)):
        for encoding in ("utf-16", "utf-16-le", "utf-16-be"):
            try:
                texts.append(part.decode(encoding).encode())
            except UnicodeError:
                continue
    return any(b"<!DOCTYPE" in text.upper() or b"<!ENTITY" in text.upper() for text in texts)


def _refuse_unless_docx(data: bytes) -> None:
    """The content must be a Word document (zip with word/document.xml), whatever its name."""
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise TemplateRefused(_("Tệp tải lên không phải văn bản Word (.docx)."))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
            names = {entry.filename for entry in entries}
            if "word/document.xml" not in names or "[Content_Types].xml" not in names:
                raise TemplateRefused(
                    _("Tệp tải lên là tệp nén nhưng không phải văn bản Word (.docx): thiếu word/document.xml.")
                )
            if sum(entry.file_size for entry in entries) > MAX_TEMPLATE_UNZIPPED_BYTES:
                raise TemplateRefused(_("Tệp mẫu giải nén ra quá lớn."))
            for entry in entries:
                if entry.filename.lower().endswith(XML_PARTS) and _declares_dtd(archive.read(entry)):
                    # No DTDs in a template: they are how XML entity attacks start.
                    raise TemplateRefused(_("Tệp mẫu chứa khai báo DOCTYPE, không được chấp nhận."))
    except (zipfile.BadZipFile, OSError) as exc:
        raise TemplateRefused(_("Tệp tải lên không phải văn bản Word (.docx).")) from exc


def _near(exc: Exception) -> str:
    lines = [line.strip() for line in getattr(exc, "docx_context", None) or () if line.strip()]
    return " ".join(lines)[:120]


def check_template(data: bytes) -> None:
    """Refuse (TemplateRefused, with the problem named) a DOCX that cannot serve as a template.

    Rendered once against `sample_context()` with undefined names as errors, in the sandbox.
    """
    _refuse_unless_docx(data)
    sample = sample_context()
    try:
        document = DocxTemplate(io.BytesIO(data))
        unknown = sorted(document.get_undeclared_template_variables(jinja_env=_jinja_env(), context=sample))
    except TemplateSyntaxError as exc:
        near = _near(exc)
        message = _("Mẫu có lỗi cú pháp thẻ Jinja: %(error)s.") % {"error": exc.message}
        raise TemplateRefused(message + (" " + _("Gần đoạn: “%(text)s”.") % {"text": near} if near else "")) from exc
    except Exception as exc:  # python-docx raises several types for a broken package
        raise TemplateRefused(
            _("Không mở được tệp như văn bản Word (.docx): %(error)s") % {"error": str(exc)[:200]}
        ) from exc
    if unknown:
        raise TemplateRefused(
            _("Mẫu dùng biến không có trong dữ liệu: %(names)s. Xem danh sách biến được hỗ trợ.")
            % {"names": ", ".join(unknown)}
        )
    try:
        render_docx(data, sample, strict=True)
    except TemplateSyntaxError as exc:
        near = _near(exc)
        message = _("Mẫu có lỗi cú pháp thẻ Jinja: %(error)s.") % {"error": exc.message}
        raise TemplateRefused(message + (" " + _("Gần đoạn: “%(text)s”.") % {"text": near} if near else "")) from exc
    except UndefinedError as exc:
        raise TemplateRefused(
            _("Mẫu dùng giá trị không có trong dữ liệu: %(error)s.") % {"error": exc.message}
        ) from exc
    except SecurityError as exc:
        raise TemplateRefused(_("Mẫu dùng thao tác không được phép: %(error)s.") % {"error": exc}) from exc
    except TemplateError as exc:
        raise TemplateRefused(_("Mẫu không điền được dữ liệu: %(error)s.") % {"error": exc}) from exc
    except Exception as exc:  # a package python-docx opens but docxtpl cannot rewrite
        raise TemplateRefused(_("Không dựng được văn bản từ mẫu: %(error)s") % {"error": str(exc)[:200]}) from exc


def document_template_upload(
    *,
    acting_user: User,
    organisation: Organisation | None,
    kind: str,
    version: str,
    effective_from: dt.date,
    file: File[Any],
    note: str = "",
    now: dt.datetime | None = None,
) -> DocumentTemplate:
    """Store an organisation's version of a template after checking it renders.

    Allowed for committee staff/leaders whose scope covers `organisation` (not a branch) and
    for administrators; a national version (organisation None) only for administrators.
    1. Checks the upload: at most 5 MB, a DOCX by content, renders the sample data in the
       sandbox (TemplateRefused names the problem otherwise).
    2. In one durable transaction: refuses a version label already used for (kind,
       organisation) and writes the DocumentTemplate row and its file (random name).
    """
    scope = scope_for(acting_user)
    if organisation is None:
        if not scope.everything:
            raise PermissionDenied
    elif organisation.is_branch or not scope.can_edit(organisation):
        raise PermissionDenied
    version = version.strip()
    if kind not in GeneratedKind.values:
        raise TemplateRefused(_("Loại văn bản không hợp lệ."))
    if not version:
        raise TemplateRefused(_("Cần ghi phiên bản của mẫu."))
    if version == DEFAULT_TEMPLATE_VERSION:
        raise TemplateRefused(_("Tên phiên bản “%(version)s” dành cho mẫu mặc định.") % {"version": version})
    if file.size is not None and file.size > MAX_TEMPLATE_BYTES:
        raise TemplateRefused(_("Tệp mẫu quá lớn (tối đa 5 MB)."))
    file.seek(0)
    data = file.read(MAX_TEMPLATE_BYTES + 1)
    if len(data) > MAX_TEMPLATE_BYTES:
        raise TemplateRefused(_("Tệp mẫu quá lớn (tối đa 5 MB)."))
    check_template(data)
    refused_duplicate = TemplateRefused(
        _("Phiên bản “%(version)s” của loại văn bản này đã có; hãy đặt tên phiên bản khác.") % {"version": version}
    )
    with transaction.atomic(durable=True):
        # Checked here as well as by the unique constraint: PostgreSQL does not compare the
        # NULL organisation of national versions.
        if DocumentTemplate.objects.filter(kind=kind, organisation=organisation, version=version).exists():
            raise refused_duplicate
        template = DocumentTemplate(
            kind=kind,
            organisation=organisation,
            version=version,
            effective_from=effective_from,
            note=note.strip(),
            uploaded_by=acting_user,
            uploaded_at=now or timezone.now(),
        )
        template.file.save("template.docx", ContentFile(data), save=False)
        try:
            with transaction.atomic():
                template.save()
        except IntegrityError as exc:
            template.file.delete(save=False)
            raise refused_duplicate from exc
        except Exception:
            template.file.delete(save=False)
            raise
    return template
