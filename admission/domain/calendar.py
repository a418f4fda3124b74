"""Vietnamese working-day calendar (rules §0 "Working day", §12.5).

Party texts do not define a working day. The project reads it as the public-sector calendar:
Monday-Friday, minus public holidays and swap days off, plus make-up working Saturdays, as
published by the ``holidays`` package (country VN), corrected by an override table that staff
edit (the Django layer reads its rows; :func:`calendar_for_ancestors` builds the calendar).
"""

from bisect import bisect_right
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
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
    # year -> sorted ordinals of its working days; filled lazily, not part of the value.
    _years: dict[int, tuple[int, ...]] = field(default_factory=dict, compare=False, hash=False, repr=False)

    def _working_ordinals(self, year: int) -> tuple[int, ...]:
        """The working days of ``year`` as sorted ordinals, so period arithmetic can bisect."""
        found = self._years.get(year)
        if found is None:
            first, last = date(year, 1, 1).toordinal(), date(year, 12, 31).toordinal()
            found = tuple(o for o in range(first, last + 1) if self.is_working_day(date.fromordinal(o)))
            self._years[year] = found
        return found

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
        if count == 0:
            return start
        year = start.year
        days = self._working_ordinals(year)
        index = bisect_right(days, start.toordinal())  # the first working day after start
        remaining = count
        while remaining > len(days) - index:
            remaining -= len(days) - index
            year += 1
            days, index = self._working_ordinals(year), 0
        return date.fromordinal(days[index + remaining - 1])

    def _working_up_to(self, day: date) -> tuple[int, int]:
        """(year, number of working days of that year on or before ``day``)."""
        return day.year, bisect_right(self._working_ordinals(day.year), day.toordinal())

    def working_days_between(self, start: date, end: date) -> int:
        """Working days ``d`` with ``start < d <= end``; negative when ``end < start``."""
        if end < start:
            return -self.working_days_between(end, start)
        start_year, before_start = self._working_up_to(start)
        end_year, before_end = self._working_up_to(end)
        whole_years = sum(len(self._working_ordinals(y)) for y in range(start_year, end_year))
        return whole_years + before_end - before_start

    def next_working_day(self, day: date) -> date:
        """``day`` if it is a working day, else the next one (BLDS Art. 148.5)."""
        while not self.is_working_day(day):
            day += _ONE_DAY
        return day


def calendar_for_ancestors(
    rows: Iterable[tuple[int | None, date, bool]], ancestor_ids: Collection[int]
) -> WorkingCalendar:
    """The calendar of an organisation from (organisation id, day, is_working_day) override rows.

    The national rows (organisation None) and those of the organisation and its ancestors
    (``ancestor_ids``, from the root down to the organisation itself) apply; rows from elsewhere in
    the tree are ignored, so a caller may pass the rows of a whole subtree.
    """
    applying = [(day, working) for org_id, day, working in rows if org_id is None or org_id in ancestor_ids]
    return WorkingCalendar(
        extra_working_days=frozenset(day for day, working in applying if working),
        extra_days_off=frozenset(day for day, working in applying if not working),
    )
