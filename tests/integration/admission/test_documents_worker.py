"""The `documents` queue end to end with real parts: a Celery worker process that consumes only
`documents` (as in production, README), redis-server as the broker, LibreOffice. A meeting's
batch started by the service reaches that worker (the routing), which converts and stores the
ZIP and the combined PDF. Needs the redis-server started by scripts/test."""

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader

from admission import services
from admission.devdata.demo import at
from admission.documents import batch as docbatch
from admission.documents import generate as docgen
from admission.models import AgendaItem, CommitteeMeeting, DocumentBatch, DocumentJob
from tests.factories import PersonFactory
from tests.real_services import celery_worker, redis_available, wait_for

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def media(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def documents_worker(media: Path, tmp_path: Path) -> Iterator[Path]:
    """A real worker of the `documents` queue only, storing files under the test's MEDIA_ROOT."""
    if not redis_available():
        pytest.skip("needs the redis-server started by scripts/test")
    log_path = tmp_path / "documents-worker.log"
    with celery_worker(log_path, queues="documents", MEDIA_ROOT=str(media)):
        yield log_path


def test_a_batch_is_built_by_the_worker_of_the_documents_queue(tree, gina, documents_worker: Path) -> None:  # type: ignore[no-untyped-def]
    from django.utils import timezone

    meeting = CommitteeMeeting.objects.create(committee=tree.government, held_on=timezone.localdate())
    for position, name in enumerate(["Nguyễn Văn Một", "Trần Thị Hai", "Lê Văn Ba"], start=1):
        person = PersonFactory(organisation=tree.branch_a, full_name=name)
        candidate = services.candidate_create(acting_user=None, person=person, now=at(dt.date(2025, 1, 6)))
        AgendaItem.objects.create(
            meeting=meeting, candidate=candidate, position=position, stage_listed="S10", outcome="approved"
        )

    batch = docbatch.meeting_batch_start(
        acting_user=gina,
        meeting=meeting,
        request=docbatch.BatchRequest(issued_on=timezone.localdate(), signer_name="Trần Văn Ký"),
    )  # queued on commit, through Redis, to `documents`

    def done() -> bool:
        return DocumentBatch.objects.get(pk=batch.pk).status in ("done", "failed")

    assert wait_for(done, seconds=120), documents_worker.read_text()
    batch.refresh_from_db()
    assert (batch.status, batch.done_count, batch.error) == ("done", 3, ""), documents_worker.read_text()
    assert "admission.documents.tasks.meeting_batch_build" in documents_worker.read_text()
    with batch.pdf_file.open("rb") as handle:
        assert len(PdfReader(handle).pages) >= 3


def test_a_single_documents_pdf_is_made_by_the_worker_of_the_documents_queue(
    tree, alice, documents_worker: Path
) -> None:  # type: ignore[no-untyped-def]
    person = PersonFactory(organisation=tree.branch_a, full_name="Nguyễn Văn Một")
    candidate = services.candidate_create(acting_user=None, person=person, now=at(dt.date(2025, 1, 6)))

    job = docgen.document_job_start(
        acting_user=alice, candidate=candidate, kind="application_cover", fmt="pdf"
    )  # queued on commit, through Redis, to `documents`

    def done() -> bool:
        return DocumentJob.objects.get(pk=job.pk).status in ("done", "failed")

    assert wait_for(done, seconds=120), documents_worker.read_text()
    job.refresh_from_db()
    assert (job.status, job.error) == ("done", ""), documents_worker.read_text()
    assert "admission.documents.tasks.document_job_build" in documents_worker.read_text()
    assert job.document is not None
    with job.document.file.open("rb") as handle:
        assert len(PdfReader(handle).pages) == 1
