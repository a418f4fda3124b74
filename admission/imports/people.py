"""Excel import of people, party members and candidates (issue 6): template, dry run, import.

1. `workbook_read` checks the bytes before any parser sees them (size, a zip that holds
   xl/workbook.xml, a bounded uncompressed size), opens them with openpyxl (read-only, cached
   values only) and maps the header row onto COLUMNS. A file that cannot be used raises
   ImportFileRefused with a message for the user; nothing is recorded for it.
2. `_plan` checks every row against the database, read only, and says what it would do:
   create, update, leave unchanged, or the row's errors (Vietnamese, with the column).
3. `import_dry_run` records the plan as an ImportBatch (dry_run) and keeps the bytes under
   MEDIA_ROOT/imports/<sha256>.xlsx; `import_apply` re-reads those bytes, re-plans inside one
   durable transaction and writes everything or nothing (any error: a `refused` batch only).

Candidates are imported at a stage by walking `services.candidate_transition` from S0 along the
route the organisation tree gives (S8 -> S8A/S9/S10), with the recorded date of each step, so
stage, dates, `next_due_on` and the reminder schedule are exactly what the app would hold had
the steps been recorded one by one. The walk runs with today's clock, so only the next reminder
from today on is scheduled (no blast of past occurrences), and the "stage changed"
notifications it writes are deleted in the same transaction: imported history is not news.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import io
import re
import time
import zipfile
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.db.models.functions import Upper
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from admission import services
from admission.domain import stages
from admission.domain.deadlines import probation_end
from admission.domain.stages import PIPELINE, STAGE_INFO, Stage
from admission.models import CLOSED_STAGES, Candidate, ImportBatch, Notification
from admission.rulebook import RuleBook, rulebook_for
from members import cccd as cccd_rules
from members import names
from members.authority import DecidingBody, NoDecidingBody
from members.models import (
    BRANCH_KINDS,
    CCCD_MESSAGES,
    AuditLog,
    EducationLevel,
    Gender,
    MemberStatus,
    Organisation,
    PartyMember,
    Person,
    User,
)
from members.selectors import organisation_authority, organisation_get, scope_for
from members.services import audit_record, member_create

# The uploaded workbook: at most this many bytes, this many bytes once unzipped (a few
# kilobytes of zip can claim gigabytes), and this many data rows (one request plans them all).
IMPORT_MAX_BYTES = 5 * 1024 * 1024
IMPORT_MAX_UNZIPPED_BYTES = 60 * 1024 * 1024
IMPORT_MAX_ROWS = 5000
# Kept between the dry run and the import; older files are deleted at the next upload.
IMPORT_FILE_TTL = dt.timedelta(days=2)
IMPORT_NOTE = "Nhập từ Excel"
DATA_SHEET = "Danh sách"
GUIDE_SHEET = "Hướng dẫn"
LISTS_SHEET = "Danh mục"
CCCD_LENGTH = 12
# Candidates are imported up to S16; an official member is imported as "Đảng viên".
IMPORTABLE_STAGES: tuple[Stage, ...] = PIPELINE[: PIPELINE.index(Stage.S17)]


class ImportFileRefused(Exception):
    """The file cannot be imported at all; `message` tells the user why (in their language)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- The columns -------------------------------------------------------------------------------
# Headers and hints are the file format, always Vietnamese (like the official forms); the
# messages about them follow the user's language.


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    hint: str
    kind: str  # text, date, bool, cccd, choice
    width: int = 14
    required: bool = False  # the column must be present (a value may still be optional)
    guide: str = ""


COLUMNS: tuple[Column, ...] = (
    Column("branch", "Mã chi bộ", "mã trong ứng dụng", "text", 12, True,
           "Mã của chi bộ quản lý người này (cột «Mã» trên trang tổ chức). Để trống: chi bộ đang nhập."),
    Column("full_name", "Họ và tên", "ít nhất hai từ", "text", 24, True, "Họ, tên đệm và tên; bắt buộc."),
    Column("date_of_birth", "Ngày sinh", "dd/mm/yyyy", "date", 12, True, "Bắt buộc."),
    Column("gender", "Giới tính", "Nam / Nữ", "choice", 9, True, "Bắt buộc; phải khớp chữ số thứ tư của số CCCD."),
    Column("cccd", "Số CCCD", "12 chữ số, dạng văn bản", "cccd", 15, True,
           "Bắt buộc: là khóa để nhập lại không tạo trùng. Cột có định dạng Văn bản để giữ số 0 ở đầu."),
    Column("ethnicity", "Dân tộc", "để trống: Kinh", "text", 10),
    Column("religion", "Tôn giáo", "", "text", 10),
    Column("hometown", "Quê quán", "", "text", 22),
    Column("residence", "Nơi cư trú", "", "text", 22),
    Column("education_level", "Trình độ", "chọn trong danh sách", "choice", 18, False,
           "Trình độ giáo dục phổ thông/cao nhất; bắt buộc với người mới."),
    Column("occupation", "Nghề nghiệp", "", "text", 16),
    Column("youth_union_member", "Đoàn viên", "Có / Không", "bool", 9, False, "Đoàn viên Đoàn TNCS Hồ Chí Minh."),
    Column("is_student", "Học sinh/sinh viên", "Có / Không", "bool", 10),
    Column("private_enterprise_worker", "Lao động DN tư nhân", "Có / Không", "bool", 10),
    Column("kind", "Loại", "Quần chúng / Ứng viên / Đảng viên", "choice", 12, True,
           "Quần chúng: chỉ hồ sơ cá nhân. Ứng viên: người đang trong quy trình kết nạp (cần «Bước»). "
           "Đảng viên: đảng viên chính thức (cần ngày lễ kết nạp và ngày chính thức)."),
    Column("stage", "Bước", "S0 … S16, chỉ cho ứng viên", "choice", 24, False,
           "Bước đang làm của ứng viên; các ngày của những bước trước đó phải có (xem bảng dưới)."),
    Column("sympathiser_date", "Ngày vào danh sách cảm tình Đảng", "dd/mm/yyyy", "date", 14, False,
           "Từ bước S1."),
    Column("certificate_issue_date", "Ngày cấp GCN lớp nhận thức", "dd/mm/yyyy", "date", 14, False, "Từ bước S3."),
    Column("certificate_number", "Số GCN", "", "text", 12, False, "Số giấy chứng nhận lớp nhận thức (từ bước S3)."),
    Column("dossier_start_date", "Ngày được lập hồ sơ", "dd/mm/yyyy", "date", 14, False,
           "Ngày đảng ủy cơ sở cho phép lập hồ sơ (từ bước S4)."),
    Column("branch_resolution_date", "Ngày nghị quyết chi bộ", "dd/mm/yyyy", "date", 14, False,
           "Nghị quyết chi bộ đề nghị kết nạp (từ bước sau S8: S8A, S9 hoặc S10)."),
    Column("decision_date", "Ngày quyết định kết nạp", "dd/mm/yyyy", "date", 14, False,
           "Ứng viên từ bước S11; đảng viên (không bắt buộc). Coi như chi bộ nhận quyết định cùng ngày."),
    Column("decision_number", "Số quyết định", "", "text", 12, False, "Số quyết định kết nạp (ứng viên từ bước S11)."),
    Column("ceremony_date", "Ngày lễ kết nạp", "dd/mm/yyyy", "date", 14, False,
           "Ứng viên từ bước S12; đảng viên (bắt buộc)."),
    Column("official_date", "Ngày chính thức", "dd/mm/yyyy", "date", 14, False,
           "Đảng viên (bắt buộc). Ứng viên từ bước S14: để trống hoặc đúng ngày hết 12 tháng dự bị."),
    Column("recognition_branch_date", "Ngày nghị quyết chi bộ đề nghị công nhận", "dd/mm/yyyy", "date", 16, False,
           "Ứng viên ở bước S16."),
    Column("card_number", "Số thẻ đảng viên", "dạng văn bản", "text", 14, False,
           "Đảng viên; ứng viên từ bước S12 (đảng viên dự bị)."),
)  # fmt: skip
COLUMN_BY_KEY = {c.key: c for c in COLUMNS}
DATE_KEYS = tuple(c.key for c in COLUMNS if c.kind == "date")
PERSON_TEXT_KEYS = ("ethnicity", "religion", "hometown", "residence", "occupation")
PERSON_BOOL_KEYS = ("youth_union_member", "is_student", "private_enterprise_worker")

KIND_MASSES = "masses"
KIND_CANDIDATE = "candidate"
KIND_MEMBER = "member"
KIND_LABELS = {KIND_MASSES: "Quần chúng", KIND_CANDIDATE: "Ứng viên", KIND_MEMBER: "Đảng viên"}
YES, NO = "Có", "Không"

# The candidate date (and text) columns, the first stage at which each is recorded, and the
# stage after which it may no longer be blank. official_date is computed, see _check_candidate.
CANDIDATE_FIELDS_FROM: dict[str, Stage] = {
    "sympathiser_date": Stage.S1,
    "certificate_issue_date": Stage.S3,
    "certificate_number": Stage.S3,
    "dossier_start_date": Stage.S4,
    "branch_resolution_date": Stage.S8A,  # any stage after S8 (S8A, S9 or S10 by the tree)
    "decision_date": Stage.S11,
    "decision_number": Stage.S11,
    "ceremony_date": Stage.S12,
    "card_number": Stage.S12,
    "official_date": Stage.S14,
    "recognition_branch_date": Stage.S16,
}
# Required from that stage on (the numbers are optional).
CANDIDATE_REQUIRED = frozenset(CANDIDATE_FIELDS_FROM) - {"certificate_number", "decision_number", "card_number"}
# Dates in the order events happen; each given date must not be before the previous given one.
CANDIDATE_DATE_ORDER = (
    "sympathiser_date",
    "dossier_start_date",
    "branch_resolution_date",
    "decision_date",
    "ceremony_date",
    "official_date",
    "recognition_branch_date",
)
MEMBER_ONLY_KEYS = ("decision_date", "ceremony_date", "official_date", "card_number")


def _fold(value: str) -> str:
    """Accent-free, lower-case, punctuation-free: how headers and choices are matched."""
    return " ".join(re.sub(r"[^0-9a-z/ ]+", " ", names.search_key(value)).split())


def _stage_order(stage: Stage) -> int:
    return PIPELINE.index(stage)


# --- Reading the workbook ------------------------------------------------------------------


@dataclass(frozen=True)
class Sheet:
    columns: dict[str, int]  # column key -> index in the row
    rows: list[tuple[int, tuple[Any, ...]]]  # (Excel row number, values)


def _file_refused(name: str) -> ImportFileRefused:
    return ImportFileRefused(
        _(
            "Tệp «%(name)s» không phải tệp Excel .xlsx (có thể là tệp CSV, .xls hoặc tệp khác đổi tên). "
            "Hãy dùng tệp mẫu, hoặc mở tệp bằng Excel và lưu dạng «Excel Workbook (.xlsx)»."
        )
        % {"name": name}
    )


def _check_zip(data: bytes, name: str) -> None:
    """A real .xlsx: a zip whose parts include xl/workbook.xml, not a bomb once unzipped."""
    if not data.startswith(b"PK\x03\x04"):
        raise _file_refused(name)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise _file_refused(name) from error
    if "xl/workbook.xml" not in {p.filename for p in parts}:
        raise _file_refused(name)
    if sum(p.file_size for p in parts) > IMPORT_MAX_UNZIPPED_BYTES:
        raise ImportFileRefused(
            _("Tệp «%(name)s» quá lớn khi giải nén; hãy chia thành nhiều tệp nhỏ hơn.") % {"name": name}
        )


def _header_key(value: Any) -> str | None:
    folded = _fold(str(value).rstrip(" *")) if value not in (None, "") else ""
    return _HEADER_LOOKUP.get(folded) if folded else None


_HEADER_LOOKUP = {_fold(c.header): c.key for c in COLUMNS} | {
    "cccd": "cccd",
    "so can cuoc": "cccd",
    "so can cuoc cong dan": "cccd",
    "so dinh danh": "cccd",
    "ho ten": "full_name",
    "ten": "full_name",
}


def _is_hint_row(values: Sequence[Any], columns: dict[str, int]) -> bool:
    """The template's second row explains each column; it is not data."""
    seen = False
    for key, index in columns.items():
        value = values[index] if index < len(values) else None
        if value in (None, ""):
            continue
        if _fold(str(value)) != _fold(COLUMN_BY_KEY[key].hint):
            return False
        seen = True
    return seen


def workbook_read(data: bytes, *, name: str = "") -> Sheet:
    """Open the workbook and map its header row; ImportFileRefused when it cannot be used."""
    if not data:
        raise ImportFileRefused(_("Tệp «%(name)s» trống.") % {"name": name})
    if len(data) > IMPORT_MAX_BYTES:
        raise ImportFileRefused(
            _("Tệp «%(name)s» lớn hơn %(limit)s MB; hãy chia thành nhiều tệp.")
            % {"name": name, "limit": IMPORT_MAX_BYTES // (1024 * 1024)}
        )
    _check_zip(data, name)
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds (KeyError, XML errors, ...) on a damaged file
        raise ImportFileRefused(
            _("Tệp «%(name)s» bị hỏng, không đọc được. Hãy mở bằng Excel, lưu lại rồi tải lên lần nữa.")
            % {"name": name}
        ) from error
    try:
        return _read_sheet(workbook, name)
    except ImportFileRefused:
        raise
    except Exception as error:  # a part that only fails while streaming the rows
        raise ImportFileRefused(
            _("Tệp «%(name)s» bị hỏng, không đọc được. Hãy mở bằng Excel, lưu lại rồi tải lên lần nữa.")
            % {"name": name}
        ) from error
    finally:
        workbook.close()


def _read_sheet(workbook: Any, name: str) -> Sheet:
    sheet = workbook[DATA_SHEET] if DATA_SHEET in workbook.sheetnames else workbook.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = next(rows, None)
    if header is None or all(v in (None, "") for v in header):
        raise ImportFileRefused(
            _("Trang tính «%(sheet)s» của tệp «%(name)s» trống: dòng 1 phải là dòng tiêu đề của tệp mẫu.")
            % {"sheet": sheet.title, "name": name}
        )
    columns: dict[str, int] = {}
    unknown: list[str] = []
    duplicated: list[str] = []
    for index, value in enumerate(header):
        if value in (None, ""):
            continue
        key = _header_key(value)
        if key is None:
            unknown.append(str(value).strip())
        elif key in columns:
            duplicated.append(str(value).strip())
        else:
            columns[key] = index
    missing = [c.header for c in COLUMNS if c.required and c.key not in columns]
    problems = []
    if missing:
        problems.append(_("thiếu cột %(columns)s") % {"columns": ", ".join(f"«{h}»" for h in missing)})
    if unknown:
        problems.append(_("cột không nhận ra %(columns)s") % {"columns": ", ".join(f"«{h}»" for h in unknown)})
    if duplicated:
        problems.append(_("cột lặp lại %(columns)s") % {"columns": ", ".join(f"«{h}»" for h in duplicated)})
    if problems:
        raise ImportFileRefused(
            _("Dòng tiêu đề của tệp «%(name)s» không đúng tệp mẫu: %(problems)s. Hãy tải tệp mẫu và chép dữ liệu vào.")
            % {"name": name, "problems": "; ".join(problems)}
        )
    data_rows: list[tuple[int, tuple[Any, ...]]] = []
    for number, values in enumerate(rows, start=2):
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        if number == 2 and _is_hint_row(values, columns):
            continue
        data_rows.append((number, tuple(values)))
        if len(data_rows) > IMPORT_MAX_ROWS:
            raise ImportFileRefused(
                _("Tệp «%(name)s» có hơn %(limit)s dòng; hãy chia thành nhiều tệp.")
                % {"name": name, "limit": IMPORT_MAX_ROWS}
            )
    if not data_rows:
        raise ImportFileRefused(_("Tệp «%(name)s» không có dòng dữ liệu nào dưới dòng tiêu đề.") % {"name": name})
    return Sheet(columns=columns, rows=data_rows)


# --- Cells -------------------------------------------------------------------------------


class CellError(Exception):
    pass


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.strftime("%d/%m/%Y")
    return names.normalize_text(str(value))


_DATE_TEXT = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")


def _date(value: Any) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _text(value)
    if not text:
        return None
    match = _DATE_TEXT.match(text)
    if match:
        day, month, year = (int(g) for g in match.groups())
    elif iso := _ISO_DATE.match(text):
        year, month, day = (int(g) for g in iso.groups())
    else:
        raise CellError(_("«%(value)s» không phải ngày dạng dd/mm/yyyy.") % {"value": text})
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise CellError(_("Ngày «%(value)s» không có thật.") % {"value": text}) from None


_TRUE = {"co", "x", "1", "true", "yes", "dung", "v"}
_FALSE = {"khong", "0", "false", "no", "sai", "-"}


def _bool(value: Any) -> bool | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        return value
    folded = _fold(_text(value))
    if not folded:
        return None
    if folded in _TRUE:
        return True
    if folded in _FALSE:
        return False
    raise CellError(_("«%(value)s» không phải «Có» hoặc «Không».") % {"value": _text(value)})


def _gender(value: Any) -> str | None:
    folded = _fold(_text(value))
    if not folded:
        return None
    found = {"nam": Gender.MALE, "m": Gender.MALE, "nu": Gender.FEMALE, "f": Gender.FEMALE}.get(folded)
    if found is None:
        raise CellError(_("Giới tính «%(value)s» không hợp lệ: ghi «Nam» hoặc «Nữ».") % {"value": _text(value)})
    return str(found)


@functools.cache
def _education_lookup() -> dict[str, str]:
    with translation.override("vi"):
        found = {_fold(str(label)): code for code, label in EducationLevel.choices}
    found |= {_fold(code.replace("_", " ")): code for code in EducationLevel.values}
    return found | {
        "thpt": "upper_secondary",
        "12/12": "upper_secondary",
        "thcs": "lower_secondary",
        "9/12": "lower_secondary",
        "trung hoc pho thong": "upper_secondary",
        "trung hoc co so": "lower_secondary",
        "thac si": "postgraduate",
        "tien si": "postgraduate",
    }


def _education(value: Any) -> str | None:
    folded = _fold(_text(value))
    if not folded:
        return None
    found = _education_lookup().get(folded)
    if found is None:
        raise CellError(_("Trình độ «%(value)s» không có trong danh sách.") % {"value": _text(value)})
    return found


def _kind(value: Any) -> str | None:
    folded = _fold(_text(value))
    if not folded:
        return None
    found = {
        "quan chung": KIND_MASSES,
        "quan chung uu tu": KIND_MASSES,
        "ung vien": KIND_CANDIDATE,
        "nguoi vao dang": KIND_CANDIDATE,
        "dang vien": KIND_MEMBER,
    }.get(folded)
    if found is None:
        raise CellError(
            _("Loại «%(value)s» không hợp lệ: ghi «Quần chúng», «Ứng viên» hoặc «Đảng viên».") % {"value": _text(value)}
        )
    return found


def _stage(value: Any) -> Stage | None:
    text = _text(value)
    if not text:
        return None
    code = re.split(r"[\s·:\-]", text, maxsplit=1)[0].upper()
    if code not in {s.value for s in IMPORTABLE_STAGES}:
        raise CellError(
            _("Bước «%(value)s» không có: chọn từ S0 đến S16 (S8A), xem danh sách trong tệp mẫu.") % {"value": text}
        )
    return Stage(code)


@dataclass
class CccdCell:
    number: str = ""
    padded_from: str = ""  # the number as Excel stored it, when zeros were added back
    stored_as_number: bool = False


def _cccd(value: Any) -> CccdCell:
    """Text is taken as typed (spaces removed); a number had its leading zeros dropped by Excel."""
    if value in (None, ""):
        return CccdCell()
    if isinstance(value, bool):
        raise CellError(_("Số CCCD chỉ được gồm chữ số."))
    if isinstance(value, int | float):
        if isinstance(value, float) and not value.is_integer():
            raise CellError(_("Số CCCD chỉ được gồm chữ số."))
        digits = str(int(value))
        return CccdCell(number=digits, stored_as_number=True)
    return CccdCell(number="".join(str(value).split()))


# --- Planning ------------------------------------------------------------------------------


_HEADER_ORDER = {c.header: index for index, c in enumerate(COLUMNS)}


def _column_order(error: tuple[str, str]) -> int:
    """Errors are listed in the order of the file's columns (row-level ones last)."""
    return _HEADER_ORDER.get(error[0], len(COLUMNS))


@dataclass
class RowPlan:
    row: int
    values: dict[str, Any] = field(default_factory=dict)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (column header, message)
    notes: list[str] = field(default_factory=list)
    outcome: str = ""  # create | update | unchanged | error
    branch: Organisation | None = None
    person: Person | None = None  # new (unsaved) or existing with the file's changes applied
    person_new: bool = False
    person_changed: list[str] = field(default_factory=list)
    member: PartyMember | None = None
    member_changed: list[str] = field(default_factory=list)
    candidate: Candidate | None = None  # an existing open candidacy
    path: list[Stage] = field(default_factory=list)  # the stages still to walk, current first
    candidate_new: bool = False

    def has_error(self, key: str) -> bool:
        return any(header == COLUMN_BY_KEY[key].header for header, _message in self.errors)

    def error(self, key: str, message: str) -> None:
        header = COLUMN_BY_KEY[key].header if key in COLUMN_BY_KEY else ""
        if (header, message) not in self.errors:
            self.errors.append((header, message))

    def report(self) -> dict[str, Any]:
        kind = self.values.get("kind")
        stage = self.values.get("stage")
        number = self.values.get("cccd") or ""
        return {
            "row": self.row,
            "name": names.normalize_name(self.values.get("full_name") or ""),
            "cccd": cccd_rules.mask_cccd(number),
            "branch": self.values.get("branch") or "",
            "kind": KIND_LABELS.get(kind, "") if kind else "",
            "stage": str(stage) if stage else "",
            "outcome": self.outcome,
            "errors": [{"column": c, "message": m} for c, m in sorted(self.errors, key=_column_order)],
            "notes": list(self.notes),
        }


@dataclass
class Plan:
    rows: list[RowPlan]

    @property
    def error_rows(self) -> list[RowPlan]:
        return [r for r in self.rows if r.errors]

    def counts(self) -> dict[str, int]:
        found = Counter(r.outcome for r in self.rows)
        return {k: found.get(k, 0) for k in ("create", "update", "unchanged", "error")}

    def report(self, **extra: Any) -> dict[str, Any]:
        return {"rows": [r.report() for r in self.rows], "counts": self.counts(), **extra}


def _parse_row(number: int, values: tuple[Any, ...], columns: dict[str, int]) -> RowPlan:
    plan = RowPlan(row=number)

    def cell(key: str) -> Any:
        index = columns.get(key)
        return values[index] if index is not None and index < len(values) else None

    parsers = {
        "gender": _gender,
        "education_level": _education,
        "kind": _kind,
        "stage": _stage,
    }
    for column in COLUMNS:
        raw = cell(column.key)
        try:
            if column.kind == "date":
                plan.values[column.key] = _date(raw)
            elif column.kind == "bool":
                plan.values[column.key] = _bool(raw)
            elif column.kind == "cccd":
                plan.values["cccd_cell"] = _cccd(raw)
                plan.values["cccd"] = plan.values["cccd_cell"].number
            elif column.key in parsers:
                plan.values[column.key] = parsers[column.key](raw)
            else:
                plan.values[column.key] = _text(raw)
        except CellError as error:
            plan.values[column.key] = None
            plan.error(column.key, str(error))
    if isinstance(plan.values.get("branch"), str):
        plan.values["branch"] = plan.values["branch"].upper()
    return plan


def _resolve_cccd(plan: RowPlan) -> None:
    """Excel stores a number typed into a General cell without its leading zeros. Put them back
    only when that gives a CCCD valid for this person (province code, gender and century digit,
    year of birth); otherwise say what happened so the user fixes the cell format."""
    cell: CccdCell = plan.values.get("cccd_cell") or CccdCell()
    if not cell.number:
        plan.error("cccd", _("Thiếu số CCCD: số CCCD là khóa để nhập lại không tạo trùng người."))
        return
    if not cell.stored_as_number or len(cell.number) >= CCCD_LENGTH:
        return
    padded = cell.number.zfill(CCCD_LENGTH)
    problems = cccd_rules.cccd_errors(
        padded, gender=plan.values.get("gender"), date_of_birth=plan.values.get("date_of_birth")
    )
    if problems:
        plan.error(
            "cccd",
            _(
                "Số CCCD «%(value)s» bị Excel lưu dạng số (mất các số 0 ở đầu); thêm số 0 cũng không ra số hợp lệ "
                "(%(why)s). Hãy định dạng cột là Văn bản (Text) và nhập lại đủ 12 chữ số."
            )
            % {"value": cell.number, "why": " ".join(str(CCCD_MESSAGES[code]) for code in problems)},
        )
        return
    plan.values["cccd"] = padded
    plan.notes.append(
        _("Số CCCD bị Excel lưu dạng số; đã thêm số 0 ở đầu thành %(number)s.")
        % {"number": cccd_rules.mask_cccd(padded)}
    )


@dataclass
class Lookups:
    """What the rows refer to, each read in one query for the whole file."""

    organisation: Organisation
    acting_user: User | None
    today: dt.date
    branches: dict[str, Organisation]
    people: dict[str, Person]
    open_candidacies: dict[int, Candidate]
    closed_candidacies: set[int]
    routes: dict[int, tuple[Stage, bool] | None] = field(default_factory=dict)
    rulebooks: dict[int, RuleBook] = field(default_factory=dict)

    def rulebook(self, branch: Organisation) -> RuleBook:
        if branch.pk not in self.rulebooks:
            self.rulebooks[branch.pk] = rulebook_for(branch)
        return self.rulebooks[branch.pk]

    def route(self, branch: Organisation) -> tuple[Stage, bool] | None:
        """Where a branch resolution goes (S8A, S9 or S10) and whether the grassroots committee
        decides itself (S9 -> S11), as services._route reads the organisation tree."""
        if branch.pk not in self.routes:
            try:
                authority = organisation_authority(organisation=branch)
            except NoDecidingBody:
                self.routes[branch.pk] = None
            else:
                decides_itself = authority.body == DecidingBody.GRASSROOTS_COMMITTEE
                after = stages.next_after_branch_resolution(
                    has_sub_committee=authority.appraisal_by is not None,
                    has_grassroots_committee=authority.grassroots_resolution_by is not None or decides_itself,
                    grassroots_decides_itself=decides_itself,
                )
                self.routes[branch.pk] = (after, decides_itself)
        return self.routes[branch.pk]


def _lookups(
    rows: list[RowPlan], *, organisation: Organisation, acting_user: User | None, today: dt.date, lock: bool
) -> Lookups:
    codes = {r.values["branch"] for r in rows if r.values.get("branch")}
    numbers = {r.values["cccd"] for r in rows if r.values.get("cccd")}
    people_qs = Person.objects.filter(cccd__in=numbers).select_related("organisation", "membership")
    if lock:
        # Inside the import's transaction: nobody changes these people until it commits.
        people_qs = people_qs.select_for_update(of=("self",))
    people = {p.cccd: p for p in people_qs if p.cccd}
    candidacies = Candidate.objects.filter(person__in=list(people.values())).select_related("member")
    open_candidacies: dict[int, Candidate] = {}
    closed: set[int] = set()
    for candidacy in candidacies:
        if candidacy.stage in CLOSED_STAGES:
            closed.add(candidacy.person_id)
        else:
            open_candidacies[candidacy.person_id] = candidacy
    return Lookups(
        organisation=organisation,
        acting_user=acting_user,
        today=today,
        # Codes are matched case-insensitively ("a" finds "A").
        branches={
            o.code.upper(): o
            for o in Organisation.objects.annotate(code_upper=Upper("code")).filter(code_upper__in=codes)
        },
        people=people,
        open_candidacies=open_candidacies,
        closed_candidacies=closed,
    )


def _check_branch(plan: RowPlan, look: Lookups) -> None:
    code = plan.values.get("branch") or ""
    if not code:
        if look.organisation.is_branch:
            plan.branch = look.organisation
            plan.values["branch"] = look.organisation.code
            return
        plan.error("branch", _("Thiếu mã chi bộ."))
        return
    branch = look.branches.get(code.upper())
    if branch is None:
        plan.error("branch", _("Không có chi bộ mã «%(code)s»: xem mã trên trang tổ chức.") % {"code": code})
        return
    if (
        look.acting_user is not None and not scope_for(look.acting_user).can_edit(branch)
    ) or not branch.path.startswith(look.organisation.path):
        plan.error(
            "branch",
            _("Chi bộ mã «%(code)s» nằm ngoài phạm vi bạn được nhập (%(scope)s).")
            % {"code": code, "scope": look.organisation.name},
        )
        return
    if branch.kind not in BRANCH_KINDS:
        plan.error(
            "branch",
            _("«%(code)s» là %(kind)s, không phải chi bộ: người được quản lý ở chi bộ.")
            % {"code": code, "kind": branch.get_kind_display().lower()},
        )
        return
    plan.branch = branch


def _check_dates(plan: RowPlan, today: dt.date) -> None:
    for key in DATE_KEYS:
        day = plan.values.get(key)
        if key != "date_of_birth" and day is not None and day > today:
            plan.error(key, _("Ngày %(day)s ở tương lai.") % {"day": f"{day:%d/%m/%Y}"})
    born = plan.values.get("date_of_birth")
    if born is None:
        return
    for key in DATE_KEYS:
        day = plan.values.get(key)
        if key != "date_of_birth" and day is not None and day <= born:
            plan.error(
                key,
                _("«%(column)s» (%(day)s) không thể trước ngày sinh (%(born)s).")
                % {"column": COLUMN_BY_KEY[key].header, "day": f"{day:%d/%m/%Y}", "born": f"{born:%d/%m/%Y}"},
            )


def _check_order(plan: RowPlan, keys: Sequence[str], *, strict: Iterable[tuple[str, str]] = ()) -> None:
    """Each given date must not be before the previous given one (strictly after for `strict` pairs)."""
    strict_pairs = set(strict)
    previous: str | None = None
    for key in keys:
        day = plan.values.get(key)
        if day is None:
            continue
        if previous is not None:
            before = plan.values[previous]
            if day < before or (day == before and (previous, key) in strict_pairs):
                plan.error(
                    key,
                    _("«%(later)s» (%(day)s) không thể trước «%(earlier)s» (%(before)s).")
                    % {
                        "later": COLUMN_BY_KEY[key].header,
                        "day": f"{day:%d/%m/%Y}",
                        "earlier": COLUMN_BY_KEY[previous].header,
                        "before": f"{before:%d/%m/%Y}",
                    },
                )
        previous = key


def _not_for(plan: RowPlan, keys: Iterable[str], why: str) -> None:
    for key in keys:
        if plan.values.get(key) not in (None, ""):
            plan.error(key, why)


def _check_person(plan: RowPlan, look: Lookups) -> None:
    """Find the person by CCCD, check they may be changed here, and prepare the changes
    (validated by Person.full_clean: name of two words, CCCD structure, date of birth)."""
    values = plan.values
    number = values.get("cccd") or ""
    existing = look.people.get(number) if number else None
    if existing is not None:
        if look.acting_user is not None and not scope_for(look.acting_user).can_edit(existing.organisation):
            plan.error(
                "cccd", _("Người có số CCCD này thuộc tổ chức ngoài phạm vi của bạn; không thể cập nhật bằng tệp này.")
            )
            return
        if plan.branch is not None and existing.organisation_id != plan.branch.pk:
            plan.error(
                "branch",
                _("Người có số CCCD này đang thuộc %(branch)s; chuyển sinh hoạt đảng không làm bằng nhập Excel.")
                % {"branch": existing.organisation.name},
            )
            return
        person = existing
    else:
        if not values.get("education_level"):
            plan.error("education_level", _("Thiếu trình độ (bắt buộc với người mới)."))
        # Without a usable branch the row is already refused; the person is still checked so
        # that every error of the row is reported at once.
        person = Person(organisation=plan.branch) if plan.branch is not None else Person()
        plan.person_new = True
    wanted: dict[str, Any] = {
        "full_name": names.normalize_name(values.get("full_name") or ""),
        "date_of_birth": values.get("date_of_birth"),
        "gender": values.get("gender"),
        "cccd": number,
    }
    if not values.get("full_name"):
        plan.error("full_name", _("Thiếu họ và tên."))
    if wanted["date_of_birth"] is None and not plan.has_error("date_of_birth"):
        plan.error("date_of_birth", _("Thiếu ngày sinh."))
    if wanted["gender"] is None and not plan.has_error("gender"):
        plan.error("gender", _("Thiếu giới tính."))
    for key in PERSON_TEXT_KEYS:
        if values.get(key):
            wanted[key] = names.normalize_text(values[key])
    if values.get("education_level"):
        wanted["education_level"] = values["education_level"]
    for key in PERSON_BOOL_KEYS:
        if values.get(key) is not None:
            wanted[key] = values[key]
        elif plan.person_new:
            wanted[key] = False
    changed = [k for k, v in wanted.items() if getattr(person, k) != v]
    for key in changed:
        setattr(person, key, wanted[key])
    # Fields already refused (a date that does not exist, a missing gender) are left out so the
    # same fault is not reported twice; Person.clean still runs (two-word name, CCCD structure).
    # The organisation is the branch just checked, and the CCCD's uniqueness is checked against
    # the file and the lookup above: no query per row for either.
    exclude = ["organisation", *(k for k in wanted if wanted[k] is None or plan.has_error(k))]
    try:
        person.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        for key, messages in error.message_dict.items():
            for message in messages:
                plan.error(key if key in COLUMN_BY_KEY else "", message)
    plan.person = person
    plan.person_changed = [] if plan.person_new else changed


def _check_masses(plan: RowPlan, look: Lookups) -> None:
    person = plan.person
    _not_for(
        plan,
        ["stage", *CANDIDATE_FIELDS_FROM, *MEMBER_ONLY_KEYS],
        _("Chỉ ghi cho ứng viên hoặc đảng viên, không cho quần chúng."),
    )
    if person is None or plan.person_new:
        return
    if person.pk in look.open_candidacies:
        plan.error(
            "kind",
            _("Người này đang trong quy trình kết nạp (bước %(stage)s): ghi loại «Ứng viên» và đúng bước.")
            % {"stage": look.open_candidacies[person.pk].stage},
        )
    membership = getattr(person, "membership", None)
    if membership is not None and membership.status in (MemberStatus.OFFICIAL, MemberStatus.PROBATIONARY):
        plan.error("kind", _("Người này là đảng viên: ghi loại «Đảng viên»."))


def _check_member(plan: RowPlan, look: Lookups) -> None:
    values = plan.values
    _not_for(
        plan,
        ["stage", *(k for k in CANDIDATE_FIELDS_FROM if k not in (*MEMBER_ONLY_KEYS, "decision_number"))],
        _("Chỉ ghi cho ứng viên; với đảng viên để trống."),
    )
    if values.get("decision_number"):
        plan.notes.append(_("Số quyết định kết nạp của đảng viên chưa được lưu trong ứng dụng; bỏ qua."))
    for key in ("ceremony_date", "official_date"):
        if values.get(key) is None and not plan.has_error(key):
            plan.error(
                key,
                _("Thiếu «%(column)s» (bắt buộc với đảng viên). Đảng viên dự bị: nhập là ứng viên ở bước S12–S16.")
                % {"column": COLUMN_BY_KEY[key].header},
            )
    _check_order(plan, ("decision_date", "ceremony_date", "official_date"), strict=[("ceremony_date", "official_date")])
    person = plan.person
    if person is None or plan.branch is None:
        return
    if not plan.person_new and person.pk in look.open_candidacies:
        plan.error(
            "kind",
            _("Người này đang trong quy trình kết nạp (bước %(stage)s): ghi loại «Ứng viên» và đúng bước.")
            % {"stage": look.open_candidacies[person.pk].stage},
        )
        return
    member = getattr(person, "membership", None) if not plan.person_new else None
    if member is not None and member.status in (MemberStatus.REMOVED, MemberStatus.LEFT):
        plan.error(
            "kind",
            _("Người này đã %(status)s; không nhập lại bằng tệp.") % {"status": member.get_status_display().lower()},
        )
        return
    wanted = {
        "status": MemberStatus.OFFICIAL.value,
        "admission_decision_date": values.get("decision_date"),
        "ceremony_date": values.get("ceremony_date"),
        "official_date": values.get("official_date"),
        "card_number": values.get("card_number") or "",
    }
    if member is None:
        plan.member = PartyMember(person=person, organisation=person.organisation, **wanted)
        return
    # Blank cells keep what is recorded.
    changed = [k for k, v in wanted.items() if v not in (None, "") and getattr(member, k) != v]
    for key in changed:
        setattr(member, key, wanted[key])
    plan.member = member
    plan.member_changed = changed


def _route_path(after_branch: Stage, decides_itself: bool, *, with_class: bool) -> list[Stage]:
    """The stages from S0 to S16 along this branch's route (S2 only when the class is pending)."""
    path = [Stage.S0, Stage.S1, *([Stage.S2] if with_class else []), Stage.S3, Stage.S4, Stage.S5, Stage.S6]
    path += [Stage.S7, Stage.S8]
    if after_branch == Stage.S8A:
        path += [Stage.S8A, Stage.S9]
    elif after_branch == Stage.S9:
        path += [Stage.S9]
    if not decides_itself:
        path += [Stage.S10]
    return path + [Stage.S11, Stage.S12, Stage.S13, Stage.S14, Stage.S15, Stage.S16]


def _fields_recorded_by(source: Stage, target: Stage) -> tuple[str, ...]:
    """The candidate fields the step source -> target records (its date first), as the step forms do."""
    if source == Stage.S8:
        return ("branch_resolution_date",)
    return {
        Stage.S1: ("sympathiser_date",),
        Stage.S3: ("certificate_issue_date", "certificate_number"),
        Stage.S4: ("dossier_start_date",),
        Stage.S11: ("decision_date", "decision_number", "decision_received_date"),
        Stage.S12: ("ceremony_date",),
        Stage.S14: ("official_date",),
        Stage.S16: ("recognition_branch_date",),
    }.get(target, ())


def _check_candidate(plan: RowPlan, look: Lookups) -> None:
    values = plan.values
    target: Stage | None = values.get("stage")
    if target is None:
        if not plan.has_error("stage"):
            plan.error("stage", _("Thiếu bước (S0 … S16) của ứng viên."))
        return
    order = _stage_order(target)
    for key, first in CANDIDATE_FIELDS_FROM.items():
        given = values.get(key) not in (None, "")
        if key == "official_date":
            continue
        if given and order < _stage_order(first):
            plan.error(
                key,
                _("Ứng viên ở bước %(stage)s chưa có «%(column)s» (chỉ ghi từ bước %(first)s); kiểm tra lại bước.")
                % {"stage": target, "column": COLUMN_BY_KEY[key].header, "first": first},
            )
        elif not given and key in CANDIDATE_REQUIRED and order >= _stage_order(first) and not plan.has_error(key):
            plan.error(
                key,
                _("Ứng viên ở bước %(stage)s phải có «%(column)s».")
                % {"stage": target, "column": COLUMN_BY_KEY[key].header},
            )
    if values.get("certificate_issue_date") and values.get("dossier_start_date"):
        _check_order(plan, ("certificate_issue_date", "dossier_start_date"))
    ceremony = values.get("ceremony_date")
    if ceremony is not None and plan.branch is not None:
        end = probation_end(ceremony_date=ceremony, rules=look.rulebook(plan.branch).for_date(ceremony)).day
        official = values.get("official_date")
        if order < _stage_order(Stage.S14):
            if official is not None:
                plan.error(
                    "official_date",
                    _(
                        "Ứng viên ở bước %(stage)s chưa có ngày chính thức; ứng dụng tự tính (%(end)s, hết 12 tháng dự bị)."
                    )
                    % {"stage": target, "end": f"{end:%d/%m/%Y}"},
                )
        elif end > look.today:
            plan.error(
                "stage",
                _("Chưa hết thời kỳ dự bị (đến %(end)s) nên ứng viên chưa thể ở bước %(stage)s.")
                % {"end": f"{end:%d/%m/%Y}", "stage": target},
            )
        elif official is not None and official != end:
            plan.error(
                "official_date",
                _("Ngày chính thức phải là %(end)s (hết 12 tháng dự bị kể từ lễ kết nạp).")
                % {"end": f"{end:%d/%m/%Y}"},
            )
        else:
            values["official_date"] = end
    elif values.get("official_date") is not None and order < _stage_order(Stage.S14):
        plan.error("official_date", _("Ứng viên ở bước %(stage)s chưa có ngày chính thức.") % {"stage": target})
    _check_order(
        plan,
        CANDIDATE_DATE_ORDER,
        strict=[("ceremony_date", "official_date")],
    )
    if plan.branch is None:
        return
    route = look.route(plan.branch)
    if route is None:
        plan.error("branch", _("Không xác định được cấp có thẩm quyền kết nạp cho chi bộ này (cây tổ chức)."))
        return
    person = plan.person
    existing = look.open_candidacies.get(person.pk) if person is not None and not plan.person_new else None
    current = existing.stage_enum if existing is not None else Stage.S0
    path = _route_path(*route, with_class=Stage.S2 in (target, current))
    if target not in path:
        plan.error(
            "stage",
            _("Bước %(stage)s không có trên đường xét hồ sơ của chi bộ này (sau S8 là %(next)s).")
            % {"stage": target, "next": route[0]},
        )
        return
    if person is None:
        return
    if existing is None:
        _check_new_candidacy(plan, look, person)
        plan.path = path[: path.index(target) + 1]
        plan.candidate_new = True
        return
    _check_existing_candidacy(plan, existing, path, target)


def _check_new_candidacy(plan: RowPlan, look: Lookups, person: Person) -> None:
    if plan.person_new:
        return
    membership = getattr(person, "membership", None)
    if membership is not None and membership.status in (MemberStatus.OFFICIAL, MemberStatus.PROBATIONARY):
        plan.error("kind", _("Người này đã là đảng viên: ghi loại «Đảng viên»."))
    elif person.pk in look.closed_candidacies:
        plan.error(
            "kind",
            _("Người này đã kết thúc một quy trình kết nạp; kết nạp lại phải ghi trên ứng dụng, không bằng tệp."),
        )


def _check_existing_candidacy(plan: RowPlan, existing: Candidate, path: list[Stage], target: Stage) -> None:
    """Re-importing a candidacy: the recorded steps must agree with the file; the file may only
    take the candidate further along the route (never back, never another date for a step)."""
    current = existing.stage_enum
    if current not in path or path.index(current) > path.index(target):
        plan.error(
            "stage",
            _(
                "Ứng viên đang ở bước %(current)s trong ứng dụng; tệp ghi bước %(stage)s. "
                "Nhập Excel không lùi bước: sửa trên trang hồ sơ ứng viên."
            )
            % {"current": current, "stage": target},
        )
        return
    passed = path[: path.index(current) + 1]
    recorded_keys = {k for a, b in zip(passed, passed[1:], strict=False) for k in _fields_recorded_by(a, b)}
    for key in sorted(recorded_keys - {"decision_received_date"}):
        given = plan.values.get(key)
        if given in (None, ""):
            continue
        stored = getattr(existing, key)
        if stored != given:
            shown = f"{stored:%d/%m/%Y}" if isinstance(stored, dt.date) else (stored or "—")
            plan.error(
                key,
                _("Khác với giá trị đã ghi trong ứng dụng (%(stored)s); sửa trên trang hồ sơ ứng viên nếu cần.")
                % {"stored": shown},
            )
    plan.candidate = existing
    plan.path = path[path.index(current) : path.index(target) + 1]
    card = plan.values.get("card_number")
    if card and current >= Stage.S12 and existing.member is not None and existing.member.card_number != card:
        plan.member_changed = ["card_number"]


def _classify(plan: RowPlan) -> None:
    if plan.errors:
        plan.outcome = "error"
    elif plan.person_new:
        plan.outcome = "create"
    elif (
        plan.person_changed
        or plan.member_changed
        or (plan.member is not None and plan.member.pk is None)
        or plan.candidate_new
        or len(plan.path) > 1
    ):
        plan.outcome = "update"
    else:
        plan.outcome = "unchanged"


def _plan(
    sheet: Sheet, *, organisation: Organisation, acting_user: User | None, today: dt.date, lock: bool = False
) -> Plan:
    """Check every row (read only) and say what importing it would do."""
    rows = [_parse_row(number, values, sheet.columns) for number, values in sheet.rows]
    for plan in rows:
        _resolve_cccd(plan)
    by_number: dict[str, list[RowPlan]] = {}
    for plan in rows:
        if plan.values.get("cccd"):
            by_number.setdefault(plan.values["cccd"], []).append(plan)
    for same in by_number.values():
        if len(same) > 1:
            listed = ", ".join(str(p.row) for p in same)
            for plan in same:
                plan.error("cccd", _("Số CCCD trùng ở các dòng %(rows)s của tệp.") % {"rows": listed})
    look = _lookups(rows, organisation=organisation, acting_user=acting_user, today=today, lock=lock)
    for plan in rows:
        _check_branch(plan, look)
        _check_dates(plan, today)
        kind = plan.values.get("kind")
        if kind is None and not plan.has_error("kind"):
            plan.error("kind", _("Thiếu loại: «Quần chúng», «Ứng viên» hoặc «Đảng viên»."))
        _check_person(plan, look)
        if kind == KIND_MASSES:
            _check_masses(plan, look)
        elif kind == KIND_MEMBER:
            _check_member(plan, look)
        elif kind == KIND_CANDIDATE:
            _check_candidate(plan, look)
        _classify(plan)
    return Plan(rows)


# --- Writing ------------------------------------------------------------------------------


def _walk(
    *,
    acting_user: User | None,
    candidate: Candidate,
    path: list[Stage],
    values: dict[str, Any],
    batch: ImportBatch,
    now: dt.datetime,
) -> None:
    """Record each step of `path` through candidate_transition, dated as the file says; a step
    without a date column (application, introduction, ...) takes the date of the step before."""
    transitions: list[int] = []
    day = candidate.stage_entered_on
    for source, target in zip(path, path[1:], strict=False):
        keys = _fields_recorded_by(source, target)
        fields: dict[str, Any] = {}
        if keys:
            day = values[keys[0]] or day
            fields = {k: values[k] for k in keys if values.get(k) not in (None, "")}
            if "decision_received_date" in keys:
                fields["decision_received_date"] = values["decision_date"]
            if source == Stage.S9 and target == Stage.S11:
                fields["grassroots_resolution_date"] = values["decision_date"]
        transition = services.candidate_transition(
            acting_user=acting_user,
            candidate=candidate,
            expected_stage=source,
            to_stage=target,
            on_date=day,
            now=now,
            note=IMPORT_NOTE,
            basis=f"Import {batch.pk}",
            fields=fields,
        )
        transitions.append(transition.pk)
    # Imported history is not news: the walk's "dossier moved up / decided" notices go.
    Notification.objects.filter(transition_id__in=transitions, kind=Notification.Kind.STAGE_CHANGE).delete()


def _write_row(plan: RowPlan, *, acting_user: User | None, batch: ImportBatch, now: dt.datetime) -> None:
    person = plan.person
    assert person is not None  # noqa: S101 - rows without a person have errors and are never written
    if plan.person_new or plan.person_changed:
        person._history_user = acting_user  # type: ignore[attr-defined]
        person.save()
    kind = plan.values["kind"]
    if kind == KIND_MEMBER and plan.member is not None:
        if plan.member.pk is None:
            member_create(
                acting_user=None,  # the plan checked the importing user's scope row by row
                person=person,
                status=MemberStatus.OFFICIAL,
                admission_decision_date=plan.member.admission_decision_date,
                ceremony_date=plan.member.ceremony_date,
                official_date=plan.member.official_date,
                card_number=plan.member.card_number,
            )
        elif plan.member_changed:
            plan.member._history_user = acting_user  # type: ignore[attr-defined]
            plan.member.full_clean(validate_unique=False)
            plan.member.save(update_fields=plan.member_changed)
    if kind != KIND_CANDIDATE:
        return
    candidate = plan.candidate
    if plan.candidate_new:
        first = plan.values.get("sympathiser_date") or timezone.localdate(now)
        candidate = Candidate(
            person=person, organisation=person.organisation, stage_entered_at=now, stage_entered_on=first
        )
        candidate._history_user = acting_user  # type: ignore[attr-defined]
        candidate.save()
    assert candidate is not None  # noqa: S101 - a candidate row has a new or an existing candidacy
    if len(plan.path) > 1:
        _walk(acting_user=acting_user, candidate=candidate, path=plan.path, values=plan.values, batch=batch, now=now)
    card = plan.values.get("card_number")
    if card:
        candidate.refresh_from_db(fields=["member"])
        member = candidate.member
        if member is not None and member.card_number != card:
            member.card_number = card
            member._history_user = acting_user  # type: ignore[attr-defined]
            member.full_clean(validate_unique=False)
            member.save(update_fields=["card_number"])


# --- Services -----------------------------------------------------------------------------


def _require_edit(acting_user: User | None, organisation: Organisation) -> None:
    if acting_user is not None and not scope_for(acting_user).can_edit(organisation):
        raise PermissionDenied


def _audit(acting_user: User | None, batch: ImportBatch, ip_address: str | None) -> None:
    # The detail names the batch, where the row-by-row report is.
    audit_record(
        user=acting_user,
        action=AuditLog.Action.IMPORT,
        detail=(
            f"import {batch.pk} {batch.status}: {batch.file_name} ({batch.rows} rows; "
            f"+{batch.created_count} ~{batch.updated_count} ={batch.unchanged_count})"
        ),
        ip_address=ip_address,
    )


def _batch(
    *,
    organisation: Organisation,
    acting_user: User | None,
    now: dt.datetime,
    file_name: str,
    sha256: str,
    status: str,
    plan: Plan,
    **extra: Any,
) -> ImportBatch:
    counts = plan.counts()
    return ImportBatch.objects.create(
        organisation=organisation,
        created_by=acting_user if acting_user is not None and acting_user.is_authenticated else None,
        created_at=now,
        file_name=file_name[:255],
        sha256=sha256,
        status=status,
        rows=len(plan.rows),
        created_count=counts["create"],
        updated_count=counts["update"],
        unchanged_count=counts["unchanged"],
        report=plan.report(**extra),
    )


def import_dry_run(
    *,
    acting_user: User | None,
    organisation: Organisation,
    file_name: str,
    data: bytes,
    now: dt.datetime | None = None,
    ip_address: str | None = None,
) -> ImportBatch:
    """Check the workbook row by row without changing any person, member or candidate.

    Side effects: the bytes are kept under MEDIA_ROOT/imports/ for the import that may follow;
    one durable transaction writes the ImportBatch (dry_run, with the per-row report) and its
    audit row. Raises ImportFileRefused (nothing recorded) for a file that cannot be read.
    """
    now = now or timezone.now()
    _require_edit(acting_user, organisation)
    sheet = workbook_read(data, name=file_name)
    plan = _plan(sheet, organisation=organisation, acting_user=acting_user, today=timezone.localdate(now))
    sha256 = import_file_keep(data=data, now=now)
    with transaction.atomic(durable=True):
        batch = _batch(
            organisation=organisation,
            acting_user=acting_user,
            now=now,
            file_name=file_name,
            sha256=sha256,
            status=ImportBatch.Status.DRY_RUN,
            plan=plan,
        )
        _audit(acting_user, batch, ip_address)
    return batch


class _Refused(Exception):
    def __init__(self, plan: Plan, message: str = "") -> None:
        super().__init__(message)
        self.plan = plan
        self.message = message


def import_apply(
    *,
    acting_user: User | None,
    organisation: Organisation,
    file_name: str,
    data: bytes,
    now: dt.datetime | None = None,
    ip_address: str | None = None,
    dry_run: ImportBatch | None = None,
) -> ImportBatch:
    """Import the workbook all-or-nothing; the result is an `applied` or a `refused` batch.

    1. Read the file (ImportFileRefused: nothing recorded).
    2. One durable transaction: lock the people the file names (SELECT … FOR UPDATE), plan
       again (the database may have changed since the dry run), and on any error roll back.
    3. Otherwise write the ImportBatch first (its id is the transitions' basis), then every row:
       the Person (history row), the PartyMember (member_create or an update), the Candidate
       walked from S0 through candidate_transition (StageTransition rows, dates, next_due_on,
       the next reminder from today on, the probationary member at the ceremony), and the
       audit row.
    4. A refusal (row errors, or someone else's change while writing) writes only a `refused`
       batch with the report, in its own durable transaction, and its audit row.
    Re-running the same file changes nothing: CCCD finds each person, equal values are left,
    and a candidacy already at the file's stage is not walked again.
    """
    now = now or timezone.now()
    _require_edit(acting_user, organisation)
    sheet = workbook_read(data, name=file_name)
    sha256 = hashlib.sha256(data).hexdigest()
    today = timezone.localdate(now)
    extra: dict[str, Any] = {"dry_run_batch": dry_run.pk} if dry_run is not None else {}
    try:
        with transaction.atomic(durable=True):
            plan = _plan(sheet, organisation=organisation, acting_user=acting_user, today=today, lock=True)
            if plan.error_rows:
                raise _Refused(plan)
            batch = _batch(
                organisation=organisation,
                acting_user=acting_user,
                now=now,
                file_name=file_name,
                sha256=sha256,
                status=ImportBatch.Status.APPLIED,
                plan=plan,
                **extra,
            )
            for row in plan.rows:
                try:
                    _write_row(row, acting_user=acting_user, batch=batch, now=now)
                except (ValidationError, stages.IllegalTransition, services.StepRefused) as error:
                    row.error("", _("Không ghi được dòng này: %(error)s") % {"error": _error_text(error)})
                    row.outcome = "error"
                    raise _Refused(plan) from error
            _audit(acting_user, batch, ip_address)
    except _Refused as refused:
        plan = refused.plan
    except (services.ConcurrentStageChange, IntegrityError):
        # Someone changed the same people or candidates while this import ran (a unique CCCD
        # inserted meanwhile, a candidate moved): everything was rolled back.
        plan = _plan(sheet, organisation=organisation, acting_user=acting_user, today=today)
        extra["error"] = _(
            "Dữ liệu vừa được người khác thay đổi trong lúc nhập; không có gì được ghi. Hãy chạy thử lại."
        )
    else:
        import_file_forget(sha256=sha256)
        return batch
    with transaction.atomic(durable=True):
        batch = _batch(
            organisation=organisation,
            acting_user=acting_user,
            now=now,
            file_name=file_name,
            sha256=sha256,
            status=ImportBatch.Status.REFUSED,
            plan=plan,
            **extra,
        )
        _audit(acting_user, batch, ip_address)
    return batch


def _error_text(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return "; ".join(error.messages)
    if isinstance(error, services.StepRefused):
        return ", ".join(r.code for r in error.reasons)
    return str(error)


# --- The kept file ------------------------------------------------------------------------


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
    try:
        data = _kept_path(batch.sha256).read_bytes()
    except (FileNotFoundError, Http404):
        return None
    return data if hashlib.sha256(data).hexdigest() == batch.sha256 else None


def import_file_forget(*, sha256: str) -> None:
    """Delete the kept bytes once imported: personal data is not kept longer than needed."""
    with contextlib.suppress(Http404):  # not a hash: nothing of ours to delete
        _kept_path(sha256).unlink(missing_ok=True)


# --- Reads --------------------------------------------------------------------------------


def import_batch_list(*, organisation: Organisation) -> QuerySet[ImportBatch]:
    """The organisation's imports and dry runs, newest first (the caller has scoped it)."""
    return (
        ImportBatch.objects.filter(organisation=organisation)
        .select_related("created_by")
        .order_by("-created_at", "-pk")
    )


def import_batch_get(*, user: User, pk: int) -> ImportBatch:
    """The batch if the user may read its organisation; 404 otherwise."""
    batch = ImportBatch.objects.select_related("organisation", "created_by").filter(pk=pk).first()
    if batch is None:
        raise Http404
    organisation_get(user=user, pk=batch.organisation_id)  # 404 outside the user's scope
    return batch


def import_batch_applied_after(*, batch: ImportBatch) -> ImportBatch | None:
    """The import made from this dry run, if any."""
    return (
        ImportBatch.objects.filter(organisation_id=batch.organisation_id, report__dry_run_batch=batch.pk)
        .order_by("-created_at", "-pk")
        .first()
    )


# --- The template -------------------------------------------------------------------------


def _stage_choices() -> list[str]:
    return [f"{s.value} · {STAGE_INFO[s].label_vi}" for s in IMPORTABLE_STAGES]


def import_template_build(*, organisation: Organisation, branch_codes: Sequence[tuple[str, str]]) -> bytes:
    """The workbook to fill in: a data sheet (bold headers, a hint row, comments, lists, date
    and text formats), an instruction sheet with an example, and the lists the cells offer."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # noqa: S101 - a new workbook has one sheet
    sheet.title = DATA_SHEET
    lists = workbook.create_sheet(LISTS_SHEET)
    guide = workbook.create_sheet(GUIDE_SHEET)
    workbook.move_sheet(guide, offset=-1)

    with translation.override("vi"):
        education = [str(label) for _code, label in EducationLevel.choices]
    catalogue: dict[str, list[str]] = {
        "gender": ["Nam", "Nữ"],
        "education_level": education,
        "kind": list(KIND_LABELS.values()),
        "stage": _stage_choices(),
        "bool": [YES, NO],
        "branch": [code for code, _name in branch_codes],
    }
    ranges: dict[str, str] = {}
    bold = Font(bold=True)
    for index, (key, items) in enumerate(catalogue.items(), start=1):
        letter = get_column_letter(index)
        lists.cell(row=1, column=index, value=key).font = bold
        for row, item in enumerate(items, start=2):
            lists.cell(row=row, column=index, value=item)
        lists.column_dimensions[letter].width = 40 if key in {"stage", "education_level"} else 14
        ranges[key] = f"'{LISTS_SHEET}'!${letter}$2:${letter}${max(len(items), 1) + 1}"
    for row, (_code, name) in enumerate(branch_codes, start=2):
        lists.cell(row=row, column=len(catalogue) + 1, value=name)
    lists.cell(row=1, column=len(catalogue) + 1, value="chi bộ").font = bold
    lists.column_dimensions[get_column_letter(len(catalogue) + 1)].width = 40

    header_fill = PatternFill("solid", fgColor="F8D7DA")
    hint_font = Font(italic=True, color="666666", size=9)
    last_row = 2000
    for index, column in enumerate(COLUMNS, start=1):
        letter = get_column_letter(index)
        head = sheet.cell(row=1, column=index, value=column.header)
        head.font = bold
        head.fill = header_fill
        head.alignment = Alignment(wrap_text=True, vertical="center")
        head.comment = Comment(column.guide or column.hint or column.header, "Mẫu nhập")
        hint = sheet.cell(row=2, column=index, value=column.hint or None)
        hint.font = hint_font
        hint.alignment = Alignment(wrap_text=True)
        dimension = sheet.column_dimensions[letter]
        dimension.width = column.width
        cells = f"{letter}3:{letter}{last_row}"
        if column.kind == "date":
            dimension.number_format = "DD/MM/YYYY"
            validation = DataValidation(type="date", operator="greaterThan", formula1="1", allow_blank=True)
            validation.error = "Nhập ngày dạng dd/mm/yyyy."
        elif column.kind == "cccd" or column.key in {"certificate_number", "decision_number", "card_number", "branch"}:
            # Text, so Excel keeps the leading zeros of a CCCD (and of any number-like code).
            dimension.number_format = "@"
            validation = (
                DataValidation(type="textLength", operator="equal", formula1=str(CCCD_LENGTH), allow_blank=True)
                if column.kind == "cccd"
                else DataValidation(type="list", formula1=ranges["branch"], allow_blank=True)
                if column.key == "branch" and branch_codes
                else None
            )
            if validation is not None:
                validation.error = "Số CCCD có đúng 12 chữ số." if column.kind == "cccd" else "Chọn mã trong danh sách."
        elif column.kind == "bool":
            validation = DataValidation(type="list", formula1=ranges["bool"], allow_blank=True)
        elif column.kind == "choice":
            validation = DataValidation(type="list", formula1=ranges[column.key], allow_blank=True)
            validation.error = "Chọn trong danh sách."
        else:
            validation = None
        if validation is not None:
            validation.showErrorMessage = True
            validation.errorTitle = column.header
            validation.add(cells)
            sheet.add_data_validation(validation)
    sheet.freeze_panes = "C3"
    sheet.row_dimensions[1].height = 45
    _write_guide(guide, organisation=organisation, bold=bold)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


EXAMPLE_ROWS: tuple[dict[str, Any], ...] = (
    {
        "full_name": "Nguyễn Thị Hoa",
        "date_of_birth": "15/06/1995",
        "gender": "Nữ",
        "cccd": "001195012345",
        "education_level": "Đại học",
        "youth_union_member": YES,
        "kind": "Ứng viên",
        "stage": "S4 · Viết đơn và khai lý lịch",
        "sympathiser_date": "10/01/2025",
        "certificate_issue_date": "20/03/2025",
        "certificate_number": "123/GCN",
        "dossier_start_date": "02/04/2025",
    },
    {
        "full_name": "Trần Văn Bình",
        "date_of_birth": "02/09/1980",
        "gender": "Nam",
        "cccd": "019080001234",
        "education_level": "Đại học",
        "kind": "Đảng viên",
        "decision_date": "01/03/2010",
        "ceremony_date": "19/05/2010",
        "official_date": "19/05/2011",
        "card_number": "12345678",
    },
)


def _write_guide(guide: Any, *, organisation: Organisation, bold: Any) -> None:
    from openpyxl.styles import Alignment, Font

    lines: list[tuple[str, str]] = [
        ("Mẫu nhập người, đảng viên và ứng viên", ""),
        ("Tổ chức", f"{organisation.name} (mã {organisation.code})"),
        ("", ""),
        ("Cách dùng", "Điền trang «Danh sách» từ dòng 3 (dòng 2 là chú thích, giữ nguyên hoặc xóa). "
         "Tải tệp lên, bấm «Chạy thử» để xem lỗi từng dòng (chưa ghi gì), rồi «Nhập»: "
         "hoặc tất cả các dòng được ghi, hoặc không dòng nào."),
        ("Nhập lại", "Số CCCD là khóa: nhập lại cùng tệp không tạo trùng; ô để trống giữ nguyên giá trị đã có."),
        ("Số CCCD", "Cột có định dạng Văn bản để giữ số 0 ở đầu. Nếu Excel đã lưu thành số (mất số 0), "
         "ứng dụng chỉ thêm lại số 0 khi ra một số CCCD hợp lệ với giới tính và năm sinh; nếu không sẽ báo lỗi."),
        ("Ngày", "Dạng dd/mm/yyyy (ví dụ 05/03/2024); không được ở tương lai; theo đúng thứ tự các bước."),
        ("Ứng viên", "Ghi «Bước» đang làm và ngày của các bước đã qua: S1 cần ngày vào danh sách cảm tình Đảng; "
         "S3 thêm ngày cấp GCN; S4–S8 thêm ngày được lập hồ sơ; sau S8 (S8A/S9/S10 theo cây tổ chức) "
         "thêm ngày nghị quyết chi bộ; S11 thêm ngày quyết định kết nạp; S12–S15 thêm ngày lễ kết nạp "
         "(S14–S15 khi đã hết 12 tháng dự bị); S16 thêm ngày nghị quyết chi bộ đề nghị công nhận."),
        ("", "Các bước không có cột ngày (nộp đơn, giới thiệu, thẩm tra…) được ghi với ngày của bước trước. "
         "Nhắc việc chỉ tính từ hôm nay: ngày đã qua không gửi nhắc hàng loạt."),
        ("Đảng viên", "Đảng viên chính thức: cần ngày lễ kết nạp và ngày chính thức. "
         "Đảng viên dự bị: nhập là ứng viên ở bước S12–S16 để theo dõi thời kỳ dự bị."),
        ("", ""),
        ("Cột", "Ý nghĩa"),
    ]  # fmt: skip
    lines += [(c.header + (" *" if c.required else ""), c.guide or c.hint) for c in COLUMNS]
    lines += [("", "* cột bắt buộc phải có trong tệp."), ("", ""), ("Ví dụ (không nhập từ trang này)", "")]
    for row, (left, right) in enumerate(lines, start=1):
        guide.cell(row=row, column=1, value=left or None).font = bold
        cell = guide.cell(row=row, column=2, value=right or None)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    guide.cell(row=1, column=1).font = Font(bold=True, size=14)
    guide.column_dimensions["A"].width = 34
    guide.column_dimensions["B"].width = 110
    start = len(lines) + 1
    for index, column in enumerate(COLUMNS, start=1):
        guide.cell(row=start, column=index + 2, value=column.header).font = bold
        for offset, example in enumerate(EXAMPLE_ROWS, start=1):
            value = example.get(column.key, organisation.code if column.key == "branch" else None)
            guide.cell(row=start + offset, column=index + 2, value=value)
