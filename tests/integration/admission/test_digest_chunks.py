"""Digest sends are published in chunks (digests_send): one message per DIGESTS_PER_TASK
deliveries, each delivery still sent at most once, a refused one retried on its own. The day's
pending deliveries are read by keyset, ENQUEUE_CHUNK ids at a time (flat memory)."""

import datetime as dt
import smtplib
from unittest import mock

import pytest
from django.core import mail

from admission import services
from admission.devdata.demo import at, walk_to
from admission.models import DigestDelivery
from admission.reminders import digests
from admission.reminders import dispatch as reminders
from tests.factories import PersonFactory, UserFactory

pytestmark = pytest.mark.django_db
START = dt.date(2025, 1, 6)
NOW = at(dt.date(2025, 10, 23))  # a deadline reminder of the S11 candidate falls due (test_reminders.py)


@pytest.fixture
def two_deliveries(tree, alice, carol, introducers):  # type: ignore[no-untyped-def]
    for user in (alice, carol):
        user.email = f"{user.username}@example.invalid"
        user.save()
    person = PersonFactory(organisation=tree.branch_a, full_name="Hoàng Thị Lễ")
    candidate = services.candidate_create(acting_user=alice, person=person, now=at(START))
    walk_to(candidate, "S11", user=alice, introducers=introducers, start=START)
    reminders.reminders_dispatch_due(now=NOW)
    digests.digests_dispatch_due(now=NOW)
    return list(DigestDelivery.objects.order_by("pk"))


def test_the_sends_are_published_one_message_per_chunk(two_deliveries, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    ids = [d.pk for d in two_deliveries] * 3  # (the same ids again: only the chunking is looked at)
    sent: list[tuple[str, list[int]]] = []
    monkeypatch.setattr(digests, "DIGESTS_PER_TASK", 4)
    reprs: list[str] = []

    def send_task(name, args, producer=None, argsrepr=None):  # type: ignore[no-untyped-def]
        sent.append((name, args[0]))
        reprs.append(argsrepr)

    monkeypatch.setattr(digests.current_app, "send_task", send_task)
    digests._enqueue(ids)
    assert [name for name, _chunk in sent] == [digests.DIGESTS_SEND_TASK] * 2
    assert [chunk for _name, chunk in sent] == [ids[:4], ids[4:]]
    assert reprs == ["(4 deliveries,)", "(2 deliveries,)"]  # a count, not every id


def test_the_pending_deliveries_of_the_day_are_enqueued_by_keyset_each_once(db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    day = dt.date(2025, 10, 23)
    created = at(day)
    pending = [DigestDelivery.objects.create(user=UserFactory(), day=day, created_at=created).pk for _ in range(7)]
    for status in ("sent", "sending", "failed"):  # not pending: never enqueued again
        DigestDelivery.objects.create(user=UserFactory(), day=day, created_at=created, status=status)
    DigestDelivery.objects.create(user=UserFactory(), day=day - dt.timedelta(days=1), created_at=created)  # another day
    monkeypatch.setattr(digests, "ENQUEUE_CHUNK", 3)
    chunks: list[list[int]] = []
    monkeypatch.setattr(digests, "_enqueue", chunks.append)
    digests._enqueue_pending(day)
    assert chunks == [pending[0:3], pending[3:6], pending[6:7]]  # id order, at most ENQUEUE_CHUNK ids held


def test_the_keyset_walk_stops_at_a_broker_error_and_the_next_beat_enqueues_the_rest(db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    day = dt.date(2025, 10, 23)
    pending = [DigestDelivery.objects.create(user=UserFactory(), day=day, created_at=at(day)).pk for _ in range(5)]
    monkeypatch.setattr(digests, "ENQUEUE_CHUNK", 2)
    chunks: list[list[int]] = []

    def broker_down_after_first(ids: list[int]) -> None:
        if chunks:
            raise ConnectionError("broker down")
        chunks.append(ids)

    monkeypatch.setattr(digests, "_enqueue", broker_down_after_first)
    with pytest.raises(ConnectionError):
        digests._enqueue_pending(day)
    assert chunks == [pending[:2]]
    monkeypatch.setattr(digests, "_enqueue", chunks.append)
    digests._enqueue_pending(day)  # the next beat: every pending delivery again (the send claims first)
    assert chunks[1:] == [pending[:2], pending[2:4], pending[4:]]


def test_a_chunk_sends_each_once_and_retries_a_refused_one_on_its_own(two_deliveries, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    assert len(two_deliveries) >= 1
    first = two_deliveries[0]
    retried: list[tuple[str, tuple[int, ...], int]] = []
    monkeypatch.setattr(
        digests.current_app,
        "send_task",
        lambda name, args, countdown=None: retried.append((name, args, countdown)),
    )
    refused = smtplib.SMTPRecipientsRefused({first.user.email: (550, b"mailbox busy")})
    with mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=refused):
        outcome = digests.digests_send(delivery_ids=[first.pk])
    assert outcome == {"retry": 1}
    assert retried == [(digests.DIGEST_SEND_TASK, (first.pk,), 60)]
    assert DigestDelivery.objects.get(pk=first.pk).status == "pending"

    ids = [d.pk for d in two_deliveries]
    assert digests.digests_send(delivery_ids=ids) == {"sent": len(ids)}
    assert digests.digests_send(delivery_ids=ids) == {"not-claimed": len(ids)}  # a redelivered chunk
    assert len(mail.outbox) == len(ids)
    assert set(DigestDelivery.objects.values_list("status", flat=True)) == {"sent"}
