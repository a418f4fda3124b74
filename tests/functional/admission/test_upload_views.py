"""The scan upload form and the scan file view through the test client, persona by persona.

alice (secretary of A) uploads; bob (B) and oscar (no role) see neither the form nor the file;
eve (auditor) reads but cannot upload; carol (committee C above A) reads and uploads.
"""

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template import RequestContext, Template
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from admission import services
from admission.documents import uploads
from admission.documents.upload_views import scans_context
from admission.models import Candidate, DocumentScan
from members.models import AuditLog, User
from tests.conftest import Tree
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (20, 10), (0, 90, 160)).save(buffer, "PNG")
    return buffer.getvalue()


def _upload(name: str, content: bytes) -> io.BytesIO:
    """A file for the test client's multipart encoder, which names it after `.name`."""
    fileobj = io.BytesIO(content)
    fileobj.name = name
    return fileobj


@pytest.fixture(autouse=True)
def media(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def candidate(tree: Tree, alice: User) -> Candidate:
    return services.candidate_create(
        acting_user=alice, person=PersonFactory(organisation=tree.branch_a, full_name="Trần Thị Ánh")
    )


@pytest.fixture
def pdf_scan(candidate: Candidate, alice: User) -> DocumentScan:
    return uploads.scan_upload(
        acting_user=alice,
        candidate=candidate,
        doc_type="A4",
        uploaded_file=SimpleUploadedFile("Giấy giới thiệu.pdf", PDF),
    )


@pytest.fixture
def png_scan(candidate: Candidate, alice: User) -> DocumentScan:
    return uploads.scan_upload(
        acting_user=alice, candidate=candidate, doc_type="A2", uploaded_file=SimpleUploadedFile("don.png", _png())
    )


def _client(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _body(response) -> bytes:  # type: ignore[no-untyped-def]
    # Reading to the end closes the file; the test client wraps the iterator so that closing does
    # not also close the test's database connection (a second response.close() would).
    return b"".join(response.streaming_content)


# --- The upload form ----------------------------------------------------------------------------


def test_the_form_preselects_the_requested_document_type(candidate, alice) -> None:  # type: ignore[no-untyped-def]
    response = _client(alice).get(reverse("scan_upload", args=[candidate.pk]) + "?doc=A4")

    html = response.content.decode()
    assert response.status_code == 200
    assert 'enctype="multipart/form-data"' in html
    assert 'accept=".pdf,.jpg,.jpeg,.png"' in html
    assert '<option value="A4" selected>' in html


def test_the_secretary_uploads_a_scan_and_returns_to_the_candidate(candidate, alice, media) -> None:  # type: ignore[no-untyped-def]
    response = _client(alice).post(
        reverse("scan_upload", args=[candidate.pk]), {"doc_type": "A2", "file": _upload("don.png", _png())}
    )

    assert response.status_code == 302
    assert response.url == reverse("candidate_detail", args=[candidate.pk])
    scan = DocumentScan.objects.get()
    assert (scan.candidate, scan.doc_type, scan.content_type, scan.uploaded_by) == (candidate, "A2", "image/png", alice)
    assert AuditLog.objects.filter(action=AuditLog.Action.UPLOAD_DOCUMENT, user=alice).count() == 1
    followed = _client(alice).get(response.url)
    assert followed.status_code == 200


@pytest.mark.parametrize(
    ("next_url", "safe"),
    [
        ("/admission/committees/3/queue/?page=2", True),
        ("https://evil.example/phish", False),
        ("//evil.example/phish", False),
        ("javascript:alert(1)", False),
    ],
)
def test_it_returns_to_next_only_when_it_is_a_local_url(candidate, alice, next_url, safe) -> None:  # type: ignore[no-untyped-def]
    url = reverse("scan_upload", args=[candidate.pk])

    response = _client(alice).post(url, {"doc_type": "A2", "file": _upload("don.pdf", PDF), "next": next_url})

    assert response.status_code == 302
    assert response.url == (next_url if safe else reverse("candidate_detail", args=[candidate.pk]))


def test_a_forged_type_re_renders_the_form_with_the_vietnamese_error(candidate, alice, media) -> None:  # type: ignore[no-untyped-def]
    response = _client(alice).post(
        reverse("scan_upload", args=[candidate.pk]) + "?doc=A4",
        {"doc_type": "A6", "file": _upload("nhan-xet.pdf", b"MZ\x90\x00 not a pdf at all")},
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "Tệp «nhan-xet.pdf» không phải PDF, JPEG hay PNG (kiểm tra theo nội dung tệp, không theo tên)." in html
    assert '<option value="A6" selected>' in html  # the chosen type is kept, not the ?doc= one
    assert DocumentScan.objects.count() == 0
    assert not any(media.rglob("*.*"))


def test_an_oversized_file_re_renders_the_form_with_the_limit(candidate, alice, settings) -> None:  # type: ignore[no-untyped-def]
    settings.UPLOAD_MAX_BYTES = 50

    response = _client(alice).post(
        reverse("scan_upload", args=[candidate.pk]), {"doc_type": "A2", "file": _upload("don.png", _png())}
    )

    assert response.status_code == 200
    assert "vượt giới hạn" in response.content.decode()
    assert DocumentScan.objects.count() == 0


@pytest.mark.parametrize("persona", ["bob", "oscar"])
def test_outsiders_get_404_on_the_form_and_the_file(candidate, pdf_scan, persona, request) -> None:  # type: ignore[no-untyped-def]
    client = _client(request.getfixturevalue(persona))
    form_url = reverse("scan_upload", args=[candidate.pk])

    assert client.get(form_url).status_code == 404
    assert client.post(form_url, {"doc_type": "A2", "file": _upload("x.pdf", PDF)}).status_code == 404
    assert client.get(reverse("scan_file", args=[pdf_scan.pk])).status_code == 404
    assert client.get(reverse("scan_file", args=[pdf_scan.pk]) + "?download=1").status_code == 404
    assert DocumentScan.objects.count() == 1
    assert not AuditLog.objects.filter(action=AuditLog.Action.DOWNLOAD_DOCUMENT).exists()


def test_the_auditor_can_preview_but_not_upload(candidate, pdf_scan, eve) -> None:  # type: ignore[no-untyped-def]
    client = _client(eve)

    response = client.get(reverse("scan_file", args=[pdf_scan.pk]))
    assert response.status_code == 200
    assert _body(response) == PDF
    assert client.get(reverse("scan_upload", args=[candidate.pk])).status_code == 403
    posted = client.post(reverse("scan_upload", args=[candidate.pk]), {"doc_type": "A2", "file": _upload("x.pdf", PDF)})
    assert posted.status_code == 403
    assert DocumentScan.objects.count() == 1


def test_committee_staff_can_view_and_upload(candidate, png_scan, carol) -> None:  # type: ignore[no-untyped-def]
    client = _client(carol)

    response = client.get(reverse("scan_file", args=[png_scan.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    _body(response)
    posted = client.post(
        reverse("scan_upload", args=[candidate.pk]), {"doc_type": "A8", "file": _upload("tham-dinh.pdf", PDF)}
    )
    assert posted.status_code == 302


def test_anonymous_users_are_sent_to_the_login_page(candidate, pdf_scan) -> None:  # type: ignore[no-untyped-def]
    for url in (reverse("scan_upload", args=[candidate.pk]), reverse("scan_file", args=[pdf_scan.pk])):
        response = Client().get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


# --- The file response -------------------------------------------------------------------------


def test_the_inline_pdf_may_be_framed_by_this_site_only_and_is_never_cached(pdf_scan, alice) -> None:  # type: ignore[no-untyped-def]
    response = _client(alice).get(reverse("scan_file", args=[pdf_scan.pk]))

    assert response.status_code == 200
    assert _body(response) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    csp = response["Content-Security-Policy"]
    assert "frame-ancestors 'self'" in csp
    assert "'none'" not in csp.split("frame-ancestors", 1)[1].split(";", 1)[0]
    assert "object-src 'none'" in csp  # the rest of the site policy still applies


def test_other_pages_still_refuse_to_be_framed(candidate, alice) -> None:  # type: ignore[no-untyped-def]
    response = _client(alice).get(reverse("candidate_detail", args=[candidate.pk]))

    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"


def test_download_is_an_attachment_with_an_ascii_name_and_is_audited(pdf_scan, alice) -> None:  # type: ignore[no-untyped-def]
    response = _client(alice).get(reverse("scan_file", args=[pdf_scan.pk]) + "?download=1", REMOTE_ADDR="10.1.2.3")

    assert _body(response) == PDF
    assert response["Content-Disposition"] == 'attachment; filename="A4-giay-gioi-thieu.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    audit = AuditLog.objects.get(action=AuditLog.Action.DOWNLOAD_DOCUMENT)
    assert (audit.user, audit.person, audit.ip_address) == (alice, pdf_scan.candidate.person, "10.1.2.3")
    assert audit.detail == f"scan {pdf_scan.pk} A4 download"


def test_every_preview_is_audited_too(png_scan, alice, eve) -> None:  # type: ignore[no-untyped-def]
    for user in (alice, eve, eve):
        _body(_client(user).get(reverse("scan_file", args=[png_scan.pk])))

    details = AuditLog.objects.filter(action=AuditLog.Action.DOWNLOAD_DOCUMENT).values_list("user__username", "detail")
    assert sorted(details) == sorted([(u, f"scan {png_scan.pk} A2 preview") for u in ("alice", "eve", "eve")])


# --- The partial ---------------------------------------------------------------------------------


def _partial(candidate: Candidate, user: User, doc_type: str, can_edit: bool) -> str:
    request = RequestFactory().get(f"/admission/candidates/{candidate.pk}/")
    request.user = user
    return render_to_string(
        "admission/_scans.html",
        {**scans_context(candidate=candidate), "candidate": candidate, "can_edit": can_edit, "doc_type": doc_type},
        request=request,
    )


def test_the_partial_takes_either_the_grouped_scans_or_one_type_s_list(candidate, pdf_scan, alice) -> None:  # type: ignore[no-untyped-def]
    request = RequestFactory().get("/")
    request.user = alice
    page = Template(
        '{% load scan_tags %}{% for code in codes %}{% include "admission/_scans.html" with doc_type=code %}'
        '{% include "admission/_scans.html" with scans=scans_by_type|get_item:code doc_type=code %}{% endfor %}'
    ).render(
        RequestContext(
            request, {**scans_context(candidate=candidate), "candidate": candidate, "can_edit": False, "codes": ["A4"]}
        )
    )

    assert page.count(f'id="scan-{pdf_scan.pk}"') == 2


def test_the_partial_shows_thumbnails_pdf_previews_and_the_upload_link(candidate, pdf_scan, png_scan, alice) -> None:  # type: ignore[no-untyped-def]
    pdf_html = _partial(candidate, alice, "A4", can_edit=True)
    png_html = _partial(candidate, alice, "A2", can_edit=False)
    empty_html = _partial(candidate, alice, "A6", can_edit=True)

    file_url = reverse("scan_file", args=[pdf_scan.pk])
    assert "<details" in pdf_html
    assert f'<iframe class="w-100 border rounded mt-1" height="480" loading="lazy" src="{file_url}"' in pdf_html
    assert f'href="{file_url}?download=1"' in pdf_html
    assert "Giấy giới thiệu.pdf" in pdf_html
    assert f"alice · {timezone.localtime(pdf_scan.uploaded_at):%d/%m/%Y}" in pdf_html
    assert "Tải lên bản chụp" in pdf_html
    assert "?doc=A4&amp;next=/admission/candidates/" in pdf_html
    assert f'<img src="{reverse("scan_file", args=[png_scan.pk])}" loading="lazy"' in png_html
    assert "<iframe" not in png_html
    assert "Tải lên bản chụp" not in png_html
    assert "scan-upload" in empty_html
    assert "<img" not in empty_html
    assert "<iframe" not in empty_html
    assert "style=" not in pdf_html + png_html  # strict CSP: no inline style
