"""The arithmetic of plans and statistics (admission.domain.statistics), hand-computed."""

import statistics as pystats
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from admission.domain import statistics as s
from admission.domain.statistics import Baseline, MemberDates


@pytest.mark.parametrize(
    ("part", "whole", "decimals", "expected"),
    [
        (162, 158, 1, Decimal("102.5")),  # 162/158 = 1.025316... (the public report's "102.5 %")
        (162, 5260, 2, Decimal("3.08")),  # 162/5260 = 0.030798... ("3.08 % of the members")
        (158, 158, 1, Decimal("100.0")),
        (0, 158, 1, Decimal("0.0")),
        (1, 8, 1, Decimal("12.5")),
        (1, 3, 2, Decimal("33.33")),
        (2, 3, 1, Decimal("66.7")),
        (1, 800, 2, Decimal("0.13")),  # 0.125 rounds half up, not to even
        (1, 16, 1, Decimal("6.3")),  # 6.25 -> 6.3
        (272, 8436, 2, Decimal("3.22")),  # Vị Xuyên 2023: 272 admitted of 8,436 members
    ],
)
def test_it_computes_percentages_rounded_half_up(part: int, whole: int, decimals: int, expected: Decimal) -> None:
    assert s.percentage(part, whole, decimals=decimals) == expected


@pytest.mark.parametrize("whole", [0, None])
def test_it_gives_no_percentage_without_a_denominator(whole: int | None) -> None:
    assert s.percentage(5, whole, decimals=1) is None


@pytest.mark.parametrize(
    ("value", "separator", "expected"),
    [
        (Decimal("102.5"), ",", "102,5 %"),
        (Decimal("3.08"), ",", "3,08 %"),
        (Decimal("3.08"), ".", "3.08 %"),
        (Decimal("0.00"), ",", "0,00 %"),
        (Decimal("100.0"), ",", "100,0 %"),
        (None, ",", "—"),
    ],
)
def test_it_formats_percentages_with_the_decimal_comma(value: Decimal | None, separator: str, expected: str) -> None:
    assert s.format_percent(value, decimal_separator=separator) == expected


def test_it_formats_a_missing_percentage_as_asked() -> None:
    assert s.format_percent(None, empty="") == ""


# A member admitted (ceremony) 10/03/2024, official 10/03/2025, removed 01/02/2026.
ADMITTED_2024 = MemberDates("removed", date(2024, 3, 10), date(2025, 3, 10), date(2026, 2, 1))


@pytest.mark.parametrize(
    ("member", "day", "expected"),
    [
        # The same member on several days, from the dates alone.
        (ADMITTED_2024, date(2024, 1, 1), None),  # not admitted yet
        (ADMITTED_2024, date(2024, 3, 9), None),
        (ADMITTED_2024, date(2024, 3, 10), "probationary"),  # the ceremony day is the admission date
        (ADMITTED_2024, date(2025, 3, 9), "probationary"),
        (ADMITTED_2024, date(2025, 3, 10), "official"),  # the end of probation
        (ADMITTED_2024, date(2026, 1, 31), "official"),
        (ADMITTED_2024, date(2026, 2, 1), None),  # removed on that day: not counted at its end
        (ADMITTED_2024, date(2027, 1, 1), None),
        # Today's status does not matter while the dates say otherwise.
        (MemberDates("official", date(2024, 3, 10), date(2025, 3, 10)), date(2024, 6, 1), "probationary"),
        (MemberDates("probationary", date(2025, 10, 3)), date(2026, 11, 1), "probationary"),  # not recognised yet
        (MemberDates("left", date(2015, 3, 20), date(2016, 3, 20), date(2025, 6, 30)), date(2025, 6, 29), "official"),
        # Missing dates: gone without a date is gone; official without dates is official.
        (MemberDates("left", date(2015, 3, 20), date(2016, 3, 20)), date(2016, 6, 1), None),
        (MemberDates("removed", date(2025, 3, 20)), date(2025, 6, 1), None),
        (MemberDates("official"), date(1990, 1, 1), "official"),
        (MemberDates("official", date(2010, 5, 1)), date(2010, 4, 30), None),
        (MemberDates("official", date(2010, 5, 1)), date(2010, 5, 1), "official"),
        (MemberDates("probationary"), date(2025, 1, 1), "probationary"),
        # An official date before a (wrong) later ceremony still counts as official.
        (MemberDates("official", date(2020, 5, 1), date(2019, 5, 1)), date(2019, 6, 1), "official"),
    ],
)
def test_it_counts_a_member_on_a_day_from_the_dates(member: MemberDates, day: date, expected: str | None) -> None:
    assert s.member_status_on(member, day) == expected


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2025, 1, 1), date(2025, 1, 1)),
        (date(2026, 11, 25), date(2025, 1, 1)),
        (date(2029, 12, 31), date(2025, 1, 1)),
        (date(2030, 1, 1), date(2030, 1, 1)),
        (date(2024, 6, 1), date(2020, 1, 1)),
    ],
)
def test_it_defaults_the_term_start_to_the_first_year_of_the_five_year_term(day: date, expected: date) -> None:
    assert s.default_term_start(day) == expected


@pytest.mark.parametrize(
    ("baseline", "expected"),
    [
        (Baseline.TERM_START, date(2025, 4, 15)),
        (Baseline.YEAR_START, date(2026, 1, 1)),
        (Baseline.PREVIOUS_YEAR_END, date(2025, 12, 31)),
    ],
)
def test_it_picks_the_baseline_day(baseline: Baseline, expected: date) -> None:
    assert s.baseline_date(baseline, period_start=date(2026, 7, 1), term_start=date(2025, 4, 15)) == expected


@pytest.mark.parametrize(
    ("born", "day", "expected"),
    [
        (date(1995, 6, 15), date(2025, 6, 14), 29),
        (date(1995, 6, 15), date(2025, 6, 15), 30),
        (date(1995, 6, 15), date(2025, 6, 16), 30),
        (date(2000, 2, 29), date(2018, 2, 28), 17),  # born on 29 February: a year older on 1 March
        (date(2000, 2, 29), date(2018, 3, 1), 18),
        (date(2000, 2, 29), date(2020, 2, 29), 20),
    ],
)
def test_it_counts_completed_years(born: date, day: date, expected: int) -> None:
    assert s.completed_years(born, day) == expected


@pytest.mark.parametrize(
    ("age", "band"),
    [
        (-1, "under_18"),  # a birth date after the ceremony: bad data, kept visible
        (17, "under_18"),
        (18, "18_30"),
        (30, "18_30"),
        (31, "31_40"),
        (40, "31_40"),
        (41, "41_50"),
        (50, "41_50"),
        (51, "51_60"),
        (60, "51_60"),
        (61, "over_60"),
        (90, "over_60"),
    ],
)
def test_it_puts_ages_in_the_bands_of_the_reports(age: int, band: str) -> None:
    assert s.age_band(age) == band


def test_it_counts_every_band_even_empty_ones() -> None:
    assert s.age_bands({18: 2, 30: 1, 31: 4, 61: 1}) == {
        "under_18": 0,
        "18_30": 3,
        "31_40": 4,
        "41_50": 0,
        "51_60": 0,
        "over_60": 1,
    }


def test_it_places_the_age_at_the_ceremony_in_its_band() -> None:
    # Born 15/06/1995, ceremony 14/06/2025: still 29, so 18-30; a day later also 30, still 18-30.
    assert s.age_band(s.completed_years(date(1995, 6, 15), date(2025, 6, 14))) == "18_30"
    assert s.age_band(s.completed_years(date(1994, 6, 15), date(2025, 6, 15))) == "31_40"


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (date(2025, 3, 20), date(2025, 10, 3), 6),  # certificate 20/03, ceremony 03/10: 6 months and 13 days
        (date(2025, 3, 20), date(2025, 9, 20), 6),
        (date(2025, 3, 20), date(2025, 9, 19), 5),
        (date(2024, 12, 15), date(2025, 1, 15), 1),
        (date(2025, 1, 31), date(2025, 2, 28), 0),  # the day of the month is not reached
    ],
)
def test_it_counts_completed_months(start: date, end: date, expected: int) -> None:
    assert s.completed_months(start, end) == expected


@pytest.mark.parametrize(
    ("histogram", "q", "expected"),
    [
        ({1: 1, 2: 1, 3: 1, 10: 1}, 0.5, 2.5),
        ({1: 1, 2: 1, 3: 1, 10: 1}, 0.9, 7.9),  # position 2.7: 3 + 0.7 * (10 - 3)
        ({5: 1}, 0.5, 5.0),
        ({5: 1}, 0.9, 5.0),
        ({4: 3, 9: 1}, 0.5, 4.0),
        ({4: 3, 9: 1}, 0.0, 4.0),
        ({4: 3, 9: 1}, 1.0, 9.0),
        ({2: 0, 7: 2}, 0.5, 7.0),  # empty bins are ignored
    ],
)
def test_it_computes_quantiles_like_percentile_cont(histogram: dict[int, int], q: float, expected: float) -> None:
    assert s.quantile(histogram, q) == pytest.approx(expected)


def test_it_has_no_quantile_of_nothing() -> None:
    assert s.quantile({}, 0.5) is None
    assert s.quantile({3: 0}, 0.5) is None


@pytest.mark.parametrize("q", [-0.1, 1.5])
def test_it_refuses_a_quantile_outside_zero_and_one(q: float) -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        s.quantile({1: 1}, q)


def test_it_refuses_an_order_statistic_beyond_the_data() -> None:
    with pytest.raises(IndexError):
        s._nth([(1, 2), (3, 1)], 3)


@given(st.lists(st.integers(min_value=0, max_value=400), min_size=1, max_size=60))
def test_its_median_is_the_ordinary_median(values: list[int]) -> None:
    histogram: dict[int, int] = {}
    for value in values:
        histogram[value] = histogram.get(value, 0) + 1
    assert s.quantile(histogram, 0.5) == pytest.approx(pystats.median(values))


def test_it_merges_histograms() -> None:
    assert s.merge_histograms([{1: 2, 3: 1}, {3: 4}, {}]) == {1: 2, 3: 5}


@pytest.mark.parametrize(
    ("path", "expected"),
    [("/1/2/", None), ("/1/2/3/", 3), ("/1/2/3/4/5/", 3), ("/1/2/30/", 30)],
)
def test_it_finds_the_child_of_the_root_that_holds_an_organisation(path: str, expected: int | None) -> None:
    assert s.child_under(path, "/1/2/") == expected


def test_it_refuses_an_organisation_outside_the_root() -> None:
    with pytest.raises(ValueError, match="not under"):
        s.child_under("/1/9/", "/1/2/")


# Province 1 -> committees 2 and 3; 2 -> branches 4 and 5; 3 -> branch 6.
TREE = {1: [2, 3], 2: [4, 5], 3: [6]}


@pytest.mark.parametrize(
    ("own", "expected"),
    [
        ({}, {1: None, 2: None, 3: None, 4: None, 5: None, 6: None}),
        # The parent's own plan counts, not the sum below it (158, not 100 + 60).
        ({1: 158, 2: 100, 3: 60}, {1: 158, 2: 100, 3: 60, 4: None, 5: None, 6: None}),
        # Without its own plan, an organisation's plan is the sum of its children's.
        ({4: 3, 5: 2, 6: 4}, {1: 9, 2: 5, 3: 4, 4: 3, 5: 2, 6: 4}),
        ({2: 10, 6: 4}, {1: 14, 2: 10, 3: 4, 4: None, 5: None, 6: 4}),
        ({4: 0}, {1: 0, 2: 0, 3: None, 4: 0, 5: None, 6: None}),  # a plan of 0 is a plan
    ],
)
def test_it_computes_each_organisations_plan(own: dict[int, int], expected: dict[int, int | None]) -> None:
    assert s.effective_plans(children=TREE, own=own, root=1) == expected


def test_it_computes_the_plan_of_a_subtree_only() -> None:
    assert s.effective_plans(children=TREE, own={4: 3, 6: 1}, root=2) == {2: 3, 4: 3, 5: None}


@pytest.mark.parametrize(
    ("own", "root"),
    [({}, 1), ({1: 158, 2: 100, 3: 60}, 1), ({4: 3, 5: 2, 6: 4}, 1), ({2: 10, 6: 4}, 1), ({4: 0}, 1), ({4: 3}, 2)],
)
def test_an_incomplete_computation_gives_the_same_plans_to_the_root_and_its_children(
    own: dict[int, int], root: int
) -> None:
    complete = s.effective_plans(children=TREE, own=own, root=root)
    partial = s.effective_plans(children=TREE, own=own, root=root, complete=False)
    for node in (root, *TREE.get(root, [])):
        assert partial[node] == complete[node]
    assert set(partial) <= set(complete)


@pytest.mark.parametrize(("own", "planned"), [({}, set()), ({4: 3}, {1, 2, 4}), ({6: 1, 2: 5}, {1, 2, 3, 6})])
def test_organisations_without_a_plan_below_are_not_visited(own: dict[int, int], planned: set[int]) -> None:
    complete = s.effective_plans(children=TREE, own=own, root=1)
    partial = s.effective_plans(children=TREE, own=own, root=1, complete=False, planned=planned)
    assert {node: partial[node] for node in (1, 2, 3)} == {node: complete[node] for node in (1, 2, 3)}
    parents = {child: parent for parent, children in TREE.items() for child in children}
    # Nothing is visited below an unplanned child (6 under 3 when only 4 has a plan).
    assert all(parents[node] in planned | {1} for node in partial if node != 1)


def test_an_incomplete_computation_skips_what_lies_under_a_childs_own_plan() -> None:
    assert s.effective_plans(children=TREE, own={1: 158, 2: 100, 3: 60}, root=1, complete=False) == {
        1: 158,
        2: 100,
        3: 60,
    }


@pytest.mark.parametrize(
    ("done", "as_of", "expected"),
    [
        (date(2025, 10, 8), date(2025, 12, 1), "met"),
        (date(2025, 10, 9), date(2025, 12, 1), "met"),  # on the deadline itself
        (date(2025, 10, 10), date(2025, 12, 1), "late"),
        (None, date(2025, 10, 9), "open"),  # the last day is still within the time limit
        (None, date(2025, 10, 10), "overdue"),
    ],
)
def test_it_says_whether_a_deadline_was_met(done: date | None, as_of: date, expected: str) -> None:
    assert s.deadline_outcome(deadline=date(2025, 10, 9), done=done, as_of=as_of) == expected


def test_it_gives_each_funnel_step_as_a_share_of_the_first() -> None:
    assert s.funnel_percentages([40, 30, 20, 10]) == [
        Decimal("100.0"),
        Decimal("75.0"),
        Decimal("50.0"),
        Decimal("25.0"),
    ]
    assert s.funnel_percentages([0, 0]) == [None, None]
    assert s.funnel_percentages([]) == []


# --- Time in stage: stored package counts corrected by the overrides --------------------------


def test_a_visit_across_tet_counts_the_package_working_days() -> None:
    # 06/02/2026 (Fri) -> 27/02/2026 (Fri): 15 weekdays, Tết 16-20/02 off (the package's 2026 days).
    assert s.package_working_days(date(2026, 2, 6), date(2026, 2, 27)) == 10
    assert s.package_working_days(date(2026, 2, 27), date(2026, 2, 6)) == -10


def test_override_deltas_keep_only_the_days_that_differ_from_the_package() -> None:
    from admission.domain.calendar import WorkingCalendar

    calendar = WorkingCalendar(
        extra_working_days=frozenset({date(2026, 2, 14), date(2026, 3, 4)}),  # a Saturday; a Wednesday
        extra_days_off=frozenset({date(2026, 2, 27), date(2026, 2, 28)}),  # a Friday; a Saturday
    )
    deltas = s.override_deltas(calendar)
    assert deltas == [(date(2026, 2, 14), 1), (date(2026, 2, 27), -1)]
    stored = s.package_working_days(date(2026, 2, 6), date(2026, 2, 27))
    # The entry day is not in the visit, the last day is.
    assert s.visit_working_days(date(2026, 2, 6), date(2026, 2, 27), stored, deltas) == stored
    assert s.visit_working_days(date(2026, 2, 14), date(2026, 2, 27), 5, deltas) == 4
    assert calendar.working_days_between(date(2026, 2, 6), date(2026, 2, 27)) == stored
