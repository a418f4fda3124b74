"""Faults: double beat, a sweep killed mid-batch, Redis down while stages change, PostgreSQL
restarted during a burst of requests. Nothing is lost, nothing is done twice, nothing half-written.

Real commits (transaction=True) against the PostgreSQL cluster and redis-server of scripts/test.
The digest send left in `sending` by a dead worker (not re-sent, flagged `unknown`) is covered by
tests/integration/admission/test_reminders.py::test_a_send_left_half_done_by_a_dead_worker_is_flagged_not_resent.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from admission import services
from admission.devdata.demo import at, walk_to
from admission.models import Candidate, DigestDelivery, Notification, StageTransition
from admission.reminders import digests
from admission.reminders import dispatch as reminders
from members.models import User
from tests import real_services
from tests.concurrency import failures, run_together
from tests.real_services import person as make_person
from tests.real_services import wait_for, worker_log

pytestmark = pytest.mark.django_db(transaction=True)
smtp_inbox = real_services.smtp_inbox  # fixtures: a real SMTP server and Celery worker
worker = real_services.worker
REPO = real_services.REPO
START = dt.date(2025, 1, 6)
# Reference path of admission.devdata.demo: at S11 the ceremony deadline is 30/10/2025; the first
# reminder (7 days before) is due on 23/10/2025 07:00, the next on 29/10/2025 07:00.
FIRST_DUE = dt.date(2025, 10, 23)
SECOND_DUE = dt.date(2025, 10, 29)


def _due_at_s11(tree, alice, introducers, n: int) -> list[Candidate]:  # type: ignore[no-untyped-def]
    alice.email, alice.digest_hour = "alice@example.invalid", 0
    alice.save()
    found = []
    for i in range(n):
        person = make_person(tree.branch_a, f"Trần Văn Hạn {chr(65 + i)}")
        candidate = services.candidate_create(acting_user=alice, person=person, now=at(START))
        found.append(walk_to(candidate, "S11", user=alice, introducers=introducers, start=START))
    return found


def _deadline_notes() -> list[tuple[int, str, int | None]]:
    return list(Notification.objects.filter(kind="deadline").values_list("user_id", "key", "candidate_id"))


def _sequences(candidates: list[Candidate]) -> dict[int, tuple[int | None, dt.datetime | None]]:
    return {
        pk: (seq, due)
        for pk, seq, due in Candidate.objects.filter(pk__in=[c.pk for c in candidates]).values_list(
            "pk", "reminder_sequence", "next_reminder_at"
        )
    }


def _advanced_once(candidates: list[Candidate]) -> dict[int, tuple[int | None, dt.datetime | None]]:
    return {c.pk: (1, at(SECOND_DUE).replace(hour=7)) for c in candidates}


def _small_batches(monkeypatch: pytest.MonkeyPatch, size: int) -> None:
    """sweep() looks reminders_dispatch_due up at call time: give it small batches."""
    monkeypatch.setattr(
        reminders, "reminders_dispatch_due", functools.partial(reminders.reminders_dispatch_due, batch_size=size)
    )


# --- Double beat: two sweeps at once ----------------------------------------------------------


def test_two_concurrent_sweeps_notify_once_advance_once_and_digest_once(tree, alice, introducers, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    candidates = _due_at_s11(tree, alice, introducers, 8)
    assert set(_sequences(candidates).values()) == {(0, at(FIRST_DUE).replace(hour=7))}
    now = at(FIRST_DUE)
    _small_batches(monkeypatch, 3)
    enqueued: list[int] = []
    monkeypatch.setattr(digests, "_enqueue", enqueued.extend)  # no worker here: record what goes to the broker
    advance = reminders._advance

    def slow_advance(batch: list[Candidate]) -> None:
        time.sleep(0.05)  # hold the batch's row locks while the other sweep runs (SKIP LOCKED)
        advance(batch)

    monkeypatch.setattr(reminders, "_advance", slow_advance)

    def sweep(wait):  # type: ignore[no-untyped-def]
        wait()
        return reminders.sweep(now=now)

    results = run_together(sweep)
    assert not failures(results), results
    assert sum(r["reminders"] for r in results) == len(candidates)  # every due row claimed by exactly one sweep
    notes = _deadline_notes()
    assert len(notes) == len(set(notes)) == len(candidates)  # alice, once per candidate
    assert {candidate_id for _u, _k, candidate_id in notes} == {c.pk for c in candidates}
    assert _sequences(candidates) == _advanced_once(candidates)
    assert DigestDelivery.objects.filter(user=alice, day=FIRST_DUE).count() == 1
    assert set(enqueued) == set(DigestDelivery.objects.values_list("pk", flat=True))
    # A third, late beat changes nothing.
    reminders.sweep(now=now)
    assert sorted(_deadline_notes()) == sorted(notes)
    assert _sequences(candidates) == _advanced_once(candidates)


# --- A sweep that dies mid-batch ----------------------------------------------------------------


class Crash(Exception):
    pass


def test_a_sweep_crashing_between_batches_is_finished_by_the_next_without_duplicates(
    tree, alice, introducers, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    candidates = _due_at_s11(tree, alice, introducers, 7)
    now = at(FIRST_DUE)
    _small_batches(monkeypatch, 3)
    monkeypatch.setattr(digests, "_enqueue", lambda ids: None)
    advance = reminders._advance
    calls: list[int] = []

    def dies_in_second_batch(batch: list[Candidate]) -> None:
        calls.append(len(batch))
        if len(calls) == 2:
            raise Crash("worker lost in the middle of the second batch")
        advance(batch)

    monkeypatch.setattr(reminders, "_advance", dies_in_second_batch)
    with pytest.raises(Crash):
        reminders.sweep(now=now)
    # The first batch is committed whole; the second is rolled back whole (its notifications too).
    assert len(_deadline_notes()) == 3
    states = list(_sequences(candidates).values())
    assert states.count((1, at(SECOND_DUE).replace(hour=7))) == 3
    assert states.count((0, at(FIRST_DUE).replace(hour=7))) == 4
    assert not DigestDelivery.objects.exists()  # the sweep died before the digests

    monkeypatch.setattr(reminders, "_advance", advance)
    result = reminders.sweep(now=now)
    assert result["reminders"] == 4
    notes = _deadline_notes()
    assert len(notes) == len(set(notes)) == len(candidates)
    assert _sequences(candidates) == _advanced_once(candidates)
    assert DigestDelivery.objects.filter(user=alice).count() == 1


def _subprocess_env() -> dict[str, str]:
    db = connection.settings_dict
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",  # the test database
        "CELERY_BROKER_URL": "memory://",
        "PYTHONFAULTHANDLER": "1",  # the killed sweep never reaches the digests anyway
    }


def _waiting_backends() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # inside a transaction the view is cached
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"
        )
        return int(cursor.fetchone()[0])


def _other_backends() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
        )
        return int(cursor.fetchone()[0])


def test_send_due_reminders_killed_after_claiming_a_batch_loses_and_duplicates_nothing(
    tree, alice, introducers
) -> None:  # type: ignore[no-untyped-def]
    """`manage.py send_due_reminders` SIGKILLed while its batch is claimed (FOR UPDATE) and its
    notifications are being written: the batch rolls back whole; the next sweep does it once."""
    candidates = _due_at_s11(tree, alice, introducers, 4)
    Candidate.objects.filter(pk__in=[c.pk for c in candidates]).update(
        next_reminder_at=timezone.now() - dt.timedelta(hours=1)
    )
    before = _sequences(candidates)
    process: subprocess.Popen[bytes] | None = None
    try:
        with transaction.atomic():
            # Blocks the sweep's INSERT of notifications, after its SELECT … FOR UPDATE has claimed the batch.
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {Notification._meta.db_table} IN SHARE MODE")
            process = subprocess.Popen(
                [sys.executable, "manage.py", "send_due_reminders"],
                cwd=REPO,
                env=_subprocess_env(),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
            deadline = time.monotonic() + 30
            while _waiting_backends() == 0:
                assert process.poll() is None, process.communicate()[0].decode()
                if time.monotonic() > deadline:
                    process.send_signal(signal.SIGABRT)  # PYTHONFAULTHANDLER: where it was
                    raise AssertionError(process.communicate()[0].decode())
                time.sleep(0.1)
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        # The lock is released: the orphaned backend finishes its statement, finds its client gone
        # and rolls back.
        deadline = time.monotonic() + 30
        while _other_backends() > 0 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        if process is not None and process.poll() is None:
            process.kill()
    assert process.returncode == -signal.SIGKILL
    assert _deadline_notes() == []
    assert _sequences(candidates) == before  # nothing advanced: the claim died with the process

    now = timezone.now()
    assert reminders.sweep(now=now)["reminders"] >= len(candidates)
    notes = _deadline_notes()
    assert len(notes) == len(set(notes)) == len(candidates)
    after = _sequences(candidates)
    assert all(after[pk] != before[pk] and after[pk][1] > now for pk in after)  # type: ignore[operator]
    reminders.sweep(now=now)
    assert sorted(_deadline_notes()) == sorted(notes)
    assert _sequences(candidates) == after


# --- Redis down while stages change ----------------------------------------------------------


@pytest.mark.services
def test_stage_changes_while_redis_is_down_commit_and_their_digest_goes_out_once_when_back(
    tree, alice, introducers, worker, smtp_inbox, client
) -> None:  # type: ignore[no-untyped-def]
    """Finding: stage transitions never touch the broker (no delay_on_commit in the services; the
    in-app notifications are written in the transition's own transaction, and e-mail goes only
    through the digest sweep), so a Redis outage cannot fail or lose a stage change. The sweep's
    own enqueue (on_commit, robust) fails and is logged; the row stays pending; the next beat
    re-enqueues it."""
    inbox, _port = smtp_inbox
    alice.email, alice.digest_hour = "alice@example.invalid", 0
    alice.save()
    real_services.redis_stop()
    try:
        person = make_person(tree.branch_a, "Đỗ Thị Mất Mạng")
        candidate = services.candidate_create(acting_user=alice, person=person, now=at(START))
        candidate = walk_to(candidate, "S11", user=alice, introducers=introducers, start=START)  # S8→S9→S10→S11
        client.force_login(alice)
        response = client.post(
            reverse("candidate_step", args=[candidate.pk, "ceremony"]), {"on_date": "03/10/2025", "note": ""}
        )
        assert response.status_code == 302, response.content.decode()[:2000]
        assert Candidate.objects.get(pk=candidate.pk).stage == "S12"
        stage_notes = sorted(
            Notification.objects.filter(kind="stage_change", user=alice).values_list("transition__to_stage", flat=True)
        )
        assert stage_notes == ["S10", "S11", "S9"]  # moved up twice, then the decision
        now = timezone.now()
        started = time.monotonic()
        result = reminders.sweep(now=now)  # the enqueue fails: logged, not raised
        assert time.monotonic() - started < 30
        pending = list(DigestDelivery.objects.filter(user=alice).values_list("pk", "status"))
        assert result["digests"] == 1 and [s for _pk, s in pending] == ["pending"]
        assert inbox.messages == []
    finally:
        real_services.redis_start()
    reminders.sweep(now=timezone.now())  # the next beat tick
    assert wait_for(lambda: len(inbox.messages) == 1, seconds=60), worker_log().read_text()
    reminders.sweep(now=timezone.now())  # and another: nothing more goes out
    time.sleep(3)
    assert len(inbox.messages) == 1
    assert "alice@example.invalid" in inbox.messages[0].decode("utf-8", "replace")
    assert DigestDelivery.objects.get(user=alice).status == "sent"
    assert Notification.objects.filter(kind="stage_change", user=alice, digest__isnull=True).count() == 0
    assert StageTransition.objects.filter(candidate=candidate).count() == 12  # S0→…→S12, none lost


# --- PostgreSQL restarted during a burst of requests -------------------------------------------


def test_postgresql_restarted_during_a_burst_reconnects_and_leaves_no_half_written_step(tree, alice) -> None:  # type: ignore[no-untyped-def]
    command = real_services.pg_ctl_command()
    if command is None:
        pytest.skip("needs the PostgreSQL cluster of scripts/test (TEST_WORKDIR/pg and pg_ctl)")
    candidates = [
        services.candidate_create(acting_user=alice, person=make_person(tree.branch_a, f"Lê Văn Khởi {chr(65 + i)}"))
        for i in range(30)
    ]
    web = real_services.WsgiClient(User.objects.get(pk=alice.pk))
    board = reverse("admission_board", args=[tree.branch_a.pk])
    assert web.request("GET", board) == 200
    today = timezone.localdate().strftime("%d/%m/%Y")
    restarted = threading.Event()
    failures: list[BaseException] = []

    def restart() -> None:
        try:
            time.sleep(0.3)
            real_services.pg_restart(command)
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            failures.append(error)
        finally:
            restarted.set()

    thread = threading.Thread(target=restart)
    thread.start()
    statuses: list[tuple[int, int]] = []
    waiting = list(candidates)
    reads: list[int] = []
    after_restart = 0
    deadline = time.monotonic() + 60
    while after_restart < 5 and time.monotonic() < deadline:
        if waiting:  # a write per candidate, interleaved with reads of the board
            candidate = waiting.pop(0)
            step = reverse("candidate_step", args=[candidate.pk, "add_to_list"])
            statuses.append((candidate.pk, web.request("POST", step, {"on_date": today, "note": "burst"})))
        reads.append(web.request("GET", board))
        after_restart += restarted.is_set()
        time.sleep(0.02)
    thread.join(timeout=90)
    assert not failures, failures
    assert restarted.is_set()
    codes = [code for _pk, code in statuses]
    assert all(code in {302, 500} for code in codes), codes
    assert set(reads) <= {200, 500}, reads
    assert 500 in codes + reads, "the burst never met the outage"
    # After the restart the next requests succeed: Django opened a new connection.
    assert web.request("GET", board) == 200
    # No half-applied step: stage, sympathiser date and StageTransition rows agree (compare-and-swap).
    for candidate in candidates:
        row = Candidate.objects.get(pk=candidate.pk)
        moves = list(StageTransition.objects.filter(candidate=candidate).values_list("from_stage", "to_stage"))
        if row.stage == "S1":
            assert moves == [("S0", "S1")] and row.sympathiser_date is not None
        else:
            assert row.stage == "S0" and moves == [] and row.sympathiser_date is None
    # Those refused during the outage go through now, once.
    for candidate in candidates:
        if Candidate.objects.get(pk=candidate.pk).stage == "S0":
            step = reverse("candidate_step", args=[candidate.pk, "add_to_list"])
            assert web.request("POST", step, {"on_date": today, "note": "again"}) == 302
    assert set(Candidate.objects.filter(pk__in=[c.pk for c in candidates]).values_list("stage", flat=True)) == {"S1"}
    assert StageTransition.objects.filter(candidate__in=candidates, to_stage="S1").count() == len(candidates)
