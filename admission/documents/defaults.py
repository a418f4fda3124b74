"""The built-in default templates: our own wording, built as DOCX with docxtpl tags.

They paraphrase; rule points such as "QĐ294 4.3" are cited as references only, never copied
forms. An organisation's uploaded version replaces one (`admission.documents.templates`).
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

# Installed with fonts-noto-core and complete for Vietnamese; Word users without it get the
# alternative named in the font table, the usual font of administrative documents.
FONT = "Noto Serif"
FONT_ALTERNATIVE = "Times New Roman"


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
