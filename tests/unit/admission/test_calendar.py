"""Working-day calendar: hand-worked 2026 tables, overrides and properties.

Calendar facts used below (2026): 01/01 Thu; 01/02 Sun; 01/03 Sun; 01/04 Wed; 01/05 Fri;
01/08 Sat; 01/09 Tue; 01/11 Sun. Days off: Tết Mon 16 - Fri 20/02; Mon 27/04 (Hùng Kings,
compensatory for Sun 26/04); Thu 30/04; Fri 01/05; Mon 31/08 (swapped for Sat 22/08, which is a
make-up working day); Tue 01/09 and Wed 02/09; Tue 24/11 (Vietnamese Culture Day). 2027: Fri 01/01.
"""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from admission.domain.calendar import WorkingCalendar, _package_year, calendar_for_ancestors

CAL = WorkingCalendar()

DATES = st.dates(min_value=date(2021, 1, 1), max_value=date(2032, 12, 31))


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 1, 1),
        *[date(2026, 2, d) for d in range(16, 21)],
        date(2026, 4, 27),
        date(2026, 4, 30),
        date(2026, 5, 1),
        date(2026, 8, 31),
        date(2026, 9, 1),
        date(2026, 9, 2),
        date(2026, 11, 24),
        date(2026, 2, 14),  # an ordinary Saturday
        date(2026, 2, 15),  # an ordinary Sunday
    ],
)
def test_it_knows_the_2026_days_off(day: date) -> None:
    assert not CAL.is_working_day(day)


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 8, 22),  # make-up Saturday, from the package's weekend_workdays
        date(2026, 2, 13),  # Friday before Tết
        date(2026, 2, 23),  # Monday after Tết
        date(2026, 4, 28),
        date(2026, 9, 3),
        date(2026, 11, 23),
        date(2026, 11, 25),
    ],
)
def test_it_knows_the_2026_working_days(day: date) -> None:
    assert CAL.is_working_day(day)


# (trigger, N, expected, how it was counted by hand)
HAND_TABLE = [
    # Across Tết: Feb 9-13 = 5; Feb 16-20 off; Feb 23-27 = 10; then 5 a week:
    # Mar 27 = 30, Apr 3 = 35, Apr 10 = 40, Fri Apr 17 = 45.
    (date(2026, 2, 6), 45, date(2026, 4, 17)),
    (date(2026, 2, 6), 30, date(2026, 3, 27)),
    # Across 27/04, 30/04, 01/05 from Mon 20/04: Apr 21-24 = 4; Apr 27 off; Apr 28-29 = 6;
    # Apr 30 and May 1 off; May 4-8 = 11; ... May 25-29 = 26; Jun 1-4 = 30.
    (date(2026, 4, 20), 30, date(2026, 6, 4)),
    # ... Jun 5 = 31, Jun 8-12 = 36, Jun 15-19 = 41, Jun 22-25 = 45.
    (date(2026, 4, 20), 45, date(2026, 6, 25)),
    # Across the make-up Saturday and 31/08-02/09 from Mon 17/08: Aug 18-21 = 4; Sat Aug 22 = 5;
    # Aug 24-28 = 10; Aug 31-Sep 2 off; Sep 3-4 = 12; Sep 7-25 = 27; Sep 28, 29, 30 = 30.
    (date(2026, 8, 17), 30, date(2026, 9, 30)),
    # ... Oct 1-2 = 32; Oct 5-9 = 37; Oct 12-16 = 42; Oct 19, 20, 21 = 45.
    (date(2026, 8, 17), 45, date(2026, 10, 21)),
    # Across 24/11 from Fri 20/11: Nov 23 = 1; 24 off; Nov 25-27 = 4; Nov 30-Dec 25 = 24;
    # Dec 28-31 = 28; Fri 01/01/2027 off; Jan 4 = 29; Jan 5 = 30.
    (date(2026, 11, 20), 30, date(2027, 1, 5)),
    # Trigger on a Friday and on the Saturday after it give the same day: Mar 9 .. Apr 17 = 30.
    (date(2026, 3, 6), 30, date(2026, 4, 17)),
    (date(2026, 3, 7), 30, date(2026, 4, 17)),
    # Trigger on a holiday (Thu 30/04): May 1 off; May 4-8 = 5; ... Jun 8-12 = 30.
    (date(2026, 4, 30), 30, date(2026, 6, 12)),
    # The make-up Saturday is the first working day after Fri 21/08.
    (date(2026, 8, 21), 1, date(2026, 8, 22)),
    # N = 0 is the trigger itself, even when it is not a working day.
    (date(2026, 2, 16), 0, date(2026, 2, 16)),
]


@pytest.mark.parametrize(("start", "count", "expected"), HAND_TABLE)
def test_it_adds_working_days_by_the_hand_worked_table(start: date, count: int, expected: date) -> None:
    assert CAL.add_working_days(start, count) == expected


@pytest.mark.parametrize(("start", "count", "expected"), HAND_TABLE)
def test_it_counts_back_the_same_working_days(start: date, count: int, expected: date) -> None:
    assert CAL.working_days_between(start, expected) == count
    assert CAL.working_days_between(expected, start) == -count


def test_it_refuses_a_negative_count() -> None:
    with pytest.raises(ValueError, match="count"):
        CAL.add_working_days(date(2026, 1, 5), -1)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 2, 14), date(2026, 2, 23)),  # Sat before Tết -> Mon after Tết
        (date(2026, 8, 22), date(2026, 8, 22)),  # the make-up Saturday is itself a working day
        (date(2026, 8, 29), date(2026, 9, 3)),  # Sat, Sun, Mon 31/08, 01-02/09 -> Thu 03/09
        (date(2026, 11, 24), date(2026, 11, 25)),
        (date(2026, 3, 4), date(2026, 3, 4)),
    ],
)
def test_it_finds_the_next_working_day(day: date, expected: date) -> None:
    assert CAL.next_working_day(day) == expected


def test_it_lets_the_override_table_add_and_remove_days() -> None:
    cal = WorkingCalendar(
        extra_working_days=frozenset({date(2026, 3, 7), date(2026, 4, 30)}),
        extra_days_off=frozenset({date(2026, 3, 2), date(2026, 8, 22)}),
    )
    assert cal.is_working_day(date(2026, 3, 7))  # a Saturday made a working day
    assert cal.is_working_day(date(2026, 4, 30))  # staff can correct a package holiday
    assert not cal.is_working_day(date(2026, 3, 2))  # an extra Monday off
    assert not cal.is_working_day(date(2026, 8, 22))  # a day off beats the package's make-up day
    # Feb 6 + 30 WD was Fri Mar 27: minus Mon Mar 2, plus Sat Mar 7 -> still Mar 27.
    assert cal.add_working_days(date(2026, 2, 6), 30) == date(2026, 3, 27)
    only_off = WorkingCalendar(extra_days_off=frozenset({date(2026, 3, 2)}))
    assert only_off.add_working_days(date(2026, 2, 6), 30) == date(2026, 3, 30)


def test_it_lets_a_day_off_win_over_an_extra_working_day() -> None:
    day = date(2026, 3, 7)
    cal = WorkingCalendar(extra_working_days=frozenset({day}), extra_days_off=frozenset({day}))
    assert not cal.is_working_day(day)


def test_it_is_hashable_and_compares_by_value() -> None:
    a = WorkingCalendar(extra_days_off=frozenset({date(2026, 3, 2)}))
    b = WorkingCalendar(extra_days_off=frozenset({date(2026, 3, 2)}))
    assert a == b
    assert hash(a) == hash(b)
    assert len({a, b, CAL}) == 2


def test_it_builds_each_years_holiday_table_once() -> None:
    _package_year.cache_clear()
    cal = WorkingCalendar()  # a fresh calendar: its own year index is built from the package table
    cal.add_working_days(date(2026, 1, 5), 45)
    cal.working_days_between(date(2026, 1, 5), date(2026, 12, 31))
    info = _package_year.cache_info()
    assert info.misses == 1
    assert info.hits > 300


@given(DATES, st.integers(min_value=0, max_value=120))
def test_it_counts_back_what_it_added(start: date, count: int) -> None:
    end = CAL.add_working_days(start, count)
    assert CAL.working_days_between(start, end) == count


@given(DATES, st.integers(min_value=1, max_value=120))
def test_it_never_lands_on_a_day_off(start: date, count: int) -> None:
    end = CAL.add_working_days(start, count)
    assert end > start
    assert CAL.is_working_day(end)
    assert CAL.add_working_days(start, count - 1) < end


@given(DATES)
def test_it_moves_to_a_working_day_never_backwards(day: date) -> None:
    moved = CAL.next_working_day(day)
    assert moved >= day
    assert CAL.is_working_day(moved)
    assert all(not CAL.is_working_day(day + timedelta(days=i)) for i in range((moved - day).days))


# An organisation tree: province 1 > district 5 > branch 9; district 6 is elsewhere in the tree.
PROVINCE, DISTRICT, BRANCH, OTHER_DISTRICT = 1, 5, 9, 6
BRANCH_PATH = (PROVINCE, DISTRICT, BRANCH)


def test_it_applies_the_national_rows_and_those_of_the_ancestors() -> None:
    rows = [
        (None, date(2026, 3, 2), False),  # a national Monday off
        (PROVINCE, date(2026, 3, 7), True),  # the province's make-up Saturday
        (BRANCH, date(2026, 3, 3), False),  # the branch's own Tuesday off
    ]
    cal = calendar_for_ancestors(rows, BRANCH_PATH)
    assert not cal.is_working_day(date(2026, 3, 2))
    assert cal.is_working_day(date(2026, 3, 7))
    assert not cal.is_working_day(date(2026, 3, 3))
    assert cal == WorkingCalendar(
        extra_working_days=frozenset({date(2026, 3, 7)}),
        extra_days_off=frozenset({date(2026, 3, 2), date(2026, 3, 3)}),
    )


def test_it_ignores_the_overrides_from_elsewhere_in_the_tree() -> None:
    rows = [
        (None, date(2026, 3, 2), False),
        (OTHER_DISTRICT, date(2026, 3, 9), False),  # a Monday off elsewhere
        (OTHER_DISTRICT, date(2026, 3, 14), True),  # a make-up Saturday elsewhere
    ]
    cal = calendar_for_ancestors(rows, BRANCH_PATH)
    assert cal.is_working_day(date(2026, 3, 9))
    assert not cal.is_working_day(date(2026, 3, 14))
    assert cal == WorkingCalendar(extra_days_off=frozenset({date(2026, 3, 2)}))
    # The other district itself sees its own rows.
    other = calendar_for_ancestors(rows, (PROVINCE, OTHER_DISTRICT))
    assert not other.is_working_day(date(2026, 3, 9))
    assert other.is_working_day(date(2026, 3, 14))


def test_it_lets_a_national_day_off_win_over_an_ancestors_make_up_day() -> None:
    day = date(2026, 3, 7)
    cal = calendar_for_ancestors([(None, day, False), (DISTRICT, day, True)], BRANCH_PATH)
    assert not cal.is_working_day(day)


def test_it_gives_the_package_calendar_without_rows_or_ancestors() -> None:
    assert calendar_for_ancestors([], BRANCH_PATH) == CAL
    # A root-less organisation (no ancestors) still gets the national rows only.
    rows = iter([(None, date(2026, 3, 2), False), (PROVINCE, date(2026, 3, 7), True)])
    assert calendar_for_ancestors(rows, ()) == WorkingCalendar(extra_days_off=frozenset({date(2026, 3, 2)}))
