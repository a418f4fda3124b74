"""Excel exports of the statistics and plans pages: the .xlsx writer and the sheets' layouts."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.functional import Promise
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from admission.domain import statistics as stats
from admission.models import AnnualPlan
from admission.reporting.people import PeopleList
from admission.reporting.presentation import DATE_LABELS, _stage_label
from admission.spreadsheets import cell_write, sheet_write
from members.models import Gender, Organisation

# --- Excel -----------------------------------------------------------------------------------

DATE_FORMAT = "DD/MM/YYYY"


@dataclass(frozen=True)
class Percent:
    """A percentage cell: "102.5" is written as 1.025 formatted 0.0% (Excel shows 102,5% in Vietnamese)."""

    value: str | None


@dataclass
class Sheet:
    """One table of an export: a title, header labels and rows (dates, numbers, text, Percent)."""

    title: str
    headers: Sequence[str]
    rows: Sequence[Sequence[Any]]
    widths: Sequence[int] = ()


def workbook_bytes(sheets: Sequence[Sheet]) -> bytes:
    """An .xlsx with one formatted sheet per table: bold header, widths, dd/mm/yyyy, frozen header."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=False)
    book.remove(book.active)  # type: ignore[arg-type]
    for sheet in sheets:
        ws = book.create_sheet(_sheet_title(sheet.title))
        for column, header in enumerate(sheet.headers, start=1):
            sheet_write(ws, row=1, column=column, value=str(header))
        for cell in ws[1]:
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="F2DCDB")
            cell.alignment = Alignment(wrap_text=True, vertical="center")
        for number, values in enumerate(sheet.rows, start=2):
            for column, value in enumerate(values, start=1):
                cell = ws.cell(row=number, column=column)
                if isinstance(value, Percent):
                    if value.value is not None:
                        decimals = len(value.value.partition(".")[2])
                        cell.value = float(Decimal(value.value) / 100)
                        cell.number_format = "0." + "0" * decimals + "%" if decimals else "0%"
                elif isinstance(value, dt.date):
                    cell.value = value
                    cell.number_format = DATE_FORMAT
                elif isinstance(value, Decimal):
                    cell.value = float(value)
                elif isinstance(value, Promise):  # a lazily translated label
                    cell_write(cell, str(value))
                else:
                    cell_write(cell, value)  # user text (names, notes, ethnicity) stays text
        for index, header in enumerate(sheet.headers):
            width = sheet.widths[index] if index < len(sheet.widths) else max(12, min(45, len(str(header)) + 4))
            ws.column_dimensions[get_column_letter(index + 1)].width = width
        ws.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _sheet_title(title: str) -> str:
    """Excel refuses []:*?/\\ in sheet names and more than 31 characters."""
    cleaned = "".join(" " if ch in "[]:*?/\\" else ch for ch in title)
    return cleaned[:31]


# --- Sheet layouts -----------------------------------------------------------------------------


def _statistics_sheets(organisation: Organisation, p: Mapping[str, Any]) -> list[Sheet]:
    """Every table of the statistics page, with Vietnamese (or English) headers."""
    t = p["totals"]
    sheets = [
        Sheet(
            _("Số liệu"),
            [_("Chỉ tiêu thống kê"), _("Giá trị")],
            [
                [_("Tổ chức"), organisation.name],
                [_("Từ ngày"), p["start"]],
                [_("Đến ngày"), p["end"]],
                [_("Tính số kết nạp"), str(p["admitted_by_label"])],
                [_("Số kết nạp"), t["admitted"]],
                [_("Chỉ tiêu kết nạp"), t["plan"]],
                [_("Chỉ tiêu của cấp mình"), t["plan_own"]],
                [_("Tổng chỉ tiêu của các đơn vị trực thuộc"), t["plan_children"]],
                [_("Tỷ lệ so với chỉ tiêu"), Percent(t["plan_percent"])],
                [_("Mốc so sánh"), str(p["baseline"]["label"])],
                [_("Ngày làm mốc"), p["baseline"]["day"]],
                [_("Số đảng viên làm mốc"), p["baseline"]["members"]],
                [_("Tỷ lệ kết nạp so với số đảng viên làm mốc"), Percent(t["baseline_percent"])],
                [_("Công nhận chính thức"), t["recognised"]],
                [_("Xóa tên đảng viên dự bị"), t["removed"]],
                *([o["label"], o["count"]] for o in p["outcomes"]),
                [_("Đảng viên chính thức cuối kỳ"), p["members_end"]["official"]],
                [_("Đảng viên dự bị cuối kỳ"), p["members_end"]["probationary"]],
                [_("Ngày đầu nhiệm kỳ"), p["term_start"]],
            ],
            widths=(48, 40),
        ),
        Sheet(
            _("Theo đơn vị"),
            [
                _("Đơn vị trực thuộc"),
                _("Cấp"),
                _("Chỉ tiêu"),
                _("Đã kết nạp"),
                _("Tỷ lệ so với chỉ tiêu"),
                _("Đảng viên làm mốc"),
                _("Tỷ lệ so với đảng viên làm mốc"),
                _("Công nhận chính thức"),
                _("Xóa tên"),
                _("Chính thức cuối kỳ"),
                _("Dự bị cuối kỳ"),
            ],
            [
                [
                    c["name"],
                    str(c["kind_label"]),
                    c["plan"],
                    c["admitted"],
                    Percent(c["plan_percent"]),
                    c["baseline_members"],
                    Percent(c["baseline_percent"]),
                    c["recognised"],
                    c["removed"],
                    c["official"],
                    c["probationary"],
                ]
                for c in p["children"]
            ],
            widths=(40, 26),
        ),
        Sheet(
            _("Cơ cấu kết nạp"),
            [_("Tiêu chí"), _("Nhóm"), _("Số người"), _("Tỷ lệ")],
            [
                [b["title"], row["label"], row["count"], Percent(_share(row["count"], t["admitted"]))]
                for b in p["breakdowns"]
                for row in b["rows"]
            ],
            widths=(30, 44, 12, 12),
        ),
        Sheet(
            _("Xu hướng 5 năm"),
            [
                _("Năm"),
                _("Đã kết nạp"),
                _("Chỉ tiêu"),
                _("Tỷ lệ so với chỉ tiêu"),
                _("Đảng viên đầu năm"),
                _("Tỷ lệ so với đảng viên đầu năm"),
            ],
            [
                [
                    r["year"],
                    r["admitted"],
                    r["plan"],
                    Percent(r["plan_percent"]),
                    r["members"],
                    Percent(r["members_percent"]),
                ]
                for r in p["trend"]
            ],
        ),
        Sheet(
            _("Lớp nhận thức"),
            [_("Bước"), _("Số người"), _("Tỷ lệ")],
            [[s["label"], s["count"], Percent(s["percent"])] for s in p["funnel"]]
            + [[_("Số tháng trung vị từ giấy chứng nhận đến lễ kết nạp"), p["funnel_median_value"], None]],
            widths=(56, 12, 12),
        ),
        Sheet(
            _("Thời gian các bước"),
            [_("Bước"), _("Tên bước"), _("Số lượt"), _("Trung vị (ngày làm việc)"), _("Phân vị 90 (ngày làm việc)")],
            [[s["stage"], s["label"], s["count"], s["median"], s["p90"]] for s in p["stages"]],
            widths=(8, 50, 10, 16, 16),
        ),
        Sheet(
            _("Thời hạn"),
            [_("Thời hạn"), *[str(label) for label in p["outcome_labels"]], _("Tỷ lệ đúng hạn")],
            [[d["label"], *[c["count"] for c in d["cells"]], Percent(d["met_percent"])] for d in p["deadlines"]],
            widths=(70, 12, 12, 16, 14, 14),
        ),
        Sheet(
            _("Tổ chức"),
            [_("Loại tổ chức"), _("Số lượng")],
            [[s["label"], s["count"]] for s in p["structure"]]
            + [
                [_("Đảng viên chính thức"), p["members_end"]["official"]],
                [_("Đảng viên dự bị"), p["members_end"]["probationary"]],
            ],
            widths=(44, 12),
        ),
    ]
    return sheets


def _share(part: int, whole: int) -> str | None:
    value = stats.percentage(part, whole, decimals=stats.PLAN_DECIMALS)
    return None if value is None else str(value)


def plan_sheet(table: Mapping[str, Any], year: int) -> Sheet:
    """A year's plans of an organisation and its children (``plan_table``), with the results."""
    rows = []
    for row in [table["parent"], *table["children"]]:
        plan: AnnualPlan | None = row["plan"]
        rows.append(
            [
                row["name"],
                year,
                plan.admit if plan else None,
                row["effective"],
                row["admitted"],
                Percent(row["plan_percent"]),
                plan.awareness_class if plan else None,
                row["certificates"],
                plan.new_member_class if plan else None,
                row["new_member_class"],
                plan.note if plan else "",
            ]
        )
    return Sheet(
        _("Chỉ tiêu %(year)s") % {"year": year},
        [
            _("Tổ chức"),
            _("Năm"),
            _("Chỉ tiêu kết nạp"),
            _("Chỉ tiêu áp dụng (tổng hợp cấp dưới)"),
            _("Đã kết nạp"),
            _("Tỷ lệ so với chỉ tiêu"),
            _("Chỉ tiêu lớp nhận thức"),
            _("Đã cấp giấy chứng nhận lớp nhận thức"),
            _("Chỉ tiêu lớp đảng viên mới"),
            _("Đã học lớp đảng viên mới"),
            _("Ghi chú"),
        ],
        rows,
        widths=(40, 8, 14, 18, 12, 14, 14, 18, 14, 16, 30),
    )


def people_sheet(people: PeopleList) -> Sheet:
    """The people behind a figure: one row each, with the figure's date when it has one."""
    branch = capfirst(_("chi bộ chuyển đến")) if people.transfers else _("Chi bộ")
    headers = [_("STT"), _("Họ và tên"), _("Ngày sinh"), _("Giới tính"), _("Dân tộc"), branch]
    date_label = DATE_LABELS.get(people.date_field or "")
    if date_label:
        headers.append(str(date_label))
    headers.append(_("Trạng thái") if people.is_members else _("Bước"))
    genders = dict(Gender.choices)
    rows: list[list[Any]] = []
    for number, row in enumerate(people.rows.iterator(chunk_size=2000), start=1):
        person = row.person
        if people.transfers and not row.readable:
            # Moved where the user cannot read them: the name, the destination and the day only.
            values: list[Any] = [number, person.full_name, None, None, None, row.destination_name]
            if date_label:
                values.append(row.figure_date)
            rows.append([*values, None])
            continue
        values = [
            number,
            person.full_name,
            person.date_of_birth,
            str(genders.get(person.gender, person.gender)),
            person.ethnicity,
            row.destination_name if people.transfers else row.organisation.name,
        ]
        if date_label:
            values.append(row.figure_date)
        values.append(row.get_status_display() if people.is_members else f"{row.stage} · {_stage_label(row.stage)}")
        rows.append(values)
    return Sheet(
        _("Danh sách"),
        headers,
        rows,
        widths=(6, 30, 12, 10, 12, 34, 16, 30) if date_label else (6, 30, 12, 10, 12, 34, 30),
    )
