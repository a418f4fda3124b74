"""The life-cycle outcomes of the statistics page on PostgreSQL: not admitted (S10 -> S1), annulled
(into SZ), withdrawn or dropped before a decision (S1-S10 -> S0, without the monthly list review),
transferred in and out of the subtree; each figure's people list matches its count.

History, built through the services (START 06/01/2025, the reference timeline of
admission.devdata.demo): in branch A a rejection (10/09/2025), an annulment (01/12/2025), a drop
(02/06/2025), a removal at the monthly list review (05/05/2025, not counted), a transfer to branch B
(10/04/2025, inside committee C) and one to the village branch under the commune (11/04/2025,
out of C, inside the province); in branch B a withdrawal (10/09/2025).
"""

import datetime as dt

import pytest
from django.http import Http404

from admission import services
from admission.devdata.demo import at, walk_to
from admission.models import Candidate
from admission.reporting import statistics as st
from admission.reporting.people import statistics_people
from admission.reporting.query import StatisticsQuery
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db
START = dt.date(2025, 1, 6)
D = dt.date
FIGURES = ("rejected", "annulled", "withdrawn", "transfers_in", "transfers_out")


def _candidate(branch, user, introducers, stage: str, name: str) -> Candidate:  # type: ignore[no-untyped-def]
    person = PersonFactory(organisation=branch, full_name=name, date_of_birth=D(1997, 3, 4))
    candidate = services.candidate_create(acting_user=user, person=person, now=at(START))
    return walk_to(candidate, stage, user=user, introducers=introducers, start=START)


def _step(user, candidate: Candidate, key: str, day: D, note: str, **data: object) -> None:  # type: ignore[no-untyped-def]
    services.candidate_step(
        acting_user=user,
        candidate=candidate,
        step_key=key,
        data=services.StepInput(on_date=day, note=note, **data),  # type: ignore[arg-type]
        now=at(day),
    )


@pytest.fixture
def history(tree, alice, bob, gina, introducers):  # type: ignore[no-untyped-def]
    rejected = _candidate(tree.branch_a, alice, introducers, "S10", "Hà Văn Không")
    _step(
        gina, rejected, "reject", D(2025, 9, 10), "Chưa đủ tiêu chuẩn",
        vote=services.VoteCounts(summoned=5, yes=2, no=3),
    )  # fmt: skip
    annulled = _candidate(tree.branch_a, alice, introducers, "S13", "Lý Thị Hủy")
    _step(gina, annulled, "annul", D(2025, 12, 1), "Sai thẩm quyền ký quyết định")
    dropped = _candidate(tree.branch_a, alice, introducers, "S2", "Đỗ Văn Đưa")
    _step(alice, dropped, "drop", D(2025, 6, 2), "Không còn đủ điều kiện")
    reviewed = _candidate(tree.branch_a, alice, introducers, "S1", "Trần Văn Rà")
    services.meeting_record(
        acting_user=alice, organisation=tree.branch_a, held_on=D(2025, 5, 5), official_members=5, present=5,
        minutes="", add=[], keep=[], remove={reviewed.pk: "Chuyển đi nơi khác ở"}, now=at(D(2025, 5, 5)),
    )  # fmt: skip
    withdrawn = _candidate(tree.branch_b, bob, introducers, "S3", "Bùi Thị Rút")
    _step(bob, withdrawn, "withdraw", D(2025, 9, 10), "Đơn xin rút vì lý do gia đình")
    to_b = _candidate(tree.branch_a, alice, introducers, "S4", "Đặng Văn Sang")
    services.candidate_transfer(
        acting_user=alice, candidate=to_b, to_branch=tree.branch_b, on_date=D(2025, 4, 10), note="Chuyển công tác",
        now=at(D(2025, 4, 10)),
    )  # fmt: skip
    to_village = _candidate(tree.branch_a, alice, introducers, "S4", "Ngô Thị Về")
    services.candidate_transfer(
        acting_user=alice, candidate=to_village, to_branch=tree.village, on_date=D(2025, 4, 11),
        note="Chuyển về nơi cư trú", now=at(D(2025, 4, 11)),
    )  # fmt: skip
    reviewed.refresh_from_db()
    assert reviewed.stage == "S0"
    return {
        "rejected": rejected.person.full_name,
        "annulled": annulled.person.full_name,
        "dropped": dropped.person.full_name,
        "withdrawn": withdrawn.person.full_name,
        "to_b": to_b.person.full_name,
        "to_village": to_village.person.full_name,
    }


@pytest.mark.parametrize(
    ("organisation", "expected", "names"),
    [
        # rejected, annulled, withdrawn, transfers in, transfers out
        ("branch_a", (1, 1, 1, 0, 2), ("rejected", "annulled", "dropped", None, "to_b to_village")),
        ("branch_b", (0, 0, 1, 1, 0), (None, None, "withdrawn", "to_b", None)),
        ("committee", (1, 1, 2, 0, 1), ("rejected", "annulled", "dropped withdrawn", None, "to_village")),
        ("province", (1, 1, 2, 0, 0), ("rejected", "annulled", "dropped withdrawn", None, None)),
    ],
)
def test_it_counts_the_outcomes_and_lists_the_people_behind_them(
    tree, eve, history, organisation, expected, names
) -> None:  # type: ignore[no-untyped-def]
    org = getattr(tree, organisation)
    query = StatisticsQuery.for_year(2025)
    figures = st.statistics_figures(user=eve, organisation=org, query=query, today=D(2026, 1, 15))
    assert tuple(figures["outcomes"][key] for key in FIGURES) == expected
    for key, count, who in zip(FIGURES, expected, names, strict=True):
        people = statistics_people(user=eve, organisation=org, query=query, figure=key, key="", today=D(2026, 1, 15))
        listed = sorted(row.person.full_name for row in people.rows)
        assert len(listed) == count, key
        assert listed == sorted(history[name] for name in (who or "").split()), key
        assert all(row.figure_date is not None for row in people.rows)


def test_the_outcomes_are_dated_by_the_event_and_outside_the_period_they_do_not_count(tree, eve, history) -> None:  # type: ignore[no-untyped-def]
    query = StatisticsQuery.for_year(2025)
    people = statistics_people(
        user=eve, organisation=tree.committee, query=query, figure="rejected", key="", today=D(2026, 1, 15)
    )
    assert [row.figure_date for row in people.rows] == [D(2025, 9, 10)]
    figures = st.statistics_figures(
        user=eve, organisation=tree.province, query=StatisticsQuery.for_year(2026), today=D(2026, 1, 15)
    )
    assert figures["outcomes"] == dict.fromkeys(FIGURES, 0)


def test_a_transfer_out_is_named_where_the_person_was_but_read_only_where_they_are(tree, alice, history) -> None:  # type: ignore[no-untyped-def]
    """The count and the names belong to the subtree; the rest of the row follows the move
    (docs/decisions.md, "Transfers out: the figure and its people")."""
    query = StatisticsQuery.for_year(2025)
    figures = st.statistics_figures(user=alice, organisation=tree.branch_a, query=query, today=D(2026, 1, 15))
    assert figures["outcomes"]["transfers_out"] == 2
    people = statistics_people(
        user=alice, organisation=tree.branch_a, query=query, figure="transfers_out", key="", today=D(2026, 1, 15)
    )
    assert sorted(row.person.full_name for row in people.rows) == sorted([history["to_b"], history["to_village"]])
    assert not any(row.readable for row in people.rows)


def test_an_outcome_has_no_sub_keys(tree, eve, history) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(Http404):
        statistics_people(
            user=eve, organisation=tree.committee, query=StatisticsQuery.for_year(2025), figure="rejected",
            key="child:1", today=D(2026, 1, 15),
        )  # fmt: skip


def test_every_outcome_transition_is_in_the_partial_index() -> None:
    """The outcomes are read through the partial index `transition_outcome_day`, whose condition
    (`OUTCOME_TRANSITION`) the query repeats: no pair of stages that the outcome filters count may
    fall outside it (the monthly list review's Exists left aside: it only removes rows)."""
    from django.db.models import Q, Value

    from admission.domain.stages import Stage
    from admission.models import OUTCOME_TRANSITION
    from admission.reporting.candidates import _transition_filters

    filters = _transition_filters()
    withdrawn = [child for child in filters["withdrawn"].children if not isinstance(child, Q) or child.negated is False]
    counted = filters["rejected"] | filters["annulled"] | Q(*withdrawn)
    outside = []
    for before in Stage:
        for after in Stage:
            values = {"from_stage": Value(before.value), "to_stage": Value(after.value)}
            if counted.check(values) and not OUTCOME_TRANSITION.check(values):
                outside.append((before.value, after.value))
    assert outside == []
    # and the filter counts something of each kind (the check above is not vacuous)
    assert counted.check({"from_stage": Value("S10"), "to_stage": Value("S1")})
    assert counted.check({"from_stage": Value("S3"), "to_stage": Value("S0")})
    assert not counted.check({"from_stage": Value("S0"), "to_stage": Value("S1")})
