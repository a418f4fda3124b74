from datetime import date

import pytest

from admission.domain.reminders import (
    DEADLINE_LEADS,
    PROBATION_LEADS,
    VERIFICATION_LEADS,
    LeadTimes,
    Occurrence,
    next_occurrence,
    occurrences,
)


def test_it_reminds_30_and_7_days_before_the_end_of_probation_on_the_day_and_weekly_after() -> None:
    # End of probation 03/10/2026 (a Saturday: status dates do not move).
    days = [o.day for o, _ in zip(occurrences(date(2026, 10, 3), PROBATION_LEADS), range(6), strict=False)]
    assert days == [
        date(2026, 9, 3),
        date(2026, 9, 26),
        date(2026, 10, 3),
        date(2026, 10, 10),
        date(2026, 10, 17),
        date(2026, 10, 24),
    ]


def test_it_numbers_occurrences_and_marks_those_after_the_date_as_overdue() -> None:
    first = list(zip(occurrences(date(2026, 2, 27), DEADLINE_LEADS), range(5), strict=False))
    assert [(o.sequence, o.overdue) for o, _ in first] == [(0, False), (1, False), (2, False), (3, True), (4, True)]
    # 27/02/2026 - 7 days = 20/02 (a Tết holiday: reminders are calendar days, not working days)
    assert first[0][0].day == date(2026, 2, 20)


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2026, 8, 1), Occurrence(date(2026, 9, 3), 0, False)),  # long before: the first
        (date(2026, 9, 3), Occurrence(date(2026, 9, 3), 0, False)),  # on the first day itself
        (date(2026, 9, 4), Occurrence(date(2026, 9, 26), 1, False)),  # first passed: never sent late
        (date(2026, 10, 4), Occurrence(date(2026, 10, 10), 3, True)),  # after the date: weekly, overdue
        (date(2027, 1, 1), Occurrence(date(2027, 1, 2), 15, True)),  # imported long after: no blast
    ],
)
def test_it_skips_occurrences_already_past_so_old_data_never_blasts(today: date, expected: Occurrence) -> None:
    assert next_occurrence(date(2026, 10, 3), PROBATION_LEADS, today=today) == expected


def test_it_continues_after_the_last_sent_sequence() -> None:
    nxt = next_occurrence(date(2026, 10, 3), PROBATION_LEADS, today=date(2026, 9, 3), after_sequence=0)
    assert nxt == Occurrence(date(2026, 9, 26), 1, False)


def test_it_refuses_negative_lead_times() -> None:
    with pytest.raises(ValueError, match="lead times"):
        LeadTimes(before=(-1,))
    with pytest.raises(ValueError, match="lead times"):
        LeadTimes(repeat_after_days=0)
    with pytest.raises(ValueError, match="after the date"):
        LeadTimes(first_overdue_after_days=0)


def test_it_reminds_of_a_verification_reply_7_days_before_the_day_after_it_is_missed_and_weekly() -> None:
    # Reply due Thu 19/06/2025 (T3): 12/06, then overdue from Fri 20/06 and every 7 days.
    first = [o for o, _ in zip(occurrences(date(2025, 6, 19), VERIFICATION_LEADS), range(4), strict=False)]
    assert first == [
        Occurrence(date(2025, 6, 12), 0, False),
        Occurrence(date(2025, 6, 20), 1, True),
        Occurrence(date(2025, 6, 27), 2, True),
        Occurrence(date(2025, 7, 4), 3, True),
    ]


@pytest.mark.parametrize(
    ("today", "from_sequence", "expected"),
    [
        # deadline 30/10/2025: occurrences 23/10 (0), 29/10 (1), 30/10 (2), 06/11 (3), 13/11 (4)
        (date(2025, 10, 23), 0, Occurrence(date(2025, 10, 23), 0, False)),  # on time
        (date(2025, 11, 6), 0, Occurrence(date(2025, 11, 6), 3, True)),  # sweeps missed: only the latest
        (date(2025, 11, 10), 1, Occurrence(date(2025, 11, 6), 3, True)),
        (date(2025, 10, 22), 0, Occurrence(date(2025, 10, 23), 0, False)),  # a day early: the scheduled one
    ],
)
def test_it_sends_only_the_latest_due_occurrence_after_missed_sweeps(
    today: date, from_sequence: int, expected: Occurrence
) -> None:
    from admission.domain.reminders import current_occurrence

    assert current_occurrence(date(2025, 10, 30), DEADLINE_LEADS, today=today, from_sequence=from_sequence) == expected
