"""The register pages through the test client: issuing from a candidate (form keeps its input on a
refusal), the issuing body's register and its Excel export, cancelling (readers 403, outsiders 404)
and generating an entry's file again."""

import datetime as dt
import io
from pathlib import Path

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from admission import services
from admission.devdata.demo import at
from admission.documents import register as docregister
from admission.models import GeneratedDocument, GeneratedKind, IssuedDocument
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 3, 5)


@pytest.fixture(autouse=True)
def media(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture(autouse=True)
def frozen():  # type: ignore[no-untyped-def]
    with time_machine.travel(at(TODAY), tick=False):
        yield


@pytest.fixture
def candidate(tree):  # type: ignore[no-untyped-def]
    person = PersonFactory(organisation=tree.branch_a, full_name="Nguyễn Văn Đức")
    return services.candidate_create(acting_user=None, person=person, now=at(dt.date(2025, 1, 6)))


def _client(user):  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def _issue_post(client, candidate, **overrides):  # type: ignore[no-untyped-def]
    data = {
        "kind": GeneratedKind.BRANCH_RESOLUTION,
        "issued_on": "02/03/2026",
        "signer_name": "Trần Văn Ký",
        "signer_position": "BÍ THƯ",
        "recipients": "- Đảng ủy Sở Thử nghiệm\n\nLưu chi bộ",
        "format": "docx",
        **overrides,
    }
    return client.post(reverse("document_issue", args=[candidate.pk]), data)


def test_the_secretary_issues_from_the_candidate_and_gets_the_numbered_file(candidate, alice) -> None:  # type: ignore[no-untyped-def]
    client = _client(alice)
    page = client.get(reverse("document_issue", args=[candidate.pk]) + "?kind=branch_resolution")
    assert page.status_code == 200
    assert "Cấp số và vào sổ văn bản" in page.content.decode()

    response = _issue_post(client, candidate)

    entry = IssuedDocument.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("candidate_detail", args=[candidate.pk])
    assert (entry.symbol, entry.issued_on, entry.recipient_lines) == (
        "1-NQ/CB",
        dt.date(2026, 3, 2),
        ["Đảng ủy Sở Thử nghiệm", "Lưu chi bộ"],
    )
    file = GeneratedDocument.objects.get()
    assert (file.issued, file.format) == (entry, "docx")
    assert "Đã vào sổ: Nghị quyết chi bộ đề nghị kết nạp, số 1-NQ/CB." in [
        str(m) for m in get_messages(response.wsgi_request)
    ]
    detail = client.get(reverse("candidate_detail", args=[candidate.pk])).content.decode()
    assert "Số 1-NQ/CB" in detail


def test_a_refused_issue_keeps_the_form_with_a_vietnamese_message_and_writes_nothing(candidate, alice) -> None:  # type: ignore[no-untyped-def]
    client = _client(alice)
    refused = _issue_post(client, candidate, issued_on="06/03/2026", signer_name="Người Ký Thử")
    body = refused.content.decode()
    assert refused.status_code == 200
    assert "Ngày ban hành không được sau hôm nay." in body
    assert 'value="Người Ký Thử"' in body  # the input is kept
    invalid = _issue_post(client, candidate, kind="member_sheet", signer_name="")
    assert invalid.status_code == 200
    assert not IssuedDocument.objects.exists() and not GeneratedDocument.objects.exists()


def test_the_branch_may_not_number_the_committees_decision(candidate, alice) -> None:  # type: ignore[no-untyped-def]
    response = _issue_post(_client(alice), candidate, kind=GeneratedKind.ADMISSION_DECISION)
    assert response.status_code == 403
    assert not IssuedDocument.objects.exists()


def test_outsiders_get_404_on_every_register_page(tree, candidate, alice, bob, oscar) -> None:  # type: ignore[no-untyped-def]
    entry = docregister.document_issue(
        acting_user=alice,
        candidate=candidate,
        request=docregister.IssueRequest(kind="branch_resolution", issued_on=TODAY, signer_name="Ký"),
    )
    for outsider in (bob, oscar):
        client = _client(outsider)
        assert client.get(reverse("document_issue", args=[candidate.pk])).status_code == 404
        assert _issue_post(client, candidate).status_code == 404
        assert client.get(reverse("document_register", args=[tree.branch_a.pk])).status_code == 404
        assert client.get(reverse("document_register_export", args=[tree.branch_a.pk])).status_code == 404
        assert client.post(reverse("issued_cancel", args=[entry.pk]), {"reason": "x"}).status_code == 404
        assert client.post(reverse("issued_generate", args=[entry.pk]), {"format": "docx"}).status_code == 404
    entry.refresh_from_db()
    assert not entry.cancelled and not GeneratedDocument.objects.exists()


def test_an_auditor_reads_the_register_but_may_not_cancel(tree, candidate, alice, eve) -> None:  # type: ignore[no-untyped-def]
    entry = docregister.document_issue(
        acting_user=alice,
        candidate=candidate,
        request=docregister.IssueRequest(kind="branch_resolution", issued_on=TODAY, signer_name="Ký"),
    )
    client = _client(eve)
    page = client.get(reverse("document_register", args=[tree.branch_a.pk]))
    assert page.status_code == 200 and "Số 1-NQ/CB" in page.content.decode()
    assert "Hủy, giữ số" not in page.content.decode()
    assert client.post(reverse("issued_cancel", args=[entry.pk]), {"reason": "x"}).status_code == 403


def test_the_register_lists_cancelled_entries_with_their_number_and_exports_them_to_excel(
    tree, candidate, alice
) -> None:  # type: ignore[no-untyped-def]
    client = _client(alice)
    _issue_post(client, candidate, recipients='=HYPERLINK("http://x","y")')
    entry = IssuedDocument.objects.get()
    response = client.post(reverse("issued_cancel", args=[entry.pk]), {"reason": "Ghi nhầm ngày"})
    assert response.status_code == 302
    again = _issue_post(client, candidate)
    assert again.status_code == 302

    page = client.get(reverse("document_register", args=[tree.branch_a.pk])).content.decode()
    assert "Số 1-NQ/CB" in page and "Số 2-NQ/CB" in page
    assert "Ghi nhầm ngày" in page and "đã hủy" in page
    export = client.get(reverse("document_register_export", args=[tree.branch_a.pk]) + "?term=2025-01-01")
    assert export.status_code == 200
    assert export["Content-Disposition"] == 'attachment; filename="so-van-ban_A_2025-01-01.xlsx"'
    sheet = load_workbook(io.BytesIO(export.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("Số", "Số và ký hiệu", "Loại văn bản", "Ngày ban hành")
    assert [(r[0], r[1], r[8], r[9]) for r in rows[1:]] == [
        (1, "1-NQ/CB", "Đã hủy", "Ghi nhầm ngày"),
        (2, "2-NQ/CB", "Có hiệu lực", None),
    ]
    assert rows[1][3].date() == dt.date(2026, 3, 2)
    formula_cell = sheet.cell(row=2, column=8)
    assert formula_cell.data_type == "s" and formula_cell.value == '=HYPERLINK("http://x","y")'  # text, not a formula


def test_it_generates_an_entrys_file_again_but_not_for_a_cancelled_one(tree, candidate, alice) -> None:  # type: ignore[no-untyped-def]
    client = _client(alice)
    entry = docregister.document_issue(
        acting_user=alice,
        candidate=candidate,
        request=docregister.IssueRequest(kind="branch_resolution", issued_on=TODAY, signer_name="Ký"),
    )
    response = client.post(reverse("issued_generate", args=[entry.pk]), {"format": "docx"})
    file = GeneratedDocument.objects.get()
    assert response["Location"] == reverse("generated_download", args=[file.pk])
    assert file.issued == entry
    docregister.issued_document_cancel(acting_user=alice, document=entry, reason="Hủy")
    refused = client.post(reverse("issued_generate", args=[entry.pk]), {"format": "docx"})
    assert refused.status_code == 302
    assert GeneratedDocument.objects.count() == 1


def test_a_reader_sees_the_issuers_and_the_register_but_no_form_it_cannot_use(candidate, alice, eve) -> None:  # type: ignore[no-untyped-def]
    url = reverse("document_issue", args=[candidate.pk])

    secretary = _client(alice).get(url).content.decode()
    auditor = _client(eve).get(url).content.decode()
    refused = _issue_post(_client(eve), candidate)

    assert 'name="signer_name"' in secretary and 'id="issue-read-only"' not in secretary
    assert 'name="signer_name"' not in auditor and 'id="issue-read-only"' in auditor
    assert 'id="issuers"' in auditor
    assert refused.status_code == 403
