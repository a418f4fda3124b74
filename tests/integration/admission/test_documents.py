"""Document generation: every kind carries the candidate's data, templates are chosen by
organisation and date, uploads are checked by content, and every generate is audited."""

import datetime as dt
import io
import subprocess
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from docx import Document

from admission import services
from admission.devdata.demo import at, walk_to
from admission.documents import context as doccontext
from admission.documents import defaults as docdefaults
from admission.documents import generate as docgen
from admission.documents import templates as doctemplates
from admission.documents.views import documents_context
from admission.models import DocumentTemplate, GeneratedDocument, GeneratedKind
from members.models import AuditLog, Role
from members.services import role_assign
from tests.factories import PersonFactory, UserFactory

pytestmark = pytest.mark.django_db
START = dt.date(2025, 1, 6)
# The reference timeline (admission.devdata.demo.TIMELINE) from 06/01/2025 ends with the recognition
# decision on 30/11/2026 (each recognition step is dated from the previous one's entry);
# documents are generated the next day.
GENERATED_ON = dt.date(2026, 12, 1)
NAME = "Nguyễn Văn Đức"
CCCD = "001095000123"  # born 1995, male, Hà Nội (001): a prefix PersonFactory's sequence never makes

# Literal values the reference timeline records, per kind (dd/mm/yyyy as printed).
EXPECTED = {
    GeneratedKind.APPLICATION_COVER: [
        "15/06/1995",  # date of birth (PersonFactory)
        "10/01/2025",  # added to the sympathiser list (START + 4)
        "GCN-2025",
        "20/03/2025",  # certificate (START + 73)
        "02/04/2025",  # dossier permitted
        "15/04/2025",  # application
        "Lê Văn Giới, Phạm Thị Thiệu",
        "Chi bộ A",
        "Nam",
    ],
    GeneratedKind.BRANCH_RESOLUTION: [
        "05/08/2025",  # branch resolution (START + 211)
        "ngày 05 tháng 8 năm 2025",
        "15/04/2025",
        "Lê Văn Giới, Phạm Thị Thiệu",
        "CHI BỘ A",
        "ĐẢNG BỘ SỞ THỬ NGHIỆM",
        "Bỏ phiếu kín",
        "Đạt",
    ],
    GeneratedKind.COMMITTEE_RESOLUTION: [
        "20/08/2025",  # grassroots resolution (START + 226)
        "ngày 20 tháng 8 năm 2025",
        "05/08/2025",
        "ĐẢNG ỦY SỞ THỬ NGHIỆM",  # the committee issues it
        "Ban Thường vụ Đảng ủy UBND tỉnh",  # branch A is decided by the government organisation's BTV
    ],
    GeneratedKind.ADMISSION_DECISION: [
        "ngày 15 tháng 9 năm 2025",  # decision (START + 252)
        "Số QĐ-KN",  # the number recorded with the decision, in the Party format (no colon)
        "15/06/1995",
        "05/08/2025",
        "20/08/2025",
        "BAN THƯỜNG VỤ ĐẢNG ỦY UBND TỈNH",
        "T/M BAN THƯỜNG VỤ",
    ],
    GeneratedKind.RECOGNITION_DECISION: [
        "ngày 30 tháng 11 năm 2026",  # recognition decision
        "25/10/2026",  # branch recognition resolution
        "03/10/2025",  # ceremony: the day of joining
        "03/10/2026",  # official from the end of probation
        "15/09/2025",  # party age counts from the decision
    ],
    GeneratedKind.PROBATION_SUMMARY: [
        "QĐ-KN",
        "15/09/2025",
        "03/10/2025",
        "03/10/2026",
        "02/03/2026",  # new-member class (ceremony + 150 days)
        "10/10/2026",  # recognition dossier
        "25/10/2026",  # branch recognition resolution
        "ngày 01 tháng 12 năm 2026",  # today's place/date line
    ],
    GeneratedKind.MEMBER_SHEET: [
        "Nguyễn / Văn / Đức",
        "15/06/1995 / Nam",
        "03/10/2025",
        "03/10/2026",
        "số QĐ-KN, ngày 15/09/2025",
        "Lê Văn Giới, Phạm Thị Thiệu",
    ],
}


@pytest.fixture(autouse=True)
def media(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def ada(tree):  # type: ignore[no-untyped-def]
    """An administrator: may record every step at every committee level."""
    user = UserFactory(username="ada")
    role_assign(acting_user=None, user=user, organisation=tree.province, role=Role.ADMINISTRATOR)
    return user


@pytest.fixture
def recognised(tree, ada, introducers):  # type: ignore[no-untyped-def]
    person = PersonFactory(organisation=tree.branch_a, full_name=NAME, cccd=CCCD)
    candidate = services.candidate_create(acting_user=ada, person=person, now=at(START))
    return walk_to(candidate, "S17", user=ada, introducers=introducers, start=START)


def docx_text(data: bytes) -> str:
    """Paragraph and table-cell text of a DOCX."""
    document = Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    parts += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join(parts)


def pdf_text(data: bytes, tmp_path: Path) -> str:
    source = tmp_path / "out.pdf"
    source.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(source), "-"], check=True, capture_output=True).stdout.decode()


def docx_with(text: str) -> bytes:
    document = Document()
    document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def upload(user, organisation, *, version, effective_from, content, kind=GeneratedKind.BRANCH_RESOLUTION):  # type: ignore[no-untyped-def]
    return doctemplates.document_template_upload(
        acting_user=user,
        organisation=organisation,
        kind=kind,
        version=version,
        effective_from=effective_from,
        file=SimpleUploadedFile("mau.docx", content),
    )


def generate(user, candidate, kind=GeneratedKind.BRANCH_RESOLUTION, fmt="docx", day=GENERATED_ON):  # type: ignore[no-untyped-def]
    return docgen.document_generate(acting_user=user, candidate=candidate, kind=kind, fmt=fmt, now=at(day))


# --- Every kind, DOCX and PDF ----------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(EXPECTED))  # the later forms: test_document_forms.py
def test_it_fills_each_kind_with_the_name_and_the_dates_recorded(recognised, alice, kind) -> None:  # type: ignore[no-untyped-def]
    document = generate(alice, recognised, kind=kind)

    text = docx_text(document.file.read())
    assert NAME in text
    for expected in EXPECTED[kind]:
        assert expected in text, expected
    assert "None" not in text
    assert CCCD not in text  # only the masked number may appear
    assert (document.template, document.template_version, document.format) == (
        None,
        doctemplates.DEFAULT_TEMPLATE_VERSION,
        "docx",
    )
    assert document.created_by == alice


def test_it_prints_only_the_masked_identifier_and_dotted_blanks_for_missing_values(recognised, alice) -> None:  # type: ignore[no-untyped-def]
    text = docx_text(generate(alice, recognised, kind=GeneratedKind.APPLICATION_COVER).file.read())
    assert "•••••••••123" in text
    assert "Kinh / ……" in text  # no religion recorded


def test_it_stores_the_file_with_its_hash_and_audits_the_generation(recognised, alice) -> None:  # type: ignore[no-untyped-def]
    import hashlib

    document = generate(alice, recognised)

    data = document.file.read()
    assert document.sha256 == hashlib.sha256(data).hexdigest()
    assert document.file.name.startswith("generated/") and NAME not in document.file.name
    audit = AuditLog.objects.get(action=AuditLog.Action.GENERATE_DOCUMENT)
    assert (audit.user, audit.person) == (alice, recognised.person)
    assert "branch_resolution.docx" in audit.detail


def test_it_refuses_a_user_outside_the_branch_and_writes_nothing(recognised, bob, oscar) -> None:  # type: ignore[no-untyped-def]
    for outsider in (bob, oscar):
        with pytest.raises(PermissionDenied):
            generate(outsider, recognised)
    assert not GeneratedDocument.objects.exists()
    assert not AuditLog.objects.filter(action=AuditLog.Action.GENERATE_DOCUMENT).exists()


def test_it_raises_pdf_unavailable_without_libreoffice_and_stores_nothing(recognised, alice, settings, media) -> None:  # type: ignore[no-untyped-def]
    settings.SOFFICE_BIN = "/nonexistent/soffice"

    with pytest.raises(docgen.PdfUnavailable) as refused:
        generate(alice, recognised, fmt="pdf")

    assert "LibreOffice" in str(refused.value)
    assert not GeneratedDocument.objects.exists()
    assert not (media / "generated").exists()


def test_it_builds_the_context_with_blanks_before_the_dates_exist(tree, ada, introducers) -> None:  # type: ignore[no-untyped-def]
    person = PersonFactory(organisation=tree.branch_a, full_name="Trần Thị Ánh")
    candidate = services.candidate_create(acting_user=ada, person=person, now=at(START))

    context = doccontext.document_context(candidate, today=dt.date(2025, 2, 3))

    assert context["person_name"] == "Trần Thị Ánh"
    assert (context["family_name"], context["middle_name"], context["given_name"]) == ("Trần", "Thị", "Ánh")
    assert context["decision_date"] == doccontext.BLANK
    assert context["probation_end"] == doccontext.BLANK
    assert context["admission_branch_vote"]["yes"] == doccontext.BLANK
    assert context["long_date"]["today"] == "ngày 03 tháng 02 năm 2025"
    assert context["grassroots_name"] == "Đảng bộ Sở Thử nghiệm"
    assert context["decider_body"] == "Ban Thường vụ Đảng ủy UBND tỉnh"


def test_it_computes_the_end_of_probation_from_the_ceremony_before_recognition(tree, ada, introducers) -> None:  # type: ignore[no-untyped-def]
    person = PersonFactory(organisation=tree.branch_a, full_name="Võ Văn Dự")
    candidate = walk_to(
        services.candidate_create(acting_user=ada, person=person, now=at(START)),
        "S12",
        user=ada,
        introducers=introducers,
        start=START,
    )
    context = doccontext.document_context(candidate, today=dt.date(2025, 10, 10))
    assert (context["ceremony_date"], context["probation_end"]) == ("03/10/2025", "03/10/2026")
    assert context["admission_branch_vote"] == {
        "held_on": "05/08/2025",
        "form": "Bỏ phiếu kín",
        "summoned": "9",
        "excluded": "0",
        "denominator": "9",
        "yes": "7",
        "no": "2",
        "abstain": "0",
        "required": "6",
        "result": "Đạt",
    }


# --- Which template applies ------------------------------------------------------------------------


def test_it_uses_an_uploaded_version_only_from_its_effective_date(recognised, alice, carol) -> None:  # type: ignore[no-untyped-def]
    later = upload(
        carol,
        recognised.organisation.parent,
        version="C-2",
        effective_from=GENERATED_ON + dt.timedelta(days=1),
        content=docx_with("{{ person_name }} MẪU RIÊNG SAU"),
    )

    before = generate(alice, recognised)
    assert (before.template, before.template_version) == (None, doctemplates.DEFAULT_TEMPLATE_VERSION)

    today = upload(
        carol,
        recognised.organisation.parent,
        version="C-1",
        effective_from=GENERATED_ON,
        content=docx_with("{{ person_name }} MẪU RIÊNG"),
    )
    used = generate(alice, recognised)
    assert (used.template, used.template_version) == (today, "C-1")
    assert docx_text(used.file.read()).strip() == f"{NAME} MẪU RIÊNG"

    tomorrow = generate(alice, recognised, day=GENERATED_ON + dt.timedelta(days=1))
    assert (tomorrow.template, tomorrow.template_version) == (later, "C-2")
    assert "MẪU RIÊNG SAU" in docx_text(tomorrow.file.read())


def test_the_nearest_ancestor_wins_over_a_farther_one_and_a_national_one(tree, recognised, alice, carol, ada) -> None:  # type: ignore[no-untyped-def]
    day = GENERATED_ON - dt.timedelta(days=30)
    national = upload(ada, None, version="QG-1", effective_from=day, content=docx_with("{{ person_name }} QUỐC GIA"))
    assert generate(alice, recognised).template == national

    # A later national version does not beat an organisation's version in effect.
    province = upload(
        ada, tree.province, version="P-1", effective_from=day, content=docx_with("{{ person_name }} TỈNH")
    )
    upload(ada, None, version="QG-2", effective_from=day + dt.timedelta(days=1), content=docx_with("QUỐC GIA 2"))
    assert generate(alice, recognised).template == province

    # The grassroots committee sits below the province: its older version still wins.
    committee = upload(
        carol, tree.committee, version="C-1", effective_from=day - dt.timedelta(days=300), content=docx_with("C")
    )
    used = generate(alice, recognised)
    assert (used.template, used.template_version) == (committee, "C-1")
    assert (
        doctemplates.template_for(kind=GeneratedKind.BRANCH_RESOLUTION, organisation=tree.branch_b, on=day) == committee
    )
    # Another grassroots tree only sees the province's version.
    assert (
        doctemplates.template_for(kind=GeneratedKind.BRANCH_RESOLUTION, organisation=tree.delegated_branch, on=day)
        == province
    )
    # Another kind has no version anywhere: the built-in default.
    assert doctemplates.template_for(kind=GeneratedKind.MEMBER_SHEET, organisation=tree.branch_a, on=day) is None


# --- Uploads are checked -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"%PDF-1.7 not a word document", "không phải văn bản Word"),
        (b"{{ person_name }} plain text", "không phải văn bản Word"),
        (docx_with("{{ person_name MẪU HỎNG"), "lỗi cú pháp"),
        (docx_with("{% if person_name %} chưa đóng"), "lỗi cú pháp"),
        (docx_with("{{ ten_khong_co }}"), "ten_khong_co"),
        (docx_with("{{ person_name.__class__ }}"), "không được phép"),
        (docx_with("{{ admission_branch_vote.khong_co }}"), "khong_co"),
    ],
    ids=["pdf", "text", "unclosed-tag", "unclosed-block", "unknown-name", "sandbox", "unknown-attribute"],
)
def test_it_refuses_an_upload_that_is_not_a_usable_template_and_stores_nothing(  # type: ignore[no-untyped-def]
    tree, carol, media, content, message
) -> None:
    with pytest.raises(doctemplates.TemplateRefused) as refused:
        upload(carol, tree.committee, version="X", effective_from=START, content=content)

    assert message in refused.value.message
    assert not DocumentTemplate.objects.exists()
    assert not (media / "templates").exists() or not any((media / "templates").iterdir())


def test_it_refuses_a_zip_that_is_not_a_word_document(tree, carol) -> None:  # type: ignore[no-untyped-def]
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "xin chào")
    with pytest.raises(doctemplates.TemplateRefused) as refused:
        upload(carol, tree.committee, version="Z", effective_from=START, content=out.getvalue())
    assert "word/document.xml" in refused.value.message


def test_it_refuses_a_template_over_five_megabytes(tree, carol, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(doctemplates, "MAX_TEMPLATE_BYTES", 1000)
    with pytest.raises(doctemplates.TemplateRefused) as refused:
        upload(carol, tree.committee, version="L", effective_from=START, content=docx_with("{{ person_name }}"))
    assert "5 MB" in refused.value.message


def test_it_refuses_a_version_label_used_twice_for_the_same_kind_and_organisation(tree, carol, ada) -> None:  # type: ignore[no-untyped-def]
    upload(carol, tree.committee, version="V1", effective_from=START, content=docx_with("{{ person_name }}"))
    with pytest.raises(doctemplates.TemplateRefused) as refused:
        upload(carol, tree.committee, version="V1", effective_from=START, content=docx_with("{{ today }}"))
    assert "V1" in refused.value.message
    # The same label is free for another kind, another organisation, and once nationally.
    upload(carol, tree.committee, version="V1", effective_from=START, content=docx_with("x"), kind="member_sheet")
    upload(ada, tree.province, version="V1", effective_from=START, content=docx_with("x"))
    upload(ada, None, version="V1", effective_from=START, content=docx_with("x"))
    with pytest.raises(doctemplates.TemplateRefused):
        upload(ada, None, version="V1", effective_from=START, content=docx_with("x"))
    assert DocumentTemplate.objects.count() == 4


def test_only_committee_staff_or_administrators_upload_and_never_for_a_branch(
    tree, alice, bob, eve, carol, ada
) -> None:  # type: ignore[no-untyped-def]
    content = docx_with("{{ person_name }}")
    for user, organisation in [
        (alice, tree.committee),  # a secretary
        (alice, tree.branch_a),  # their own branch: templates belong to committees
        (eve, tree.committee),  # an auditor only reads
        (carol, tree.branch_a),
        (carol, tree.province),  # above carol's committee
        (carol, None),  # national versions: administrators only
    ]:
        with pytest.raises(PermissionDenied):
            upload(user, organisation, version="N", effective_from=START, content=content)
    assert not DocumentTemplate.objects.exists()
    upload(carol, tree.committee, version="N", effective_from=START, content=content)
    upload(ada, None, version="N", effective_from=START, content=content)


def test_every_built_in_template_passes_the_upload_check() -> None:
    for kind in GeneratedKind.values:
        doctemplates.check_template(docdefaults.default_template_bytes(kind))


# --- The candidate page's list -----------------------------------------------------------------------


def test_the_documents_context_takes_one_query_whatever_the_number_of_documents(  # type: ignore[no-untyped-def]
    recognised, alice, django_assert_num_queries
) -> None:
    def rows(n: int) -> None:
        GeneratedDocument.objects.bulk_create(
            GeneratedDocument(
                candidate=recognised,
                kind=GeneratedKind.MEMBER_SHEET,
                format="pdf",
                template_version=doctemplates.DEFAULT_TEMPLATE_VERSION,
                file=f"generated/{i}.pdf",
                sha256="0" * 64,
                created_by=alice,
                created_at=at(GENERATED_ON),
            )
            for i in range(n)
        )

    rows(1)
    # One query: the candidate's latest generated documents with their creators (a join).
    with django_assert_num_queries(1):
        context = documents_context(candidate=recognised, user=alice)
        assert [d.created_by.username for d in context["generated_documents"]] == ["alice"]
    rows(30)
    with django_assert_num_queries(1):
        context = documents_context(candidate=recognised, user=alice)
        assert len(context["generated_documents"]) == 20
        assert {d.created_by.username for d in context["generated_documents"]} == {"alice"}
    assert dict(context["generated_kinds"]).keys() == set(GeneratedKind.values)


def test_it_prints_the_labels_in_vietnamese_whatever_the_users_language(recognised, alice) -> None:  # type: ignore[no-untyped-def]
    from django.utils import translation

    with translation.override("en"):
        text = docx_text(generate(alice, recognised, kind=GeneratedKind.BRANCH_RESOLUTION).file.read())
        context = doccontext.document_context(recognised, today=GENERATED_ON)
    assert "Bỏ phiếu kín" in text
    assert (context["gender"], context["education"]) == ("Nam", "Trung học phổ thông")


def test_it_names_the_place_without_its_kind_of_unit(tree, recognised) -> None:  # type: ignore[no-untyped-def]
    tree.branch_a.province_code = 1  # Thành phố Hà Nội
    tree.branch_a.save()
    recognised.refresh_from_db()
    context = doccontext.document_context(recognised, today=GENERATED_ON)
    assert context["place"] == "Hà Nội"
    assert context["place_date_today"] == "Hà Nội, ngày 01 tháng 12 năm 2026"


def test_it_refuses_to_generate_from_an_uploaded_template_whose_file_is_gone(recognised, alice, carol) -> None:  # type: ignore[no-untyped-def]
    template = upload(
        carol, recognised.organisation.parent, version="C-1", effective_from=START, content=docx_with("x")
    )
    template.file.storage.delete(template.file.name)
    with pytest.raises(doctemplates.TemplateRefused) as refused:
        generate(alice, recognised)
    assert "C-1" in refused.value.message
    assert not GeneratedDocument.objects.exists()
