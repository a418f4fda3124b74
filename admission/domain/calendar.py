"""Vietnamese working-day calendar (rules §0 "Working day", §12.5).

Party texts do not define a working day. The project reads it as the public-sector calendar:
Monday-Friday, minus public holidays and swap days off, plus make-up working Saturdays, as
published by the ``holidays`` package (country VN), corrected by an override table that staff
edit (the Django layer builds a :class:`WorkingCalendar` from it).
"""

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

import holidays

_ONE_DAY = timedelta(days=1)


@cache
def _package_year(year: int) -> tuple[frozenset[date], frozenset[date]]:
    """Holidays and make-up working weekend days of one year, built once per process."""
    table = holidays.country_holidays("VN", years=year)
    days_off = frozenset(day for day in table if day.year == year)
    # weekend_workdays is a set shared across the years an instance has loaded: keep ours.
    make_up = frozenset(day for day in table.weekend_workdays if day.year == year)
    return days_off, make_up


@dataclass(frozen=True)
class WorkingCalendar:
    """Working days: package calendar corrected by the staff override table.

    Precedence, strongest first: ``extra_days_off``; ``extra_working_days`` (so staff can
    correct a wrong package holiday); package holidays and swap days off; package make-up
    Saturdays (``weekend_workdays``); Monday-Friday.
    """

    extra_working_days: frozenset[date] = frozenset()
    extra_days_off: frozenset[date] = frozenset()

    def is_working_day(self, day: date) -> bool:
        if day in self.extra_days_off:
            return False
        if day in self.extra_working_days:
            return True
        days_off, make_up = _package_year(day.year)
        if day in days_off:
            return False
        return day.weekday() < 5 or day in make_up

    def add_working_days(self, start: date, count: int) -> date:
        """The ``count``-th working day after ``start``; ``start`` is not counted (BLDS Art. 147)."""
        if count < 0:
            raise ValueError("count must be >= 0")
        day = start
        remaining = count
        while remaining:
            day += _ONE_DAY
            if self.is_working_day(day):
                remaining -= 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days ``d`` with ``start < d <= end``; negative when ``end < start``."""
        if end < start:
            return -self.working_days_between(end, start)
        count = 0
        day = start
        while day < end:
            day += _ONE_DAY
            count += self.is_working_day(day)
        return count

    def next_working_day(self, day: date) -> date:
        """``day`` if it is a working day, else the next one (BLDS Art. 148.5)."""
        while not self.is_working_day(day):
            day += _ONE_DAY
        return day
