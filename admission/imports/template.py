"""The workbook to download and fill in: the data sheet, the lists its cells offer and the guide."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from django.utils import translation

from admission.domain.stages import STAGE_INFO
from admission.imports.columns import (
    CCCD_LENGTH,
    COLUMNS,
    DATA_SHEET,
    GUIDE_SHEET,
    IMPORTABLE_STAGES,
    KIND_LABELS,
    LISTS_SHEET,
    NO,
    YES,
)
from admission.spreadsheets import sheet_write
from members.models import EducationLevel, Organisation


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
    # The lists' headers are read by people (the sheet is visible): Vietnamese, not the keys.
    headers = {
        "gender": "Giới tính",
        "education_level": "Trình độ học vấn",
        "kind": "Loại",
        "stage": "Bước",
        "bool": "Có/Không",
        "branch": "Mã chi bộ",
    }
    ranges: dict[str, str] = {}
    bold = Font(bold=True)
    for index, (key, items) in enumerate(catalogue.items(), start=1):
        letter = get_column_letter(index)
        lists.cell(row=1, column=index, value=headers[key]).font = bold
        for row, item in enumerate(items, start=2):
            sheet_write(lists, row=row, column=index, value=item)
        lists.column_dimensions[letter].width = 40 if key in {"stage", "education_level"} else 14
        ranges[key] = f"'{LISTS_SHEET}'!${letter}$2:${letter}${max(len(items), 1) + 1}"
    for row, (_code, name) in enumerate(branch_codes, start=2):
        sheet_write(lists, row=row, column=len(catalogue) + 1, value=name)  # user text
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
        sheet_write(guide, row=row, column=1, value=left or None).font = bold
        cell = sheet_write(guide, row=row, column=2, value=right or None)  # the organisation's name
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    guide.cell(row=1, column=1).font = Font(bold=True, size=14)
    guide.column_dimensions["A"].width = 34
    guide.column_dimensions["B"].width = 110
    start = len(lines) + 1
    for index, column in enumerate(COLUMNS, start=1):
        guide.cell(row=start, column=index + 2, value=column.header).font = bold
        for offset, example in enumerate(EXAMPLE_ROWS, start=1):
            value = example.get(column.key, organisation.code if column.key == "branch" else None)
            sheet_write(guide, row=start + offset, column=index + 2, value=value)
