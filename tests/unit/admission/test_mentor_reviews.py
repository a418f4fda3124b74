"""The optional periodic helper comment (rules §0, §8): periods, reminder days and what is owed."""

import datetime as dt

import pytest

from admission.domain.mentor_reviews import Cadence, reminder_sequence, review_owed, review_period


def test_the_cadence_is_off_by_default() -> None:
    assert review_period(Cadence.OFF, dt.date(2025, 5, 5)) is None
    assert review_period("weekly", dt.date(2025, 5, 5)) is None


@pytest.mark.parametrize(
    ("cadence", "day", "start", "end", "key", "label"),
    [
        ("monthly", dt.date(2025, 2, 14), dt.date(2025, 2, 1), dt.date(2025, 2, 28), "2025-02", "tháng 2/2025"),
        ("monthly", dt.date(2024, 2, 29), dt.date(2024, 2, 1), dt.date(2024, 2, 29), "2024-02", "tháng 2/2024"),
        ("monthly", dt.date(2025, 12, 31), dt.date(2025, 12, 1), dt.date(2025, 12, 31), "2025-12", "tháng 12/2025"),
        ("quarterly", dt.date(2025, 1, 1), dt.date(2025, 1, 1), dt.date(2025, 3, 31), "2025-Q1", "quý 1/2025"),
        ("quarterly", dt.date(2025, 8, 20), dt.date(2025, 7, 1), dt.date(2025, 9, 30), "2025-Q3", "quý 3/2025"),
        ("quarterly", dt.date(2025, 12, 31), dt.date(2025, 10, 1), dt.date(2025, 12, 31), "2025-Q4", "quý 4/2025"),
    ],
)
def test_the_period_containing_a_day(cadence, day, start, end, key, label) -> None:  # type: ignore[no-untyped-def]
    period = review_period(cadence, day)
    assert period is not None
    assert (period.start, period.end, period.key, period.label_vi) == (start, end, key, label)
    assert period.contains(day) and not period.contains(end + dt.timedelta(days=1))
    assert period.label_en


def test_reminders_on_the_first_day_and_a_week_before_the_end() -> None:
    period = review_period("quarterly", dt.date(2025, 8, 1))
    assert period is not None
    assert period.reminder_days() == (dt.date(2025, 7, 1), dt.date(2025, 9, 23))
    assert reminder_sequence(period, dt.date(2025, 6, 30)) is None
    assert reminder_sequence(period, dt.date(2025, 7, 1)) == 0
    assert reminder_sequence(period, dt.date(2025, 9, 22)) == 0
    assert reminder_sequence(period, dt.date(2025, 9, 23)) == 1
    assert reminder_sequence(period, dt.date(2025, 9, 30)) == 1
    assert reminder_sequence(period, dt.date(2025, 10, 1)) is None


def test_a_short_month_still_has_its_first_reminder() -> None:
    period = review_period("monthly", dt.date(2025, 2, 3))
    assert period is not None
    assert period.reminder_days() == (dt.date(2025, 2, 1), dt.date(2025, 2, 21))


def test_owed_unless_signed_within_the_period_and_only_once_admitted() -> None:
    period = review_period("monthly", dt.date(2025, 11, 10))
    assert period is not None
    ceremony = dt.date(2025, 10, 3)
    assert review_owed(period, ceremony=ceremony, signed_on=[])
    assert review_owed(period, ceremony=ceremony, signed_on=[dt.date(2025, 10, 31)])  # the previous month's
    assert not review_owed(period, ceremony=ceremony, signed_on=[dt.date(2025, 11, 1)])
    assert not review_owed(period, ceremony=None, signed_on=[])
    assert not review_owed(period, ceremony=dt.date(2025, 12, 1), signed_on=[])
    assert review_owed(period, ceremony=dt.date(2025, 11, 30), signed_on=[])
