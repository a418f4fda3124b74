"""Calendar-month periods (rules §0, Civil Code 2015 Art. 147-148).

"N months from D" ends on the same day of the month N months later, or on the last day of that
month when it has no such day (31/01 + 1 month = 28/02 or 29/02).
"""

import calendar
from datetime import date


def add_months(day: date, months: int) -> date:
    """Same day-of-month ``months`` later (or earlier), clamped to the month's last day."""
    index = day.year * 12 + (day.month - 1) + months
    year, month0 = divmod(index, 12)
    last = calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(day.day, last))


def months_between_ignoring_day(start: date, end: date) -> int:
    """Whole calendar months from ``start``'s month to ``end``'s month; the day is ignored."""
    return (end.year - start.year) * 12 + (end.month - start.month)
