"""When to remind about a candidate's step in progress (architecture C; issue "reminders").

Pure: from the legal date that bounds the step (a deadline, or the end of probation) and the
organisation's lead times, the reminder occurrences are a sequence of (day, sequence number,
escalate) values. The sweep stores only the next one (`Candidate.next_reminder_at`); the
sequence number is part of the delivery's unique key, so a double sweep cannot send twice.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum


class ReminderKind(StrEnum):
    DEADLINE = "deadline"  # a legal deadline of the step in progress (T4, T5, T6, T8, T9)
    PROBATION = "probation"  # end of probation, then until the branch resolution (T7, T8)
    VERIFICATION = "verification"  # the reply to a verification request (T3)


@dataclass(frozen=True)
class LeadTimes:
    """Days before the date at which to remind, and how often to repeat once it has passed.

    Defaults: probation 30 and 7 days before and on the day; deadlines 7 and 1 days
    before and on the day; afterwards every 7 days, escalated to the next level's staff.
    """

    before: tuple[int, ...] = (7, 1, 0)
    repeat_after_days: int = 7
    # The first overdue reminder this many days after the date (default: one repeat interval).
    first_overdue_after_days: int | None = None

    def __post_init__(self) -> None:
        if any(days < 0 for days in self.before) or self.repeat_after_days < 1:
            raise ValueError("lead times must be >= 0 and the repeat interval >= 1 day")
        if self.first_overdue_after_days is not None and self.first_overdue_after_days < 1:
            raise ValueError("the first overdue reminder comes after the date")


PROBATION_LEADS = LeadTimes(before=(30, 7, 0))
DEADLINE_LEADS = LeadTimes()
# The reply to a verification request (T3): 7 days before, the day after it is missed, then weekly.
VERIFICATION_LEADS = LeadTimes(before=(7,), repeat_after_days=7, first_overdue_after_days=1)


@dataclass(frozen=True)
class Occurrence:
    day: date
    sequence: int  # 0, 1, 2, ... in schedule order: part of the delivery's unique key
    overdue: bool  # after the date: shown as overdue and escalated


def occurrences(target: date, leads: LeadTimes) -> Iterator[Occurrence]:
    """All reminder days for `target`, in order (infinite: repeats after the date)."""
    sequence = 0
    for days in sorted(set(leads.before), reverse=True):
        yield Occurrence(target - timedelta(days=days), sequence, overdue=False)
        sequence += 1
    first = leads.repeat_after_days if leads.first_overdue_after_days is None else leads.first_overdue_after_days
    repeat = 0
    while True:
        yield Occurrence(target + timedelta(days=first + leads.repeat_after_days * repeat), sequence, overdue=True)
        sequence += 1
        repeat += 1


def next_occurrence(target: date, leads: LeadTimes, *, today: date, after_sequence: int | None = None) -> Occurrence:
    """The first occurrence not yet due before `today` and after `after_sequence`.

    No backfill blasts: occurrences whose day is already past are skipped (the app shows the
    item as overdue instead); the first one on or after `today` is returned. The sequence
    keeps counting, so skipped occurrences are never sent later.
    """
    for item in occurrences(target, leads):
        if after_sequence is not None and item.sequence <= after_sequence:
            continue
        if item.day >= today:
            return item
    raise AssertionError("unreachable: occurrences() is infinite")  # pragma: no cover


def current_occurrence(target: date, leads: LeadTimes, *, today: date, from_sequence: int) -> Occurrence:
    """The occurrence to send now for a reminder due since `from_sequence`.

    When sweeps were missed (worker down, backlog), only the latest occurrence already due is
    sent — "overdue" rather than a stale "coming up" — never each missed one in turn.
    """
    chosen: Occurrence | None = None
    for item in occurrences(target, leads):  # pragma: no branch - infinite: always left by break
        if item.sequence < from_sequence:
            continue
        if item.day > today:
            break
        chosen = item
    if chosen is None:  # due early (clock skew): send the scheduled one
        chosen = next(o for o in occurrences(target, leads) if o.sequence == from_sequence)
    return chosen
