"""A member's changes in the statistics summary (members.summaries.member_changes) add up, on
every day, to the state of the rule (admission.domain.statistics.member_status_on)."""

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from admission.domain.statistics import MemberDates, member_status_on
from members.summaries import ALWAYS, buckets, member_changes, prefix_ranges

DAYS = st.one_of(st.none(), st.dates(min_value=dt.date(2019, 12, 28), max_value=dt.date(2020, 1, 6)))
PROBES = [dt.date(2019, 12, 27) + dt.timedelta(days=n) for n in range(12)]


def _sum_to(changes: list[tuple[dt.date, str, int]], column: str, day: dt.date) -> int:
    return sum(delta for on, name, delta in changes if name == column and on <= day)


@given(
    status=st.sampled_from(["probationary", "official", "removed", "left"]),
    decision=DAYS,
    ceremony=DAYS,
    official=DAYS,
    left=DAYS,
    recognition=DAYS,
)
def test_the_changes_add_up_to_the_state_of_every_day(status, decision, ceremony, official, left, recognition) -> None:  # type: ignore[no-untyped-def]
    changes = member_changes(
        status=status,
        decision=decision,
        ceremony=ceremony,
        official=official,
        left=left,
        recognition_decision=recognition,
    )
    member = MemberDates(status=status, ceremony_date=ceremony, official_date=official, left_date=left)
    for day in PROBES:
        state = member_status_on(member, day)
        assert _sum_to(changes, "official", day) == (state == "official"), day
        assert _sum_to(changes, "probationary", day) == (state == "probationary"), day
    # The events: once each, on their day.
    assert _sum_to(changes, "admitted_ceremony", dt.date.max) == (ceremony is not None)
    assert _sum_to(changes, "recognised_decision", dt.date.max) == (official is not None)
    assert all(on >= ALWAYS for on, _name, _delta in changes)


@given(
    events=st.lists(st.dates(min_value=dt.date(2018, 11, 1), max_value=dt.date(2021, 2, 28)), max_size=30),
    day=st.dates(min_value=dt.date(2019, 1, 1), max_value=dt.date(2020, 12, 31)),
)
def test_the_ranges_of_a_day_hold_each_change_up_to_it_once(events, day) -> None:  # type: ignore[no-untyped-def]
    """Each change is in three rows (its year, month, day): the ranges of a day take exactly one
    of them for a change on or before the day, none for a later one."""
    ranges = prefix_ranges(day)
    for on in [*events, ALWAYS, day, dt.date(day.year, 12, 31), dt.date(day.year, 1, 1)]:
        taken = sum(
            1
            for level, bucket in buckets(on)
            for r_level, first, last in ranges
            if r_level == level and first <= bucket <= last
        )
        assert taken == (1 if on <= day else 0), (on, day)
