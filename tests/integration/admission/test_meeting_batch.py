"""A committee meeting's documents made together: numbered through the register in agenda order
(an entry already in force keeps its number), converted off the request path by the `documents`
queue into one ZIP and one combined PDF, with progress; refusals write nothing; outsiders get 404."""

import datetime as dt
import io
import subprocess
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader, PdfWriter

from admission import services
from admission.devdata.demo import at
from admission.documents import batch as docbatch
from admission.documents import generate as docgen
from admission.documents import register as docregister
from admission.models import AgendaItem, Candidate, CommitteeMeeting, DocumentBatch, GeneratedKind, IssuedDocument
from members.models import AuditLog
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 3, 2)
NOW = at(dt.date(2026, 3, 5))
APPROVED, REJECTED, DEFERRED = (AgendaItem.Outcome.APPROVED, AgendaItem.Outcome.REJECTED, AgendaItem.Outcome.DEFERRED)


@pytest.fixture(autouse=True)
def media(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def eager() -> Iterator[None]:
    """Celery runs the queued task in the caller (the `documents` queue's worker is not started here)."""
    from config.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def _meeting(committee, rows: list[tuple[str, str, str]]) -> CommitteeMeeting:  # type: ignore[no-untyped-def]
    """A meeting with one agenda item per (name, stage listed, outcome), in that order."""
    meeting = CommitteeMeeting.objects.create(committee=committee, held_on=DAY, title="Họp thường vụ")
    for position, (name, stage, outcome) in enumerate(rows, start=1):
        person = PersonFactory(organisation=committee.children_branch, full_name=name)
        candidate = services.candidate_create(acting_user=None, person=person, now=at(dt.date(2025, 1, 6)))
        AgendaItem.objects.create(
            meeting=meeting, candidate=candidate, position=position, stage_listed=stage, outcome=outcome
        )
    return meeting


@pytest.fixture
def government(tree):  # type: ignore[no-untyped-def]
    tree.government.children_branch = tree.branch_a
    return tree.government


def _start(user, meeting, day=DAY, signer="Trần Văn Ký"):  # type: ignore[no-untyped-def]
    request = docbatch.BatchRequest(issued_on=day, signer_name=signer)
    return docbatch.meeting_batch_start(acting_user=user, meeting=meeting, request=request, now=NOW)


def _blank_pdfs(documents: list[bytes]) -> list[bytes]:
    """A stand-in for LibreOffice: one valid one-page PDF per document."""
    out = []
    for _doc in documents:
        writer = PdfWriter()
        writer.add_blank_page(width=595, height=842)
        buffer = io.BytesIO()
        writer.write(buffer)
        out.append(buffer.getvalue())
    return out


def test_numbers_follow_the_agenda_and_an_entry_in_force_keeps_its_number(government, gina) -> None:  # type: ignore[no-untyped-def]
    meeting = _meeting(
        government,
        [
            ("Nguyễn Văn Một", "S10", APPROVED),
            ("Trần Thị Hai", "S10", DEFERRED),  # no document
            ("Lê Văn Ba", "S10", REJECTED),  # notice of non-admission
            ("Phạm Thị Bốn", "S16", APPROVED),  # recognition decision
            ("Hoàng Văn Năm", "S10", APPROVED),
        ],
    )
    items = list(meeting.items.order_by("position"))
    earlier = docregister.document_issue(
        acting_user=gina,
        candidate=items[4].candidate,
        request=docregister.IssueRequest(kind=GeneratedKind.ADMISSION_DECISION, issued_on=DAY, signer_name="Ký"),
        now=NOW,
    )

    batch = _start(gina, meeting)

    entries = docbatch.batch_entries(batch)
    assert [(e.candidate.person.full_name, e.kind, e.symbol) for e in entries] == [
        ("Nguyễn Văn Một", GeneratedKind.ADMISSION_DECISION, "2-QĐ/ĐU"),
        ("Lê Văn Ba", GeneratedKind.NON_ADMISSION_NOTICE, "1-TB/ĐU"),
        ("Phạm Thị Bốn", GeneratedKind.RECOGNITION_DECISION, "3-QĐ/ĐU"),
        ("Hoàng Văn Năm", GeneratedKind.ADMISSION_DECISION, "1-QĐ/ĐU"),  # issued before: kept
    ]
    assert entries[3].pk == earlier.pk
    assert (batch.status, batch.total, batch.done_count) == (DocumentBatch.Status.QUEUED, 4, 0)
    # Made again after it finished: nothing is numbered twice.
    DocumentBatch.objects.filter(pk=batch.pk).update(status=DocumentBatch.Status.DONE)
    again = _start(gina, meeting)
    assert again.entries == batch.entries
    assert IssuedDocument.objects.count() == 4


def test_the_build_reports_progress_per_chunk_and_joins_the_pdfs_in_agenda_order(government, gina) -> None:  # type: ignore[no-untyped-def]
    meeting = _meeting(government, [(f"Người Số {n}", "S10", APPROVED) for n in range(1, 13)])
    batch = _start(gina, meeting)
    seen: list[int] = []

    def convert(documents: list[bytes]) -> list[bytes]:
        seen.append(DocumentBatch.objects.get(pk=batch.pk).done_count)
        return _blank_pdfs(documents)

    assert docbatch.meeting_batch_build(batch_id=batch.pk, convert=convert, now=NOW) == "done"
    assert seen == [0, 5, 10]  # chunks of 5, progress saved after each
    batch.refresh_from_db()
    assert (batch.status, batch.done_count) == (DocumentBatch.Status.DONE, 12)
    with batch.pdf_file.open("rb") as handle:
        assert len(PdfReader(handle).pages) == 12
    with batch.zip_file.open("rb") as handle, zipfile.ZipFile(handle) as bundle:
        names = bundle.namelist()
    assert len(names) == 24
    assert names[:2] == ["01_Nguoi-So-1_1-QD-DU.docx", "01_Nguoi-So-1_1-QD-DU.pdf"]
    assert names[-1] == "12_Nguoi-So-12_12-QD-DU.pdf"
    assert (
        AuditLog.objects.filter(action=AuditLog.Action.GENERATE_DOCUMENT, detail__contains=f"#{batch.pk}").count() == 12
    )
    # A duplicate task finds the batch claimed and does nothing.
    assert docbatch.meeting_batch_build(batch_id=batch.pk, convert=convert, now=NOW) == "skipped"


def test_a_failed_conversion_marks_the_batch_failed_and_the_numbers_stand(government, gina) -> None:  # type: ignore[no-untyped-def]
    meeting = _meeting(government, [("Nguyễn Văn Một", "S10", APPROVED)])
    batch = _start(gina, meeting)

    def broken(documents: list[bytes]) -> list[bytes]:
        raise docgen.PdfUnavailable("Không tạo được bản PDF: LibreOffice chạy quá 60 giây.")

    assert docbatch.meeting_batch_build(batch_id=batch.pk, convert=broken, now=NOW) == "failed"
    batch.refresh_from_db()
    assert batch.status == DocumentBatch.Status.FAILED
    assert "LibreOffice chạy quá" in batch.error
    assert not batch.zip_file and not batch.pdf_file
    assert IssuedDocument.objects.filter(pk__in=batch.entries, cancelled=False).count() == 1
    assert _start(gina, meeting).entries == batch.entries  # made again with the same number


def test_it_refuses_and_writes_nothing(government, gina, alice, paula, eve) -> None:  # type: ignore[no-untyped-def]
    meeting = _meeting(government, [("Nguyễn Văn Một", "S10", APPROVED), ("Trần Thị Hai", "S10", DEFERRED)])
    for user in (alice, paula, eve):  # the branch, the committee above, an auditor
        with pytest.raises(PermissionDenied):
            _start(user, meeting)
    with pytest.raises(docregister.IssueRefused, match="sau hôm nay"):
        _start(gina, meeting, day=dt.date(2026, 3, 6))
    with pytest.raises(docregister.IssueRefused, match="người ký"):
        _start(gina, meeting, signer="  ")
    empty = _meeting(government, [("Lê Văn Ba", "S10", DEFERRED)])
    with pytest.raises(docregister.IssueRefused, match="Thông qua"):
        _start(gina, empty)
    assert not IssuedDocument.objects.exists() and not DocumentBatch.objects.exists()
    _start(gina, meeting)
    with pytest.raises(docregister.IssueRefused, match="đang được tạo"):
        _start(gina, meeting)
    assert DocumentBatch.objects.count() == 1


def test_the_pages_start_follow_and_download_a_batch_made_by_libreoffice(
    government, gina, eager, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    meeting = _meeting(government, [("Nguyễn Văn Một", "S10", APPROVED), ("Lê Văn Ba", "S10", REJECTED)])
    client = Client()
    client.force_login(gina)
    page = client.get(reverse("meeting_documents", args=[meeting.pk]))
    assert page.status_code == 200
    assert "Quyết định kết nạp đảng viên" in page.content.decode()

    refused = client.post(
        reverse("meeting_documents", args=[meeting.pk]),
        {"issued_on": "06/03/2099", "signer_name": "Trần Văn Ký", "signer_position": "BÍ THƯ"},
    )
    assert refused.status_code == 200
    assert "sau hôm nay" in refused.content.decode() and "Trần Văn Ký" in refused.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("meeting_documents", args=[meeting.pk]),
            {"issued_on": "02/03/2026", "signer_name": "Trần Văn Ký", "signer_position": "BÍ THƯ"},
        )
    batch = DocumentBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("document_batch", args=[batch.pk])
    assert batch.status == DocumentBatch.Status.DONE, batch.error  # the task ran (eagerly) through LibreOffice
    status = client.get(reverse("document_batch_status", args=[batch.pk])).json()
    assert status == {"status": "done", "done": 2, "total": 2, "error": ""}
    page = client.get(reverse("document_batch", args=[batch.pk])).content.decode()
    assert "Số 1-QĐ/ĐU" in page and "Số 1-TB/ĐU" in page and "batch-pdf" in page

    pdf = b"".join(client.get(reverse("document_batch_file", args=[batch.pk, "pdf"])).streaming_content)
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    assert text.index("Số 1-QĐ/ĐU") < text.index("Nguyễn Văn Một") < text.index("Số 1-TB/ĐU") < text.index("Lê Văn Ba")
    archive = b"".join(client.get(reverse("document_batch_file", args=[batch.pk, "zip"])).streaming_content)
    assert len(zipfile.ZipFile(io.BytesIO(archive)).namelist()) == 4
    assert client.get(reverse("document_batch_file", args=[batch.pk, "xls"])).status_code == 404


def test_a_batch_still_being_made_shows_its_progress(government, gina) -> None:  # type: ignore[no-untyped-def]
    meeting = _meeting(government, [(f"Người Số {n}", "S10", APPROVED) for n in range(1, 5)])
    batch = _start(gina, meeting)
    DocumentBatch.objects.filter(pk=batch.pk).update(status=DocumentBatch.Status.RUNNING, done_count=2)
    client = Client()
    client.force_login(gina)
    page = client.get(reverse("document_batch", args=[batch.pk])).content.decode()
    assert 'aria-valuenow="50"' in page and "2/4" in page and "batch_progress.js" in page
    assert "batch-pdf" not in page
    assert client.get(reverse("document_batch_file", args=[batch.pk, "pdf"])).status_code == 404


def test_outsiders_get_404_and_readers_cannot_start(government, gina, bob, eve, oscar) -> None:  # type: ignore[no-untyped-def]
    meeting = _meeting(government, [("Nguyễn Văn Một", "S10", APPROVED)])
    batch = _start(gina, meeting)
    docbatch.meeting_batch_build(batch_id=batch.pk, convert=_blank_pdfs, now=NOW)
    urls = [
        reverse("meeting_documents", args=[meeting.pk]),
        reverse("document_batch", args=[batch.pk]),
        reverse("document_batch_status", args=[batch.pk]),
        reverse("document_batch_file", args=[batch.pk, "zip"]),
        reverse("document_batch_file", args=[batch.pk, "pdf"]),
    ]
    for user in (bob, oscar):  # another branch's secretary, a user without a role
        client = Client()
        client.force_login(user)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 404, (user, url)
            assert "Nguyễn Văn Một" not in response.content.decode(errors="replace")
        assert client.post(urls[0], {"issued_on": "02/03/2026", "signer_name": "X"}).status_code == 404
    anonymous = Client().get(urls[1])
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]
    reader = Client()
    reader.force_login(eve)  # the province's auditor reads the batch but does not issue
    assert reader.get(urls[1]).status_code == 200
    page = reader.get(urls[0]).content.decode()
    assert 'name="signer_name"' not in page
    assert (
        reader.post(urls[0], {"issued_on": "02/03/2026", "signer_name": "X", "signer_position": "BÍ THƯ"}).status_code
        == 403
    )
    assert Candidate.objects.count() == 1


def test_the_pages_are_in_english_for_english_users(government, gina) -> None:  # type: ignore[no-untyped-def]
    meeting = _meeting(government, [("Nguyễn Văn Một", "S10", APPROVED), ("Trần Thị Hai", "S10", DEFERRED)])
    batch = _start(gina, meeting)
    docbatch.meeting_batch_build(batch_id=batch.pk, convert=_blank_pdfs, now=NOW)
    client = Client()
    client.force_login(gina)
    client.post(reverse("set_language"), {"language": "en"})

    documents = client.get(reverse("meeting_documents", args=[meeting.pk])).content.decode()
    done = client.get(reverse("document_batch", args=[batch.pk])).content.decode()

    assert "Documents of the meeting" in documents and "Number and make the documents" in documents
    assert "none (no outcome yet, returned or deferred)" in documents and "1 document" in documents
    assert "Download the combined PDF for printing" in done and "Status" in done and "Done" in done
    for vietnamese in ("Văn bản của cuộc họp", "Tải PDF gộp", "Đã xong", "Cấp số và tạo"):
        assert vietnamese not in documents + done
