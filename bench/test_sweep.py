"""Benchmark of the reminder sweep over 300,000 candidates of which 5,000 are due.

Target: < 10 s, memory that does not grow with the number of candidates, and a query count
that depends on the number of batches only. BENCH_SWEEP_N changes the population size.
"""

import datetime as dt
import os
import time
import tracemalloc

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from admission import reminders
from admission.models import Candidate
from members import services as member_services
from members.models import Gender, OrganisationKind, Person, Role, User

pytestmark = pytest.mark.django_db
POPULATION = int(os.environ.get("BENCH_SWEEP_N", "300000"))
DUE = 5000


def _populate(total: int, due: int) -> None:
    province = member_services._organisation_insert(kind=OrganisationKind.PROVINCE, name="Tỉnh", code="SP", parent=None)
    commune = member_services._organisation_insert(kind=OrganisationKind.COMMUNE, name="Xã", code="SC", parent=province)
    branches = [
        member_services._organisation_insert(
            kind=OrganisationKind.VILLAGE_BRANCH, name=f"Thôn {i}", code=f"ST{i}", parent=commune
        )
        for i in range(50)
    ]
    user = User.objects.create_user(username="sweep-secretary", password="x" * 12, email="s@example.invalid")
    for branch in branches:
        member_services.role_assign(acting_user=None, user=user, organisation=branch, role=Role.BRANCH_SECRETARY)
    now = timezone.now()
    today = timezone.localdate()
    chunk = 20000
    for offset in range(0, total, chunk):
        size = min(chunk, total - offset)
        people = Person.objects.bulk_create(
            [
                Person(
                    organisation=branches[(offset + i) % 50],
                    full_name=f"Người {offset + i}",
                    family_name="Người",
                    given_name=str(offset + i),
                    search_key=f"nguoi {offset + i}",
                    sort_key=f"{offset + i:09d}",
                    date_of_birth=dt.date(1995, 1, 1),
                    gender=Gender.MALE,
                )
                for i in range(size)
            ],
            batch_size=5000,
        )
        Candidate.objects.bulk_create(
            [
                Candidate(
                    person=p,
                    organisation_id=p.organisation_id,
                    stage="S11",
                    stage_entered_at=now,
                    stage_entered_on=today - dt.timedelta(days=10),
                    decision_date=today - dt.timedelta(days=12),
                    decision_received_date=today - dt.timedelta(days=10),
                    next_due_on=today + dt.timedelta(days=30),
                    reminder_sequence=0,
                    # the first `due` are due now; the rest in the future
                    next_reminder_at=now - dt.timedelta(minutes=1) if offset + i < due else now + dt.timedelta(days=20),
                )
                for i, p in enumerate(people)
            ],
            batch_size=5000,
        )


def test_sweep_of_the_due_among_300k(report) -> None:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    _populate(POPULATION, DUE)
    populate_s = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    now = timezone.now()
    tracemalloc.start()
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        handled = reminders.reminders_dispatch_due(now=now)
    seconds = time.perf_counter() - started
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    report.append("## Reminder sweep\n")
    report.append(
        "| candidates | due | handled | seconds | peak Python memory | queries |\n| --- | --- | --- | --- | --- | --- |"
    )
    report.append(
        f"| {POPULATION} | {DUE} | {handled} | {seconds:.2f} | {peak / 1e6:.1f} MB | {len(queries.captured_queries)} |"
    )
    report.append(f"\nPopulation inserted in {populate_s:.0f} s (bulk inserts). Target: < 10 s.\n")
    assert handled >= DUE
