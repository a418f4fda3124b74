"""The sweep's branch reviews beside its candidates: outside any transaction (as beat runs it) the
reviews run in a thread on a connection of their own; an error on either side reaches the caller,
and one in the candidates' part stops the reviews after their batch in progress. Real commits
(transaction=True) against the PostgreSQL of scripts/test."""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Any

import pytest
from django.db import connection

from admission import schedule, services
from admission.devdata.demo import at
from admission.models import BranchReview, Candidate, Notification
from admission.reminders import dispatch as reminders
from members.models import Role, RoleAssignment
from tests.factories import PersonFactory, UserFactory
from tests.real_services import wait_for

pytestmark = pytest.mark.django_db(transaction=True)
TODAY = dt.date(2025, 10, 1)
# Meeting day 5 (the default): every branch's review reminder falls due on the 3rd at 07:00.
DUE = at(dt.date(2025, 10, 3)).replace(hour=schedule.REMINDER_HOUR)


class Crash(Exception):
    pass


def _review_notes() -> list[tuple[int, str]]:
    return sorted(Notification.objects.filter(kind=Notification.Kind.MONTHLY_REVIEW).values_list("user_id", "key"))


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def _other_backends() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
        )
        return int(cursor.fetchone()[0])


def _due_candidate(tree, alice) -> Candidate:  # type: ignore[no-untyped-def]
    """A candidate whose reminder is due (at S0 it has no plan: the sweep clears it)."""
    candidate = services.candidate_create(acting_user=alice, person=PersonFactory(organisation=tree.branch_a), now=DUE)
    Candidate.objects.filter(pk=candidate.pk).update(next_reminder_at=DUE, reminder_sequence=0)
    return candidate


def test_outside_a_transaction_the_reviews_run_beside_on_their_own_connection(tree, alice, bob, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    reminders.reminders_dispatch_due(now=at(TODAY))  # every branch gets its first review reminder
    candidate = _due_candidate(tree, alice)
    main_pid = _backend_pid()
    seen: list[tuple[bool, int]] = []
    batch = reminders._dispatch_review_batch_sql

    def spy(state: Any, *, batch_size: int) -> int:
        seen.append((threading.current_thread() is threading.main_thread(), _backend_pid()))
        return batch(state, batch_size=batch_size)

    monkeypatch.setattr(reminders, "_dispatch_review_batch_sql", spy)
    statements: list[str] = []

    def record(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        handled = reminders.reminders_dispatch_due(now=DUE)

    assert handled == 4 + 1  # four branches, one candidate
    assert seen and all(not in_main and pid != main_pid for in_main, pid in seen)
    assert any("WITH claimed AS" in sql for sql in statements)  # the caller's wrapper saw the reviews too
    assert _review_notes() == sorted(
        [(alice.pk, f"review:{tree.branch_a.pk}:0"), (bob.pk, f"review:{tree.branch_b.pk}:0")]
    )
    assert Candidate.objects.get(pk=candidate.pk).next_reminder_at is None
    assert wait_for(lambda: _other_backends() == 0, 5)  # the reviews' connection is closed


def test_a_failing_candidate_batch_stops_the_reviews_after_their_batch_in_progress(
    tree, alice, bob, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    reminders.reminders_dispatch_due(now=at(TODAY))
    failed = threading.Event()

    def fails(state: Any, *, batch_size: int) -> int:
        failed.set()
        raise Crash("worker lost in a candidate batch")

    batch = reminders._dispatch_review_batch_sql

    def after_the_failure(state: Any, *, batch_size: int) -> int:
        assert failed.wait(10)
        time.sleep(0.2)  # the failing side sets the stop flag as the error leaves it (microseconds)
        return batch(state, batch_size=batch_size)

    monkeypatch.setattr(reminders, "_dispatch_candidate_batch", fails)
    monkeypatch.setattr(reminders, "_dispatch_review_batch_sql", after_the_failure)
    with pytest.raises(Crash):
        reminders.reminders_dispatch_due(now=DUE, batch_size=1)
    # The batch in progress is committed whole; the other three reviews wait for the next beat.
    sequences = sorted(BranchReview.objects.values_list("sequence", flat=True))
    assert sequences == [0, 0, 0, 1]

    monkeypatch.setattr(reminders, "_dispatch_candidate_batch", lambda state, *, batch_size: 0)
    monkeypatch.setattr(reminders, "_dispatch_review_batch_sql", batch)
    assert reminders.reminders_dispatch_due(now=DUE, batch_size=1) == 3
    assert sorted(BranchReview.objects.values_list("sequence", flat=True)) == [1, 1, 1, 1]
    assert _review_notes() == sorted(
        [(alice.pk, f"review:{tree.branch_a.pk}:0"), (bob.pk, f"review:{tree.branch_b.pk}:0")]
    )


def test_an_error_in_the_reviews_reaches_the_caller_after_the_candidates_are_done(tree, alice, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    reminders.reminders_dispatch_due(now=at(TODAY))
    candidate = _due_candidate(tree, alice)

    def fails(state: Any, *, batch_size: int) -> int:
        raise Crash("statement cancelled")

    monkeypatch.setattr(reminders, "_dispatch_review_batch_sql", fails)
    with pytest.raises(Crash):
        reminders.reminders_dispatch_due(now=DUE)
    assert Candidate.objects.get(pk=candidate.pk).next_reminder_at is None  # its batch committed
    assert sorted(BranchReview.objects.values_list("sequence", flat=True)) == [0, 0, 0, 0]
    assert wait_for(lambda: _other_backends() == 0, 5)


@pytest.mark.django_db
def test_inside_a_transaction_the_reviews_run_in_the_callers_thread(tree, alice, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A caller's transaction (here the test's) is not visible to another connection: no thread."""
    reminders.reminders_dispatch_due(now=at(TODAY))
    threads: list[bool] = []
    batch = reminders._dispatch_review_batch_sql

    def spy(state: Any, *, batch_size: int) -> int:
        threads.append(threading.current_thread() is threading.main_thread())
        return batch(state, batch_size=batch_size)

    monkeypatch.setattr(reminders, "_dispatch_review_batch_sql", spy)
    assert reminders.reminders_dispatch_due(now=DUE) == 4
    assert threads == [True]
    assert _review_notes() == [(alice.pk, f"review:{tree.branch_a.pk}:0")]


@pytest.mark.django_db
@pytest.mark.parametrize("vendor", ["postgresql", "other"])
def test_users_with_roles_finds_the_active_holders_of_those_roles_only(
    tree, alice, bob, monkeypatch, vendor: str
) -> None:  # type: ignore[no-untyped-def]
    """One index probe per organisation on PostgreSQL (LATERAL), the ORM elsewhere: the same answer."""
    deputy, gone, former, staff = (UserFactory(username=name) for name in ("deputy", "gone", "former", "staff"))
    gone.is_active = False
    gone.save()
    RoleAssignment.objects.create(user=deputy, organisation=tree.branch_a, role=Role.BRANCH_DEPUTY)
    RoleAssignment.objects.create(user=gone, organisation=tree.branch_a, role=Role.BRANCH_SECRETARY)
    RoleAssignment.objects.create(user=former, organisation=tree.branch_b, role=Role.BRANCH_DEPUTY, active=False)
    RoleAssignment.objects.create(user=staff, organisation=tree.branch_b, role=Role.COMMITTEE_STAFF)
    if vendor != "postgresql":
        monkeypatch.setattr(connection, "vendor", vendor)
    found = schedule.branch_users([tree.branch_a.pk, tree.branch_b.pk, tree.village.pk, tree.branch_a.pk])
    assert dict(found) == {tree.branch_a.pk: {alice.pk, deputy.pk}, tree.branch_b.pk: {bob.pk}}
    assert dict(schedule.staff_users([tree.branch_b.pk])) == {tree.branch_b.pk: {staff.pk}}
    assert dict(schedule.branch_users([])) == {}
