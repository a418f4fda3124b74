"""Writing cells of the .xlsx files the tracker hands out: user text always stays text.

openpyxl stores a string that begins with "=" as a live formula, and a spreadsheet program
evaluates text a user re-enters when it begins with "=", "+", "-" or "@" (OWASP "CSV injection":
also tab and carriage return). A plan note `=HYPERLINK(...)` or an ethnicity "+cmd|..." would run
in the reader's Excel. Every export writes its cells through `cell_write`, which stores strings as
string cells (data type "s") and marks those that begin with a trigger character with Excel's
quote prefix, so they stay text even when edited; characters that XML cannot carry are dropped
instead of failing the whole export.
"""

from __future__ import annotations

from typing import Any

# OWASP: a cell beginning with one of these is treated as a formula by spreadsheet programs.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def text_value(value: str) -> str:
    """`value` without the control characters an .xlsx cannot hold (openpyxl refuses them)."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub("", value)


def cell_write(cell: Any, value: Any) -> Any:
    """Put `value` into an openpyxl `cell`; a string is stored as text, never as a formula.

    Numbers, dates and None are stored as they are (the caller sets number formats)."""
    if isinstance(value, str):
        text = text_value(value)
        cell.value = text
        cell.data_type = "s"  # openpyxl would have made "=..." a formula ("f")
        if text.startswith(FORMULA_TRIGGERS):
            cell.quotePrefix = True
        return cell
    cell.value = value
    return cell


def sheet_write(sheet: Any, *, row: int, column: int, value: Any) -> Any:
    """`sheet.cell(row, column)` filled through `cell_write`."""
    return cell_write(sheet.cell(row=row, column=column), value)
