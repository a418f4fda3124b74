"""A small .xlsx writer for the documents' exports (the register), safe against formula injection.

Text typed by users (a summary, a recipient, a reason) goes through the one cell writer of every
export (admission.spreadsheets.cell_write): text, never a formula.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from admission.spreadsheets import cell_write

DATE_FORMAT = "DD/MM/YYYY"


@dataclass
class Sheet:
    title: str
    headers: Sequence[str]
    rows: Sequence[Sequence[Any]]
    widths: Sequence[int] = ()


def workbook_bytes(sheets: Sequence[Sheet]) -> bytes:
    """One sheet per table: bold header, column widths, dd/mm/yyyy dates, frozen header row."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    for sheet in sheets:
        ws = book.create_sheet("".join(" " if ch in "[]:*?/\\" else ch for ch in sheet.title)[:31])
        for column, header in enumerate(sheet.headers, start=1):
            cell = ws.cell(row=1, column=column)
            cell_write(cell, str(header))
            cell.font = Font(bold=True)
            cell.alignment = Alignment(wrap_text=True, vertical="center")
        for number, values in enumerate(sheet.rows, start=2):
            for column, value in enumerate(values, start=1):
                cell = ws.cell(row=number, column=column)
                if isinstance(value, dt.date):
                    cell.value = value
                    cell.number_format = DATE_FORMAT
                elif isinstance(value, int | float) and not isinstance(value, bool):
                    cell.value = value
                elif value is None:
                    continue
                else:
                    cell_write(cell, str(value))
        for index, width in enumerate(sheet.widths, start=1):
            ws.column_dimensions[get_column_letter(index)].width = width
        ws.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
