"""scan_upload, scan_open and the scan reads against PostgreSQL and a throwaway MEDIA_ROOT.

A refused upload must leave nothing behind: no row, no file, no audit entry. Files are counted
under a MEDIA_ROOT of the test's own (tmp_path), so the count is exact.
"""

import hashlib
import io
import re
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.http import Http404
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


@pytest.fixture
def media(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def candidate(tree: Tree, alice: User) -> Candidate:
    return services.candidate_create(
        acting_user=alice, person=PersonFactory(organisation=tree.branch_a, full_name="Trần Thị Ánh")
    )


def _files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _assert_nothing_written(media: Path) -> None:
    assert DocumentScan.objects.count() == 0
    assert _files(media) == []
    assert not AuditLog.objects.filter(action=AuditLog.Action.UPLOAD_DOCUMENT).exists()


def test_it_stores_an_accepted_scan_under_a_random_name_with_its_hash(media, candidate, alice) -> None:  # type: ignore[no-untyped-def]
    content = _png()

    scan = uploads.scan_upload(
        acting_user=alice,
        candidate=candidate,
        doc_type="A2",
        uploaded_file=SimpleUploadedFile("Đơn xin vào Đảng - Trần Thị Ánh.png", content, content_type="image/png"),
        ip_address="10.0.0.7",
    )

    scan.refresh_from_db()
    assert (scan.candidate, scan.doc_type, scan.uploaded_by) == (candidate, "A2", alice)
    assert (scan.content_type, scan.size) == ("image/png", len(content))
    assert scan.sha256 == hashlib.sha256(content).hexdigest()
    assert scan.original_name == "Đơn xin vào Đảng - Trần Thị Ánh.png"
    [stored] = _files(media)
    assert stored.read_bytes() == content
    # A random name under MEDIA_ROOT/scans/: nothing of the person or the original name in it.
    assert stored.parent == media / "scans"
    assert re.fullmatch(r"[0-9a-f]{32}\.png", stored.name)
    assert scan.file.name == f"scans/{stored.name}"
    audit = AuditLog.objects.get(action=AuditLog.Action.UPLOAD_DOCUMENT)
    assert (audit.user, audit.person, audit.ip_address) == (alice, candidate.person, "10.0.0.7")
    assert f"scan {scan.pk} A2" in audit.detail


def test_it_stores_the_type_read_from_the_content_not_the_name(media, candidate, alice) -> None:  # type: ignore[no-untyped-def]
    scan = uploads.scan_upload(
        acting_user=alice,
        candidate=candidate,
        doc_type="A3",
        uploaded_file=SimpleUploadedFile("ly-lich.png", PDF, content_type="image/png"),
    )

    assert scan.content_type == "application/pdf"
    assert scan.file.name.endswith(".pdf")


def test_it_refuses_a_forged_type_and_writes_nothing(media, candidate, alice) -> None:  # type: ignore[no-untyped-def]
    forged = SimpleUploadedFile("don.pdf", b"<html><script>alert(1)</script></html>", content_type="application/pdf")

    with pytest.raises(uploads.ScanRefused) as refused:
        uploads.scan_upload(acting_user=alice, candidate=candidate, doc_type="A2", uploaded_file=forged)

    assert "Tệp «don.pdf» không phải PDF, JPEG hay PNG" in refused.value.message
    _assert_nothing_written(media)


def test_it_refuses_a_file_over_the_limit_and_writes_nothing(media, settings, candidate, alice) -> None:  # type: ignore[no-untyped-def]
    settings.UPLOAD_MAX_BYTES = 50
    content = _png()
    assert len(content) > 50

    with pytest.raises(uploads.ScanRefused) as refused:
        uploads.scan_upload(
            acting_user=alice,
            candidate=candidate,
            doc_type="A2",
            uploaded_file=SimpleUploadedFile("anh.png", content),
        )

    assert "Tệp «anh.png» nặng" in refused.value.message
    assert "vượt giới hạn" in refused.value.message
    _assert_nothing_written(media)


def test_it_refuses_an_unknown_document_type(media, candidate, alice) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(uploads.ScanRefused):
        uploads.scan_upload(
            acting_user=alice, candidate=candidate, doc_type="Z9", uploaded_file=SimpleUploadedFile("a.pdf", PDF)
        )

    _assert_nothing_written(media)


@pytest.mark.parametrize("persona", ["eve", "bob", "oscar"])
def test_it_refuses_users_without_edit_scope_and_writes_nothing(media, candidate, persona, request) -> None:  # type: ignore[no-untyped-def]
    user = request.getfixturevalue(persona)

    with pytest.raises(PermissionDenied):
        uploads.scan_upload(
            acting_user=user, candidate=candidate, doc_type="A2", uploaded_file=SimpleUploadedFile("a.pdf", PDF)
        )

    _assert_nothing_written(media)


def test_committee_staff_above_the_branch_may_upload(media, candidate, carol) -> None:  # type: ignore[no-untyped-def]
    scan = uploads.scan_upload(
        acting_user=carol, candidate=candidate, doc_type="A8", uploaded_file=SimpleUploadedFile("tham-dinh.pdf", PDF)
    )

    assert scan.uploaded_by == carol


def test_it_removes_the_written_file_when_the_database_write_fails(media, candidate, alice, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def failing_audit(**kwargs):  # type: ignore[no-untyped-def]
        raise IntegrityError("simulated failure after the row was inserted")

    monkeypatch.setattr(uploads, "audit_record", failing_audit)

    with pytest.raises(IntegrityError):
        uploads.scan_upload(
            acting_user=alice, candidate=candidate, doc_type="A2", uploaded_file=SimpleUploadedFile("a.pdf", PDF)
        )

    _assert_nothing_written(media)


def test_it_audits_every_open_with_the_scan_and_the_purpose(media, candidate, alice, carol) -> None:  # type: ignore[no-untyped-def]
    scan = uploads.scan_upload(
        acting_user=alice, candidate=candidate, doc_type="A4", uploaded_file=SimpleUploadedFile("gt.pdf", PDF)
    )

    for user, purpose in [(alice, "preview"), (carol, "download"), (carol, "preview")]:
        with uploads.scan_open(acting_user=user, scan=scan, ip_address="10.0.0.9", purpose=purpose) as opened:
            assert opened.read() == PDF

    opens = list(AuditLog.objects.filter(action=AuditLog.Action.DOWNLOAD_DOCUMENT).order_by("pk"))
    assert [(a.user, a.person, a.detail) for a in opens] == [
        (alice, candidate.person, f"scan {scan.pk} A4 preview"),
        (carol, candidate.person, f"scan {scan.pk} A4 download"),
        (carol, candidate.person, f"scan {scan.pk} A4 preview"),
    ]


def test_a_file_missing_from_disk_is_a_404_and_not_audited(media, candidate, alice) -> None:  # type: ignore[no-untyped-def]
    scan = uploads.scan_upload(
        acting_user=alice, candidate=candidate, doc_type="A4", uploaded_file=SimpleUploadedFile("gt.pdf", PDF)
    )
    (media / scan.file.name).unlink()

    with pytest.raises(Http404):
        uploads.scan_open(acting_user=alice, scan=scan, ip_address=None, purpose="preview")

    assert not AuditLog.objects.filter(action=AuditLog.Action.DOWNLOAD_DOCUMENT).exists()


def test_scan_get_is_scoped_through_the_candidate(media, candidate, alice, bob, carol, eve, oscar) -> None:  # type: ignore[no-untyped-def]
    scan = uploads.scan_upload(
        acting_user=alice, candidate=candidate, doc_type="A4", uploaded_file=SimpleUploadedFile("gt.pdf", PDF)
    )

    for reader in (alice, carol, eve):
        assert uploads.scan_get(user=reader, pk=scan.pk) == scan
    for outsider in (bob, oscar):
        with pytest.raises(Http404):
            uploads.scan_get(user=outsider, pk=scan.pk)
    with pytest.raises(Http404):
        uploads.scan_get(user=alice, pk=scan.pk + 1000)


def test_scans_context_groups_by_document_type_in_one_query(media, candidate, alice, django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    first = uploads.scan_upload(
        acting_user=alice, candidate=candidate, doc_type="A4", uploaded_file=SimpleUploadedFile("gt1.pdf", PDF)
    )
    second = uploads.scan_upload(
        acting_user=alice, candidate=candidate, doc_type="A4", uploaded_file=SimpleUploadedFile("gt2.png", _png())
    )
    other = uploads.scan_upload(
        acting_user=alice, candidate=candidate, doc_type="A2", uploaded_file=SimpleUploadedFile("don.pdf", PDF)
    )

    # 1. the candidate's scans joined with their uploaders
    with django_assert_num_queries(1):
        context = scans_context(candidate=candidate)
        uploaders = [s.uploaded_by.username for scans in context["scans_by_type"].values() for s in scans]

    assert context["scan_count"] == 3
    assert context["scans_by_type"] == {"A2": [other], "A4": [second, first]}  # newest first
    assert uploaders == ["alice"] * 3


@pytest.mark.django_db(transaction=True)
def test_the_service_owns_its_transaction(tree, alice, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    # TestCase-style tests disable the durability check; this one keeps it.
    settings.MEDIA_ROOT = tmp_path / "media"
    candidate = services.candidate_create(
        acting_user=alice, person=PersonFactory(organisation=tree.branch_a, full_name="Trần Thị Ánh")
    )

    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        uploads.scan_upload(
            acting_user=alice, candidate=candidate, doc_type="A2", uploaded_file=SimpleUploadedFile("a.pdf", PDF)
        )

    assert _files(settings.MEDIA_ROOT) == []
