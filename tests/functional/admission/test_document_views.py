"""Document views through the test client: generate and download (scoped, audited), the
organisations' template pages (committee staff only), and the candidate page's partial."""

import datetime as dt
import io
from pathlib import Path

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone
from docx import Document

from admission import services
from admission.devdata.demo import at, walk_to
from admission.documents import generate as docgen
from admission.documents import templates as doctemplates
from admission.documents.views import documents_context
from admission.models import DocumentJob, DocumentTemplate, GeneratedDocument, GeneratedKind
from members.models import AuditLog, Role
from members.services import role_assign
from tests.factories import PersonFactory, UserFactory

pytestmark = pytest.mark.django_db
START = dt.date(2025, 1, 6)
NAME = "Nguyễn Văn Đức"


@pytest.fixture(autouse=True)
def media(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def candidate(tree, introducers):  # type: ignore[no-untyped-def]
    """Branch A's candidate after the admission ceremony (S12), walked by an administrator."""
    ada = UserFactory(username="ada")
    role_assign(acting_user=None, user=ada, organisation=tree.province, role=Role.ADMINISTRATOR)
    person = PersonFactory(organisation=tree.branch_a, full_name=NAME)
    created = services.candidate_create(acting_user=ada, person=person, now=at(START))
    return walk_to(created, "S12", user=ada, introducers=introducers, start=START)


def _client(user):  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def _generate(client, candidate, kind="branch_resolution", fmt="docx"):  # type: ignore[no-untyped-def]
    return client.post(reverse("document_generate", args=[candidate.pk]), {"kind": kind, "format": fmt})


def _docx(text: str) -> bytes:
    document = Document()
    document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _body(response) -> bytes:  # type: ignore[no-untyped-def]
    return b"".join(response.streaming_content)


def test_it_generates_a_docx_and_redirects_to_its_audited_download(candidate, alice) -> None:  # type: ignore[no-untyped-def]
    client = _client(alice)

    response = _generate(client, candidate)

    document = GeneratedDocument.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("generated_download", args=[document.pk])
    download = client.get(response["Location"])
    assert download.status_code == 200
    assert (
        download["Content-Disposition"]
        == 'attachment; filename="Nguyen-Van-Duc_Nghi-quyet-chi-bo-de-nghi-ket-nap.docx"'
    )
    assert download["Content-Type"].startswith("application/vnd.openxmlformats")
    text = "\n".join(p.text for p in Document(io.BytesIO(_body(download))).paragraphs)
    assert NAME in text
    actions = list(AuditLog.objects.order_by("pk").values_list("action", "user__username", "person__full_name"))
    assert actions == [
        (AuditLog.Action.GENERATE_DOCUMENT, "alice", NAME),
        (AuditLog.Action.DOWNLOAD_DOCUMENT, "alice", NAME),
    ]


def test_a_pdf_is_queued_off_the_request_and_its_page_gives_the_file(candidate, alice, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(docgen, "_enqueue", lambda job_id: None)  # the test plays the `documents` worker
    client = _client(alice)

    response = _generate(client, candidate, kind="admission_decision", fmt="pdf")

    job = DocumentJob.objects.get()
    assert response["Location"] == reverse("document_job", args=[job.pk])
    assert not GeneratedDocument.objects.exists()  # no LibreOffice in the request
    assert docgen.document_job_build(job_id=job.pk) == "done"
    job.refresh_from_db()
    assert job.document is not None
    download = client.get(reverse("generated_download", args=[job.document.pk]))
    assert download["Content-Disposition"] == 'attachment; filename="Nguyen-Van-Duc_Quyet-dinh-ket-nap-dang-vien.pdf"'
    assert download["Content-Type"] == "application/pdf"
    assert _body(download).startswith(b"%PDF")


def test_the_job_page_says_why_when_the_pdf_cannot_be_made(candidate, alice, settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(docgen, "_enqueue", lambda job_id: None)
    settings.SOFFICE_BIN = "/nonexistent/soffice"
    client = _client(alice)

    response = _generate(client, candidate, fmt="pdf")
    job = DocumentJob.objects.get()
    assert docgen.document_job_build(job_id=job.pk) == "failed"

    page = client.get(response["Location"]).content.decode()
    assert "Không tạo được tệp" in page and "LibreOffice" in page and "/nonexistent/soffice" in page
    assert not GeneratedDocument.objects.exists()


def test_it_refuses_an_unknown_kind_or_format_with_a_message(candidate, alice) -> None:  # type: ignore[no-untyped-def]
    response = _generate(_client(alice), candidate, kind="passport")
    assert response["Location"] == reverse("candidate_detail", args=[candidate.pk])
    assert len(list(get_messages(response.wsgi_request))) == 1
    assert _generate(_client(alice), candidate, fmt="odt")["Location"] == response["Location"]
    assert not GeneratedDocument.objects.exists()


def test_generate_accepts_only_post(candidate, alice) -> None:  # type: ignore[no-untyped-def]
    assert _client(alice).get(reverse("document_generate", args=[candidate.pk])).status_code == 405


def test_committee_staff_above_the_branch_generate_and_download_too(candidate, carol) -> None:  # type: ignore[no-untyped-def]
    client = _client(carol)
    assert client.get(_generate(client, candidate, kind="member_sheet")["Location"]).status_code == 200


def test_outsiders_get_404_on_generate_download_and_template_pages(tree, candidate, alice, bob, oscar) -> None:  # type: ignore[no-untyped-def]
    document = docgen.document_generate(
        acting_user=alice, candidate=candidate, kind="branch_resolution", fmt="docx", now=at(dt.date(2025, 10, 10))
    )
    for outsider in (bob, oscar):
        client = _client(outsider)
        assert _generate(client, candidate).status_code == 404
        assert client.get(reverse("generated_download", args=[document.pk])).status_code == 404
        assert client.get(reverse("document_templates", args=[tree.committee.pk])).status_code == 404
        assert client.post(reverse("document_templates", args=[tree.committee.pk])).status_code == 404
        assert (
            client.get(reverse("document_template_default", args=[tree.committee.pk, "member_sheet"])).status_code
            == 404
        )
    assert GeneratedDocument.objects.count() == 1
    assert not AuditLog.objects.filter(action=AuditLog.Action.DOWNLOAD_DOCUMENT).exists()


def test_anonymous_users_are_sent_to_the_login_page(tree, candidate, alice) -> None:  # type: ignore[no-untyped-def]
    document = docgen.document_generate(
        acting_user=alice, candidate=candidate, kind="member_sheet", fmt="docx", now=at(dt.date(2025, 10, 10))
    )
    template = doctemplates.document_template_upload(
        acting_user=UserFactory(username="root", is_superuser=True),
        organisation=tree.committee,
        kind="member_sheet",
        version="C-1",
        effective_from=START,
        file=SimpleUploadedFile("m.docx", _docx("{{ person_name }}")),
    )
    urls = [
        ("post", reverse("document_generate", args=[candidate.pk])),
        ("get", reverse("generated_download", args=[document.pk])),
        ("get", reverse("document_templates", args=[tree.committee.pk])),
        ("post", reverse("document_templates", args=[tree.committee.pk])),
        ("get", reverse("document_template_download", args=[tree.committee.pk, template.pk])),
        ("get", reverse("document_template_default", args=[tree.committee.pk, "member_sheet"])),
    ]
    for method, url in urls:
        response = getattr(Client(), method)(url)
        assert (response.status_code, response["Location"]) == (302, f"{reverse('login')}?next={url}")
    assert GeneratedDocument.objects.count() == 1
    assert not AuditLog.objects.filter(action=AuditLog.Action.DOWNLOAD_DOCUMENT).exists()


def test_a_missing_generated_document_is_404(alice) -> None:  # type: ignore[no-untyped-def]
    assert _client(alice).get(reverse("generated_download", args=[999999])).status_code == 404


def test_a_secretary_or_an_auditor_cannot_manage_templates(tree, alice, eve) -> None:  # type: ignore[no-untyped-def]
    upload = {"kind": "branch_resolution", "version": "A-1", "effective_from": "01/01/2025"}
    branch_page = reverse("document_templates", args=[tree.branch_a.pk])
    # A secretary reads their branch, but templates belong to committees: 403, not 404.
    assert _client(alice).get(branch_page).status_code == 403
    response = _client(alice).post(branch_page, {**upload, "file": SimpleUploadedFile("m.docx", _docx("x"))})
    assert response.status_code == 403
    # An auditor reads the committee but may not change it.
    committee_page = reverse("document_templates", args=[tree.committee.pk])
    assert _client(eve).get(committee_page).status_code == 403
    response = _client(eve).post(committee_page, {**upload, "file": SimpleUploadedFile("m.docx", _docx("x"))})
    assert response.status_code == 403
    assert not DocumentTemplate.objects.exists()


def test_committee_staff_upload_a_version_and_see_it_listed_and_in_effect(tree, carol) -> None:  # type: ignore[no-untyped-def]
    client = _client(carol)
    page = reverse("document_templates", args=[tree.committee.pk])
    assert client.get(page).status_code == 200
    today = timezone.localdate().strftime("%d/%m/%Y")  # the page's "today": a version in effect now

    response = client.post(
        page,
        {
            "kind": "branch_resolution",
            "version": "C-1",
            "effective_from": today,
            "note": "Mẫu của đảng bộ",
            "file": SimpleUploadedFile("mau.docx", _docx("{{ person_name }} MẪU RIÊNG")),
        },
    )

    assert response.status_code == 302
    template = DocumentTemplate.objects.get()
    assert (template.organisation, template.version, template.uploaded_by) == (tree.committee, "C-1", carol)
    html = client.get(page).content.decode()
    assert "C-1" in html and "Mẫu của đảng bộ" in html and "{{ person_name }}" in html
    download = client.get(reverse("document_template_download", args=[tree.committee.pk, template.pk]))
    assert download.status_code == 200
    assert "MẪU RIÊNG" in Document(io.BytesIO(_body(download))).paragraphs[0].text


def test_the_page_shows_a_refused_upload_with_its_reason(tree, carol) -> None:  # type: ignore[no-untyped-def]
    response = _client(carol).post(
        reverse("document_templates", args=[tree.committee.pk]),
        {
            "kind": "branch_resolution",
            "version": "C-1",
            "effective_from": "01/01/2025",
            "file": SimpleUploadedFile("mau.docx", _docx("{{ person_name ")),
        },
    )
    assert response.status_code == 200
    assert "lỗi cú pháp" in response.content.decode()
    assert not DocumentTemplate.objects.exists()


def test_staff_download_the_built_in_default_to_start_from(tree, carol) -> None:  # type: ignore[no-untyped-def]
    client = _client(carol)
    response = client.get(reverse("document_template_default", args=[tree.committee.pk, "admission_decision"]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="Quyet-dinh-ket-nap-dang-vien_mac-dinh.docx"'
    document = Document(io.BytesIO(response.content))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    assert any("ĐẢNG CỘNG SẢN VIỆT NAM" in cell for cell in cells)
    assert any("{{ person_name }}" in p.text for p in document.paragraphs)
    missing = reverse("document_template_default", args=[tree.committee.pk, "passport"])
    assert client.get(missing).status_code == 404


def test_a_template_of_another_tree_cannot_be_downloaded_through_this_page(tree, carol) -> None:  # type: ignore[no-untyped-def]
    other = UserFactory(username="dora")
    role_assign(acting_user=None, user=other, organisation=tree.delegated, role=Role.COMMITTEE_STAFF)
    template = doctemplates.document_template_upload(
        acting_user=other,
        organisation=tree.delegated,
        kind="member_sheet",
        version="D-1",
        effective_from=START,
        file=SimpleUploadedFile("m.docx", _docx("{{ person_name }}")),
    )
    url = reverse("document_template_download", args=[tree.committee.pk, template.pk])
    assert _client(carol).get(url).status_code == 404


def test_the_partial_renders_the_generate_form_and_the_documents(candidate, alice) -> None:  # type: ignore[no-untyped-def]
    document = docgen.document_generate(
        acting_user=alice, candidate=candidate, kind="admission_decision", fmt="docx", now=at(dt.date(2025, 10, 10))
    )
    request = RequestFactory().get("/")
    request.user = alice

    html = render_to_string(
        "admission/_generated_documents.html",
        documents_context(candidate=candidate, user=alice, can_generate=True),
        request=request,
    )
    reader = render_to_string(
        "admission/_generated_documents.html", documents_context(candidate=candidate, user=alice), request=request
    )

    assert f'action="{reverse("document_generate", args=[candidate.pk])}"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert 'name="format" value="pdf"' in html and 'name="format" value="docx"' in html
    for value, label in GeneratedKind.choices:
        assert f'value="{value}"' in html and str(label) in html
    assert reverse("generated_download", args=[document.pk]) in html
    assert doctemplates.DEFAULT_TEMPLATE_VERSION in html
    assert "10/10/2025" in html
    assert "<script" not in html and "style=" not in html
    # Without edit rights (auditors, mentors): the documents, not the form.
    assert 'action="' not in reader and reverse("generated_download", args=[document.pk]) in reader
