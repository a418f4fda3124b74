"""The candidacies' statistics summary (admission.reporting.summaries): kept by the services in
their transactions, equal to a rebuild from the candidacies after a seeded random sequence of
steps, corrections, undos, transfers and removals, and giving the page the same figures as the
candidacies themselves for every period of whole months (other periods are computed as before)."""

import datetime as dt
import json

import pytest
from django.core.management import call_command

from admission.domain.stages import Stage
from admission.models import CalendarOverride, Candidate, CandidateCount
from admission.reporting import candidates, statistics
from admission.reporting.query import AdmittedBy, StatisticsQuery
from admission.reporting.summaries import (
    MONTH,
    YEAR,
    candidate_items,
    candidates_rebuild,
    period_counts,
    period_ranges,
)
from tests.integration.members.test_summaries import _random_acts

pytestmark = pytest.mark.django_db


def _rows() -> dict[tuple[object, ...], int]:
    """Every summary row that counts something (a recount may leave rows of zeros behind)."""
    fields = ("organisation_id", "own", "figure", "level", "bucket", "label", "value", "count")
    return {tuple(row[:-1]): row[-1] for row in CandidateCount.objects.values_list(*fields) if row[-1]}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_it_equals_a_rebuild_after_random_acts_and_corrections(tree, alice, carol, introducers, seed) -> None:  # type: ignore[no-untyped-def]
    _random_acts(tree, alice, carol, introducers, seed)
    incremental = _rows()
    figures = {key[2] for key in incremental}
    assert {"visit", "funnel"} <= figures, "the acts recorded visits and certificates"
    candidates_rebuild()  # set-based on PostgreSQL
    assert _rows() == incremental
    candidates_rebuild(set_based=False)  # the Python twin (SQLite)
    assert _rows() == incremental


def test_a_removal_and_a_transfer_move_the_counts(tree, alice, carol, introducers) -> None:  # type: ignore[no-untyped-def]
    _random_acts(tree, alice, carol, introducers, 2)
    by_branch = {
        branch.pk: Candidate.objects.filter(organisation=branch).exclude(certificate_issue_date=None).count()
        for branch in (tree.branch_a, tree.branch_b)
    }
    for branch in (tree.branch_a, tree.branch_b):
        own_cohort = sum(
            count
            for (org, own, figure, level, _bucket, _label, _value), count in _rows().items()
            if org == branch.pk and own and figure == "funnel" and level == YEAR
        )
        assert own_cohort == by_branch[branch.pk]
    total = sum(
        count
        for (org, own, figure, level, _bucket, _label, _value), count in _rows().items()
        if org == tree.province.pk and not own and figure == "funnel" and level == YEAR
    )
    assert total == sum(by_branch.values())


def test_the_rebuild_command_recomputes_the_rows(tree, alice, carol, introducers) -> None:  # type: ignore[no-untyped-def]
    _random_acts(tree, alice, carol, introducers, 3)
    kept = _rows()
    CandidateCount.objects.filter(own=False).delete()  # as if the summary were lost
    call_command("rebuild_statistics", stdout=open("/dev/null", "w"))  # noqa: SIM115, PTH123
    assert _rows() == kept


@pytest.mark.parametrize("seed", [4, 5])
def test_the_page_figures_from_the_summary_equal_those_from_the_candidacies(
    tree, alice, carol, eve, introducers, seed, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    _random_acts(tree, alice, carol, introducers, seed)
    queries = [
        StatisticsQuery.for_year(2025),
        StatisticsQuery(start=dt.date(2025, 2, 1), end=dt.date(2025, 3, 31)),
        StatisticsQuery(start=dt.date(2024, 11, 1), end=dt.date(2026, 2, 28), admitted_by=AdmittedBy.DECISION),
    ]
    for query in queries:
        assert period_counts(root_id=tree.province.pk, child_ids=[], start=query.start, end=query.end) is not None
        for root in (tree.province, tree.committee, tree.branch_a):
            with monkeypatch.context() as patch:
                from_summary = statistics.statistics_figures(
                    user=eve, organisation=root, query=query, today=dt.date(2026, 6, 1)
                )
                patch.setattr(statistics, "period_counts", lambda **_kwargs: None)
                from_candidacies = statistics.statistics_figures(
                    user=eve, organisation=root, query=query, today=dt.date(2026, 6, 1)
                )
            assert json.dumps(from_summary, sort_keys=True) == json.dumps(from_candidacies, sort_keys=True)
    counted = sum(row["count"] for row in from_summary["time_in_stage"])
    assert counted > 0, "the periods held visits"


def test_a_period_inside_months_is_not_answered_by_the_summary() -> None:
    assert period_ranges(dt.date(2025, 1, 2), dt.date(2025, 12, 31)) is None
    assert period_ranges(dt.date(2025, 1, 1), dt.date(2025, 12, 30)) is None
    assert period_ranges(dt.date(2024, 2, 1), dt.date(2024, 2, 29)) == [
        (MONTH, dt.date(2024, 2, 1), dt.date(2024, 2, 1))
    ]
    assert period_ranges(dt.date(2024, 11, 1), dt.date(2026, 2, 28)) == [
        (MONTH, dt.date(2024, 11, 1), dt.date(2024, 12, 1)),
        (YEAR, dt.date(2025, 1, 1), dt.date(2025, 1, 1)),
        (MONTH, dt.date(2026, 1, 1), dt.date(2026, 2, 1)),
    ]
    assert period_ranges(dt.date(2023, 1, 1), dt.date(2025, 12, 31)) == [
        (YEAR, dt.date(2023, 1, 1), dt.date(2025, 1, 1))
    ]


def test_what_one_candidacy_counts() -> None:
    items = candidate_items(
        stage=Stage.SX.value,
        removal=dt.date(2025, 3, 4),
        certificate=dt.date(2024, 1, 31),
        ceremony=dt.date(2024, 4, 30),  # 30/04 is before the 31st: two completed months
        voted=True,
        dossier=True,
    )
    assert items == [("removed", dt.date(2025, 3, 4), "", 0), ("funnel", dt.date(2024, 1, 31), "cvd", 2)]
    assert candidate_items(
        stage=Stage.S3.value, removal=None, certificate=dt.date(2024, 1, 31), ceremony=None, voted=False, dossier=True
    ) == [("funnel", dt.date(2024, 1, 31), "n-d", 0)]


@pytest.mark.parametrize("seed", [6, 7])
def test_deadlines_counted_by_the_statement_equal_those_computed_row_by_row(
    tree, alice, carol, eve, introducers, seed, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """PostgreSQL counts the deadlines' outcomes in SQL against the limits of every trigger day
    (candidates._deadline_count_sql); the rows-and-Python path (SQLite's) must agree, with
    calendar overrides of their own in a branch and in the committee (several calendar groups)."""
    _random_acts(tree, alice, carol, introducers, seed)
    CalendarOverride.objects.create(day=dt.date(2025, 3, 3), is_working_day=False, organisation=tree.branch_b)
    CalendarOverride.objects.create(day=dt.date(2025, 2, 22), is_working_day=True, organisation=tree.committee)
    CalendarOverride.objects.create(day=dt.date(2025, 4, 1), is_working_day=False, note="nghỉ bù")
    compared = 0
    for query in (StatisticsQuery.for_year(2025), StatisticsQuery(start=dt.date(2025, 2, 3), end=dt.date(2025, 7, 17))):
        for today in (dt.date(2025, 3, 20), dt.date(2026, 6, 1)):
            for root in (tree.province, tree.committee, tree.branch_b):
                in_sql = statistics.statistics_figures(user=eve, organisation=root, query=query, today=today)
                with monkeypatch.context() as patch:
                    patch.setattr(candidates, "_subtree_candidates", lambda *_args, **_kwargs: ("", []))
                    by_rows = statistics.statistics_figures(user=eve, organisation=root, query=query, today=today)
                assert in_sql["deadlines"] == by_rows["deadlines"], (root.name, query, today)
                compared += sum(row["met"] + row["late"] + row["overdue"] + row["open"] for row in in_sql["deadlines"])
    assert compared > 0, "some time limits ended in the periods"
