"""Every built-in document in the Party's format (docs/document-format.md): the PDF text carries each
mandatory component in place, the page is A4 with the guide's margins, font and page numbers, and no
rule citation is printed. The first page of each PDF is kept as a PNG under test-artifacts/documents."""

import datetime as dt
import io
import re
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from docx import Document

from admission import services
from admission.devdata.demo import at, walk_to
from admission.documents import generate as docgen
from admission.domain.votes import VotingBody
from admission.models import Candidate, GeneratedKind, Vote, VoteForm, VotePurpose
from members.models import Role
from members.services import role_assign
from tests.factories import PersonFactory, UserFactory

pytestmark = pytest.mark.django_db
START = dt.date(2025, 1, 6)
GENERATED_ON = dt.date(2026, 12, 1)
NAME = "Nguyễn Văn Đức"
ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts" / "documents"

# Branch A sits under the grassroots committee C ("Đảng bộ Sở Thử nghiệm"), itself under the
# provincial People's Committee organisation G, whose standing committee decides (conftest.tree).
# kind: (superior line, issuing body, number line or None, type of document, authority line or None)
COMPONENTS = {
    GeneratedKind.APPLICATION_COVER: (
        "ĐẢNG BỘ SỞ THỬ NGHIỆM",
        "CHI BỘ A",
        None,
        "HỒ SƠ NGƯỜI XIN VÀO ĐẢNG",
        "T/M CHI ỦY",
    ),
    GeneratedKind.BRANCH_RESOLUTION: ("ĐẢNG BỘ SỞ THỬ NGHIỆM", "CHI BỘ A", "Số ……-NQ/CB", "NGHỊ QUYẾT", "T/M CHI BỘ"),
    GeneratedKind.COMMITTEE_RESOLUTION: (
        "ĐẢNG BỘ UBND TỈNH",
        "ĐẢNG ỦY SỞ THỬ NGHIỆM",  # the committee issues, under its superior organisation
        "Số ……-NQ/ĐU",
        "NGHỊ QUYẾT",
        "T/M ĐẢNG ỦY",
    ),
    GeneratedKind.ADMISSION_DECISION: (
        "ĐẢNG BỘ TỈNH THỬ NGHIỆM",
        "ĐẢNG ỦY UBND TỈNH",
        "Số QĐ-KN",  # the number recorded with the decision
        "QUYẾT ĐỊNH",
        "T/M BAN THƯỜNG VỤ",
    ),
    GeneratedKind.RECOGNITION_DECISION: (
        "ĐẢNG BỘ TỈNH THỬ NGHIỆM",
        "ĐẢNG ỦY UBND TỈNH",
        "Số ……-QĐ/ĐU",  # not registered yet: the number is left to fill in
        "QUYẾT ĐỊNH",
        "T/M BAN THƯỜNG VỤ",
    ),
    GeneratedKind.PROBATION_SUMMARY: ("ĐẢNG BỘ SỞ THỬ NGHIỆM", "CHI BỘ A", None, "BẢN TỔNG HỢP", "T/M CHI ỦY"),
    GeneratedKind.MEMBER_SHEET: ("ĐẢNG BỘ SỞ THỬ NGHIỆM", "CHI BỘ A", None, "PHIẾU ĐẢNG VIÊN", None),
    GeneratedKind.COMMENTS_SUMMARY: ("ĐẢNG BỘ SỞ THỬ NGHIỆM", "CHI BỘ A", None, "BẢN TỔNG HỢP", "T/M CHI ỦY"),
    GeneratedKind.BRANCH_MINUTES: ("ĐẢNG BỘ SỞ THỬ NGHIỆM", "CHI BỘ A", None, "BIÊN BẢN", None),
    GeneratedKind.BALLOT: ("ĐẢNG BỘ SỞ THỬ NGHIỆM", "CHI BỘ A", None, "PHIẾU BIỂU QUYẾT", None),
    GeneratedKind.NON_ADMISSION_NOTICE: (
        "ĐẢNG BỘ TỈNH THỬ NGHIỆM",
        "ĐẢNG ỦY UBND TỈNH",
        "Số ……-TB/ĐU",
        "THÔNG BÁO",
        "T/M BAN THƯỜNG VỤ",
    ),
    GeneratedKind.RECOGNITION_COMMENTS: ("ĐẢNG BỘ SỞ THỬ NGHIỆM", "CHI BỘ A", None, "BẢN TỔNG HỢP", "T/M CHI ỦY"),
    GeneratedKind.RECOGNITION_BRANCH_RESOLUTION: (
        "ĐẢNG BỘ SỞ THỬ NGHIỆM",
        "CHI BỘ A",
        "Số ……-NQ/CB",
        "NGHỊ QUYẾT",
        "T/M CHI BỘ",
    ),
    GeneratedKind.RECOGNITION_COMMITTEE_RESOLUTION: (
        "ĐẢNG BỘ UBND TỈNH",
        "ĐẢNG ỦY SỞ THỬ NGHIỆM",
        "Số ……-NQ/ĐU",
        "NGHỊ QUYẾT",
        "T/M ĐẢNG ỦY",
    ),
    GeneratedKind.REMOVAL_BRANCH_RESOLUTION: (
        "ĐẢNG BỘ SỞ THỬ NGHIỆM",
        "CHI BỘ A",
        "Số ……-NQ/CB",
        "NGHỊ QUYẾT",
        "T/M CHI BỘ",
    ),
    GeneratedKind.REMOVAL_DECISION: (
        "ĐẢNG BỘ TỈNH THỬ NGHIỆM",
        "ĐẢNG ỦY UBND TỈNH",
        "Số ……-QĐ/ĐU",
        "QUYẾT ĐỊNH",
        "T/M BAN THƯỜNG VỤ",
    ),
    GeneratedKind.SYMPATHISER_EXTRACT: ("ĐẢNG BỘ SỞ THỬ NGHIỆM", "CHI BỘ A", None, "TRÍCH DANH SÁCH", "T/M CHI ỦY"),
}
# The documents of a sub-committee and of the authority paths need a tree or a history the
# reference candidate does not have: test_document_paths checks the same components for them.
ELSEWHERE = {
    GeneratedKind.APPRAISAL_REPORT,
    GeneratedKind.RECOGNITION_APPRAISAL,
    GeneratedKind.DEADLOCK_CONCLUSION,
    GeneratedKind.ANNULMENT_DECISION,
    GeneratedKind.TRANSFER_LETTER,
    GeneratedKind.RECONSIDERATION_REQUEST,
}
HERE = [kind for kind in GeneratedKind.values if kind not in ELSEWHERE]
# Rule citations belong on screen, never in an issued document.
CITATION = re.compile(r"QĐ294|HD06|HD38|HD 06|[Tt]ham chiếu|Điều lệ Đảng, Điều")
DATE_LINE = re.compile(r"ngày \d\d tháng (0[12]|[3-9]|1[0-2]) năm \d{4}")


@pytest.fixture(autouse=True)
def media(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def recognised(tree, introducers):  # type: ignore[no-untyped-def]
    ada = UserFactory(username="ada")
    role_assign(acting_user=None, user=ada, organisation=tree.province, role=Role.ADMINISTRATOR)
    person = PersonFactory(organisation=tree.branch_a, full_name=NAME)
    candidate = services.candidate_create(acting_user=ada, person=person, now=at(START))
    return walk_to(candidate, "S17", user=ada, introducers=introducers, start=START)


EXTRA_VOTES = {
    GeneratedKind.NON_ADMISSION_NOTICE: (VotingBody.STANDING_COMMITTEE, VotePurpose.ADMISSION),
    GeneratedKind.RECOGNITION_COMMITTEE_RESOLUTION: (VotingBody.GRASSROOTS_COMMITTEE, VotePurpose.RECOGNITION),
}


def record_removal(candidate):  # type: ignore[no-untyped-def]
    """The branch's removal vote (7 of 9, 05/03/2026) and the decision's day (20/03/2026), as rows."""
    Vote.objects.create(
        candidate=candidate, body=VotingBody.BRANCH.name, purpose=VotePurpose.REMOVAL, held_on=dt.date(2026, 3, 5),
        summoned=9, excluded=0, denominator=9, yes=7, no=2, abstain=0, form=VoteForm.SECRET_BALLOT, required=6,
        passed=True, rule="test",
    )  # fmt: skip
    Candidate.objects.filter(pk=candidate.pk).update(removal_date=dt.date(2026, 3, 20))
    candidate.refresh_from_db()


def _run(*command: str) -> str:
    return subprocess.run(command, check=True, capture_output=True).stdout.decode()


def _position(text: str, needle: str) -> int:
    index = text.find(needle)
    assert index >= 0, needle
    return index


@pytest.mark.parametrize("kind", HERE)
def test_each_pdf_carries_the_mandatory_components_in_the_partys_order(recognised, alice, kind, tmp_path) -> None:  # type: ignore[no-untyped-def]
    if kind.startswith("removal"):
        record_removal(recognised)  # dated by the removal chain
    if kind in EXTRA_VOTES:  # the reference timeline records no vote of that body
        body, purpose = EXTRA_VOTES[kind]
        Vote.objects.create(
            candidate=recognised, body=body.name, purpose=purpose, held_on=dt.date(2026, 11, 2), summoned=7,
            excluded=0, denominator=7, yes=3, no=4, abstain=0, form=VoteForm.SECRET_BALLOT, required=4,
            passed=False, rule="test",
        )  # fmt: skip
    document = docgen.document_generate(
        acting_user=alice, candidate=recognised, kind=kind, fmt="pdf", now=at(GENERATED_ON)
    )
    pdf = tmp_path / f"{kind}.pdf"
    pdf.write_bytes(document.file.read())
    text = _run("pdftotext", "-layout", str(pdf), "-")
    check_components(text, COMPONENTS[kind])
    info = _run("pdfinfo", str(pdf))
    assert re.search(r"Page size:\s+595\.\d+ x 841\.\d+ pts \(A4\)", info)
    keep_first_page(pdf, kind)


def keep_first_page(pdf: Path, kind: str) -> None:
    """The first page as a PNG under test-artifacts/documents, to be looked at."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    _run("pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(ARTIFACTS / kind))


def check_components(text: str, components: tuple[str, str, str | None, str, str | None], name: str = NAME) -> None:
    """The mandatory components of the Party's format in their order (docs/document-format.md)."""
    superior, issuer, number, title, authority = components
    party = _position(text, "ĐẢNG CỘNG SẢN VIỆT NAM")
    assert _position(text, superior) < _position(text, issuer) < _position(text, "*") < _position(text, title)
    assert party < _position(text, title)
    assert DATE_LINE.search(text[: _position(text, title)])  # place and date in the heading
    if number:
        assert _position(text, "*") < _position(text, number) < _position(text, title)
    else:
        assert not re.search(r"Số [\d…]+-", text)
    if authority:
        assert _position(text, title) < _position(text, "Nơi nhận:") < _position(text, authority)
        assert _position(text, authority) < _position(text, "BÍ THƯ")
    assert name in " ".join(text.split())  # the name may wrap in the layout
    assert not CITATION.search(text), CITATION.search(text)


@pytest.mark.parametrize("kind", GeneratedKind.values)
def test_each_docx_is_a4_in_times_new_roman_with_the_guides_margins_and_page_numbers(recognised, alice, kind) -> None:  # type: ignore[no-untyped-def]
    document = docgen.document_generate(
        acting_user=alice, candidate=recognised, kind=kind, fmt="docx", now=at(GENERATED_ON)
    )
    docx = Document(io.BytesIO(document.file.read()))
    section = docx.sections[0]

    assert section.page_width is not None and section.page_height is not None
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    margins = (section.top_margin, section.bottom_margin, section.left_margin, section.right_margin)
    assert [round(m.mm) for m in margins if m is not None] == [20, 20, 30, 15]
    assert docx.styles["Normal"].font.name == "Times New Roman"
    assert docx.styles["Normal"].font.size.pt == 14
    # Page numbers from the second page: a PAGE field in the header, none on the first page.
    assert section.different_first_page_header_footer
    assert 'w:instr="PAGE"' in section.header._element.xml
    assert section.first_page_header.paragraphs[0].text == ""
    assert section.header_distance is not None and round(section.header_distance.mm) == 10
