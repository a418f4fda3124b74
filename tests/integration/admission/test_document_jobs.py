"""One document's PDF made off the request path (issue 17): the request queues a DocumentJob on the
`documents` queue, the worker renders and converts it and stores the file once, however often the
task is delivered; a register entry keeps the number it was given at issue. The pages show
"đang tạo" while it runs and the file when it is ready; outsiders get 404."""

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from admission import services
from admission.devdata.demo import at, walk_to
from admission.documents import generate as docgen
from admission.documents import register as docregister
from admission.documents.templates import TemplateRefused
from admission.models import DocumentJob, GeneratedDocument, IssuedDocument
from members.models import AuditLog, Role
from members.services import role_assign
from tests.factories import PersonFactory, UserFactory

pytestmark = pytest.mark.django_db
START = dt.date(2025, 1, 6)
ASKED = at(dt.date(2026, 3, 2))
NAME = "Nguyễn Văn Đức"


def fake_pdf(docx: bytes) -> bytes:
    return b"%PDF-1.4 fake " + str(len(docx)).encode()


@pytest.fixture(autouse=True)
def media(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def queued(monkeypatch) -> list[int]:  # type: ignore[no-untyped-def]
    """The jobs sent to the `documents` queue; the test runs them as its worker would."""
    sent: list[int] = []
    monkeypatch.setattr(docgen, "_enqueue", sent.append)
    return sent


@pytest.fixture
def eager() -> Iterator[None]:
    """Celery runs the queued task in the caller (the `documents` worker is not started here)."""
    from config.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


@pytest.fixture
def candidate(tree, introducers):  # type: ignore[no-untyped-def]
    ada = UserFactory(username="ada")
    role_assign(acting_user=None, user=ada, organisation=tree.province, role=Role.ADMINISTRATOR)
    person = PersonFactory(organisation=tree.branch_a, full_name=NAME)
    created = services.candidate_create(acting_user=ada, person=person, now=at(START))
    return walk_to(created, "S9", user=ada, introducers=introducers, start=START)


def _client(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def test_the_request_only_queues_and_the_worker_stores_the_file_once(
    candidate, alice, queued, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        job = docgen.document_job_start(
            acting_user=alice, candidate=candidate, kind="branch_resolution", fmt="pdf", now=ASKED
        )
    assert queued == [job.pk]  # sent once the row committed
    assert (job.status, job.document) == (DocumentJob.Status.QUEUED, None)
    assert not GeneratedDocument.objects.exists()

    assert docgen.document_job_build(job_id=job.pk, convert=fake_pdf) == "done"
    assert docgen.document_job_build(job_id=job.pk, convert=fake_pdf) == "skipped"  # a second delivery

    job.refresh_from_db()
    document = GeneratedDocument.objects.get()
    assert (job.status, job.document, job.error) == (DocumentJob.Status.DONE, document, "")
    assert (document.kind, document.format, document.created_by) == ("branch_resolution", "pdf", alice)
    assert document.file.read().startswith(b"%PDF-1.4 fake")
    assert AuditLog.objects.filter(action=AuditLog.Action.GENERATE_DOCUMENT, user=alice).count() == 1


def test_a_retried_task_never_numbers_again_and_a_lost_worker_is_taken_over(candidate, gina, queued) -> None:  # type: ignore[no-untyped-def]
    entry = docregister.document_issue(
        acting_user=gina,
        candidate=candidate,
        request=docregister.IssueRequest(kind="admission_decision", issued_on=ASKED.date(), signer_name="Trần Văn Ký"),
        now=ASKED,
    )
    job = docgen.document_job_start(
        acting_user=gina, candidate=candidate, kind="admission_decision", fmt="pdf", issued=entry, now=ASKED
    )
    # A worker claimed it and was lost: within JOB_STALE_AFTER a redelivery leaves it alone ...
    claimed = timezone.now()
    DocumentJob.objects.filter(pk=job.pk).update(status=DocumentJob.Status.RUNNING, started_at=claimed)
    soon = claimed + dt.timedelta(minutes=5)
    assert docgen.document_job_build(job_id=job.pk, now=soon, convert=fake_pdf) == "skipped"
    # ... after it, the redelivery takes the job over and stores the file, once.
    later = claimed + docgen.JOB_STALE_AFTER + dt.timedelta(seconds=1)
    assert docgen.document_job_build(job_id=job.pk, now=later, convert=fake_pdf) == "done"
    assert docgen.document_job_build(job_id=job.pk, now=later, convert=fake_pdf) == "skipped"

    assert list(IssuedDocument.objects.values_list("symbol", flat=True)) == ["1-QĐ/ĐU"]
    document = GeneratedDocument.objects.get()
    assert document.issued == entry


def test_the_file_is_made_by_libreoffice_with_the_entrys_number(candidate, gina, queued) -> None:  # type: ignore[no-untyped-def]
    import subprocess

    entry = docregister.document_issue(
        acting_user=gina,
        candidate=candidate,
        request=docregister.IssueRequest(kind="admission_decision", issued_on=ASKED.date(), signer_name="Trần Văn Ký"),
        now=ASKED,
    )
    job = docgen.document_job_start(
        acting_user=gina, candidate=candidate, kind="admission_decision", fmt="pdf", issued=entry, now=ASKED
    )
    assert docgen.document_job_build(job_id=job.pk) == "done"
    job.refresh_from_db()
    assert job.document is not None
    pdf = job.document.file.read()
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    assert "Số 1-QĐ/ĐU" in text and NAME in " ".join(text.split()) and "Trần Văn Ký" in text


def test_a_failed_conversion_or_a_cancelled_entry_fails_the_job_and_stores_nothing(candidate, gina, queued) -> None:  # type: ignore[no-untyped-def]
    def broken(docx: bytes) -> bytes:
        raise docgen.PdfUnavailable("Không tạo được bản PDF: LibreOffice báo lỗi (thử).")

    job = docgen.document_job_start(acting_user=gina, candidate=candidate, kind="admission_decision", fmt="pdf")
    assert docgen.document_job_build(job_id=job.pk, convert=broken) == "failed"
    job.refresh_from_db()
    assert (job.status, job.error) == ("failed", "Không tạo được bản PDF: LibreOffice báo lỗi (thử).")

    entry = docregister.document_issue(
        acting_user=gina,
        candidate=candidate,
        request=docregister.IssueRequest(kind="admission_decision", issued_on=ASKED.date(), signer_name="Ký"),
        now=ASKED,
    )
    again = docgen.document_job_start(
        acting_user=gina, candidate=candidate, kind="admission_decision", fmt="pdf", issued=entry
    )
    docregister.issued_document_cancel(acting_user=gina, document=entry, reason="Ghi nhầm")
    assert docgen.document_job_build(job_id=again.pk, convert=fake_pdf) == "failed"
    again.refresh_from_db()
    assert "đã bị hủy" in again.error
    assert not GeneratedDocument.objects.exists()


def test_readers_outsiders_and_wrong_requests_queue_nothing(candidate, alice, bob, eve, queued) -> None:  # type: ignore[no-untyped-def]
    for user in (bob, eve):
        with pytest.raises(PermissionDenied):
            docgen.document_job_start(acting_user=user, candidate=candidate, kind="branch_resolution", fmt="pdf")
    with pytest.raises(TemplateRefused):
        docgen.document_job_start(acting_user=alice, candidate=candidate, kind="passport", fmt="pdf")
    assert not DocumentJob.objects.exists() and queued == []


def test_the_pages_show_the_file_being_made_then_ready_and_outsiders_get_404(
    candidate, alice, bob, oscar, queued
) -> None:  # type: ignore[no-untyped-def]
    client = _client(alice)
    response = client.post(
        reverse("document_generate", args=[candidate.pk]), {"kind": "branch_resolution", "format": "pdf"}
    )
    job = DocumentJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("document_job", args=[job.pk])
    page = client.get(response["Location"]).content.decode()
    assert "Đang chờ" in page and "batch_progress.js" in page and "job-download" not in page
    detail = client.get(reverse("candidate_detail", args=[candidate.pk])).content.decode()
    assert 'id="document-jobs"' in detail and "đang tạo" in detail
    status = reverse("document_job_status", args=[job.pk])
    assert client.get(status).json() == {"status": "queued", "done": 0, "total": 1, "error": ""}
    for outsider in (bob, oscar):
        for url in (response["Location"], status):
            assert _client(outsider).get(url).status_code == 404

    docgen.document_job_build(job_id=job.pk, convert=fake_pdf)

    assert client.get(status).json() == {"status": "done", "done": 1, "total": 1, "error": ""}
    page = client.get(response["Location"]).content.decode()
    document = GeneratedDocument.objects.get()
    assert reverse("generated_download", args=[document.pk]) in page and "batch_progress.js" not in page
    detail = client.get(reverse("candidate_detail", args=[candidate.pk])).content.decode()
    assert 'id="document-jobs"' not in detail and reverse("generated_download", args=[document.pk]) in detail


def test_issuing_with_a_pdf_follows_the_file_being_made_eagerly_by_libreoffice(
    candidate, gina, eager, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    client = _client(gina)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("document_issue", args=[candidate.pk]),
            {
                "kind": "admission_decision",
                "issued_on": timezone.localdate().strftime("%d/%m/%Y"),
                "signer_name": "Trần Văn Ký",
                "signer_position": "BÍ THƯ",
                "recipients": "",
                "format": "pdf",
            },
        )
    job = DocumentJob.objects.get()
    assert response["Location"] == reverse("document_job", args=[job.pk])
    assert job.status == DocumentJob.Status.DONE, job.error  # the task ran (eagerly) through LibreOffice
    page = client.get(response["Location"]).content.decode()
    assert "Số 1-QĐ/ĐU" in page and "job-download" in page
    assert IssuedDocument.objects.count() == 1


def test_the_job_page_is_in_english_for_english_users(candidate, alice, queued) -> None:  # type: ignore[no-untyped-def]
    client = _client(alice)
    client.post(reverse("set_language"), {"language": "en"})
    response = client.post(
        reverse("document_generate", args=[candidate.pk]), {"kind": "branch_resolution", "format": "pdf"}
    )
    pending = client.get(response["Location"]).content.decode()
    docgen.document_job_build(job_id=DocumentJob.objects.get().pk, convert=fake_pdf)
    done = client.get(response["Location"]).content.decode()

    assert "Making the document&#x27;s file" in pending or "Making the document's file" in pending
    assert "The server is making the PDF" in pending and "Waiting" in pending
    assert "Back to the dossier" in done and "Done" in done
    for vietnamese in ("Tạo tệp văn bản", "Máy chủ đang tạo", "Về hồ sơ", "Đang chờ", "Đã xong", "yêu cầu lúc"):
        assert vietnamese not in pending + done
