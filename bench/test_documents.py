"""Benchmarks of the documents queue (issue 17 part 4): a committee meeting's batch of 40 decisions,
and the reminder sweep alone and during a burst of 100 PDF conversions.

The burst runs as the `documents` worker would (two conversions at a time, chunks of
`batch.CHUNK`), in threads that start LibreOffice processes; the sweep runs in this process, as
the default-queue worker would. Both share the machine's CPUs: the sweep's time during the burst
is the cost of that sharing. With one shared queue, the sweep would also wait behind the burst;
that wait is the burst's duration (reported). BENCH_DOCS_SWEEP_N sets the population (50,000),
BENCH_DOCS_BATCH the batch size (40), BENCH_DOCS_BURST the burst (100).
"""

import datetime as dt
import os
import threading
import time

import pytest
from django.db import connection
from django.utils import timezone

from admission import reminders, services
from admission.devdata.demo import at
from admission.documents import batch as docbatch
from admission.documents import generate as docgen
from admission.models import AgendaItem, Candidate, CommitteeMeeting, GeneratedKind, Notification
from bench.test_sweep import _populate
from members import services as member_services
from members.models import Gender, Organisation, OrganisationKind, Person, Role, User

pytestmark = pytest.mark.django_db
BATCH = int(os.environ.get("BENCH_DOCS_BATCH", "40"))
BURST = int(os.environ.get("BENCH_DOCS_BURST", "100"))
POPULATION = int(os.environ.get("BENCH_DOCS_SWEEP_N", "50000"))
DUE = 2000


@pytest.fixture(autouse=True)
def media(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _committee_and_staff():  # type: ignore[no-untyped-def]
    province = member_services._organisation_insert(
        kind=OrganisationKind.PROVINCE, name="Đảng bộ tỉnh Đo", code="BD", parent=None
    )
    committee = member_services._organisation_insert(
        kind=OrganisationKind.PROVINCIAL_GOVERNMENT, name="Đảng bộ UBND tỉnh Đo", code="BDG", parent=province
    )
    grassroots = member_services._organisation_insert(
        kind=OrganisationKind.GRASSROOTS_COMMITTEE, name="Đảng bộ Sở Đo", code="BDS", parent=committee
    )
    branch = member_services._organisation_insert(
        kind=OrganisationKind.BRANCH, name="Chi bộ Phòng Đo", code="BDB", parent=grassroots
    )
    staff = User.objects.create_user(username="bench-docs", password="x" * 12)
    member_services.role_assign(acting_user=None, user=staff, organisation=committee, role=Role.COMMITTEE_STAFF)
    return committee, branch, staff


def _person(branch: Organisation, name: str) -> Person:
    family, _space, given = name.rpartition(" ")
    return Person.objects.create(
        organisation=branch,
        full_name=name,
        family_name=family,
        given_name=given,
        search_key=name.lower(),
        sort_key=name.lower(),
        date_of_birth=dt.date(1995, 1, 1),
        gender=Gender.MALE,
    )


def _sample_docx(branch: Organisation) -> bytes:
    person = _person(branch, "Nguyễn Văn Mẫu")
    candidate = services.candidate_create(acting_user=None, person=person, now=at(dt.date(2025, 1, 6)))
    content, _template, _version = docgen.render_document(
        candidate=candidate, kind=GeneratedKind.ADMISSION_DECISION, issued=None, today=timezone.localdate()
    )
    return content


def test_a_meeting_batch_of_40_decisions(report) -> None:  # type: ignore[no-untyped-def]
    committee, branch, staff = _committee_and_staff()
    meeting = CommitteeMeeting.objects.create(committee=committee, held_on=timezone.localdate())
    for position in range(1, BATCH + 1):
        person = _person(branch, f"Người Đo {position:02d}")
        candidate = services.candidate_create(acting_user=None, person=person, now=at(dt.date(2025, 1, 6)))
        AgendaItem.objects.create(
            meeting=meeting, candidate=candidate, position=position, stage_listed="S10", outcome="approved"
        )
    docx = _sample_docx(branch)

    started = time.perf_counter()
    batch = docbatch.meeting_batch_start(
        acting_user=staff, meeting=meeting, request=docbatch.BatchRequest(timezone.localdate(), "Trần Văn Ký")
    )
    numbering_s = time.perf_counter() - started
    started = time.perf_counter()
    assert docbatch.meeting_batch_build(batch_id=batch.pk) == "done"
    build_s = time.perf_counter() - started

    started = time.perf_counter()
    for _ in range(5):
        docgen.docx_to_pdf(docx)
    single_s = (time.perf_counter() - started) / 5
    started = time.perf_counter()
    docgen.docx_to_pdf_many([docx] * docbatch.CHUNK)
    chunk_s = (time.perf_counter() - started) / docbatch.CHUNK

    report.append(f"## Meeting batch of {BATCH} decisions\n")
    report.append("| step | seconds |\n| --- | --- |")
    report.append(f"| numbering in the register ({BATCH} issues, in the request) | {numbering_s:.2f} |")
    report.append(f"| build in the `documents` worker (render, convert, ZIP, combined PDF) | {build_s:.1f} |")
    report.append(f"| per document, one LibreOffice run each (5 runs) | {single_s:.2f} |")
    report.append(f"| per document, {docbatch.CHUNK} documents per LibreOffice run | {chunk_s:.2f} |")
    report.append(
        f"\nThe page answers after the numbering; the files follow {build_s:.0f} s later, the page "
        f"showing the progress every {docbatch.CHUNK} documents. One conversion per request, as before, "
        f"would have kept a browser waiting ~{single_s * BATCH:.0f} s. Measured on the shared 2-CPU "
        "development machine while other sessions ran tests: indicative only, short runs.\n"
    )


def _sweep_seconds(due_ids: list[int], runs: int = 3) -> tuple[float, int]:
    """Median seconds of the sweep over the due candidates; before each run the same candidates
    are made due again and their notifications deleted, so that each run does the same work."""
    times, handled = [], 0
    for _ in range(runs):
        now = timezone.now()
        Notification.objects.all().delete()
        Candidate.objects.filter(pk__in=due_ids).update(
            next_reminder_at=now - dt.timedelta(minutes=1), reminder_sequence=0
        )
        started = time.perf_counter()
        handled = reminders.reminders_dispatch_due(now=now)
        times.append(time.perf_counter() - started)
    times.sort()
    return times[len(times) // 2], handled


def test_the_sweep_with_and_without_a_conversion_burst(report) -> None:  # type: ignore[no-untyped-def]
    _populate(POPULATION, DUE)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    due_ids = list(Candidate.objects.filter(next_reminder_at__lte=timezone.now()).values_list("pk", flat=True))
    _committee, branch, _staff = _committee_and_staff()
    docx = _sample_docx(branch)
    quiet_s, handled = _sweep_seconds(due_ids)

    remaining = [BURST]
    lock = threading.Lock()
    burst_times: list[float] = []

    def documents_worker() -> None:  # one of the queue's two worker processes
        while True:
            with lock:
                size = min(docbatch.CHUNK, remaining[0])
                remaining[0] -= size
            if size <= 0:
                return
            docgen.docx_to_pdf_many([docx] * size)

    started = time.perf_counter()
    workers = [threading.Thread(target=documents_worker) for _ in range(2)]
    for worker in workers:
        worker.start()
    time.sleep(2)  # LibreOffice started and converting
    busy_s, busy_handled = _sweep_seconds(due_ids)
    for worker in workers:
        worker.join()
    burst_times.append(time.perf_counter() - started)

    report.append(f"## Reminder sweep during a burst of {BURST} PDF conversions\n")
    report.append("| sweep of | due | seconds (median of 3) |\n| --- | --- | --- |")
    report.append(f"| {POPULATION} candidates, quiet | {handled} | {quiet_s:.2f} |")
    report.append(
        f"| {POPULATION} candidates, during the burst (2 conversions at a time) | {busy_handled} | {busy_s:.2f} |"
    )
    report.append(
        f"\nThe burst of {BURST} conversions took {burst_times[0]:.0f} s on the `documents` queue's two "
        "workers. The sweep runs on the default queue's own worker, so it starts on time and only shares "
        f"the CPUs; on one shared queue (FIFO, prefetch 1) it would have started up to {burst_times[0]:.0f} s "
        "late, behind the conversions. Measured on the shared 2-CPU development machine while other "
        "sessions ran tests: indicative only, short runs.\n"
    )
    assert handled == busy_handled >= DUE
