"""The statistics' time limits (admission.reporting.candidates: ``period_end_day`` with the rule set
of each trigger day, memoised per page) are the days of the named deadlines of
``admission.domain.deadlines`` that the candidate page shows, on every day of three years, with
calendar overrides and a province's rule override (no database)."""

from __future__ import annotations

import datetime as dt
import functools

import pytest

from admission.domain import deadlines
from admission.domain.calendar import WorkingCalendar
from admission.domain.rules import RuleBook
from admission.reporting.candidates import _SUPERSEDING_LIMITS, DEADLINE_BY_KEY

CALENDAR = WorkingCalendar(
    extra_working_days=frozenset({dt.date(2025, 8, 30), dt.date(2026, 3, 7)}),
    extra_days_off=frozenset({dt.date(2025, 11, 20), dt.date(2026, 6, 1), dt.date(2026, 1, 2)}),
)
BOOK = RuleBook(
    overrides=(
        (dt.date(2026, 3, 1), "ceremony_wd", 25, "Quy định 12-QĐ/TU 2.1"),
        (dt.date(2026, 5, 1), "recognition_branch_wd", 20, "Quy định 12-QĐ/TU 2.2"),
    )
)
DAYS = [dt.date(2024, 11, 1) + dt.timedelta(days=n) for n in range(3 * 366)]  # QĐ24, QĐ232, QĐ294


def _named(key: str, day: dt.date, extended: bool) -> dt.date:
    rules = BOOK.for_date(day)
    if key == "decision":
        return deadlines.admission_decision_deadline(
            branch_resolution_date=day, calendar=CALENDAR, rules=rules, extended=extended
        ).day
    if key == "ceremony":
        return deadlines.ceremony_deadline(decision_received_date=day, calendar=CALENDAR, rules=rules).day
    if key == "recognition_branch":
        end = deadlines.probation_end(ceremony_date=day, rules=rules).day
        return deadlines.recognition_branch_deadline(
            probation_end_date=end, calendar=CALENDAR, rules=BOOK.for_date(end)
        ).day
    assert key == "recognition_decision"
    return deadlines.recognition_decision_deadline(
        branch_resolution_date=day, calendar=CALENDAR, rules=rules, extended=extended
    ).day


@pytest.mark.parametrize("key", sorted(DEADLINE_BY_KEY))
@pytest.mark.parametrize("extended", [False, True])
def test_each_limit_is_the_named_deadline(key: str, extended: bool) -> None:
    rules = functools.cache(BOOK.for_date)
    compute = DEADLINE_BY_KEY[key].compute
    differing = [day for day in DAYS if compute(day, CALENDAR, rules, extended) != _named(key, day, extended)]
    assert differing == []


def test_the_superseding_limit_is_the_transfer_decision_deadline() -> None:
    rules = functools.cache(BOOK.for_date)
    compute = _SUPERSEDING_LIMITS["transfer_decision_deadline"]
    for day in DAYS:
        named = deadlines.transfer_decision_deadline(received_date=day, calendar=CALENDAR, rules=BOOK.for_date(day))
        assert compute(day, CALENDAR, rules) == named.day


def test_the_overrides_change_some_limits() -> None:
    """The comparison above is not vacuous: the province's overrides move some limits."""
    plain = functools.cache(RuleBook().for_date)
    rules = functools.cache(BOOK.for_date)
    ceremony = DEADLINE_BY_KEY["ceremony"].compute
    day = dt.date(2026, 4, 1)
    assert ceremony(day, CALENDAR, rules, False) < ceremony(day, CALENDAR, plain, False)
