"""Arithmetic of plans and statistics (rules §9): percentages, members on a date, bands, quantiles.

Pure: the selectors in ``admission.reporting.statistics`` aggregate in SQL (counts, histograms) and hand the
numbers to these functions, so every rule below is unit-tested without a database.

Choices where the texts are silent (docs/decisions.md, "Statistics"):

- Percentages are rounded half up: one decimal against the plan (162 of 158 = 102.5 %), two
  against a baseline of members (162 of 5,260 = 3.08 %). No denominator (no plan, no members)
  gives no percentage, never 0 % or an error.
- A member is counted on a day from the recorded dates, not from today's status
  (:func:`member_status_on`).
- Ages are completed years on the day (the ceremony for admissions); months to admission are
  completed months.
- Quantiles interpolate linearly between the two nearest values, like PostgreSQL's
  ``percentile_cont`` and NumPy's default.
"""

from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Literal

from admission.domain.calendar import WorkingCalendar

# --- Percentages -------------------------------------------------------------------------------

PLAN_DECIMALS = 1
BASELINE_DECIMALS = 2


def percentage(part: int, whole: int | None, *, decimals: int) -> Decimal | None:
    """``part`` as a percentage of ``whole``, rounded half up to ``decimals``; None without a whole.

    >>> percentage(162, 158, decimals=1), percentage(162, 5260, decimals=2)
    (Decimal('102.5'), Decimal('3.08'))
    """
    if not whole:
        return None
    exact = Decimal(part) * 100 / Decimal(whole)
    return exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def format_percent(value: Decimal | None, *, decimal_separator: str = ",", empty: str = "—") -> str:
    """``Decimal('102.5')`` -> ``"102,5 %"`` (Vietnamese decimal comma, a space before the sign)."""
    if value is None:
        return empty
    return f"{value:f}".replace(".", decimal_separator) + " %"


# --- Members on a day --------------------------------------------------------------------------

MemberState = Literal["official", "probationary"]
# Today's statuses that mean "no longer on the list" (members.models.MemberStatus).
GONE_STATUSES = frozenset({"removed", "left"})


@dataclass(frozen=True)
class MemberDates:
    """What the rule reads of one PartyMember row."""

    status: str  # today's status: probationary, official, removed, left
    ceremony_date: date | None = None
    official_date: date | None = None
    left_date: date | None = None


def member_status_on(member: MemberDates, day: date) -> MemberState | None:
    """Official, probationary or not a member at the end of ``day``, from the recorded dates.

    1. Gone: a ``left_date`` on or before ``day`` (removed or left that day or earlier); a member
       removed or left without a recorded date is gone on every day (the date is unknown, and
       today's register no longer lists them).
    2. Official: ``official_date`` on or before ``day`` (the end of probation, QĐ294 4.2.2 — it
       is set retroactively when the recognition decision comes later).
    3. Not yet a member: a ``ceremony_date`` after ``day`` (the ceremony is the admission date,
       rules §7).
    4. Official without a recorded official date: today's status says official (old records
       imported without dates); official since the ceremony, or forever without one.
    5. Otherwise probationary: ceremony on or before ``day`` (or unrecorded) and not yet official.

    The SQL twin is ``admission.reporting.statistics.member_on_q``; the integration tests check both agree.
    """
    if member.left_date is not None:
        if member.left_date <= day:
            return None
    elif member.status in GONE_STATUSES:
        return None
    if member.official_date is not None and member.official_date <= day:
        return "official"
    if member.ceremony_date is not None and member.ceremony_date > day:
        return None
    if member.official_date is None and member.status == "official":
        return "official"
    return "probationary"


# --- Baselines ---------------------------------------------------------------------------------


class Baseline(StrEnum):
    """Which members the admissions are compared with (rules §9 (b))."""

    TERM_START = "term_start"
    YEAR_START = "year_start"
    PREVIOUS_YEAR_END = "previous_year_end"


# Party congresses open a five-year term in the years ending in 0 and 5 (2020-2025, 2025-2030).
TERM_YEARS = 5


def default_term_start(day: date) -> date:
    """1 January of the year the current five-year term began: 01/01/2025 for any day of 2025-2029.

    Congresses are held through the first year of a term (grassroots in spring, provinces in
    autumn), so no single day fits every organisation; the form lets the user enter theirs.
    """
    return date(day.year - day.year % TERM_YEARS, 1, 1)


def baseline_date(baseline: Baseline, *, period_start: date, term_start: date) -> date:
    """The day whose members are the baseline: members are counted at the end of that day.

    Start of the year = 1 January of the period's first year; end of the previous year =
    31 December before it (they differ only by what was recorded on 1 January).
    """
    if baseline is Baseline.TERM_START:
        return term_start
    if baseline is Baseline.YEAR_START:
        return date(period_start.year, 1, 1)
    return date(period_start.year - 1, 12, 31)


# --- Ages and months ---------------------------------------------------------------------------


def completed_years(born: date, day: date) -> int:
    """Age in completed years on ``day`` (one born on 29/02 turns a year older on 01/03)."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def completed_months(start: date, end: date) -> int:
    """Whole months from ``start`` to ``end``: a month is complete on the same day of the month.

    The SQL twin (years*12 + months, minus one when the day is not reached) is in
    ``admission.reporting.statistics``.
    """
    return (end.year - start.year) * 12 + (end.month - start.month) - (end.day < start.day)


# (key, lowest age, highest age or None): the bands of the public reports, age at the ceremony.
AGE_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("under_18", 0, 17),
    ("18_30", 18, 30),
    ("31_40", 31, 40),
    ("41_50", 41, 50),
    ("51_60", 51, 60),
    ("over_60", 61, None),
)


def age_band(age: int) -> str:
    """The band of an age in completed years; under 18 exists only for bad data (QĐ294 1.1.1)."""
    for key, low, high in AGE_BANDS:
        if age >= low and (high is None or age <= high):
            return key
    return AGE_BANDS[0][0]  # negative ages (a birth date after the ceremony) are bad data too


def age_bands(ages: Mapping[int, int]) -> dict[str, int]:
    """Counts per band, every band present (0 when empty), from counts per age."""
    found = {key: 0 for key, _low, _high in AGE_BANDS}
    for age, count in ages.items():
        found[age_band(age)] += count
    return found


# --- Quantiles on histograms -------------------------------------------------------------------


def quantile(histogram: Mapping[int, int], q: float) -> float | None:
    """The ``q``-quantile (0..1) of the values, given as value -> count; None when empty.

    Linear interpolation between the order statistics at ``q * (n - 1)``, as PostgreSQL's
    ``percentile_cont``: the median of 1, 2, 3, 10 is 2.5 and its 90th percentile 7.9.
    """
    if not 0 <= q <= 1:
        raise ValueError("q must be between 0 and 1")
    pairs = sorted((value, count) for value, count in histogram.items() if count > 0)
    total = sum(count for _value, count in pairs)
    if total == 0:
        return None
    position = q * (total - 1)
    below = int(position)
    fraction = position - below
    low = _nth(pairs, below)
    if fraction == 0:
        return float(low)
    high = _nth(pairs, below + 1)
    return low + (high - low) * fraction


def _nth(pairs: Sequence[tuple[int, int]], index: int) -> int:
    """The value at 0-based ``index`` of the sorted expansion of (value, count) pairs."""
    seen = 0
    for value, count in pairs:
        seen += count
        if index < seen:
            return value
    raise IndexError(index)


def merge_histograms(histograms: Iterable[Mapping[int, int]]) -> dict[int, int]:
    merged: dict[int, int] = {}
    for histogram in histograms:
        for value, count in histogram.items():
            merged[value] = merged.get(value, 0) + count
    return merged


# --- The organisation tree: children and plans ------------------------------------------------


def child_under(path: str, root_path: str) -> int | None:
    """The id of the child of the root (path ``root_path``) whose subtree holds ``path``.

    None for the root itself; a ValueError for a path outside the root's subtree.
    """
    if not path.startswith(root_path):
        raise ValueError(f"{path} is not under {root_path}")
    rest = path[len(root_path) :].strip("/")
    return int(rest.split("/")[0]) if rest else None


def effective_plans(
    *,
    children: Mapping[int, Sequence[int]],
    own: Mapping[int, int],
    root: int,
    complete: bool = True,
    planned: Container[int] | None = None,
) -> dict[int, int | None]:
    """The plan of every organisation of the root's subtree for one year.

    An organisation's own plan counts when it has one; otherwise the sum of its children's
    effective plans; None when neither it nor anything below it has a plan. Summing the whole
    subtree would count twice the parent's plan that its children's plans break down.

    With ``complete=False`` only what the root and its children need is computed: the subtree
    of an organisation (other than the root) that has its own plan is not visited, since its
    plan does not depend on it (a province's page: a few dozen nodes instead of thousands).
    `planned`, if given, holds every organisation with a plan of its own or below it (the
    ancestors of the planned ones, themselves included): the others are None without a visit.
    """
    result: dict[int, int | None] = {}
    # Post-order without recursion: a node is settled after all of its children.
    stack: list[tuple[int, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if not expanded and not complete and node != root:
            if node in own:
                result[node] = own[node]
                continue
            if planned is not None and node not in planned:
                result[node] = None
                continue
        if not expanded:
            stack.append((node, True))
            stack.extend((child, False) for child in children.get(node, ()))
            continue
        if node in own:
            result[node] = own[node]
            continue
        below = [result[child] for child in children.get(node, ()) if result[child] is not None]
        result[node] = sum(p for p in below if p is not None) if below else None
    return result


# --- Deadlines ---------------------------------------------------------------------------------

DeadlineOutcome = Literal["met", "late", "overdue", "open"]


def deadline_outcome(*, deadline: date, done: date | None, as_of: date) -> DeadlineOutcome:
    """Met (done on or before the deadline), late (done after it), overdue (not done and the
    deadline is before ``as_of``) or open (not done, still within the time limit)."""
    if done is not None:
        return "met" if done <= deadline else "late"
    return "overdue" if deadline < as_of else "open"


# --- Funnel ------------------------------------------------------------------------------------


def funnel_percentages(counts: Sequence[int]) -> list[Decimal | None]:
    """Each step as a percentage (one decimal) of the first step: the cohort's conversion."""
    first = counts[0] if counts else 0
    return [percentage(count, first, decimals=PLAN_DECIMALS) for count in counts]


# --- Time in stage -----------------------------------------------------------------------------

# The calendar of the ``holidays`` package alone (Monday-Friday, VN public holidays, swap days
# off, make-up Saturdays), without the staff override table. Stage times are stored counted with
# it (``StageTransition.package_working_days``); the overrides, which staff may edit at any time,
# are applied when the figures are read (:func:`override_deltas`).
PACKAGE_CALENDAR = WorkingCalendar()


def package_working_days(entered: date, left: date) -> int:
    """Working days of a stage visit by the package calendar: days ``d`` with ``entered < d <= left``."""
    return PACKAGE_CALENDAR.working_days_between(entered, left)


def override_deltas(calendar: WorkingCalendar) -> list[tuple[date, int]]:
    """The days where `calendar` differs from the package calendar: (day, +1 or -1), sorted.

    A calendar differs from the package calendar only on its override days, so its working days
    between two days are the package's plus the deltas of the days in between:

    >>> from datetime import date
    >>> tet_saturday = date(2026, 2, 14)  # a Saturday, made a working day by an override
    >>> cal = WorkingCalendar(extra_working_days=frozenset({tet_saturday}))
    >>> override_deltas(cal)
    [(datetime.date(2026, 2, 14), 1)]
    """
    days = sorted(calendar.extra_working_days | calendar.extra_days_off)
    found = []
    for day in days:
        delta = int(calendar.is_working_day(day)) - int(PACKAGE_CALENDAR.is_working_day(day))
        if delta:
            found.append((day, delta))
    return found


def visit_working_days(entered: date, left: date, package_days: int, deltas: Sequence[tuple[date, int]]) -> int:
    """Working days of a visit by a calendar: the stored package count corrected by its deltas."""
    return package_days + sum(delta for day, delta in deltas if entered < day <= left)
