"""End to end with real parts: a Celery worker process, redis-server and an SMTP server (aiosmtpd).

From a due probation reminder to an e-mail received; sending twice delivers once; Redis
restarted between the sweep and the send delivers once when it is back.
Needs the redis-server started by scripts/test (REDIS_URL, REDIS_PORT, REDIS_SERVER_BIN).
"""

import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.db import connection

from admission import reminders, services
from admission.demo import at, walk_to
from admission.models import Candidate, DigestDelivery
from admission.tasks import digest_send as digest_send_task
from tests.factories import PersonFactory

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]
REPO = Path(__file__).resolve().parents[3]


class Inbox:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]  # noqa: N802
        self.messages.append(envelope.content)
        return "250 OK"


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp_inbox():  # type: ignore[no-untyped-def]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield inbox, controller.port
    controller.stop()


@pytest.fixture
def worker(smtp_inbox):  # type: ignore[no-untyped-def]
    if not os.environ.get("REDIS_URL"):
        pytest.skip("needs the redis-server started by scripts/test")
    _inbox, port = smtp_inbox
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",  # the test database
        "CELERY_BROKER_URL": os.environ["REDIS_URL"],
        "TRACKER_TEST_REAL_SMTP": "1",
        "EMAIL_URL": f"smtp://127.0.0.1:{port}",
    }
    log = open(Path(os.environ.get("TEST_WORKDIR", "/tmp")) / "worker.log", "w+")  # noqa: SIM115
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel=INFO",
        ],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while "ready." not in Path(log.name).read_text():
        assert process.poll() is None, Path(log.name).read_text()
        assert time.monotonic() < deadline, "worker did not start"
        time.sleep(0.3)
    yield process
    process.terminate()
    process.wait(timeout=20)
    log.close()


def _wait_for(condition, seconds: float = 45.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.3)
    return False


def _probation_due(tree, alice, introducers):  # type: ignore[no-untyped-def]
    """A probationer whose end-of-probation reminder is due now (real clock: the worker's)."""
    alice.email, alice.digest_hour = "alice@example.invalid", 0
    alice.save()
    # Ceremony on START + 270 days; pick START so that probation ends 20 days from today:
    # the 30-day reminder is due now.
    from django.utils import timezone

    today = timezone.localdate()
    start = today + dt.timedelta(days=20) - dt.timedelta(days=365) - dt.timedelta(days=270)
    person = PersonFactory(organisation=tree.branch_a, full_name="Vũ Thị Dự Bị")
    candidate = walk_to(
        services.candidate_create(acting_user=alice, person=person, now=at(start)),
        "S13",
        user=alice,
        introducers=introducers,
        start=start,
    )
    return Candidate.objects.get(pk=candidate.pk)


def test_a_due_probation_reaches_the_inbox_once_through_the_real_worker(
    tree, alice, introducers, worker, smtp_inbox
) -> None:  # type: ignore[no-untyped-def]
    inbox, _port = smtp_inbox
    candidate = _probation_due(tree, alice, introducers)
    assert candidate.next_reminder_at is not None
    from django.utils import timezone

    now = timezone.now()
    reminders.reminders_dispatch_due(now=now)
    pending = reminders.digests_dispatch_due(now=now)  # enqueues on commit, through Redis
    assert len(pending) == 1
    assert _wait_for(lambda: len(inbox.messages) == 1), Path(
        os.environ.get("TEST_WORKDIR", "/tmp"), "worker.log"
    ).read_text()
    text = inbox.messages[0].decode("utf-8", "replace")
    assert "alice@example.invalid" in text
    assert DigestDelivery.objects.get(pk=pending[0]).status == "sent"
    # Sending the same delivery again (a duplicate task) delivers nothing more.
    digest_send_task.delay(pending[0])
    reminders.digests_dispatch_due(now=now)
    time.sleep(3)
    assert len(inbox.messages) == 1


def test_redis_restarted_between_sweep_and_send_delivers_once_when_back(
    tree, alice, introducers, worker, smtp_inbox
) -> None:  # type: ignore[no-untyped-def]
    inbox, _port = smtp_inbox
    _probation_due(tree, alice, introducers)
    from django.utils import timezone

    port = os.environ["REDIS_PORT"]
    subprocess.run(["redis-cli", "-p", port, "shutdown", "nosave"], check=False, capture_output=True)
    now = timezone.now()
    reminders.reminders_dispatch_due(now=now)
    pending = reminders.digests_dispatch_due(now=now)  # the enqueue fails: logged, the row stays pending
    assert DigestDelivery.objects.get(pk=pending[0]).status == "pending"
    subprocess.run(
        [
            os.environ["REDIS_SERVER_BIN"],
            "--bind",
            "127.0.0.1",
            "--port",
            port,
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "yes",
            "--dir",
            os.environ.get("TEST_WORKDIR", "/tmp"),
        ],
        check=True,
    )
    time.sleep(1)
    reminders.digests_dispatch_due(now=timezone.now())  # the next beat tick re-enqueues pending rows
    assert _wait_for(lambda: len(inbox.messages) == 1, seconds=60)
    time.sleep(3)
    assert len(inbox.messages) == 1
    assert DigestDelivery.objects.get(pk=pending[0]).status == "sent"
