"""Reading a row's cells: text, dates, yes/no, choices and the CCCD, into a RowPlan's values."""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from admission.domain.stages import Stage
from admission.imports.columns import (
    CCCD_LENGTH,
    COLUMNS,
    IMPORTABLE_STAGES,
    KIND_CANDIDATE,
    KIND_MASSES,
    KIND_MEMBER,
    fold,
)
from admission.imports.rows import RowPlan
from members import cccd as cccd_rules
from members import names
from members.models import CCCD_MESSAGES, EducationLevel, Gender


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


class YearOnly(Exception):  # noqa: N818 - not an error: the cell gives a year without day and month
    def __init__(self, year: int, text: str) -> None:
        super().__init__(text)
        self.year = year
        self.text = text


_DATE_TEXT = re.compile(r"^(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{2}|\d{4})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00)?)?$")
_WORDS_DATE = re.compile(r"^ngay (\d{1,2}) thang (\d{1,2}) nam (\d{4})$")
_YEAR = re.compile(r"^(?:nam )?((?:18|19|20)\d{2})$")
_MONTH_YEAR = re.compile(r"^(?:thang )?(\d{1,2})\s*[/.\-]?\s*(?:nam )?((?:18|19|20)\d{2})$")
# Excel stores a date as days since 30/12/1899; a General cell shows that number.
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_SERIALS = range(10_000, 80_000)  # 17/05/1927 .. 09/01/2119
_YEARS = range(1850, 2150)


def _two_digit_year(short: int, today: dt.date) -> int:
    """ "85" is 1985 and "24" 2024: the latest year ending so that is not after this year."""
    year = today.year // 100 * 100 + short
    return year if year <= today.year else year - 100


def _date(value: Any, today: dt.date) -> dt.date | None:
    """A date cell, a date typed as text (dd/mm/yyyy, d/m/yy, dd.mm.yyyy, dd-mm-yyyy, «ngày 5 tháng 3
    năm 2020», yyyy-mm-dd) or an Excel serial number; YearOnly for «năm 1985» or 1985."""
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if float(value).is_integer() and int(value) in _YEARS:
            raise YearOnly(int(value), str(int(value)))
        if float(value).is_integer() and int(value) in _SERIALS:
            return _EXCEL_EPOCH + dt.timedelta(days=int(value))
        raise CellError(_("«%(value)s» không phải ngày dạng dd/mm/yyyy.") % {"value": _text(value)})
    text = _text(value)
    if not text:
        return None
    folded = fold(text.replace(".", "/").replace("-", "/")) if not _ISO_DATE.match(text) else ""
    if match := _DATE_TEXT.match(text):
        day, month, year = (int(g) for g in match.groups())
        if len(match.group(3)) == 2:
            year = _two_digit_year(year, today)
    elif iso := _ISO_DATE.match(text):
        year, month, day = (int(g) for g in iso.groups())
    elif words := _WORDS_DATE.match(fold(text)):
        day, month, year = (int(g) for g in words.groups())
    elif year_only := _YEAR.match(fold(text)):
        raise YearOnly(int(year_only.group(1)), text)
    elif _MONTH_YEAR.match(folded):
        raise CellError(_("«%(value)s» thiếu ngày: ghi đủ ngày, tháng, năm (dd/mm/yyyy).") % {"value": text})
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
    folded = fold(_text(value))
    if not folded:
        return None
    if folded in _TRUE:
        return True
    if folded in _FALSE:
        return False
    raise CellError(_("«%(value)s» không phải «Có» hoặc «Không».") % {"value": _text(value)})


def _gender(value: Any) -> str | None:
    folded = fold(_text(value))
    if not folded:
        return None
    found = {"nam": Gender.MALE, "m": Gender.MALE, "nu": Gender.FEMALE, "f": Gender.FEMALE}.get(folded)
    if found is None:
        raise CellError(_("Giới tính «%(value)s» không hợp lệ: ghi «Nam» hoặc «Nữ».") % {"value": _text(value)})
    return str(found)


@functools.cache
def _education_lookup() -> dict[str, str]:
    with translation.override("vi"):
        found = {fold(str(label)): code for code, label in EducationLevel.choices}
    found |= {fold(code.replace("_", " ")): code for code in EducationLevel.values}
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
    folded = fold(_text(value))
    if not folded:
        return None
    found = _education_lookup().get(folded)
    if found is None:
        raise CellError(_("Trình độ «%(value)s» không có trong danh sách.") % {"value": _text(value)})
    return found


def _kind(value: Any) -> str | None:
    folded = fold(_text(value))
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
    # Typed with spaces, dots or dashes between the groups, or with Excel's text apostrophe.
    return CccdCell(number=re.sub(r"[\s.\-\u2019']", "", str(value)))


_COMRADE = re.compile(r"^(?:đ/c|đc|đồng chí)\s+", re.IGNORECASE)


def _name(value: Any) -> str:
    """NFC, single spaces, each word capitalised (members.names), without a leading «Đ/c»."""
    return names.normalize_name(_COMRADE.sub("", _text(value)))


def parse_row(
    number: int, values: tuple[Any, ...], columns: dict[str, int], *, today: dt.date, sheet: str = ""
) -> RowPlan:
    plan = RowPlan(row=number, sheet=sheet)

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
                plan.values[column.key] = _date(raw, today)
            elif column.kind == "bool":
                plan.values[column.key] = _bool(raw)
            elif column.kind == "cccd":
                plan.values["cccd_cell"] = _cccd(raw)
                plan.values["cccd"] = plan.values["cccd_cell"].number
            elif column.key in parsers:
                plan.values[column.key] = parsers[column.key](raw)
            elif column.key == "full_name":
                plan.values[column.key] = _name(raw)
            else:
                plan.values[column.key] = _text(raw)
        except YearOnly as year:
            plan.values[column.key] = None
            plan.year_only[column.key] = (year.year, year.text)
        except CellError as error:
            plan.values[column.key] = None
            plan.error(column.key, str(error))
    if isinstance(plan.values.get("branch"), str):
        plan.values["branch"] = plan.values["branch"].upper()
    return plan


def resolve_cccd(plan: RowPlan, *, gender_from_cccd: bool = False) -> None:
    """Excel stores a number typed into a General cell without its leading zeros. Put them back
    only when that gives a CCCD valid for this person (province code, gender and century digit,
    year of birth): without the year of birth the guess is not checked, so it is refused; otherwise
    say what happened so the user fixes the cell format. A file without a gender column takes the
    gender from the CCCD's fourth digit (even: male, odd: female)."""
    cell: CccdCell = plan.values.get("cccd_cell") or CccdCell()
    if not cell.number:
        plan.error("cccd", _("Thiếu số CCCD: số CCCD là khóa để nhập lại không tạo trùng người."))
        return
    born = plan.values.get("date_of_birth")
    if born is None and "date_of_birth" in plan.year_only:
        born = dt.date(plan.year_only["date_of_birth"][0], 1, 1)  # only the year is compared
    if cell.stored_as_number and len(cell.number) < CCCD_LENGTH:
        padded = cell.number.zfill(CCCD_LENGTH)
        problems = (
            cccd_rules.cccd_errors(padded, gender=plan.values.get("gender"), date_of_birth=born)
            if born is not None
            else ["no_birth"]
        )
        if problems:
            why = (
                " ".join(str(CCCD_MESSAGES[code]) for code in problems)
                if born is not None
                else _("không có ngày sinh để kiểm tra.")
            )
            plan.error(
                "cccd",
                _(
                    "Số CCCD «%(value)s» bị Excel lưu dạng số (mất các số 0 ở đầu); thêm số 0 cũng không ra số hợp lệ "
                    "(%(why)s). Hãy định dạng cột là Văn bản (Text) và nhập lại đủ 12 chữ số."
                )
                % {"value": cell.number, "why": why},
            )
            return
        plan.values["cccd"] = padded
        plan.notes.append(
            _("Số CCCD bị Excel lưu dạng số; đã thêm số 0 ở đầu thành %(number)s.")
            % {"number": cccd_rules.mask_cccd(padded)}
        )
    number = plan.values["cccd"]
    if gender_from_cccd and plan.values.get("gender") is None and re.fullmatch(r"\d{12}", number):
        gender = Gender.MALE if int(number[3]) % 2 == 0 else Gender.FEMALE
        plan.values["gender"] = str(gender)
        plan.notes.append(
            _("Giới tính lấy theo chữ số thứ tư của số CCCD: %(gender)s.")
            % {"gender": "Nam" if gender == Gender.MALE else "Nữ"}
        )
