"""The helper's optional periodic comment on a probationer (rules §0 and §8): no central rule asks
for one (HD06 3.10, 4.3 ask only at the end of probation and on a move), so an organisation may turn
a cadence on (monthly or quarterly); off by default. Pure date arithmetic, no Django.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Cadence(StrEnum):
    OFF = ""
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"


# The second reminder of a period: this many days before its last day, if still not written.
LAST_CALL_DAYS = 7


@dataclass(frozen=True)
class ReviewPeriod:
    start: dt.date
    end: dt.date
    key: str  # "2025-07" (month) or "2025-Q3" (quarter): part of the reminder's unique key
    label_vi: str
    label_en: str

    def contains(self, day: dt.date) -> bool:
        return self.start <= day <= self.end

    def reminder_days(self) -> tuple[dt.date, dt.date]:
        """When the helper is reminded: the period's first day, and LAST_CALL_DAYS before its end."""
        return self.start, max(self.start, self.end - dt.timedelta(days=LAST_CALL_DAYS))


def _month_end(year: int, month: int) -> dt.date:
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


def review_period(cadence: str, day: dt.date) -> ReviewPeriod | None:
    """The review period of `cadence` that contains `day` (None when the cadence is off)."""
    if cadence == Cadence.MONTHLY:
        return ReviewPeriod(
            dt.date(day.year, day.month, 1),
            _month_end(day.year, day.month),
            f"{day.year}-{day.month:02d}",
            f"tháng {day.month}/{day.year}",
            f"{day:%B} {day.year}",
        )
    if cadence == Cadence.QUARTERLY:
        quarter = (day.month - 1) // 3 + 1
        first = 3 * (quarter - 1) + 1
        return ReviewPeriod(
            dt.date(day.year, first, 1),
            _month_end(day.year, first + 2),
            f"{day.year}-Q{quarter}",
            f"quý {quarter}/{day.year}",
            f"Q{quarter} {day.year}",
        )
    return None


def review_owed(period: ReviewPeriod, *, ceremony: dt.date | None, signed_on: Iterable[dt.date]) -> bool:
    """Whether the helper owes the period's comment: the member was admitted before the period
    ended, and no comment of theirs was signed within it."""
    if ceremony is None or ceremony > period.end:
        return False
    return not any(period.contains(day) for day in signed_on)


def reminder_sequence(period: ReviewPeriod, today: dt.date) -> int | None:
    """Which of the period's reminders is the latest due by `today` (0 the first, 1 the last
    call), None before the first."""
    first, last = period.reminder_days()
    if not period.contains(today) or today < first:
        return None
    return 1 if today >= last and last > first else 0
