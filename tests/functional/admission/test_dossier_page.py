"""The dossier on one page: every checklist item in order, one item saved with several scans at
once, htmx swapping only that item, the content checks of uploads, and who may see or change it."""

import datetime as dt
import io
import re
from pathlib import Path

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from admission import services
from admission.devdata.demo import at
from admission.models import Candidate, DocumentScan, DocumentType, DossierItem
from members.models import User
from tests.conftest import Tree
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
START = dt.date(2025, 1, 6)


def _file(name: str, content: bytes) -> io.BytesIO:
    fileobj = io.BytesIO(content)
    fileobj.name = name
    return fileobj


@pytest.fixture(autouse=True)
def media(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def candidate(tree: Tree, alice: User) -> Candidate:
    with time_machine.travel(at(START), tick=False):
        return services.candidate_create(
            acting_user=alice, person=PersonFactory(organisation=tree.branch_a, full_name="Trần Thị Ánh")
        )


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_it_lists_every_checklist_item_in_order_with_its_name_and_state(alice, candidate) -> None:  # type: ignore[no-untyped-def]
    services.document_record(acting_user=alice, candidate=candidate, doc_type="A2", issued_on=dt.date(2025, 1, 8))

    html = _client(alice).get(reverse("candidate_dossier", args=[candidate.pk])).content.decode()

    codes = re.findall(r'id="item-([AR]\d+)"', html)
    assert codes == list(DocumentType.values)
    for code, label in DocumentType.choices:
        assert str(label) in html, code
    a2 = html[html.index('id="item-A2"') : html.index('id="item-A3"')]
    assert "Đã có" in a2
    assert "08/01/2025" in a2
    assert 'type="file"' in a2 and "multiple" in a2
    assert "htmx.min.js" in html


def test_it_saves_one_item_with_several_files_and_swaps_only_that_item(alice, candidate) -> None:  # type: ignore[no-untyped-def]
    url = reverse("dossier_item", args=[candidate.pk, "A4"])

    response = _client(alice).post(
        url,
        {
            "A4-issued_on": "09/01/2025",
            "A4-note": "Hai người giới thiệu",
            "A4-scans": [_file("trang1.pdf", PDF), _file("trang2.pdf", PDF)],
        },
        HTTP_HX_REQUEST="true",
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<li class="list-group-item')
    assert 'id="item-A4"' in html and 'id="item-A5"' not in html  # the one item, not the page
    assert "<html" not in html
    assert "Đã lưu" in html
    item = DossierItem.objects.get(candidate=candidate, doc_type="A4")
    assert (item.issued_on, item.note) == (dt.date(2025, 1, 9), "Hai người giới thiệu")
    assert sorted(DocumentScan.objects.filter(candidate=candidate).values_list("original_name", flat=True)) == [
        "trang1.pdf",
        "trang2.pdf",
    ]


def test_a_bad_file_refuses_the_whole_post_and_keeps_the_input(alice, candidate) -> None:  # type: ignore[no-untyped-def]
    url = reverse("dossier_item", args=[candidate.pk, "A2"])

    response = _client(alice).post(
        url,
        {
            "A2-issued_on": "08/01/2025",
            "A2-note": "Đơn viết tay",
            "A2-scans": [_file("don.pdf", PDF), _file("virus.pdf", b"MZ\x90\x00 not a pdf")],
        },
        HTTP_HX_REQUEST="true",
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "virus.pdf" in html  # the refusal names the file
    assert 'value="Đơn viết tay"' in html
    assert " open" in html  # the form stays open with its errors
    assert not DossierItem.objects.filter(candidate=candidate).exists()
    assert not DocumentScan.objects.exists()


def test_without_htmx_it_reloads_the_page(alice, candidate) -> None:  # type: ignore[no-untyped-def]
    client = _client(alice)
    url = reverse("dossier_item", args=[candidate.pk, "A1"])

    saved = client.post(url, {"A1-issued_on": "20/03/2025"})
    refused = client.post(url, {"A1-issued_on": "không phải ngày"})

    assert saved.status_code == 302
    assert saved["Location"] == reverse("candidate_dossier", args=[candidate.pk])
    assert refused.status_code == 200
    assert 'value="không phải ngày"' in refused.content.decode()
    assert "<html" in refused.content.decode()


def test_it_asks_for_a_date_or_a_file(alice, candidate) -> None:  # type: ignore[no-untyped-def]
    response = _client(alice).post(reverse("dossier_item", args=[candidate.pk, "A1"]), {}, HTTP_HX_REQUEST="true")

    assert "Nhập ngày ký/ngày cấp hoặc chọn tệp bản chụp." in response.content.decode()
    assert not DossierItem.objects.exists()


def test_it_names_what_ticked_an_item(alice, candidate) -> None:  # type: ignore[no-untyped-def]
    DossierItem.objects.create(
        candidate=candidate, doc_type="A1", issued_on=dt.date(2025, 3, 20), ticked_by="generated:certificate"
    )

    html = _client(alice).get(reverse("candidate_dossier", args=[candidate.pk])).content.decode()

    a1 = html[html.index('id="item-A1"') : html.index('id="item-A2"')]
    assert "Tự đánh dấu" in a1
    assert "theo văn bản đã tạo từ mẫu" in a1


def test_the_candidate_page_links_to_the_dossier(alice, candidate) -> None:  # type: ignore[no-untyped-def]
    html = _client(alice).get(reverse("candidate_detail", args=[candidate.pk])).content.decode()

    assert reverse("candidate_dossier", args=[candidate.pk]) in html


def test_an_outsider_sees_nothing_and_changes_nothing(bob, candidate) -> None:  # type: ignore[no-untyped-def]
    client = _client(bob)

    page = client.get(reverse("candidate_dossier", args=[candidate.pk]))
    post = client.post(reverse("dossier_item", args=[candidate.pk, "A1"]), {"A1-issued_on": "20/03/2025"})

    assert page.status_code == 404
    assert post.status_code == 404
    assert not DossierItem.objects.exists()


def test_a_reader_sees_the_dossier_without_forms_and_cannot_post(eve, candidate) -> None:  # type: ignore[no-untyped-def]
    client = _client(eve)

    page = client.get(reverse("candidate_dossier", args=[candidate.pk]))
    post = client.post(reverse("dossier_item", args=[candidate.pk, "A1"]), {"A1-issued_on": "20/03/2025"})

    assert page.status_code == 200
    assert "<form" not in page.content.decode().split("<main", 1)[1]
    assert post.status_code == 403


def test_an_unknown_item_is_not_found(alice, candidate) -> None:  # type: ignore[no-untyped-def]
    response = _client(alice).post(reverse("dossier_item", args=[candidate.pk, "Z9"]), {"Z9-issued_on": "20/03/2025"})

    assert response.status_code == 404
