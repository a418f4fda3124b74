from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from admission.domain.periods import add_months, months_between_ignoring_day


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),  # February 2026 has 28 days
        (date(2028, 1, 31), 1, date(2028, 2, 29)),  # 2028 is a leap year
        (date(2028, 2, 29), 12, date(2029, 2, 28)),
        (date(2026, 3, 31), 1, date(2026, 4, 30)),
        (date(2026, 3, 15), 12, date(2027, 3, 15)),
        (date(2025, 12, 31), 2, date(2026, 2, 28)),  # across the year end
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
        (date(2026, 3, 31), -1, date(2026, 2, 28)),  # backwards too
        (date(2021, 7, 30), 60, date(2026, 7, 30)),
        (date(2026, 5, 5), 0, date(2026, 5, 5)),
    ],
)
def test_it_adds_calendar_months_clamped_to_the_month_end(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (date(2008, 5, 31), date(2026, 5, 1), 216),
        (date(2008, 5, 1), date(2026, 4, 30), 215),
        (date(2026, 5, 1), date(2025, 5, 31), -12),
    ],
)
def test_it_counts_months_ignoring_the_day(start: date, end: date, expected: int) -> None:
    assert months_between_ignoring_day(start, end) == expected


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)), st.integers(min_value=-600, max_value=600))
def test_it_never_raises_and_never_overshoots_the_day(day: date, months: int) -> None:
    result = add_months(day, months)
    assert result.day <= day.day
    assert months_between_ignoring_day(day, result) == months
