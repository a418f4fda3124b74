"""The built-in default templates: our own wording, built as DOCX with docxtpl tags, laid out in the
Party's document format (`docs/document-format.md`, after Hướng dẫn 36-HD/VPTW).

They paraphrase; an issued document carries no rule citation (those belong on screen). An
organisation's uploaded version replaces one (`admission.documents.templates`).
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable
from typing import Any

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT, WD_TAB_LEADER
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm, Pt

from admission.models import GeneratedKind

# The guide's font (Unicode, TCVN 6909:2001). Servers render it with the metric-compatible
# Liberation Serif (Debian fonts-liberation2, which fontconfig substitutes for Times New Roman),
# so lines break where they break in Word.
FONT = "Times New Roman"

# A4, margins and sizes of the guide (docs/document-format.md).
PAGE_WIDTH, PAGE_HEIGHT = 210, 297
MARGIN_TOP, MARGIN_BOTTOM, MARGIN_LEFT, MARGIN_RIGHT = 20, 20, 30, 15
TEXT_WIDTH = PAGE_WIDTH - MARGIN_LEFT - MARGIN_RIGHT  # 165 mm
BODY_SIZE = 14
HEADING_LEFT, HEADING_RIGHT = 70, TEXT_WIDTH - 70
# "ĐẢNG CỘNG SẢN VIỆT NAM" in 15 pt bold Times New Roman is 72.7 mm wide (measured with the
# metric-compatible Liberation Serif): the rule below it is as long as the title.
PARTY_TITLE_WIDTH = 72.7

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


def _page_number_header(section: Any) -> None:
    """Page numbers from the second page: centred in the top margin, Arabic numerals, 14 pt."""
    section.different_first_page_header_footer = True
    section.header_distance = Mm(10)
    paragraph = section.header.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph._p.append(
        parse_xml(
            f'<w:fldSimple {nsdecls("w")} w:instr="PAGE"><w:r><w:rPr><w:sz w:val="28"/></w:rPr>'
            "<w:t>2</w:t></w:r></w:fldSimple>"
        )
    )


def _base_document() -> Any:
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(PAGE_WIDTH), Mm(PAGE_HEIGHT)
    section.top_margin, section.bottom_margin = Mm(MARGIN_TOP), Mm(MARGIN_BOTTOM)
    section.left_margin, section.right_margin = Mm(MARGIN_LEFT), Mm(MARGIN_RIGHT)
    _page_number_header(section)
    styles = document.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    rpr = defaults.find(f"{_W}rPrDefault/{_W}rPr")
    _set_fonts(rpr)
    for tag, value in (("w:sz", str(BODY_SIZE * 2)), ("w:szCs", str(BODY_SIZE * 2))):
        rpr.find(qn(tag)).set(qn("w:val"), value)
    lang = rpr.find(qn("w:lang"))
    lang.set(qn("w:val"), "vi-VN")
    spacing = defaults.find(f"{_W}pPrDefault/{_W}pPr/{_W}spacing")
    spacing.set(qn("w:after"), "0")
    spacing.set(qn("w:line"), "264")
    normal = document.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(BODY_SIZE)
    _set_fonts(normal.element.get_or_add_rPr())
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


def _rule(container: Any, *, width: float, available: float) -> None:
    """A solid line `width` mm long centred in `available` mm: the bottom border of an empty, low
    paragraph (editable in Word as a border, and it never wraps the text above it)."""
    paragraph = container.add_paragraph()
    side = Mm(max(0.0, (available - width) / 2))
    fmt = paragraph.paragraph_format
    fmt.left_indent = side
    fmt.right_indent = side
    fmt.space_before, fmt.space_after = Pt(0), Pt(0)
    fmt.line_spacing = Pt(3)
    ppr = paragraph._p.get_or_add_pPr()
    ppr.append(
        parse_xml(f'<w:pBdr {nsdecls("w")}><w:bottom w:val="single" w:sz="6" w:space="1" w:color="000000"/></w:pBdr>')
    )
    ppr.append(parse_xml(f'<w:rPr {nsdecls("w")}><w:sz w:val="6"/><w:szCs w:val="6"/></w:rPr>'))


def _layout_table(table: Any) -> None:
    """No borders and no cell padding: the page margins alone place the text."""
    borders = "".join(f'<w:{edge} w:val="nil"/>' for edge in ("top", "left", "bottom", "right", "insideH", "insideV"))
    table._tbl.tblPr.append(parse_xml(f"<w:tblBorders {nsdecls('w')}>{borders}</w:tblBorders>"))
    table._tbl.tblPr.append(
        parse_xml(
            f'<w:tblCellMar {nsdecls("w")}><w:left w:w="0" w:type="dxa"/><w:right w:w="0" w:type="dxa"/></w:tblCellMar>'
        )
    )


def _widths(table: Any, *millimetres: float) -> None:
    """Column widths in the grid (what LibreOffice reads) and in every cell (what Word reads)."""
    table.autofit = False
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for column, width in zip(table._tbl.tblGrid.gridCol_lst, millimetres, strict=True):
        column.w = Mm(width)
    for row in table.rows:
        for cell, width in zip(row.cells, millimetres, strict=True):
            cell.width = Mm(width)


# --- The components of the format --------------------------------------------------------------


def _heading(document: Any) -> None:
    """The heading: the issuing body under its superior body, "*", the number and symbol on the
    left; "ĐẢNG CỘNG SẢN VIỆT NAM" with its rule, then the place and date, on the right."""
    table = document.add_table(rows=1, cols=2)
    _layout_table(table)
    _widths(table, HEADING_LEFT, HEADING_RIGHT)
    left, right = table.rows[0].cells
    _para(left, "{%p if issuer_superior_name %}", align="center", first=True)
    _para(left, "{{ issuer_superior_name|upper }}", align="center")
    _para(left, "{%p endif %}", align="center")
    _para(left, ("{{ issuer_name|upper }}", "b"), align="center")
    _para(left, "*", align="center")
    _para(left, "{%p if number_line %}", align="center")
    _para(left, "{{ number_line }}", align="center")
    _para(left, "{%p endif %}", align="center")
    _para(right, ("ĐẢNG CỘNG SẢN VIỆT NAM", "b"), align="center", size=15, first=True)
    _rule(right, width=PARTY_TITLE_WIDTH, available=HEADING_RIGHT)
    _para(right, "", size=8)
    _para(right, ("{{ place_date }}", "i"), align="center")


def _title(document: Any, title: str, summary: str = "") -> None:
    """The type of document (capitals, 16 pt bold) and its summary (14 pt bold) with a short rule."""
    _para(document, (title, "b"), align="center", size=16, before=18)
    if summary:
        _para(document, (summary, "b"), align="center")
    _rule(document, width=30, available=TEXT_WIDTH)
    _para(document, "", after=6)


def _body(document: Any, *parts: Part) -> None:
    _para(document, *parts, align="justify", indent=True, after=6)


def _signature(document: Any) -> None:
    """Recipients on the left; authority, position, room for the signature and seal, and the name on
    the right (all from the context: signer_authority, signer_position, signer_name, recipients)."""
    _para(document, "", after=6)
    table = document.add_table(rows=1, cols=2)
    _layout_table(table)
    _widths(table, 80, TEXT_WIDTH - 80)
    left, right = table.rows[0].cells
    _para(left, ("Nơi nhận:", "u"), first=True)
    _para(left, "{%p for recipient in recipients %}", size=12)
    _para(left, "- {{ recipient }}", size=12)
    _para(left, "{%p endfor %}", size=12)
    _para(right, "{%p if signer_authority %}", align="center", first=True)
    _para(right, ("{{ signer_authority }}", "b"), align="center")
    _para(right, "{%p endif %}", align="center")
    _para(right, ("{{ signer_position }}", "b"), align="center")
    for _line in range(4):
        _para(right, "", align="center")
    _para(right, ("{{ signer_name }}", "b"), align="center")


def _rows_table(document: Any, rows: list[tuple[str, str]]) -> None:
    """Label/value rows in a ruled table (values are tags)."""
    table = document.add_table(rows=len(rows), cols=2)
    table.style = document.styles["Table Grid"]
    _widths(table, 62, 103)
    for (label, value), row in zip(rows, table.rows, strict=True):
        _para(row.cells[0], label, size=13, first=True, before=2, after=2)
        _para(row.cells[1], (value, "b"), size=13, first=True, before=2, after=2)


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


def _dotted_line(document: Any) -> None:
    """A line to write on: a right tab with a dot leader spans the text width whatever the font."""
    paragraph = _para(document, "\t", after=4)
    paragraph.paragraph_format.tab_stops.add_tab_stop(Mm(TEXT_WIDTH), WD_TAB_ALIGNMENT.RIGHT, WD_TAB_LEADER.DOTS)


def _spacer(document: Any, points: float = 8) -> None:
    _para(document, "", size=points)


def _person_line(document: Any, intro: str) -> None:
    _body(
        document,
        intro,
        ("{{ person_name }}", "b"),
        ", sinh ngày {{ date_of_birth }}; quê quán: {{ hometown }}; nơi cư trú: {{ residence }}; "
        "nghề nghiệp: {{ occupation }}.",
    )


# --- The documents ---------------------------------------------------------------------------


def _application_cover(document: Any) -> None:
    _heading(document)
    _title(document, "HỒ SƠ NGƯỜI XIN VÀO ĐẢNG", "Thông tin chi bộ theo dõi")
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
                "Giấy chứng nhận lớp bồi dưỡng nhận thức về Đảng",
                "số {{ certificate_number }}, cấp ngày {{ certificate_issue_date }}",
            ),
            ("Được phép lập hồ sơ", "{{ dossier_start_date }}"),
            ("Nộp đơn và lý lịch", "{{ application_date }}"),
            ("Đảng viên giới thiệu", "{{ introducers_text }}"),
            ("Hoàn thành giới thiệu", "{{ introduction_date }}"),
        ],
    )
    _signature(document)


def _branch_resolution(document: Any) -> None:
    _heading(document)
    _title(document, "NGHỊ QUYẾT", "đề nghị kết nạp đảng viên")
    _person_line(
        document, "Ngày {{ branch_resolution_date }}, {{ branch_name }} họp xét đề nghị kết nạp vào Đảng quần chúng "
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
    _signature(document)


def _committee_resolution(document: Any) -> None:
    _heading(document)
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
    _signature(document)


def _decision(document: Any, *, recognition: bool) -> None:
    _heading(document)
    _title(
        document,
        "QUYẾT ĐỊNH",
        "công nhận đảng viên chính thức" if recognition else "kết nạp đảng viên",
    )
    _para(document, ("{{ decider_body|upper }}", "b"), align="center", after=8)
    _body(document, "Căn cứ Điều lệ Đảng Cộng sản Việt Nam;")
    _body(document, "Căn cứ các quy định, hướng dẫn thi hành Điều lệ Đảng hiện hành;")
    if recognition:
        _body(
            document,
            "Xét nghị quyết của {{ branch_name }} ngày {{ recognition_branch_date }} đề nghị công nhận "
            "đảng viên chính thức;",
        )
        # Only the acts really recorded (HD38 II.1.1c(6)-(7)): the sub-committee's appraisal and
        # the grassroots committee's resolution where the tree has them.
        _para(document, "{%p if has_recognition_appraisal %}")
        _body(document, "Xét báo cáo thẩm định của {{ appraisal_name }} ngày {{ recognition_appraisal_date }};")
        _para(document, "{%p endif %}")
        _para(document, "{%p if has_recognition_grassroots_resolution %}")
        _body(
            document,
            "Xét nghị quyết của {{ grassroots_name }} ngày {{ recognition_grassroots_date }} đề nghị công nhận "
            "đảng viên chính thức;",
        )
        _para(document, "{%p endif %}")
    else:
        _body(document, "Xét nghị quyết của {{ branch_name }} ngày {{ branch_resolution_date }} đề nghị kết nạp;")
        # The destination's decision on a dossier forwarded after a move (HD06 3.9b).
        _para(document, "{%p if transfer.forwarded_dossier %}")
        _body(
            document,
            "Xét hồ sơ đề nghị kết nạp do {{ transfer.origin_body }} chuyển đến ngày {{ transfer.forwarded_on }} "
            "(chuyển sinh hoạt từ {{ transfer.from_branch }} ngày {{ transfer.on_date }});",
        )
        _para(document, "{%p endif %}")
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
            "Tuổi đảng của đồng chí được tính từ ngày có quyết định kết nạp ({{ decision_date }}).",
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
            "và phân công đảng viên chính thức giúp đỡ đảng viên dự bị.",
        )
    _body(
        document,
        ("Điều 3. ", "b"),
        "Các tổ chức đảng có liên quan và đồng chí {{ person_name }} thi hành quyết định này.",
    )
    _signature(document)


def _probation_summary(document: Any) -> None:
    _heading(document)
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
    _signature(document)


def _member_sheet(document: Any) -> None:
    _heading(document)
    _title(document, "PHIẾU ĐẢNG VIÊN", "thông tin tổng hợp từ sổ theo dõi của chi bộ")
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
    _spacer(document, 12)
    table = document.add_table(rows=1, cols=2)
    _layout_table(table)
    _widths(table, 80, 85)
    left, right = table.rows[0].cells
    _para(left, ("NGƯỜI KHAI", "b"), align="center", first=True)
    _para(left, ("(ký, ghi rõ họ tên)", "i"), align="center", size=12)
    _para(right, ("XÁC NHẬN CỦA CHI ỦY", "b"), align="center", first=True)
    _para(right, ("(ký, ghi rõ họ tên)", "i"), align="center", size=12)


def _comments_summary(document: Any, *, recognition: bool) -> None:
    _heading(document)
    if recognition:
        _title(document, "BẢN TỔNG HỢP", "ý kiến nhận xét của đoàn thể và chi ủy nơi cư trú đối với đảng viên dự bị")
        _body(
            document,
            "Đảng viên dự bị: ",
            ("{{ person_name }}", "b"),
            ", sinh ngày {{ date_of_birth }}; vào Đảng ngày {{ ceremony_date }}; hết thời kỳ dự bị ngày "
            "{{ probation_end }}; sinh hoạt tại {{ branch_name }}.",
        )
        _body(
            document,
            "Chi ủy đã tổng hợp ý kiến nhận xét của các đoàn thể chính trị - xã hội nơi đồng chí sinh hoạt và "
            "của chi ủy (chi bộ) nơi cư trú về quá trình 12 tháng dự bị; hoàn thành ngày "
            "{{ recognition_dossier_date }}. Đảng viên giúp đỡ: {{ mentors_text }}.",
        )
    else:
        _title(document, "BẢN TỔNG HỢP", "ý kiến nhận xét của đoàn thể và chi ủy nơi cư trú đối với người xin vào Đảng")
        _person_line(document, "Người xin vào Đảng: ")
        _body(
            document,
            "Chi ủy đã tổng hợp ý kiến nhận xét của các đoàn thể chính trị - xã hội nơi người xin vào Đảng "
            "sinh hoạt và của chi ủy (chi bộ) nơi cư trú; hoàn thành ngày {{ comments_completed_date }}.",
        )
    for heading in ("1. Ưu điểm:", "2. Khuyết điểm:", "3. Ý kiến đề nghị của các nơi nhận xét:"):
        _para(document, (heading, "b"), before=4, after=2)
        for _line in range(2):
            _dotted_line(document)
    _signature(document)


def _two_signatures(document: Any, left: str, right: str) -> None:
    _para(document, "", after=6)
    table = document.add_table(rows=1, cols=2)
    _layout_table(table)
    _widths(table, TEXT_WIDTH / 2, TEXT_WIDTH / 2)
    for cell, title in zip(table.rows[0].cells, (left, right), strict=True):
        _para(cell, (title, "b"), align="center", first=True)
        _para(cell, ("(ký, ghi rõ họ tên)", "i"), align="center", size=12)


def _branch_minutes(document: Any) -> None:
    _heading(document)
    _title(document, "BIÊN BẢN", "họp chi bộ xét đề nghị kết nạp đảng viên")
    _body(document, "Thời gian: ngày {{ admission_branch_meeting.held_on }}. Địa điểm: {{ branch_name }}.")
    _body(
        document,
        "Số đảng viên chính thức được triệu tập: {{ admission_branch_meeting.summoned }}; có mặt: "
        "{{ admission_branch_meeting.present }}; vắng mặt: {{ admission_branch_meeting.absent }}; "
        "được trừ khỏi tổng số: {{ admission_branch_meeting.excluded }}.",
    )
    _body(document, "Chủ trì: ……………………………… Thư ký: ………………………………")
    _para(document, ("Nội dung", "b"), before=4, after=2)
    _person_line(document, "Chi bộ xem xét hồ sơ đề nghị kết nạp vào Đảng của quần chúng ")
    _body(
        document,
        "Chi bộ đã nghe đọc đơn xin vào Đảng, lý lịch, giấy giới thiệu của đảng viên chính thức "
        "({{ introducers_text }}), bản tổng hợp ý kiến nhận xét và giấy chứng nhận lớp bồi dưỡng nhận thức "
        "về Đảng số {{ certificate_number }}; các đảng viên phát biểu ý kiến:",
    )
    for _line in range(3):
        _dotted_line(document)
    _body(document, "Kết quả biểu quyết của đảng viên chính thức (hình thức: {{ admission_branch_vote.form }}):")
    _vote_table(document, "admission_branch_vote")
    _spacer(document)
    _body(
        document,
        ("Kết luận: ", "b"),
        "số đảng viên chính thức tán thành {{ admission_branch_vote.yes }}/{{ admission_branch_vote.denominator }}, "
        "cần tối thiểu {{ admission_branch_vote.required }}: {{ admission_branch_vote.result }}.",
    )
    _body(document, "Biên bản đã được đọc lại trước chi bộ và được chi bộ thông qua.")
    _two_signatures(document, "THƯ KÝ", "CHỦ TRÌ")


def _ballot(document: Any) -> None:
    _heading(document)
    _title(document, "PHIẾU BIỂU QUYẾT", "đề nghị kết nạp đảng viên")
    _person_line(document, "Chi bộ xét đề nghị kết nạp vào Đảng quần chúng ")
    _body(document, "Ý kiến của đảng viên (đánh dấu X vào một ô):")
    table = document.add_table(rows=2, cols=2)
    table.style = document.styles["Table Grid"]
    _widths(table, 82.5, 82.5)
    for cell, label in zip(table.rows[0].cells, ("Đồng ý kết nạp", "Không đồng ý kết nạp"), strict=True):
        _para(cell, (label, "b"), align="center", first=True, before=4, after=4)
    for cell in table.rows[1].cells:
        _para(cell, "", first=True, before=18, after=18)
    _para(
        document,
        ("Phiếu không ký tên. Phiếu đánh dấu cả hai ô hoặc không đánh dấu ô nào là phiếu không hợp lệ.", "i"),
        size=12,
        before=8,
    )


def _non_admission_notice(document: Any) -> None:
    _heading(document)
    _title(document, "THÔNG BÁO", "kết quả xem xét đề nghị kết nạp đảng viên")
    _body(
        document,
        "Ngày {{ admission_decider_vote.held_on }}, {{ decider_body }} đã xem xét hồ sơ đề nghị kết nạp vào Đảng "
        "của quần chúng ",
        ("{{ person_name }}", "b"),
        ", sinh ngày {{ date_of_birth }}, do {{ branch_name }} đề nghị tại nghị quyết ngày "
        "{{ branch_resolution_date }}.",
    )
    _body(
        document,
        "Kết quả biểu quyết: {{ admission_decider_vote.yes }}/{{ admission_decider_vote.denominator }} "
        "tán thành, cần tối thiểu {{ admission_decider_vote.required }} ({{ admission_decider_vote.result }}).",
    )
    _body(
        document,
        "{{ decider_body }} thông báo: chưa đủ điều kiện kết nạp quần chúng ",
        ("{{ person_name }}", "b"),
        " vào Đảng Cộng sản Việt Nam. Đề nghị {{ branch_name }} thông báo cho quần chúng, tiếp tục giáo dục, "
        "bồi dưỡng và xem xét khi đủ điều kiện.",
    )
    _signature(document)


def _recognition_resolution(document: Any, *, committee: bool) -> None:
    _heading(document)
    _title(document, "NGHỊ QUYẾT", "đề nghị công nhận đảng viên chính thức")
    if committee:
        _body(
            document,
            "Ngày {{ recognition_committee_vote.held_on }}, {{ grassroots_name }} xem xét đề nghị công nhận "
            "đảng viên chính thức của {{ branch_name }} (nghị quyết ngày {{ recognition_branch_date }}) đối với "
            "đồng chí ",
            ("{{ person_name }}", "b"),
            ", sinh ngày {{ date_of_birth }}, vào Đảng ngày {{ ceremony_date }}.",
        )
        slot, body = "recognition_committee_vote", "Đảng ủy"
    else:
        _body(
            document,
            "Ngày {{ recognition_branch_date }}, {{ branch_name }} họp xét đề nghị công nhận đảng viên chính thức "
            "đối với đồng chí ",
            ("{{ person_name }}", "b"),
            ", sinh ngày {{ date_of_birth }}, vào Đảng ngày {{ ceremony_date }} (quyết định kết nạp số "
            "{{ decision_number }}, ngày {{ decision_date }}).",
        )
        _body(
            document,
            "Chi bộ đã xem xét bản tự kiểm điểm của đảng viên dự bị, nhận xét của đảng viên giúp đỡ "
            "({{ mentors_text }}), ý kiến nhận xét của đoàn thể và chi ủy nơi cư trú, giấy chứng nhận lớp bồi "
            "dưỡng đảng viên mới cấp ngày {{ new_member_class_date }}.",
        )
        slot, body = "recognition_branch_vote", "Chi bộ"
    _body(document, "Kết quả biểu quyết (hình thức: {{ %s.form }}):" % slot)  # noqa: UP031
    _vote_table(document, slot)
    _spacer(document)
    _body(
        document,
        (f"{body} quyết nghị: ", "b"),
        ("đề nghị {{ decider_body }}" if committee else "đề nghị cấp ủy cấp trên") + " xem xét, công nhận đồng chí ",
        ("{{ person_name }}", "b"),
        " là đảng viên chính thức kể từ ngày {{ probation_end }}.",
    )
    _signature(document)


def _removal_branch_resolution(document: Any) -> None:
    _heading(document)
    _title(document, "NGHỊ QUYẾT", "đề nghị xóa tên đảng viên dự bị")
    _body(
        document,
        "Ngày {{ removal_branch_vote.held_on }}, {{ branch_name }} họp xét tư cách đảng viên dự bị của đồng chí ",
        ("{{ person_name }}", "b"),
        ", sinh ngày {{ date_of_birth }}, vào Đảng ngày {{ ceremony_date }}.",
    )
    _para(document, ("Lý do:", "b"), before=2, after=2)
    for _line in range(3):
        _dotted_line(document)
    _body(document, "Kết quả biểu quyết (hình thức: {{ removal_branch_vote.form }}):")
    _vote_table(document, "removal_branch_vote")
    _spacer(document)
    _body(
        document,
        ("Chi bộ quyết nghị: ", "b"),
        "đề nghị cấp ủy cấp trên xem xét, xóa tên đồng chí ",
        ("{{ person_name }}", "b"),
        " khỏi danh sách đảng viên dự bị.",
    )
    _signature(document)


def _removal_decision(document: Any) -> None:
    _heading(document)
    _title(document, "QUYẾT ĐỊNH", "xóa tên đảng viên dự bị")
    _para(document, ("{{ decider_body|upper }}", "b"), align="center", after=8)
    _body(document, "Căn cứ Điều lệ Đảng Cộng sản Việt Nam;")
    _body(document, "Căn cứ các quy định, hướng dẫn thi hành Điều lệ Đảng hiện hành;")
    _body(document, "Xét nghị quyết của {{ branch_name }} ngày {{ removal_branch_vote.held_on }} đề nghị xóa tên;")
    _para(document, ("QUYẾT ĐỊNH:", "b"), align="center", before=6, after=6)
    _body(
        document,
        ("Điều 1. ", "b"),
        "Xóa tên đồng chí ",
        ("{{ person_name }}", "b"),
        ", sinh ngày {{ date_of_birth }}, vào Đảng ngày {{ ceremony_date }}, khỏi danh sách đảng viên dự bị "
        "kể từ ngày {{ removal_date }}.",
    )
    _body(
        document,
        ("Điều 2. ", "b"),
        "Đồng chí {{ person_name }} có quyền khiếu nại quyết định này theo quy định của Đảng.",
    )
    _body(
        document,
        ("Điều 3. ", "b"),
        "Các tổ chức đảng có liên quan và đồng chí {{ person_name }} thi hành quyết định này.",
    )
    _signature(document)


def _appraisal_report(document: Any, *, recognition: bool) -> None:
    """The sub-committee's appraisal of the branch's resolution, reported to the grassroots committee."""
    _heading(document)
    if recognition:
        _title(document, "BÁO CÁO", "thẩm định đề nghị công nhận đảng viên chính thức")
        _para(document, "Kính gửi: {{ grassroots_committee }}", align="center", after=8)
        _body(
            document,
            "Ngày {{ recognition_appraisal_date }}, {{ appraisal_name }} thẩm định nghị quyết của {{ branch_name }} "
            "ngày {{ recognition_branch_date }} đề nghị công nhận đảng viên chính thức đối với đồng chí ",
            ("{{ person_name }}", "b"),
            ", sinh ngày {{ date_of_birth }}, vào Đảng ngày {{ ceremony_date }} (quyết định kết nạp số "
            "{{ decision_number }}, ngày {{ decision_date }}); hết thời kỳ dự bị ngày {{ probation_end }}.",
        )
        _body(
            document,
            "Hồ sơ gồm bản tự kiểm điểm của đảng viên dự bị, nhận xét của đảng viên giúp đỡ ({{ mentors_text }}), "
            "ý kiến nhận xét của đoàn thể và chi ủy nơi cư trú, giấy chứng nhận lớp bồi dưỡng đảng viên mới "
            "cấp ngày {{ new_member_class_date }}.",
        )
        slot, verdict = (
            "recognition_branch_vote",
            "đề nghị {{ grassroots_committee }} xem xét, đề nghị công nhận đồng chí ",
        )
        _body(document, "Kết quả biểu quyết của chi bộ (hình thức: {{ recognition_branch_vote.form }}):")
    else:
        _title(document, "BÁO CÁO", "thẩm định đề nghị kết nạp đảng viên")
        _para(document, "Kính gửi: {{ grassroots_committee }}", align="center", after=8)
        _body(
            document,
            "Ngày {{ appraisal_date }}, {{ appraisal_name }} thẩm định nghị quyết của {{ branch_name }} ngày "
            "{{ branch_resolution_date }} đề nghị kết nạp vào Đảng quần chúng ",
            ("{{ person_name }}", "b"),
            ", sinh ngày {{ date_of_birth }}; quê quán: {{ hometown }}; nghề nghiệp: {{ occupation }}.",
        )
        _body(
            document,
            "Hồ sơ gồm đơn xin vào Đảng (nộp ngày {{ application_date }}), lý lịch và kết quả thẩm tra "
            "(hoàn thành ngày {{ verification_completed_date }}), giấy giới thiệu của đảng viên chính thức "
            "({{ introducers_text }}), bản tổng hợp ý kiến nhận xét (ngày {{ comments_completed_date }}), giấy "
            "chứng nhận lớp bồi dưỡng nhận thức về Đảng số {{ certificate_number }} cấp ngày "
            "{{ certificate_issue_date }}.",
        )
        slot, verdict = (
            "admission_branch_vote",
            "đề nghị {{ grassroots_committee }} xem xét, đề nghị kết nạp quần chúng ",
        )
        _body(document, "Kết quả biểu quyết của chi bộ (hình thức: {{ admission_branch_vote.form }}):")
    _vote_table(document, slot)
    _spacer(document)
    _para(document, ("Ý kiến thẩm định:", "b"), before=4, after=2)
    for _line in range(2):
        _dotted_line(document)
    _body(
        document,
        ("Đảng ủy bộ phận thống nhất ", "b"),
        verdict,
        ("{{ person_name }}", "b"),
        "." if not recognition else " là đảng viên chính thức kể từ ngày {{ probation_end }}.",
    )
    _signature(document)


def _sympathiser_extract(document: Any) -> None:
    """The person's line of the branch's sympathiser list (reviewed monthly up the chain)."""
    _heading(document)
    _title(document, "TRÍCH DANH SÁCH", "quần chúng cảm tình Đảng")
    _body(
        document,
        "{{ branch_name }} trích danh sách quần chúng cảm tình Đảng của chi bộ đối với quần chúng ",
        ("{{ person_name }}", "b"),
        ", được chi bộ đưa vào danh sách cảm tình Đảng ngày {{ sympathiser_date }}:",
    )
    headers = ("Họ và tên", "Ngày sinh", "Quê quán", "Nghề nghiệp", "Vào danh sách", "Đảng viên giúp đỡ")
    values = (
        "{{ person_name }}",
        "{{ date_of_birth }}",
        "{{ hometown }}",
        "{{ occupation }}",
        "{{ sympathiser_date }}",
        "{{ mentors_text }}",
    )
    table = document.add_table(rows=2, cols=len(headers))
    table.style = document.styles["Table Grid"]
    _widths(table, 30, 25, 29, 25, 25, 31)
    for header, value, head_cell, value_cell in zip(
        headers, values, table.rows[0].cells, table.rows[1].cells, strict=True
    ):
        _para(head_cell, (header, "b"), align="center", size=11, first=True, before=2, after=2)
        _para(value_cell, value, align="center", size=11, first=True, before=2, after=2)
    _spacer(document)
    _rows_table(
        document,
        [
            ("Chi bộ đề nghị học lớp nhận thức về Đảng", "{{ class_proposed_date }}"),
            (
                "Giấy chứng nhận lớp nhận thức về Đảng",
                "số {{ certificate_number }}, cấp ngày {{ certificate_issue_date }}",
            ),
            ("Được phép lập hồ sơ", "{{ dossier_start_date }}"),
        ],
    )
    _signature(document)


def _deadlock_conclusion(document: Any) -> None:
    """The competent committee's conclusion after three failed votes on a probationer."""
    _heading(document)
    _title(document, "THÔNG BÁO KẾT LUẬN", "về đảng viên dự bị sau ba lần biểu quyết không đạt")
    _body(
        document,
        "Ngày {{ deadlock.escalated_on }}, {{ deadlock.body }} báo cáo việc biểu quyết ba lần không đủ hai phần ba "
        "số đảng viên tán thành về việc công nhận đảng viên chính thức hoặc xóa tên đối với đồng chí ",
        ("{{ person_name }}", "b"),
        ", sinh ngày {{ date_of_birth }}, vào Đảng ngày {{ ceremony_date }}, sinh hoạt tại {{ branch_name }}. "
        "Kết quả các lần biểu quyết:",
    )
    _para(document, "{%p for line in deadlock.failed_votes %}")
    _para(document, "- {{ line }}", indent=True)
    _para(document, "{%p endfor %}")
    _body(
        document,
        "Ngày {{ deadlock.ruled_on }}, {{ decider_body }} đã xem xét và kết luận: ",
        ("{{ deadlock.outcome }}", "b"),
        ".",
    )
    _body(document, "Ý kiến của cấp ủy: {{ deadlock.note }}.")
    _body(document, "Đề nghị {{ branch_name }} và các tổ chức đảng có liên quan thực hiện kết luận này.")
    _signature(document)


def _annulment_decision(document: Any) -> None:
    """The committee that admitted wrongly annuls its decision."""
    _heading(document)
    _title(document, "QUYẾT ĐỊNH", "hủy quyết định kết nạp đảng viên")
    _para(document, ("{{ decider_body|upper }}", "b"), align="center", after=8)
    _body(document, "Căn cứ Điều lệ Đảng Cộng sản Việt Nam;")
    _body(document, "Căn cứ các quy định, hướng dẫn thi hành Điều lệ Đảng hiện hành;")
    _body(
        document,
        "Xét việc kết nạp đồng chí {{ person_name }} vào Đảng không đúng quy định: {{ annulment.reason }};",
    )
    _para(document, ("QUYẾT ĐỊNH:", "b"), align="center", before=6, after=6)
    _body(
        document,
        ("Điều 1. ", "b"),
        "Hủy Quyết định số {{ annulment.decision_symbol }} ngày {{ annulment.decision_date }} về việc kết nạp "
        "đảng viên đối với đồng chí ",
        ("{{ person_name }}", "b"),
        ", sinh ngày {{ date_of_birth }}, sinh hoạt tại {{ branch_name }}.",
    )
    _body(document, ("Điều 2. ", "b"), "Hướng xử lý: {{ annulment.outcome }}.")
    _body(
        document,
        ("Điều 3. ", "b"),
        "Các tổ chức đảng có liên quan và đồng chí {{ person_name }} thi hành quyết định này.",
    )
    _signature(document)


def _transfer_letter(document: Any) -> None:
    """The former place's committee forwards the dossier (or the decision) to the destination."""
    _heading(document)
    _para(document, "V/v chuyển hồ sơ đề nghị kết nạp đảng viên", size=12, after=6)
    _para(document, ("Kính gửi: {{ transfer.destination_body }}", "b"), align="center", before=6, after=8)
    _body(
        document,
        "Quần chúng ",
        ("{{ person_name }}", "b"),
        ", sinh ngày {{ date_of_birth }}; quê quán: {{ hometown }}, đã được {{ transfer.from_branch }} đề nghị "
        "kết nạp vào Đảng tại nghị quyết ngày {{ branch_resolution_date }}. Ngày {{ transfer.on_date }}, quần "
        "chúng chuyển sinh hoạt đến {{ transfer.to_branch }} ({{ transfer.reason }}).",
    )
    _para(document, "{%p if transfer.forwards_decision %}")
    _body(
        document,
        "{{ transfer.origin_body }} chuyển Quyết định kết nạp số {{ decision_number }} ngày {{ decision_date }} "
        "cùng hồ sơ đến {{ transfer.destination_body }} để chỉ đạo {{ transfer.to_branch }} tổ chức lễ kết nạp "
        "theo quy định.",
    )
    _para(document, "{%p else %}")
    _body(
        document,
        "{{ transfer.origin_body }} chuyển toàn bộ hồ sơ đề nghị kết nạp của quần chúng đến "
        "{{ transfer.destination_body }} để xem xét, quyết định theo thẩm quyền.",
    )
    _para(document, "{%p endif %}")
    _body(
        document,
        "Hồ sơ gồm: đơn xin vào Đảng, lý lịch và kết quả thẩm tra, giấy giới thiệu của đảng viên chính thức "
        "({{ introducers_text }}), bản tổng hợp ý kiến nhận xét, giấy chứng nhận lớp bồi dưỡng nhận thức về Đảng "
        "số {{ certificate_number }}, nghị quyết của chi bộ và của cấp ủy cấp trên.",
    )
    _signature(document)


def _reconsideration_request(document: Any) -> None:
    """The destination's committee asks the one that sent the dossier or decision to reconsider it."""
    _heading(document)
    _para(document, "V/v đề nghị xem xét lại hồ sơ đề nghị kết nạp đảng viên", size=12, after=6)
    _para(document, ("Kính gửi: {{ transfer.origin_body }}", "b"), align="center", before=6, after=8)
    _body(
        document,
        "Ngày {{ transfer.forwarded_on }}, {{ decider_body }} nhận được hồ sơ đề nghị kết nạp vào Đảng của quần chúng ",
        ("{{ person_name }}", "b"),
        ", sinh ngày {{ date_of_birth }}, do {{ transfer.origin_body }} chuyển đến (chuyển sinh hoạt từ "
        "{{ transfer.from_branch }} đến {{ transfer.to_branch }} ngày {{ transfer.on_date }}).",
    )
    _para(document, "{%p if transfer.forwards_decision %}")
    _body(document, "Hồ sơ kèm theo Quyết định kết nạp số {{ decision_number }} ngày {{ decision_date }}.")
    _para(document, "{%p endif %}")
    _body(document, "Qua xem xét, {{ decider_body }} đề nghị xem xét lại: {{ transfer.reconsideration_note }}.")
    _body(
        document,
        "Kính đề nghị {{ transfer.origin_body }} xem xét, trả lời để {{ decider_body }} có cơ sở quyết định "
        "theo thẩm quyền.",
    )
    _signature(document)


_BUILDERS: dict[str, Callable[[Any], None]] = {
    GeneratedKind.APPLICATION_COVER.value: _application_cover,
    GeneratedKind.BRANCH_RESOLUTION.value: _branch_resolution,
    GeneratedKind.COMMITTEE_RESOLUTION.value: _committee_resolution,
    GeneratedKind.ADMISSION_DECISION.value: functools.partial(_decision, recognition=False),
    GeneratedKind.RECOGNITION_DECISION.value: functools.partial(_decision, recognition=True),
    GeneratedKind.PROBATION_SUMMARY.value: _probation_summary,
    GeneratedKind.MEMBER_SHEET.value: _member_sheet,
    GeneratedKind.COMMENTS_SUMMARY.value: functools.partial(_comments_summary, recognition=False),
    GeneratedKind.BRANCH_MINUTES.value: _branch_minutes,
    GeneratedKind.BALLOT.value: _ballot,
    GeneratedKind.NON_ADMISSION_NOTICE.value: _non_admission_notice,
    GeneratedKind.RECOGNITION_COMMENTS.value: functools.partial(_comments_summary, recognition=True),
    GeneratedKind.RECOGNITION_BRANCH_RESOLUTION.value: functools.partial(_recognition_resolution, committee=False),
    GeneratedKind.RECOGNITION_COMMITTEE_RESOLUTION.value: functools.partial(_recognition_resolution, committee=True),
    GeneratedKind.REMOVAL_BRANCH_RESOLUTION.value: _removal_branch_resolution,
    GeneratedKind.REMOVAL_DECISION.value: _removal_decision,
    GeneratedKind.APPRAISAL_REPORT.value: functools.partial(_appraisal_report, recognition=False),
    GeneratedKind.RECOGNITION_APPRAISAL.value: functools.partial(_appraisal_report, recognition=True),
    GeneratedKind.SYMPATHISER_EXTRACT.value: _sympathiser_extract,
    GeneratedKind.DEADLOCK_CONCLUSION.value: _deadlock_conclusion,
    GeneratedKind.ANNULMENT_DECISION.value: _annulment_decision,
    GeneratedKind.TRANSFER_LETTER.value: _transfer_letter,
    GeneratedKind.RECONSIDERATION_REQUEST.value: _reconsideration_request,
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
