"""Reading the uploaded workbook: checked bytes, the data sheet and its header row mapped onto COLUMNS."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from admission.imports.columns import COLUMN_BY_KEY, COLUMNS, DATA_SHEET, fold

# The uploaded workbook: at most this many bytes, this many bytes once unzipped (a few
# kilobytes of zip can claim gigabytes), and this many data rows (one request plans them all).
IMPORT_MAX_BYTES = 5 * 1024 * 1024
IMPORT_MAX_UNZIPPED_BYTES = 60 * 1024 * 1024
IMPORT_MAX_ROWS = 5000


class ImportFileRefused(Exception):
    """The file cannot be imported at all; `message` tells the user why (in their language)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


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
    folded = fold(str(value).rstrip(" *")) if value not in (None, "") else ""
    return _HEADER_LOOKUP.get(folded) if folded else None


_HEADER_LOOKUP = {fold(c.header): c.key for c in COLUMNS} | {
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
        if fold(str(value)) != fold(COLUMN_BY_KEY[key].hint):
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
