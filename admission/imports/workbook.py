"""Reading the uploaded workbook: checked bytes, each sheet's header row (under title rows, merged
cells filled in), the data rows under it, and the mapping of its columns onto COLUMNS."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from admission.imports.columns import COLUMN_BY_KEY, DATA_SHEET, GUIDE_SHEET, LISTS_SHEET, fold
from admission.imports.mapping import SKIP_SHEET, ColumnMapping, looks_like_header, missing_required, suggest

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


# The header row is looked for in this many first rows (title rows above it); merged cells are
# filled in up to this many cells (a few bytes of XML can merge a whole sheet).
HEADER_SEARCH_ROWS = 20
MERGE_FILL_LIMIT = 2_000_000


@dataclass(frozen=True)
class FileColumn:
    index: int
    letter: str
    label: str  # as the file writes it ("Ngày tháng năm / Vào Đảng" for a two-row header)
    folded: str  # what the mapping is keyed by


@dataclass
class SheetLayout:
    """One sheet as found: its header row(s), its columns and the rows under the header."""

    title: str
    header_row: int
    columns: list[FileColumn]
    rows: list[tuple[int, tuple[Any, ...]]]  # (Excel row number, values), empty rows included

    def samples(self, index: int, count: int = 3) -> list[str]:
        found: list[str] = []
        for _number, values in self.rows:
            if _is_totals_row(values):
                continue
            value = values[index] if index < len(values) else None
            if value not in (None, "") and not (isinstance(value, str) and not value.strip()):
                found.append(_shown(value))
                if len(found) == count:
                    break
        return found


@dataclass
class Layout:
    sheets: list[SheetLayout]
    other_sheets: list[str]  # sheets without a header row (guide, lists, notes): not read

    def headers(self) -> list[str]:
        return list(dict.fromkeys(c.folded for s in self.sheets for c in s.columns))


@dataclass(frozen=True)
class Sheet:
    columns: dict[str, int]  # column key -> index in the row
    rows: list[tuple[int, tuple[Any, ...]]]  # (Excel row number, values)
    title: str = ""
    branch: str = ""  # the branch code the sheet was mapped to: rows without their own take it
    skipped: tuple[tuple[int, str], ...] = ()  # (row, why): empty, totals, not a person


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


def _shown(value: Any) -> str:
    import datetime as dt

    if isinstance(value, dt.datetime | dt.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = " ".join(str(value).split())
    return text if len(text) <= 40 else text[:39] + "…"


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def workbook_read(data: bytes, *, name: str = "", saved: dict[str, str] | None = None) -> Layout:
    """Open the workbook and find each sheet's header row; ImportFileRefused when it cannot be used.
    `saved` (the organisation's mapping) makes its known headers count when looking for the header."""
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
        return _read_layout(workbook, name, saved or {})
    except ImportFileRefused:
        raise
    except Exception as error:  # a part that only fails while streaming the rows
        raise ImportFileRefused(
            _("Tệp «%(name)s» bị hỏng, không đọc được. Hãy mở bằng Excel, lưu lại rồi tải lên lần nữa.")
            % {"name": name}
        ) from error
    finally:
        workbook.close()


_MERGE = re.compile(rb"<(?:\w+:)?mergeCell\s+ref=\"([A-Z]{1,3})(\d{1,7})(?::([A-Z]{1,3})(\d{1,7}))?\"")


def _merges(sheet: Any) -> list[tuple[int, int, int, int]]:
    """(first row, first column index, last row, last column index) of each merged range. The
    read-only reader does not parse them, so they are read from the sheet's XML part."""
    from openpyxl.utils import column_index_from_string

    try:
        with sheet.parent._archive.open(sheet._worksheet_path) as part:
            xml = part.read()
    except (AttributeError, KeyError, OSError):
        return []
    found = []
    for first_col, first_row, last_col, last_row in _MERGE.findall(xml):
        last_col, last_row = last_col or first_col, last_row or first_row
        found.append(
            (
                int(first_row),
                column_index_from_string(first_col.decode()) - 1,
                int(last_row),
                column_index_from_string(last_col.decode()) - 1,
            )
        )
    return found


def _read_layout(workbook: Any, name: str, saved: dict[str, str]) -> Layout:
    titles = workbook.sheetnames
    sheets: list[SheetLayout] = []
    others: list[str] = []
    total = 0
    for sheet in workbook.worksheets:
        if getattr(sheet, "sheet_state", "visible") != "visible" or (
            DATA_SHEET in titles and sheet.title in (GUIDE_SHEET, LISTS_SHEET)
        ):
            others.append(sheet.title)
            continue
        found = _read_sheet(sheet, name, saved, budget=IMPORT_MAX_ROWS + 200 - total)
        if found is None:
            others.append(sheet.title)
            continue
        total += sum(1 for _n, values in found.rows if not all(_blank(v) for v in values))
        sheets.append(found)
    if not sheets:
        raise ImportFileRefused(
            _(
                "Không tìm thấy dòng tiêu đề (các cột như «Họ và tên», «Ngày sinh», «Số CCCD») trong %(rows)s dòng "
                "đầu của trang tính nào trong tệp «%(name)s». Hãy dùng tệp mẫu, hoặc để dòng tiêu đề ở đầu bảng."
            )
            % {"rows": HEADER_SEARCH_ROWS, "name": name}
        )
    return Layout(sheets=sheets, other_sheets=others)


def _too_many_rows(name: str) -> ImportFileRefused:
    return ImportFileRefused(
        _("Tệp «%(name)s» có hơn %(limit)s dòng; hãy chia thành nhiều tệp.") % {"name": name, "limit": IMPORT_MAX_ROWS}
    )


def _read_sheet(sheet: Any, name: str, saved: dict[str, str], *, budget: int) -> SheetLayout | None:
    grid: dict[int, list[Any]] = {}
    width = 0
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        if all(_blank(v) for v in values):
            continue
        if len(grid) >= budget:
            raise _too_many_rows(name)
        grid[number] = list(values)
        width = max(width, len(values))
    if not grid:
        return None
    last = max(grid)
    hmerged: set[tuple[int, int]] = set()
    vmerged: set[tuple[int, int]] = set()  # the cells a vertical merge continues (not its first row)
    filled = 0
    for first_row, first_col, last_row, last_col in _merges(sheet):
        if first_row > last or first_col >= width:
            continue
        anchor = grid.get(first_row, [])
        value = anchor[first_col] if first_col < len(anchor) else None
        for row in range(first_row, min(last_row, last) + 1):
            cells = grid.setdefault(row, [])
            for col in range(first_col, min(last_col, width - 1) + 1):
                filled += 1
                if filled > MERGE_FILL_LIMIT:
                    raise _too_many_rows(name)
                if len(cells) <= col:
                    cells.extend([None] * (col + 1 - len(cells)))
                cells[col] = value
                if last_col > first_col:
                    hmerged.add((row, col))
                if row > first_row:
                    vmerged.add((row, col))
    rows = {n: tuple(v) + (None,) * (width - len(v)) for n, v in grid.items()}
    header = _header_row(rows, saved, vmerged)
    if header is None:
        return None
    labels = [_shown(v) if not _blank(v) else "" for v in rows[header]]
    below = rows.get(header + 1)
    start = header + 1
    if below is not None and _is_sub_header(header, below, labels, hmerged, vmerged):
        for col, value in enumerate(below):
            if not _blank(value) and (header + 1, col) not in vmerged:
                labels[col] = f"{labels[col]} / {_shown(value)}" if labels[col] else _shown(value)
        start = header + 2
    columns = [
        FileColumn(index=i, letter=_letter(i), label=label, folded=fold(label))
        for i, label in enumerate(labels)
        if label
    ]
    if not columns:  # pragma: no cover - a header row has labels by construction
        return None
    data: list[tuple[int, tuple[Any, ...]]] = []
    for number in range(start, last + 1):
        values = rows.get(number, (None,) * width)
        if not data and _is_numbering_row(values):
            continue
        if not data and _is_hint_row(values, columns):
            continue
        data.append((number, values))
    while data and all(_blank(v) for v in data[-1][1]):
        data.pop()
    return SheetLayout(title=sheet.title, header_row=header, columns=columns, rows=data)


def _header_row(rows: dict[int, tuple[Any, ...]], saved: dict[str, str], continued: set[tuple[int, int]]) -> int | None:
    """The row among the first HEADER_SEARCH_ROWS with the most distinct cells that read like
    headers (at least two); a title merged across the sheet counts once, and the cells a vertical
    merge continues count for the row it starts in."""
    best: tuple[int, int] | None = None
    for number in sorted(n for n in rows if n <= HEADER_SEARCH_ROWS):
        texts = {
            fold(v)
            for col, v in enumerate(rows[number])
            if isinstance(v, str) and 1 < len(v.strip()) <= 80 and (number, col) not in continued
        }
        score = sum(1 for t in texts if t and looks_like_header(t, saved))
        if score >= 2 and (best is None or score > best[1]):
            best = (number, score)
    return best[0] if best else None


def _is_sub_header(
    header: int,
    below: tuple[Any, ...],
    labels: list[str],
    hmerged: set[tuple[int, int]],
    vmerged: set[tuple[int, int]],
) -> bool:
    """The row under a header with merged group cells ("Ngày tháng năm" over "Vào Đảng",
    "Chính thức") names the columns of each group; elsewhere it only continues vertical merges."""
    under_group = False
    for col, value in enumerate(below):
        if _blank(value) or (header + 1, col) in vmerged:
            continue
        if (header, col) not in hmerged or not isinstance(value, str):
            return False
        under_group = True
    return under_group


_NUMBERING = re.compile(r"^\(?\d{1,2}\)?$")


def _is_numbering_row(values: tuple[Any, ...]) -> bool:
    """The row of column numbers under a header ("1 2 3 …" or "(1) (2) …")."""
    cells = [v for v in values if not _blank(v)]
    return len(cells) >= 3 and all(
        (isinstance(v, int | float) and not isinstance(v, bool) and float(v).is_integer() and 0 < v < 100)
        or (isinstance(v, str) and _NUMBERING.match(v.strip()))
        for v in cells
    )


def _is_hint_row(values: tuple[Any, ...], columns: list[FileColumn]) -> bool:
    """The template's second row explains each column; it is not data."""
    hints = {fold(c.header): fold(c.hint) for c in COLUMN_BY_KEY.values()}
    seen = False
    for column in columns:
        value = values[column.index] if column.index < len(values) else None
        if _blank(value):
            continue
        if column.folded not in hints or fold(str(value)) != hints[column.folded]:
            return False
        seen = True
    return seen


# --- Applying the mapping ----------------------------------------------------------------------

# "Tổng cộng", "Tổng số: 25", "Cộng", "Cộng chi bộ A": folded, as the first words of a cell.
_TOTALS = re.compile(r"^(tong cong|tong so|cong chi bo|tong chi bo)\b|^(tong|cong)( \d|$)")
_LONG_NUMBER = re.compile(r"\d{9,}")


def _is_totals_row(values: tuple[Any, ...]) -> bool:
    """A totals row, and not a person (a person named Tống has a CCCD)."""
    if any(_LONG_NUMBER.search(re.sub(r"[\s.]", "", str(v))) for v in values if v is not None):
        return False
    texts = [fold(v) for v in values if isinstance(v, str) and v.strip()]
    return any(_TOTALS.match(t) for t in texts[:3])


def suggested_mapping(layout: Layout, saved: ColumnMapping | None) -> ColumnMapping:
    """The mapping the suggestions give (used when the user is not asked: the template, or a file
    whose every header and sheet the organisation's saved mapping already knows)."""
    suggestions = suggest(layout.headers(), saved.columns if saved else {})
    sheets = {s.title: (saved.sheets.get(s.title, "") if saved else "") for s in layout.sheets}
    return ColumnMapping(columns={h: s.key for h, s in suggestions.items()}, sheets=sheets)


def sheets_for(layout: Layout, mapping: ColumnMapping, *, name: str = "") -> list[Sheet]:
    """Each imported sheet with its columns mapped (ImportFileRefused when a required field has no
    column or two columns of a sheet go to one field) and its rows sorted into data and skipped."""
    sheets: list[Sheet] = []
    problems: list[str] = []
    count = 0
    for layout_sheet in layout.sheets:
        branch = mapping.sheets.get(layout_sheet.title, "")
        if branch == SKIP_SHEET:
            continue
        columns: dict[str, int] = {}
        duplicated: list[str] = []
        for column in layout_sheet.columns:
            key = mapping.columns.get(column.folded, "")
            if not key:
                continue
            if key in columns:
                duplicated.append(COLUMN_BY_KEY[key].header)
            else:
                columns[key] = column.index
        missing = missing_required(columns)
        where = f"«{layout_sheet.title}»"
        if missing:
            problems.append(
                _("trang %(sheet)s thiếu cột %(columns)s")
                % {"sheet": where, "columns": ", ".join(f"«{h}»" for h in missing)}
            )
        if duplicated:
            problems.append(
                _("trang %(sheet)s có hai cột cùng ghép vào %(columns)s")
                % {"sheet": where, "columns": ", ".join(f"«{h}»" for h in dict.fromkeys(duplicated))}
            )
        data: list[tuple[int, tuple[Any, ...]]] = []
        skipped: list[tuple[int, str]] = []
        person_keys = [columns[k] for k in ("full_name", "cccd", "date_of_birth") if k in columns]
        for number, values in layout_sheet.rows:
            if all(_blank(v) for v in values):
                skipped.append((number, "empty"))
            elif _is_totals_row(values):
                skipped.append((number, "totals"))
            elif person_keys and all(_blank(values[i]) for i in person_keys):
                skipped.append((number, "no_person"))
            else:
                data.append((number, values))
        count += len(data)
        if count > IMPORT_MAX_ROWS:
            raise _too_many_rows(name)
        sheets.append(
            Sheet(columns=columns, rows=data, title=layout_sheet.title, branch=branch, skipped=tuple(skipped))
        )
    if problems:
        raise ImportFileRefused(
            _("Không đọc được tệp «%(name)s» theo cách ghép cột này: %(problems)s.")
            % {"name": name, "problems": "; ".join(problems)}
        )
    if not any(s.rows for s in sheets):
        raise ImportFileRefused(_("Tệp «%(name)s» không có dòng dữ liệu nào dưới dòng tiêu đề.") % {"name": name})
    return sheets
