"""Dossier documents filled from the tracker's data: DOCX through docxtpl, PDF through LibreOffice.

The built-in templates are our own wording (they paraphrase; rule points such as "QĐ294 4.3"
are cited as references only, never copied forms). An organisation may upload its own
version of a template (a DOCX with the same tags); the nearest ancestor's version in effect
on the day wins, then a national one, then the built-in default.

Uploaded templates are rendered in Jinja's sandbox with autoescaping: a template is data
supplied by committee staff, not code.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import io
import os
import re
import signal
import subprocess
import tempfile
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile, File
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT, WD_TAB_LEADER
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm, Pt
from docxtpl import DocxTemplate
from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, UndefinedError
from jinja2.sandbox import SandboxedEnvironment, SecurityError

from admission.domain.deadlines import probation_end
from admission.domain.votes import VotingBody
from admission.models import (
    CANDIDATE_DATE_FIELDS,
    Candidate,
    DocumentTemplate,
    GeneratedDocument,
    GeneratedKind,
    MentorRole,
    Mentorship,
    Vote,
    VoteForm,
    VotePurpose,
)
from admission.rulebook import rulebook_for
from members import services as member_services
from members.authority import Authority, DecidingBody, NoDecidingBody
from members.models import AuditLog, EducationLevel, Gender, Organisation, Person, User
from members.selectors import organisation_authority, scope_for

DEFAULT_TEMPLATE_VERSION = "mặc định 1"
# What a missing value prints as: a dotted blank to fill in by hand, never "None".
BLANK = "……"
MAX_TEMPLATE_BYTES = 5 * 1024 * 1024
# A DOCX is a zip: refuse archives that would inflate past this (zip bombs).
MAX_TEMPLATE_UNZIPPED_BYTES = 50 * 1024 * 1024
# Installed with fonts-noto-core and complete for Vietnamese; Word users without it get the
# alternative named in the font table, the usual font of administrative documents.
FONT = "Noto Serif"
FONT_ALTERNATIVE = "Times New Roman"


class PdfUnavailable(Exception):
    """LibreOffice is missing, failed or took too long; the DOCX can still be generated."""


class TemplateRefused(Exception):
    """An uploaded template (or its rendering) is not usable; `message` says why, for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- Values as the documents print them ------------------------------------------------


def format_date(day: dt.date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else BLANK


def long_date(day: dt.date | None) -> str:
    """The place/date line's form, `ngày 05 tháng 02 năm 2025`: days below 10 and months 1-2 take
    a leading zero, as on administrative documents, so that no digit can be added by hand."""
    if day is None:
        return f"ngày {BLANK} tháng {BLANK} năm {BLANK}"
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"ngày {day.day:02d} tháng {month} năm {day.year}"


def _text(value: object) -> str:
    text = str(value).strip() if value is not None else ""
    return text or BLANK


def ascii_fold(value: str) -> str:
    """`Nguyễn Văn Đức` -> `Nguyen Van Duc` (file names must stay ASCII for every browser)."""
    decomposed = unicodedata.normalize("NFD", value.replace("Đ", "D").replace("đ", "d"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).encode("ascii", "ignore").decode()


def download_name(*, full_name: str, kind: str, fmt: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9]+", "-", ascii_fold(full_name)).strip("-") or "ho-so"
    return f"{stem}_{kind}.{fmt}"


_VOTE_KEYS = ("held_on", "form", "summoned", "excluded", "denominator", "yes", "no", "abstain", "required", "result")
# Which recorded vote each template slot shows: (purpose, level) -> voting bodies (Vote.body).
_VOTE_SLOTS: dict[str, frozenset[str]] = {
    "branch": frozenset({VotingBody.BRANCH.name}),
    "appraisal": frozenset({VotingBody.SUB_COMMITTEE_APPRAISAL.name}),
    "committee": frozenset({VotingBody.GRASSROOTS_COMMITTEE.name, VotingBody.DELEGATED_GRASSROOTS_COMMITTEE.name}),
    "decider": frozenset(
        {
            VotingBody.STANDING_COMMITTEE.name,
            VotingBody.PROVINCIAL_STANDING_OFFICE.name,
            VotingBody.DELEGATED_GRASSROOTS_COMMITTEE.name,
        }
    ),
}
_VOTE_PURPOSES = (VotePurpose.ADMISSION.value, VotePurpose.RECOGNITION.value)


def _vote_values(vote: Vote | None) -> dict[str, str]:
    if vote is None:
        return dict.fromkeys(_VOTE_KEYS, BLANK)
    return {
        "held_on": format_date(vote.held_on),
        "form": str(VoteForm(vote.form).label) if vote.form in VoteForm.values else _text(vote.form),
        "summoned": str(vote.summoned),
        "excluded": str(vote.excluded),
        "denominator": str(vote.denominator),
        "yes": str(vote.yes),
        "no": str(vote.no),
        "abstain": str(vote.abstain),
        "required": str(vote.required),
        "result": "Đạt" if vote.passed else "Không đạt",
    }


def _deciding_labels(authority: Authority | None) -> dict[str, str]:
    """Who signs the decision and how the body is named in its text (QĐ294 4.3.2)."""
    if authority is None:
        return {"decider_name": BLANK, "decider_body": BLANK, "decider_signing": "T/M CẤP ỦY"}
    name = authority.decider.name
    if authority.body is DecidingBody.GRASSROOTS_COMMITTEE:
        return {"decider_name": name, "decider_body": f"Ban Chấp hành {name}", "decider_signing": "T/M ĐẢNG ỦY"}
    if authority.body is DecidingBody.PROVINCIAL_STANDING_OFFICE:
        return {"decider_name": name, "decider_body": f"Thường trực {name}", "decider_signing": "T/M THƯỜNG TRỰC"}
    return {"decider_name": name, "decider_body": f"Ban Thường vụ {name}", "decider_signing": "T/M BAN THƯỜNG VỤ"}


def _build_context(
    *,
    candidate: Candidate,
    person: Person,
    branch: Organisation,
    branch_superior: str,
    authority: Authority | None,
    place: str,
    votes: Iterable[Vote],
    introducers: list[str],
    mentors: list[str],
    probation_end_date: dt.date | None,
    card_number: str,
    today: dt.date,
) -> dict[str, Any]:
    """Every value a template may print, already formatted (dates dd/mm/yyyy, blanks dotted).

    Call it under `translation.override("vi")`: the labels (gender, vote form) are the
    documents' language, whatever the user's.
    """
    gender = str(Gender(person.gender).label) if person.gender in Gender.values else BLANK
    education = (
        str(EducationLevel(person.education_level).label) if person.education_level in EducationLevel.values else ""
    )
    grassroots = authority.grassroots_resolution_by if authority else None
    appraisal = authority.appraisal_by if authority else None
    if grassroots is None and authority is not None and authority.body is DecidingBody.GRASSROOTS_COMMITTEE:
        grassroots = authority.decider  # a delegated committee resolves and decides in one
    context: dict[str, Any] = {
        "person_name": _text(person.full_name),
        "family_name": _text(person.family_name),
        "middle_name": _text(person.middle_name),
        "given_name": _text(person.given_name),
        "date_of_birth": format_date(person.date_of_birth),
        "gender": gender,
        "ethnicity": _text(person.ethnicity),
        "religion": _text(person.religion),
        "hometown": _text(person.hometown),
        "residence": _text(person.residence),
        "education": _text(education),
        "occupation": _text(person.occupation),
        # Personal identifiers are masked on paper too: only the last digits identify the file.
        "cccd_masked": _text(person.masked_cccd),
        "branch_name": _text(branch.name),
        "branch_superior_name": _text(branch_superior),
        "grassroots_name": _text(grassroots.name if grassroots else ""),
        "has_grassroots_resolution": grassroots is not None,
        "appraisal_name": _text(appraisal.name if appraisal else ""),
        "has_appraisal": appraisal is not None,
        "authority_citation": _text(authority.citation if authority else ""),
        **_deciding_labels(authority),
        "certificate_number": _text(candidate.certificate_number),
        "decision_number": _text(candidate.decision_number),
        "card_number": _text(card_number),
        "probation_end": format_date(probation_end_date),
        "introducers": introducers or [BLANK],
        "introducers_text": ", ".join(introducers) or BLANK,
        "mentors": mentors or [BLANK],
        "mentors_text": ", ".join(mentors) or BLANK,
        "today": format_date(today),
        "place": _text(place),
    }
    long_dates = {"today": long_date(today), "probation_end": long_date(probation_end_date)}
    for name in CANDIDATE_DATE_FIELDS:
        day = getattr(candidate, name)
        context[name] = format_date(day)
        long_dates[name] = long_date(day)
    context["long_date"] = long_dates
    context["place_date_today"] = f"{context['place']}, {long_dates['today']}"
    latest: dict[str, Vote] = {}
    for vote in sorted(votes, key=lambda v: (v.held_on, v.pk or 0)):  # the latest vote is the one in force
        for level, bodies in _VOTE_SLOTS.items():
            if vote.body in bodies:
                latest[f"{vote.purpose}_{level}_vote"] = vote
    for purpose in _VOTE_PURPOSES:
        for level in _VOTE_SLOTS:
            key = f"{purpose}_{level}_vote"
            context[key] = _vote_values(latest.get(key))
    return context


# The place line names the locality without its kind: "Hà Nội, ngày …", not "Thành phố Hà Nội, …".
_UNIT_KINDS = ("Thành phố ", "Tỉnh ", "Phường ", "Xã ", "Đặc khu ", "Thị trấn ")


def _place(organisation: Organisation) -> str:
    """The ward's name if the branch records it, else the province's (the place line)."""
    unit = organisation.administrative_unit()
    if not unit:
        return ""
    name = unit.split(", ")[0]
    for kind in _UNIT_KINDS:
        if name.startswith(kind) and len(name) > len(kind):
            return name[len(kind) :]
    return name


def document_context(candidate: Candidate, *, today: dt.date | None = None) -> dict[str, Any]:
    """Everything the templates need about `candidate` (reads: chain, parent, votes, mentors)."""
    branch = candidate.organisation
    try:
        authority: Authority | None = organisation_authority(organisation=branch)
    except NoDecidingBody:
        authority = None  # a tree being set up: the committee names print as blanks
    superior = ""
    if branch.parent_id is not None:
        superior = Organisation.objects.filter(pk=branch.parent_id).values_list("name", flat=True).first() or ""
    # Assignments in force, and those ended only because the candidacy closed (recognition or
    # removal ends every assignment): documents printed afterwards still name them.
    in_force = Q(ended_on__isnull=True)
    closed_on = candidate.recognition_decision_date or candidate.removal_date
    if closed_on is not None:
        in_force |= Q(ended_on__gte=closed_on)
    mentorships = (
        Mentorship.objects.filter(in_force, candidate=candidate)
        .select_related("member__person")
        .order_by("assigned_on", "pk")
    )
    introducers = [m.member.person.full_name for m in mentorships if m.role == MentorRole.INTRODUCER]
    mentors = [m.member.person.full_name for m in mentorships if m.role == MentorRole.MENTOR]
    end = candidate.official_date
    if end is None and candidate.ceremony_date is not None:
        rules = rulebook_for(branch).for_date(candidate.ceremony_date)
        end = probation_end(ceremony_date=candidate.ceremony_date, rules=rules).day
    card = ""
    if candidate.member_id is not None:
        card = candidate.member.card_number if candidate.member else ""
    with translation.override("vi"):
        return _build_context(
            candidate=candidate,
            person=candidate.person,
            branch=branch,
            branch_superior=superior,
            authority=authority,
            place=_place(branch),
            votes=list(Vote.objects.filter(candidate=candidate)),
            introducers=introducers,
            mentors=mentors,
            probation_end_date=end,
            card_number=card,
            today=today or timezone.localdate(),
        )


def sample_context() -> dict[str, Any]:
    """A context with every key filled (no database): uploaded templates are tried against it."""
    day = dt.date(2025, 1, 6)
    person = Person(
        full_name="Nguyễn Văn Mẫu",
        family_name="Nguyễn",
        middle_name="Văn",
        given_name="Mẫu",
        date_of_birth=dt.date(1998, 5, 4),
        gender=Gender.MALE,
        hometown="Xã Mẫu, Tỉnh Mẫu",
        residence="Phường Mẫu, Tỉnh Mẫu",
        occupation="Kỹ sư",
    )
    candidate = Candidate(
        person=person,
        certificate_number="GCN-1",
        decision_number="1-QĐ/ĐU",
        **dict.fromkeys(CANDIDATE_DATE_FIELDS, day),
    )
    vote = Vote(
        body=VotingBody.BRANCH.name,
        purpose=VotePurpose.ADMISSION,
        held_on=day,
        summoned=9,
        excluded=0,
        denominator=9,
        yes=8,
        no=1,
        abstain=0,
        form=VoteForm.SECRET_BALLOT,
        required=6,
        passed=True,
    )
    with translation.override("vi"):
        return _build_context(
            candidate=candidate,
            person=person,
            branch=Organisation(name="Chi bộ Mẫu"),
            branch_superior="Đảng bộ Mẫu",
            authority=None,
            place="Mẫu",
            votes=[vote],
            introducers=["Lê Văn Một", "Trần Thị Hai"],
            mentors=["Lê Văn Một"],
            probation_end_date=day,
            card_number="123456",
            today=day,
        )


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


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    # soffice is a wrapper script that starts soffice.bin: end the whole process group.
    with contextlib.suppress(ProcessLookupError):  # already gone
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def docx_to_pdf(docx_bytes: bytes) -> bytes:
    """Convert with a headless LibreOffice in a throwaway profile; raise PdfUnavailable on failure.

    Call it outside any database transaction: a conversion takes seconds.
    """
    binary = settings.SOFFICE_BIN
    timeout = settings.SOFFICE_TIMEOUT_SECONDS
    with tempfile.TemporaryDirectory(prefix="docgen-") as work:
        folder = Path(work)
        source = folder / "document.docx"
        source.write_bytes(docx_bytes)
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
            str(source),
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
        result = folder / "document.pdf"
        if process.returncode != 0 or not result.is_file():
            raise PdfUnavailable(
                _("Không tạo được bản PDF: LibreOffice báo lỗi (%(detail)s).")
                % {"detail": (err.decode(errors="replace").strip() or f"mã {process.returncode}")[:200]}
            )
        return result.read_bytes()


# --- Services ---------------------------------------------------------------------------------


def document_generate(
    *,
    acting_user: User,
    candidate: Candidate,
    kind: str,
    fmt: str,
    now: dt.datetime | None = None,
    ip_address: str | None = None,
) -> GeneratedDocument:
    """Fill the template of `kind` that applies today for `candidate` and keep the file.

    1. Refuse (PermissionDenied) a user whose scope does not cover the candidate's branch.
    2. Pick the template (uploaded version in effect, else the built-in default) and render
       it; for PDF, convert with LibreOffice. Both happen before any transaction.
    3. In one durable transaction: store the file under MEDIA_ROOT (random name), write the
       GeneratedDocument row with the template and its version, and one GENERATE_DOCUMENT
       audit row.
    Raises TemplateRefused when the template cannot be rendered, PdfUnavailable when the PDF
    conversion fails (nothing is stored then).
    """
    if not scope_for(acting_user).can_read(candidate.organisation):
        raise PermissionDenied
    if kind not in GeneratedKind.values:
        raise TemplateRefused(_("Loại văn bản không hợp lệ."))
    if fmt not in GeneratedDocument.Format.values:
        raise TemplateRefused(_("Định dạng không hợp lệ (chỉ DOCX hoặc PDF)."))
    now = now or timezone.now()
    today = timezone.localdate(now)
    template = template_for(kind=kind, organisation=candidate.organisation, on=today)
    context = document_context(candidate, today=today)
    if template is None:
        content = render_docx(default_template_bytes(kind), context)  # ours: an error here is a bug
        version = DEFAULT_TEMPLATE_VERSION
    else:
        version = template.version
        try:
            with template.file.open("rb") as handle:
                content = render_docx(handle.read(), context)
        except FileNotFoundError as exc:
            raise TemplateRefused(
                _("Tệp của mẫu “%(version)s” không còn trên máy chủ; hãy tải lên lại.") % {"version": version}
            ) from exc
        except Exception as exc:  # an uploaded template passed the check but fails on real data
            raise TemplateRefused(
                _("Mẫu “%(version)s” không điền được dữ liệu: %(error)s") % {"version": version, "error": exc}
            ) from exc
    if fmt == GeneratedDocument.Format.PDF:
        content = docx_to_pdf(content)  # seconds of work: deliberately outside the transaction below
    with transaction.atomic(durable=True):
        document = GeneratedDocument(
            candidate=candidate,
            kind=kind,
            format=fmt,
            template=template,
            template_version=version,
            sha256=hashlib.sha256(content).hexdigest(),
            created_by=acting_user,
            created_at=now,
        )
        document.file.save(f"document.{fmt}", ContentFile(content), save=False)
        try:
            document.save()
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
                if entry.filename.endswith(".xml") and b"<!DOCTYPE" in archive.read(entry)[:4096]:
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


# --- Built-in default templates (our own wording) ----------------------------------------------

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _set_fonts(rpr: Any) -> None:
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = parse_xml(f"<w:rFonts {nsdecls('w')}/>")
        rpr.insert(0, fonts)
    for attribute in list(fonts.attrib):
        if attribute.endswith("Theme") or attribute.endswith("theme"):
            del fonts.attrib[attribute]  # theme fonts would win over the named font
    for attribute in ("ascii", "hAnsi", "cs", "eastAsia"):
        fonts.set(qn(f"w:{attribute}"), FONT)


def _base_document() -> Any:
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    styles = document.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    rpr = defaults.find(f"{_W}rPrDefault/{_W}rPr")
    _set_fonts(rpr)
    for tag, value in (("w:sz", "26"), ("w:szCs", "26")):
        rpr.find(qn(tag)).set(qn("w:val"), value)
    lang = rpr.find(qn("w:lang"))
    lang.set(qn("w:val"), "vi-VN")
    spacing = defaults.find(f"{_W}pPrDefault/{_W}pPr/{_W}spacing")
    spacing.set(qn("w:after"), "0")
    spacing.set(qn("w:line"), "264")
    normal = document.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(13)
    _set_fonts(normal.element.get_or_add_rPr())
    font_table = next(p for p in document.part.package.iter_parts() if str(p.partname) == "/word/fontTable.xml")
    entry = (
        f'<w:font w:name="{FONT}"><w:altName w:val="{FONT_ALTERNATIVE}"/>'
        '<w:panose1 w:val="02020600060500020200"/><w:charset w:val="00"/><w:family w:val="roman"/>'
        '<w:pitch w:val="variable"/></w:font>'
    )
    font_table._blob = font_table.blob.replace(b"</w:fonts>", entry.encode() + b"</w:fonts>")
    return document


Part = str | tuple[str, str]  # text, or (text, flags) with flags among b i u


def _para(
    container: Any,
    *parts: Part,
    align: str = "left",
    size: float | None = None,
    indent: bool = False,
    before: float = 0,
    after: float = 0,
    first: bool = False,
) -> Any:
    """One paragraph of runs; every Jinja tag stays inside one run so docxtpl sees it whole."""
    paragraph = container.paragraphs[0] if first else container.add_paragraph()
    paragraph.alignment = {
        "left": WD_ALIGN_PARAGRAPH.LEFT,
        "center": WD_ALIGN_PARAGRAPH.CENTER,
        "right": WD_ALIGN_PARAGRAPH.RIGHT,
        "justify": WD_ALIGN_PARAGRAPH.JUSTIFY,
    }[align]
    fmt = paragraph.paragraph_format
    fmt.space_before, fmt.space_after = Pt(before), Pt(after)
    if indent:
        fmt.first_line_indent = Mm(10)
    for part in parts:
        text, flags = (part, "") if isinstance(part, str) else part
        run = paragraph.add_run(text)
        run.bold = "b" in flags or None
        run.italic = "i" in flags or None
        run.underline = "u" in flags or None
        if size:
            run.font.size = Pt(size)
    return paragraph


def _no_borders(table: Any) -> None:
    borders = "".join(f'<w:{edge} w:val="nil"/>' for edge in ("top", "left", "bottom", "right", "insideH", "insideV"))
    table._tbl.tblPr.append(parse_xml(f"<w:tblBorders {nsdecls('w')}>{borders}</w:tblBorders>"))


def _widths(table: Any, *millimetres: float) -> None:
    table.autofit = False
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for row in table.rows:
        for cell, width in zip(row.cells, millimetres, strict=True):
            cell.width = Mm(width)


def _heading(document: Any, *, superior: str | None, issuer: str, number: str, date_line: str) -> None:
    """Party documents' heading: issuing body and number left, the Party's name and the place/date right."""
    table = document.add_table(rows=1, cols=2)
    _no_borders(table)
    _widths(table, 72, 93)
    left, right = table.rows[0].cells
    if superior:
        _para(left, superior, align="center", size=12, first=True)
        _para(left, (issuer, "b"), align="center", size=12)
    else:
        _para(left, (issuer, "b"), align="center", size=12, first=True)
    _para(left, "*", align="center")
    if number:
        _para(left, number, align="center", size=12)
    _para(right, ("ĐẢNG CỘNG SẢN VIỆT NAM", "bu"), align="center", first=True)
    _para(right, "", size=8)
    _para(right, (date_line, "i"), align="center")


def _title(document: Any, title: str, subtitle: str = "") -> None:
    _para(document, (title, "b"), align="center", size=15, before=18)
    if subtitle:
        _para(document, (subtitle, "b"), align="center")
    _para(document, "-----", align="center", after=10)


def _body(document: Any, *parts: Part) -> None:
    _para(document, *parts, align="justify", indent=True, after=6)


def _rows_table(document: Any, rows: list[tuple[str, str]]) -> None:
    """Label/value rows in a ruled table (values are tags)."""
    table = document.add_table(rows=len(rows), cols=2)
    table.style = document.styles["Table Grid"]
    _widths(table, 62, 103)
    for (label, value), row in zip(rows, table.rows, strict=True):
        _para(row.cells[0], label, size=12, first=True, before=2, after=2)
        _para(row.cells[1], (value, "b"), size=12, first=True, before=2, after=2)


def _vote_table(document: Any, slot: str) -> None:
    """Counts of the vote in `slot` (e.g. admission_branch_vote) and its result."""
    headers = ("Triệu tập", "Được trừ", "Tính biểu quyết", "Tán thành", "Không tán thành", "Cần tối thiểu", "Kết quả")
    keys = ("summoned", "excluded", "denominator", "yes", "no", "required", "result")
    table = document.add_table(rows=2, cols=len(headers))
    table.style = document.styles["Table Grid"]
    _widths(table, 22, 21, 25, 22, 25, 24, 26)
    for header, key, head_cell, value_cell in zip(headers, keys, table.rows[0].cells, table.rows[1].cells, strict=True):
        _para(head_cell, (header, "b"), align="center", size=11, first=True, before=2, after=2)
        _para(value_cell, "{{ %s.%s }}" % (slot, key), align="center", size=12, first=True, before=2, after=2)  # noqa: UP031


def _signature(document: Any, *, recipients: list[str], lines: list[str], left_title: str = "") -> None:
    table = document.add_table(rows=1, cols=2)
    _no_borders(table)
    _widths(table, 75, 90)
    left, right = table.rows[0].cells
    if left_title:
        _para(left, (left_title, "b"), align="center", first=True)
    else:
        _para(left, ("Nơi nhận:", "bi"), size=12, first=True)
        for recipient in recipients:
            _para(left, recipient, size=11)
    for index, line in enumerate(lines):
        _para(right, (line, "b"), align="center", first=index == 0)
    _para(right, ("(ký, ghi rõ họ tên)", "i"), align="center", size=11)


def _dotted_line(document: Any) -> None:
    """A line to write on: a right tab with a dot leader spans the text width whatever the font."""
    paragraph = _para(document, "\t", after=4)
    paragraph.paragraph_format.tab_stops.add_tab_stop(Mm(165), WD_TAB_ALIGNMENT.RIGHT, WD_TAB_LEADER.DOTS)


def _spacer(document: Any, points: float = 8) -> None:
    _para(document, "", size=points)


def _application_cover(document: Any) -> None:
    _heading(
        document,
        superior="{{ branch_superior_name|upper }}",
        issuer="{{ branch_name|upper }}",
        number="",
        date_line="{{ place }}, {{ long_date.today }}",
    )
    _title(document, "HỒ SƠ NGƯỜI XIN VÀO ĐẢNG", "Phần thông tin chi bộ theo dõi")
    _rows_table(
        document,
        [
            ("Họ và tên", "{{ person_name }}"),
            ("Ngày sinh", "{{ date_of_birth }}"),
            ("Giới tính", "{{ gender }}"),
            ("Dân tộc / Tôn giáo", "{{ ethnicity }} / {{ religion }}"),
            ("Quê quán", "{{ hometown }}"),
            ("Nơi cư trú", "{{ residence }}"),
            ("Trình độ giáo dục phổ thông", "{{ education }}"),
            ("Nghề nghiệp", "{{ occupation }}"),
            ("Số CCCD (đã che)", "{{ cccd_masked }}"),
            ("Chi bộ đề nghị", "{{ branch_name }}"),
        ],
    )
    _para(document, ("Quá trình theo dõi, bồi dưỡng", "b"), before=10, after=4)
    _rows_table(
        document,
        [
            ("Vào danh sách cảm tình Đảng", "{{ sympathiser_date }}"),
            (
                "Giấy chứng nhận lớp nhận thức về Đảng",
                "số {{ certificate_number }}, cấp ngày {{ certificate_issue_date }}",
            ),
            ("Được phép lập hồ sơ", "{{ dossier_start_date }}"),
            ("Nộp đơn và lý lịch", "{{ application_date }}"),
            ("Đảng viên giới thiệu", "{{ introducers_text }}"),
            ("Hoàn thành giới thiệu", "{{ introduction_date }}"),
        ],
    )
    _para(
        document,
        ("Các giấy tờ trong hồ sơ theo danh mục của hướng dẫn hiện hành (tham chiếu HD38 II.1.1a).", "i"),
        size=11,
        before=6,
        after=10,
    )
    _signature(document, recipients=["- Lưu hồ sơ chi bộ."], lines=["T/M CHI ỦY", "BÍ THƯ"])


def _branch_resolution(document: Any) -> None:
    _heading(
        document,
        superior="{{ branch_superior_name|upper }}",
        issuer="{{ branch_name|upper }}",
        number="Số: ……-NQ/CB",
        date_line="{{ place }}, {{ long_date.branch_resolution_date }}",
    )
    _title(document, "NGHỊ QUYẾT", "đề nghị kết nạp đảng viên")
    _body(
        document,
        "Ngày {{ branch_resolution_date }}, {{ branch_name }} họp xét đề nghị kết nạp vào Đảng đối với quần chúng ",
        ("{{ person_name }}", "b"),
        ", sinh ngày {{ date_of_birth }}; quê quán: {{ hometown }}; nơi cư trú: {{ residence }}; "
        "nghề nghiệp: {{ occupation }}.",
    )
    _body(
        document,
        "Chi bộ đã xem xét đơn xin vào Đảng (nộp ngày {{ application_date }}), lý lịch và kết quả thẩm tra, "
        "giới thiệu của đảng viên chính thức ({{ introducers_text }}), ý kiến nhận xét của các đoàn thể và "
        "chi ủy nơi cư trú, giấy chứng nhận lớp bồi dưỡng nhận thức về Đảng số {{ certificate_number }} "
        "cấp ngày {{ certificate_issue_date }}.",
    )
    _body(document, "Kết quả biểu quyết của đảng viên chính thức (hình thức: {{ admission_branch_vote.form }}):")
    _vote_table(document, "admission_branch_vote")
    _spacer(document)
    _body(
        document,
        ("Chi bộ quyết nghị: ", "b"),
        "đề nghị cấp ủy cấp trên xem xét, kết nạp quần chúng ",
        ("{{ person_name }}", "b"),
        " vào Đảng Cộng sản Việt Nam.",
    )
    _para(
        document,
        ("Tham chiếu: Điều lệ Đảng, Điều 4; QĐ294 mục 3; HD06 3.6b (tỷ lệ biểu quyết).", "i"),
        size=11,
        after=10,
    )
    _signature(
        document,
        recipients=["- {{ branch_superior_name }},", "- Lưu hồ sơ chi bộ."],
        lines=["T/M CHI BỘ", "BÍ THƯ"],
    )


def _committee_resolution(document: Any) -> None:
    _heading(
        document,
        superior="{{ decider_name|upper }}",
        issuer="{{ grassroots_name|upper }}",
        number="Số: ……-NQ/ĐU",
        date_line="{{ place }}, {{ long_date.grassroots_resolution_date }}",
    )
    _title(document, "NGHỊ QUYẾT", "đề nghị kết nạp đảng viên")
    _body(
        document,
        "Ngày {{ grassroots_resolution_date }}, {{ grassroots_name }} xem xét hồ sơ đề nghị kết nạp vào Đảng "
        "của quần chúng ",
        ("{{ person_name }}", "b"),
        ", sinh ngày {{ date_of_birth }}, do {{ branch_name }} đề nghị tại nghị quyết ngày "
        "{{ branch_resolution_date }}.",
    )
    _para(document, "{%p if has_appraisal %}")
    _body(document, "Báo cáo thẩm định của {{ appraisal_name }} ngày {{ appraisal_date }} đã được xem xét.")
    _para(document, "{%p endif %}")
    _body(document, "Kết quả biểu quyết của cấp ủy (hình thức: {{ admission_committee_vote.form }}):")
    _vote_table(document, "admission_committee_vote")
    _spacer(document)
    _body(
        document,
        ("Đảng ủy quyết nghị: ", "b"),
        "đề nghị {{ decider_body }} xem xét, quyết định kết nạp quần chúng ",
        ("{{ person_name }}", "b"),
        " vào Đảng Cộng sản Việt Nam.",
    )
    _para(document, ("Tham chiếu: HD06 3.6c; QĐ294 9.3.3; {{ authority_citation }}.", "i"), size=11, after=10)
    _signature(
        document,
        recipients=["- {{ decider_name }},", "- {{ branch_name }},", "- Lưu hồ sơ."],
        lines=["T/M ĐẢNG ỦY", "BÍ THƯ"],
    )


def _decision(document: Any, *, recognition: bool) -> None:
    _heading(
        document,
        superior=None,
        issuer="{{ decider_name|upper }}",
        number="Số: ……-QĐ/…" if recognition else "Số: {{ decision_number }}",
        date_line="{{ place }}, {{ long_date.%s }}" % ("recognition_decision_date" if recognition else "decision_date"),  # noqa: UP031
    )
    _title(
        document,
        "QUYẾT ĐỊNH",
        "công nhận đảng viên chính thức" if recognition else "kết nạp đảng viên",
    )
    _para(document, ("{{ decider_body|upper }}", "b"), align="center", after=8)
    _body(document, "Căn cứ Điều lệ Đảng Cộng sản Việt Nam và các quy định, hướng dẫn thi hành hiện hành;")
    if recognition:
        _body(
            document,
            "Xét nghị quyết của {{ branch_name }} ngày {{ recognition_branch_date }} đề nghị công nhận "
            "đảng viên chính thức;",
        )
        _para(document, "{%p if has_grassroots_resolution %}")
        _body(document, "Xét đề nghị của {{ grassroots_name }};")
        _para(document, "{%p endif %}")
    else:
        _body(document, "Xét nghị quyết của {{ branch_name }} ngày {{ branch_resolution_date }} đề nghị kết nạp;")
        _para(document, "{%p if has_grassroots_resolution %}")
        _body(document, "Xét nghị quyết của {{ grassroots_name }} ngày {{ grassroots_resolution_date }};")
        _para(document, "{%p endif %}")
    _para(document, ("QUYẾT ĐỊNH:", "b"), align="center", before=6, after=6)
    if recognition:
        _body(
            document,
            ("Điều 1. ", "b"),
            "Công nhận đồng chí ",
            ("{{ person_name }}", "b"),
            ", sinh ngày {{ date_of_birth }}, vào Đảng ngày {{ ceremony_date }}, là đảng viên chính thức "
            "kể từ ngày {{ probation_end }}.",
        )
        _body(
            document,
            ("Điều 2. ", "b"),
            "Tuổi đảng của đồng chí được tính từ ngày có quyết định kết nạp ({{ decision_date }}), "
            "theo quy định (tham chiếu QĐ294 4.5.1).",
        )
    else:
        _body(
            document,
            ("Điều 1. ", "b"),
            "Kết nạp quần chúng ",
            ("{{ person_name }}", "b"),
            ", sinh ngày {{ date_of_birth }}, quê quán {{ hometown }}, vào Đảng Cộng sản Việt Nam. "
            "Thời kỳ dự bị là 12 tháng, tính từ ngày chi bộ tổ chức lễ kết nạp.",
        )
        _body(
            document,
            ("Điều 2. ", "b"),
            "{{ branch_name }} tổ chức lễ kết nạp trong thời hạn quy định kể từ khi nhận được quyết định "
            "và phân công đảng viên chính thức giúp đỡ đảng viên dự bị (tham chiếu QĐ294 4.1).",
        )
    _body(
        document,
        ("Điều 3. ", "b"),
        "Các tổ chức đảng có liên quan và đồng chí {{ person_name }} thi hành quyết định này.",
    )
    _spacer(document)
    _signature(
        document,
        recipients=["- Như Điều 3,", "- Lưu hồ sơ đảng viên."],
        lines=["{{ decider_signing }}", ""],
    )


def _probation_summary(document: Any) -> None:
    _heading(
        document,
        superior="{{ branch_superior_name|upper }}",
        issuer="{{ branch_name|upper }}",
        number="",
        date_line="{{ place }}, {{ long_date.today }}",
    )
    _title(document, "BẢN TỔNG HỢP", "quá trình 12 tháng dự bị của đảng viên")
    _body(document, "Đảng viên dự bị: ", ("{{ person_name }}", "b"), ", sinh ngày {{ date_of_birth }}.")
    _rows_table(
        document,
        [
            ("Quyết định kết nạp", "số {{ decision_number }}, ngày {{ decision_date }}"),
            ("Ngày vào Đảng (lễ kết nạp)", "{{ ceremony_date }}"),
            ("Hết thời kỳ dự bị", "{{ probation_end }}"),
            ("Đảng viên giúp đỡ", "{{ mentors_text }}"),
            ("Lớp bồi dưỡng đảng viên mới", "{{ new_member_class_date }}"),
            ("Hoàn thành hồ sơ xét công nhận", "{{ recognition_dossier_date }}"),
            ("Chi bộ họp xét công nhận", "{{ recognition_branch_date }}"),
        ],
    )
    _para(
        document,
        ("Kết quả biểu quyết của chi bộ về việc công nhận (hình thức: {{ recognition_branch_vote.form }}):", "b"),
        before=10,
        after=4,
    )
    _vote_table(document, "recognition_branch_vote")
    _para(document, ("Nhận xét chung của chi ủy:", "b"), before=10, after=2)
    for _line in range(3):
        _dotted_line(document)
    _para(document, ("Tham chiếu: QĐ294 4.2; HD06 4.2–4.6.", "i"), size=11, before=4, after=10)
    _signature(
        document,
        recipients=["- {{ branch_superior_name }},", "- Lưu hồ sơ đảng viên."],
        lines=["T/M CHI ỦY", "BÍ THƯ"],
    )


def _member_sheet(document: Any) -> None:
    _heading(
        document,
        superior="{{ branch_superior_name|upper }}",
        issuer="{{ branch_name|upper }}",
        number="",
        date_line="{{ place }}, {{ long_date.today }}",
    )
    _title(document, "PHIẾU ĐẢNG VIÊN", "Thông tin tổng hợp từ sổ theo dõi của chi bộ")
    _rows_table(
        document,
        [
            ("Họ và tên", "{{ person_name }}"),
            ("Họ / tên đệm / tên", "{{ family_name }} / {{ middle_name }} / {{ given_name }}"),
            ("Ngày sinh / Giới tính", "{{ date_of_birth }} / {{ gender }}"),
            ("Dân tộc / Tôn giáo", "{{ ethnicity }} / {{ religion }}"),
            ("Quê quán", "{{ hometown }}"),
            ("Nơi cư trú", "{{ residence }}"),
            ("Trình độ giáo dục phổ thông", "{{ education }}"),
            ("Nghề nghiệp", "{{ occupation }}"),
            ("Số CCCD (đã che)", "{{ cccd_masked }}"),
            ("Ngày vào Đảng", "{{ ceremony_date }}"),
            ("Quyết định kết nạp", "số {{ decision_number }}, ngày {{ decision_date }}"),
            ("Ngày chính thức", "{{ probation_end }}"),
            ("Người giới thiệu", "{{ introducers_text }}"),
            ("Số thẻ đảng viên", "{{ card_number }}"),
            ("Chi bộ sinh hoạt", "{{ branch_name }}"),
        ],
    )
    _para(
        document,
        ("Bản này không thay thế mẫu phiếu đảng viên chính thức (tham chiếu HD38 I.2).", "i"),
        size=11,
        before=6,
        after=10,
    )
    table = document.add_table(rows=1, cols=2)
    _no_borders(table)
    _widths(table, 80, 85)
    left, right = table.rows[0].cells
    _para(left, ("NGƯỜI KHAI", "b"), align="center", first=True)
    _para(left, ("(ký, ghi rõ họ tên)", "i"), align="center", size=11)
    _para(right, ("XÁC NHẬN CỦA CHI ỦY", "b"), align="center", first=True)
    _para(right, ("(ký, ghi rõ họ tên)", "i"), align="center", size=11)


_BUILDERS: dict[str, Callable[[Any], None]] = {
    GeneratedKind.APPLICATION_COVER.value: _application_cover,
    GeneratedKind.BRANCH_RESOLUTION.value: _branch_resolution,
    GeneratedKind.COMMITTEE_RESOLUTION.value: _committee_resolution,
    GeneratedKind.ADMISSION_DECISION.value: functools.partial(_decision, recognition=False),
    GeneratedKind.RECOGNITION_DECISION.value: functools.partial(_decision, recognition=True),
    GeneratedKind.PROBATION_SUMMARY.value: _probation_summary,
    GeneratedKind.MEMBER_SHEET.value: _member_sheet,
}


@functools.cache
def default_template_bytes(kind: str) -> bytes:
    """The built-in template of `kind` as DOCX bytes with docxtpl tags (built once per process)."""
    builder = _BUILDERS[kind]  # KeyError for an unknown kind: a programming error
    document = _base_document()
    builder(document)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
