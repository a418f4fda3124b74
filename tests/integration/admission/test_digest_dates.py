"""Digests and the calendar feed read right: each digest item is dated and marked new or still
open, nothing raised before the previous digest is presented as new; calendar events are named
after the legal date they stand for and link to the candidate.

Clocks are frozen on fixed days (the digest's sending time is read from the clock)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse
from icalendar import Calendar

from admission import reminders, services
from admission.devdata.demo import at, walk_to
from admission.models import DigestDelivery, Notification
from members.models import User
from tests.conftest import Tree
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
START = dt.date(2025, 1, 6)


def _notify(user: User, tree: Tree, key: str, text: str, raised: dt.date, due: dt.date | None = None) -> Notification:
    return Notification.objects.create(
        user=user,
        key=key,
        kind="deadline",
        organisation=tree.branch_a,
        text_vi=text,
        text_en=text,
        created_at=at(raised),
        due_on=due,
    )


def _send_digest(user: User, day: dt.date) -> str:
    now = dt.datetime.combine(day, dt.time(18, 0), tzinfo=TZ)
    with time_machine.travel(now, tick=False):
        delivery = DigestDelivery.objects.create(user=user, day=day, created_at=now)
        assert reminders.digest_send(delivery_id=delivery.pk, now=now) == "sent"
    return str(mail.outbox[-1].body)


def _line(body: str, text: str) -> str:
    return next(line for line in body.splitlines() if text in line)


def test_the_first_digest_marks_only_the_last_days_items_new_and_dates_every_item(tree, alice) -> None:  # type: ignore[no-untyped-def]
    alice.email = "alice@example.invalid"
    alice.save()
    _notify(alice, tree, "old", "Việc cũ từ tháng Tám", dt.date(2025, 8, 4), due=dt.date(2025, 9, 1))
    _notify(alice, tree, "fresh", "Việc mới hôm nay", dt.date(2025, 11, 6), due=dt.date(2025, 11, 20))

    body = _send_digest(alice, dt.date(2025, 11, 6))

    assert _line(body, "Việc cũ từ tháng Tám").startswith("- [VẪN CÒN]")
    assert _line(body, "Việc mới hôm nay").startswith("- [MỚI]")
    assert "Thông báo ngày 04/08/2025 · hạn 01/09/2025" in body
    assert "Thông báo ngày 06/11/2025 · hạn 20/11/2025" in body
    html = mail.outbox[-1].alternatives[0][0]
    assert "MỚI" in html and "VẪN CÒN" in html and "04/08/2025" in html


def test_an_item_raised_before_the_previous_digest_is_never_new(tree, alice) -> None:  # type: ignore[no-untyped-def]
    alice.email = "alice@example.invalid"
    alice.save()
    _notify(alice, tree, "first", "Việc của thư đầu", dt.date(2025, 11, 3))
    _send_digest(alice, dt.date(2025, 11, 3))
    # Raised before that digest went out, but read-state aside never e-mailed (e.g. an import that
    # backdated it); then one raised after it.
    _notify(alice, tree, "backdated", "Việc ghi lùi ngày", dt.date(2025, 11, 3))
    _notify(alice, tree, "after", "Việc sau thư đầu", dt.date(2025, 11, 4))

    body = _send_digest(alice, dt.date(2025, 11, 5))

    assert "Việc của thư đầu" not in body  # already e-mailed
    assert _line(body, "Việc ghi lùi ngày").startswith("- [VẪN CÒN]")
    assert _line(body, "Việc sau thư đầu").startswith("- [MỚI]")


def test_calendar_events_name_the_legal_date_and_link_to_the_candidate(tree, alice, introducers) -> None:  # type: ignore[no-untyped-def]
    verifying = walk_to(
        services.candidate_create(
            acting_user=alice,
            person=PersonFactory(organisation=tree.branch_a, full_name="Lê Văn Thẩm Tra"),
            now=at(START),
        ),
        "S6",
        user=alice,
        introducers=introducers,
        start=START,
    )
    deciding = walk_to(
        services.candidate_create(
            acting_user=alice,
            person=PersonFactory(organisation=tree.branch_a, full_name="Lê Thị Chờ Quyết"),
            now=at(START),
        ),
        "S10",
        user=alice,
        introducers=introducers,
        start=START,
    )
    token = services.calendar_token_set(acting_user=alice, enable=True)

    with time_machine.travel(at(dt.date(2025, 9, 1)), tick=False):
        feed = Client().get(reverse("calendar_feed", args=[token]))

    events = {str(e.get("summary")): e for e in Calendar.from_ical(feed.content).walk("VEVENT")}
    verification = events["Hồ sơ còn giá trị đến (12 tháng) – Lê Văn Thẩm Tra"]  # not "Hạn: Thẩm tra…"
    decision = events["Hạn ra quyết định kết nạp – Lê Thị Chờ Quyết"]
    assert verification.decoded("dtstart") == verifying.next_due_on
    assert decision.decoded("dtstart") == deciding.next_due_on
    assert str(verification.get("url")).endswith(reverse("candidate_detail", args=[verifying.pk]))
    assert str(decision.get("url")).endswith(reverse("candidate_detail", args=[deciding.pk]))
    assert "Việc tiếp theo: Hoàn thành thẩm tra lý lịch" in str(verification.get("description"))
