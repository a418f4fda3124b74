"""End to end with real parts: a Celery worker process, redis-server and an SMTP server (aiosmtpd).

From a due probation reminder to an e-mail received; sending twice delivers once; Redis
restarted between the sweep and the send delivers once when it is back.
Needs the redis-server started by scripts/test (REDIS_URL, REDIS_PORT, REDIS_SERVER_BIN).
"""

import datetime as dt
import time

import pytest

from admission import reminders, services
from admission.devdata.demo import at, walk_to
from admission.models import Candidate, DigestDelivery
from admission.tasks import digest_send as digest_send_task
from tests import real_services
from tests.factories import PersonFactory
from tests.real_services import wait_for, worker_log

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]
smtp_inbox = real_services.smtp_inbox  # fixtures: a real SMTP server and Celery worker
worker = real_services.worker


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
    assert reminders.digests_dispatch_due(now=now) == 1  # enqueues on commit, through Redis
    delivery = DigestDelivery.objects.get()
    assert wait_for(lambda: len(inbox.messages) == 1, seconds=45), worker_log().read_text()
    text = inbox.messages[0].decode("utf-8", "replace")
    assert "alice@example.invalid" in text
    assert DigestDelivery.objects.get(pk=delivery.pk).status == "sent"
    # Sending the same delivery again (a duplicate task) delivers nothing more.
    digest_send_task.delay(delivery.pk)
    reminders.digests_dispatch_due(now=now)
    time.sleep(3)
    assert len(inbox.messages) == 1


def test_redis_restarted_between_sweep_and_send_delivers_once_when_back(
    tree, alice, introducers, worker, smtp_inbox
) -> None:  # type: ignore[no-untyped-def]
    inbox, _port = smtp_inbox
    _probation_due(tree, alice, introducers)
    from django.utils import timezone

    real_services.redis_stop()
    now = timezone.now()
    reminders.reminders_dispatch_due(now=now)
    assert reminders.digests_dispatch_due(now=now) == 1  # the enqueue fails: logged, the row stays pending
    delivery = DigestDelivery.objects.get()
    assert delivery.status == "pending"
    real_services.redis_start()
    reminders.digests_dispatch_due(now=timezone.now())  # the next beat tick re-enqueues pending rows
    assert wait_for(lambda: len(inbox.messages) == 1, seconds=60)
    time.sleep(3)
    assert len(inbox.messages) == 1
    assert DigestDelivery.objects.get(pk=delivery.pk).status == "sent"
