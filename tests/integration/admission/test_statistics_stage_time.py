"""Time in stage from the visits stored on the transitions, against an independent recount.

The statistics read `StageTransition.entered_on` / `package_working_days` (written by
candidate_transition) and correct them with the calendar overrides of today. The expected
figures here are computed the long way: every candidate's transitions in order, consecutive
pairs, working days with `rulebook.calendar_for(candidate's organisation)` (the organisation's
calendar as it is now), quantiles of the histogram.
"""

import datetime as dt
from collections import defaultdict

import pytest
from django.db import connection

from admission import services
from admission.devdata.demo import at, walk_to
from admission.domain import statistics as stats
from admission.models import CalendarOverride, Candidate, StageTransition
from admission.reporting import statistics as st
from admission.reporting.query import StatisticsQuery
from admission.reporting.stage_times import stage_times_fill
from admission.rulebook import calendar_for
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db
D = dt.date
# Walks starting on these days leave S1, S2, ... around Tết 2026 (17/02/2026: 14-22/02 off).
STARTS = (D(2025, 11, 3), D(2025, 12, 15), D(2026, 1, 12), D(2025, 6, 2))


@pytest.fixture
def walked(tree, alice, introducers):  # type: ignore[no-untyped-def]
    found = []
    for number, start in enumerate(STARTS):
        person = PersonFactory(organisation=tree.branch_a, full_name=f"Người Đi {number}")
        candidate = services.candidate_create(acting_user=alice, person=person, now=at(start))
        found.append(walk_to(candidate, "S9", user=alice, introducers=introducers, start=start))
    return found


def _expected(organisation_ids: set[int], start: D, end: D) -> dict[str, dict[int, int]]:
    histograms: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for candidate in Candidate.objects.filter(organisation_id__in=organisation_ids).select_related("organisation"):
        calendar = calendar_for(candidate.organisation)
        rows = list(StageTransition.objects.filter(candidate=candidate).order_by("at", "pk"))
        for before, row in zip(rows, rows[1:], strict=False):
            if start <= row.on_date <= end:
                histograms[row.from_stage][calendar.working_days_between(before.on_date, row.on_date)] += 1
    return histograms


def _figures(user, organisation, year: int) -> dict[str, tuple[int, float | None, float | None]]:  # type: ignore[no-untyped-def]
    figures = st.statistics_figures(
        user=user, organisation=organisation, query=StatisticsQuery.for_year(year), today=D(2026, 12, 1)
    )
    return {row["stage"]: (row["count"], row["median"], row["p90"]) for row in figures["time_in_stage"]}


def _as_rows(histograms: dict[str, dict[int, int]]) -> dict[str, tuple[int, float | None, float | None]]:
    return {
        stage: (sum(h.values()), stats.quantile(h, 0.5), stats.quantile(h, 0.9)) for stage, h in histograms.items() if h
    }


def test_the_stored_visits_give_the_figures_of_an_independent_recount(tree, carol, walked) -> None:  # type: ignore[no-untyped-def]
    branches = {tree.branch_a.pk, tree.branch_b.pk}
    for year in (2025, 2026):
        expected = _expected(branches, D(year, 1, 1), D(year, 12, 31))
        assert _figures(carol, tree.committee, year) == _as_rows(expected)
    # One visit across Tết checked by hand, so the test does not only compare two computations.
    across = StageTransition.objects.filter(entered_on__lt=D(2026, 2, 14), on_date__gt=D(2026, 2, 22)).first()
    assert across is not None and across.entered_on is not None
    calendar = calendar_for(tree.branch_a)
    assert across.package_working_days == calendar.working_days_between(across.entered_on, across.on_date)
    weekdays = sum(
        1
        for n in range(1, (across.on_date - across.entered_on).days + 1)
        if (across.entered_on + dt.timedelta(days=n)).weekday() < 5
    )
    assert across.package_working_days < weekdays  # Tết's weekdays off are not counted


def test_overrides_edited_afterwards_and_a_move_count_with_todays_calendar(tree, carol, walked) -> None:  # type: ignore[no-untyped-def]
    branches = {tree.branch_a.pk, tree.branch_b.pk}
    before = {year: _expected(branches, D(year, 1, 1), D(year, 12, 31)) for year in (2025, 2026)}
    # After the visits were stored: a national extra day off inside Tết's neighbourhood, a
    # make-up Saturday for branch B only, and one candidate moved to branch B.
    CalendarOverride.objects.create(day=D(2026, 2, 11), is_working_day=False, note="thêm ngày nghỉ")
    CalendarOverride.objects.create(day=D(2026, 1, 17), is_working_day=True, organisation=tree.branch_b)
    CalendarOverride.objects.create(day=D(2025, 12, 20), is_working_day=True, organisation=tree.branch_b)
    # A day off on the last day of a 2025 visit (inside (entered, left], a working day before).
    visit_2025 = StageTransition.objects.filter(entered_on__isnull=False, on_date__year=2025).first()
    assert visit_2025 is not None and calendar_for(tree.branch_a).is_working_day(visit_2025.on_date)
    CalendarOverride.objects.create(day=visit_2025.on_date, is_working_day=False, organisation=tree.committee)
    # An override that agrees with the package changes nothing (a Wednesday made a working day).
    CalendarOverride.objects.create(day=D(2026, 3, 4), is_working_day=True)
    Candidate.objects.filter(pk=walked[1].pk).update(organisation=tree.branch_b)
    for year in (2025, 2026):
        expected = _expected(branches, D(year, 1, 1), D(year, 12, 31))
        assert expected != before[year]  # the overrides fall inside some visits of both years
        assert _figures(carol, tree.committee, year) == _as_rows(expected)
    # The branch's own page (one calendar group) and the committee's (two) agree on branch B.
    expected_b = _as_rows(_expected({tree.branch_b.pk}, D(2026, 1, 1), D(2026, 12, 31)))
    assert expected_b and _figures(carol, tree.branch_b, 2026) == expected_b


def test_the_recount_writes_what_the_stage_writer_stored(walked) -> None:  # type: ignore[no-untyped-def]
    stored = list(StageTransition.objects.order_by("pk").values_list("pk", "entered_on", "package_working_days"))
    assert sum(1 for _pk, entered, _days in stored if entered is None) == len(walked)  # one first move each
    StageTransition.objects.update(entered_on=None, package_working_days=None)
    assert stage_times_fill(connection) == len(stored)
    assert (
        list(StageTransition.objects.order_by("pk").values_list("pk", "entered_on", "package_working_days")) == stored
    )
    StageTransition.objects.filter(candidate=walked[0]).update(entered_on=None, package_working_days=None)
    assert stage_times_fill(connection, candidate_ids=[walked[0].pk]) == walked[0].transitions.count()
    assert (
        list(StageTransition.objects.order_by("pk").values_list("pk", "entered_on", "package_working_days")) == stored
    )
