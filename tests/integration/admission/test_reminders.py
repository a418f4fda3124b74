"""Reminders: idempotent sweep, digests sent at most once, no backfill blast, privacy."""

import datetime as dt
import smtplib
from unittest import mock

import pytest
from django.core import mail

from admission import reminders, services
from admission.devdata.demo import at, walk_to
from admission.models import Candidate, DigestDelivery, Notification
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db
START = dt.date(2025, 1, 6)
# Reference path: decision received Thu 18/09/2025, so the ceremony deadline (30 WD, QĐ294 4.1)
# is Thu 30/10/2025; deadline reminders 7 and 1 days before and on the day: 23/10, 29/10, 30/10.
CEREMONY_DEADLINE = dt.date(2025, 10, 30)


@pytest.fixture
def waiting_for_ceremony(tree, alice, carol, introducers):  # type: ignore[no-untyped-def]
    for user in (alice, carol):
        user.email = f"{user.username}@example.invalid"
        user.save()
    person = PersonFactory(organisation=tree.branch_a, full_name="Hoàng Thị Lễ")
    candidate = services.candidate_create(acting_user=alice, person=person, now=at(START))
    return walk_to(candidate, "S11", user=alice, introducers=introducers, start=START)


def test_it_schedules_the_first_reminder_7_days_before_the_deadline(waiting_for_ceremony) -> None:  # type: ignore[no-untyped-def]
    candidate = Candidate.objects.get(pk=waiting_for_ceremony.pk)
    assert candidate.next_due_on == CEREMONY_DEADLINE
    assert candidate.next_reminder_at == at(dt.date(2025, 10, 23)).replace(hour=7)
    assert candidate.reminder_sequence == 0


def test_it_writes_one_notification_per_recipient_however_often_the_sweep_runs(waiting_for_ceremony, alice) -> None:  # type: ignore[no-untyped-def]
    now = at(dt.date(2025, 10, 23))
    assert reminders.reminders_dispatch_due(now=now) >= 1
    reminders.reminders_dispatch_due(now=now)  # a second, overlapping sweep
    notes = Notification.objects.filter(candidate=waiting_for_ceremony, user=alice, kind="deadline")
    assert notes.count() == 1
    assert "30/10/2025" in notes.get().text_vi
    candidate = Candidate.objects.get(pk=waiting_for_ceremony.pk)
    assert (candidate.reminder_sequence, candidate.next_reminder_at) == (1, at(dt.date(2025, 10, 29)).replace(hour=7))


def test_it_escalates_to_committee_staff_once_overdue(waiting_for_ceremony, alice, carol) -> None:  # type: ignore[no-untyped-def]
    for day in (dt.date(2025, 10, 23), dt.date(2025, 10, 29), dt.date(2025, 10, 30)):
        reminders.reminders_dispatch_due(now=at(day))
    # Before the deadline the branch only (carol heard earlier that the dossier reached her committee).
    assert not Notification.objects.filter(user=carol, kind=Notification.Kind.DEADLINE).exists()
    reminders.reminders_dispatch_due(now=at(dt.date(2025, 11, 6)))  # 7 days after: overdue, escalated
    overdue = Notification.objects.get(user=carol, candidate=waiting_for_ceremony, kind=Notification.Kind.DEADLINE)
    assert overdue.overdue and overdue.text_vi.startswith("QUÁ HẠN")


def test_it_never_blasts_old_dates_after_an_import_or_a_late_recording(waiting_for_ceremony, alice) -> None:  # type: ignore[no-untyped-def]
    # Recomputed a year later (e.g. data imported): the 7/1/0-day reminders are long past.
    later = at(dt.date(2026, 11, 20))
    services.refresh_due(Candidate.objects.get(pk=waiting_for_ceremony.pk), now=later)
    candidate = Candidate.objects.get(pk=waiting_for_ceremony.pk)
    assert candidate.next_reminder_at >= later  # type: ignore[operator]
    reminders.reminders_dispatch_due(now=later + dt.timedelta(days=7))
    assert Notification.objects.filter(user=alice, candidate=candidate, kind="deadline").count() == 1  # one, not 50


def test_the_sweep_issues_the_same_queries_for_1_and_for_25_due(tree, alice, django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    def make(n: int) -> None:
        for _i in range(n):
            c = services.candidate_create(
                acting_user=alice, person=PersonFactory(organisation=tree.branch_a), now=at(START)
            )
            Candidate.objects.filter(pk=c.pk).update(next_reminder_at=at(START), reminder_sequence=0)

    def sweep_queries(n: int) -> int:
        make(n)
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            reminders.reminders_dispatch_due(now=at(START))
        return len(ctx.captured_queries)

    reminders.reminders_dispatch_due(now=at(START))  # first sweep: gives the branches their review reminders
    # S0 candidates have no plan: the batch is read, cleared and written back in constant queries.
    assert sweep_queries(1) == sweep_queries(25)


def _digest_for(user, now):  # type: ignore[no-untyped-def]
    reminders.digests_dispatch_due(now=now)
    return DigestDelivery.objects.get(user=user, day=now.date())


def test_a_digest_is_created_only_for_whoever_has_something_to_read(waiting_for_ceremony, alice, carol, bob) -> None:  # type: ignore[no-untyped-def]
    """Not for a user who has no notification at all (the digest's waiting users were once an outer
    join, which let every account without notifications through), nor for one whose items are read."""
    now = at(dt.date(2025, 10, 23))
    reminders.reminders_dispatch_due(now=now)
    bob.email, bob.digest_hour = "bob@example.invalid", 0
    bob.save()
    assert not Notification.objects.filter(user=bob).exists()
    Notification.objects.filter(user=carol).update(read_at=now)
    assert Notification.objects.filter(user=alice, read_at__isnull=True).exists()
    assert reminders.digests_dispatch_due(now=now) == 1
    assert list(DigestDelivery.objects.values_list("user__username", flat=True)) == ["alice"]


def test_it_sends_one_digest_per_user_and_day_and_never_twice(
    waiting_for_ceremony, alice, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    now = at(dt.date(2025, 10, 23))
    reminders.reminders_dispatch_due(now=now)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        reminders.digests_dispatch_due(now=now)
        reminders.digests_dispatch_due(now=now)
    assert len(callbacks) == 2  # each sweep enqueues the pending deliveries after commit
    assert DigestDelivery.objects.filter(user=alice, day=now.date()).count() == 1
    delivery = DigestDelivery.objects.get(user=alice)
    assert reminders.digest_send(delivery_id=delivery.pk, now=now) == "sent"
    assert reminders.digest_send(delivery_id=delivery.pk, now=now) == "not-claimed"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert "Hoàng Thị Lễ" in message.body and "30/10/2025" in message.body
    html = message.alternatives[0][0]
    assert "Hoàng Thị Lễ" in html and f"/admission/candidates/{waiting_for_ceremony.pk}/" in html


def test_it_skips_a_digest_whose_item_changed_stage_between_sweep_and_send(waiting_for_ceremony, alice) -> None:  # type: ignore[no-untyped-def]
    now = at(dt.date(2025, 10, 23))
    reminders.reminders_dispatch_due(now=now)
    Notification.objects.filter(kind="stage_change").update(read_at=now)  # only the deadline reminder is left
    delivery = _digest_for(alice, now)
    services.candidate_step(
        acting_user=alice,
        candidate=waiting_for_ceremony,
        step_key="ceremony",
        data=services.StepInput(on_date=now.date()),
        now=now,
    )
    assert reminders.digest_send(delivery_id=delivery.pk, now=now) == "skipped"
    assert mail.outbox == []


def test_it_puts_overdue_items_first_and_groups_the_rest_by_branch(waiting_for_ceremony, alice, tree) -> None:  # type: ignore[no-untyped-def]
    now = at(dt.date(2025, 11, 6))
    Notification.objects.create(
        user=alice,
        key="x:1",
        kind="deadline",
        organisation=tree.branch_a,
        text_vi="Sắp đến hạn việc khác",
        text_en="Other",
        created_at=now,
        due_on=dt.date(2025, 11, 20),
    )
    reminders.reminders_dispatch_due(now=now)  # the ceremony deadline has passed: overdue
    delivery = _digest_for(alice, now)
    reminders.digest_send(delivery_id=delivery.pk, now=now)
    body = mail.outbox[0].body
    assert (
        body.index("QUÁ HẠN")
        < body.index("Hoàng Thị Lễ")
        < body.index("Chi bộ A")
        < body.index("Sắp đến hạn việc khác")
    )


def test_a_user_of_another_branch_never_receives_its_names(waiting_for_ceremony, bob) -> None:  # type: ignore[no-untyped-def]
    bob.email = "bob@example.invalid"
    bob.save()
    now = at(dt.date(2025, 11, 6))
    reminders.reminders_dispatch_due(now=now)
    assert not Notification.objects.filter(user=bob).exists()
    # Even a notification written while bob still had access is dropped once his scope lost it.
    Notification.objects.create(
        user=bob,
        key="leak:1",
        kind="deadline",
        organisation=waiting_for_ceremony.organisation,
        candidate=waiting_for_ceremony,
        transition_id=waiting_for_ceremony.stage_transition_id,
        text_vi="Hoàng Thị Lễ",
        text_en="Hoàng Thị Lễ",
        created_at=now,
    )
    delivery = _digest_for(bob, now)
    assert reminders.digest_send(delivery_id=delivery.pk, now=now) == "skipped"
    assert all("Hoàng Thị Lễ" not in m.body for m in mail.outbox)


def test_a_refused_send_is_retried_and_an_unknown_outcome_is_never_resent(waiting_for_ceremony, alice) -> None:  # type: ignore[no-untyped-def]
    now = at(dt.date(2025, 10, 23))
    reminders.reminders_dispatch_due(now=now)
    delivery = _digest_for(alice, now)
    refused = smtplib.SMTPRecipientsRefused({"alice@example.invalid": (550, b"no such user")})
    with (
        mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=refused),
        pytest.raises(reminders.TransientSendError),
    ):
        reminders.digest_send(delivery_id=delivery.pk, now=now)
    assert DigestDelivery.objects.get(pk=delivery.pk).status == "pending"
    with mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=smtplib.SMTPServerDisconnected("lost")):
        assert reminders.digest_send(delivery_id=delivery.pk, now=now) == "unknown"
    assert reminders.digest_send(delivery_id=delivery.pk, now=now) == "not-claimed"
    assert mail.outbox == []


def test_a_send_left_half_done_by_a_dead_worker_is_flagged_not_resent(waiting_for_ceremony, alice) -> None:  # type: ignore[no-untyped-def]
    now = at(dt.date(2025, 10, 23))
    reminders.reminders_dispatch_due(now=now)
    delivery = _digest_for(alice, now)
    DigestDelivery.objects.filter(pk=delivery.pk).update(status="sending", claimed_at=now)  # the worker died here
    assert reminders.digest_send(delivery_id=delivery.pk, now=now) == "not-claimed"  # the redelivered task
    assert reminders.stale_sends_flag(now=now + dt.timedelta(minutes=20)) == 1
    assert DigestDelivery.objects.get(pk=delivery.pk).status == "unknown"
    assert mail.outbox == []


def test_returns_and_decisions_notify_the_secretary_at_once(waiting_for_ceremony, alice) -> None:  # type: ignore[no-untyped-def]
    notes = Notification.objects.filter(user=alice, kind="stage_change").order_by("created_at")
    # S8 -> S9 (moved up), S9 -> S10 (moved up), S10 -> S11 (decision) on the reference path
    assert [n.transition.to_stage for n in notes] == ["S9", "S10", "S11"]


def test_an_organisations_lead_times_apply_to_the_branches_below_it(tree, alice, introducers) -> None:  # type: ignore[no-untyped-def]
    from admission.models import ReminderSettings

    ReminderSettings.objects.create(organisation=tree.committee, deadline_days_before="14,0", repeat_after_days=3)
    person = PersonFactory(organisation=tree.branch_a, full_name="Lý Văn Hẹn")
    candidate = walk_to(
        services.candidate_create(acting_user=alice, person=person, now=at(START)),
        "S11",
        user=alice,
        introducers=introducers,
        start=START,
    )
    # Ceremony deadline 30/10/2025 - 14 days = 16/10/2025 (the committee's setting, not the 7-day default).
    assert Candidate.objects.get(pk=candidate.pk).next_reminder_at == at(dt.date(2025, 10, 16)).replace(hour=7)
