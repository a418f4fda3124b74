"""The people behind "Chuyển sinh hoạt đi / đến" on the statistics page: the transfers the figure
counts (CandidateTransfer across the subtree's edge), wherever the person is now.

QA found "transfers out" = 1 with an empty list: the candidate moved to a branch the viewer cannot
read, and the list went through the candidate's organisation today. Decision: docs/decisions.md,
"Transfers out: the figure and its people".

History (2026, the reference timeline from START): Ngô Thị Về moves from branch A to the village
branch V (under the commune, outside committee C) on 03/12/2026; Trần Văn Qua moves from A to V on
01/06/2026 and on from V to branch B on 01/09/2026 (V's secretary records it).
"""

import datetime as dt
import io

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from admission import services
from admission.devdata.demo import at, walk_to
from admission.models import Candidate
from admission.reporting import statistics as st
from admission.reporting.people import statistics_people
from admission.reporting.query import StatisticsQuery
from members.models import Role, User
from members.services import role_assign
from tests.factories import PersonFactory, UserFactory

pytestmark = pytest.mark.django_db
D = dt.date
START = D(2026, 1, 5)
TODAY = D(2026, 12, 10)
QUERY = StatisticsQuery.for_year(2026)
PERIOD = {"start": "01/01/2026", "end": "31/12/2026", "admitted_by": "ceremony", "baseline": "year_start"}
MOVED, PASSED = "Ngô Thị Về", "Trần Văn Qua"


@pytest.fixture
def vera(tree) -> User:  # type: ignore[no-untyped-def]
    """Secretary of the village branch V: the destination."""
    user = UserFactory(username="vera")
    role_assign(acting_user=None, user=user, organisation=tree.village, role=Role.BRANCH_SECRETARY)
    return user


def _candidate(tree, alice, introducers, name: str) -> Candidate:  # type: ignore[no-untyped-def]
    person = PersonFactory(organisation=tree.branch_a, full_name=name, date_of_birth=D(1998, 7, 9))
    candidate = services.candidate_create(acting_user=alice, person=person, now=at(START))
    return walk_to(candidate, "S4", user=alice, introducers=introducers, start=START)


def _transfer(user, candidate: Candidate, to_branch, day: D) -> None:  # type: ignore[no-untyped-def]
    services.candidate_transfer(
        acting_user=user, candidate=candidate, to_branch=to_branch, on_date=day, note="Chuyển về nơi cư trú",
        now=at(day),
    )  # fmt: skip
    candidate.refresh_from_db()


@pytest.fixture
def moved(tree, alice, introducers) -> Candidate:  # type: ignore[no-untyped-def]
    """The QA case: A -> V on 03/12/2026."""
    candidate = _candidate(tree, alice, introducers, MOVED)
    _transfer(alice, candidate, tree.village, D(2026, 12, 3))
    return candidate


@pytest.fixture
def passed(tree, alice, vera, introducers) -> Candidate:  # type: ignore[no-untyped-def]
    """A -> V on 01/06/2026, then V -> B on 01/09/2026."""
    candidate = _candidate(tree, alice, introducers, PASSED)
    _transfer(alice, candidate, tree.village, D(2026, 6, 1))
    _transfer(vera, candidate, tree.branch_b, D(2026, 9, 1))
    return candidate


def _count_and_people(user, organisation, figure: str):  # type: ignore[no-untyped-def]
    figures = st.statistics_figures(user=user, organisation=organisation, query=QUERY, today=TODAY)
    people = statistics_people(user=user, organisation=organisation, query=QUERY, figure=figure, key="", today=TODAY)
    return figures["outcomes"][figure], list(people.rows)


def _client(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def _people_page(user, organisation, figure: str):  # type: ignore[no-untyped-def]
    with time_machine.travel(at(TODAY), tick=False):
        return _client(user).get(
            reverse("statistics_people", args=[organisation.pk]), {**PERIOD, "figure": figure, "key": ""}
        )


@pytest.mark.parametrize(("login", "origin"), [("alice", "branch_a"), ("carol", "committee")])
def test_it_lists_as_many_people_as_the_transfers_out_figure_counts(  # type: ignore[no-untyped-def]
    request, tree, moved, login, origin
) -> None:
    count, rows = _count_and_people(request.getfixturevalue(login), getattr(tree, origin), "transfers_out")
    assert count == len(rows) == 1
    (row,) = rows
    assert row.person.full_name == MOVED
    assert row.figure_date == D(2026, 12, 3)
    assert row.destination_name == tree.village.name
    assert row.readable is False  # the village is outside A and C


def test_the_page_names_them_with_the_day_and_destination_and_nothing_more(tree, alice, moved) -> None:  # type: ignore[no-untyped-def]
    response = _people_page(alice, tree.branch_a, "transfers_out")
    assert response.status_code == 200
    page = response.content.decode()
    assert "1 người" in page and "Không có ai" not in page
    assert MOVED in page and "03/12/2026" in page and tree.village.name in page
    # no link to the candidate's page, no date of birth, no stage: the user no longer reads them
    assert reverse("candidate_detail", args=[moved.pk]) not in page
    assert "09/07/1998" not in page
    assert "people-moved-away" in page


def test_the_export_holds_the_same_row_without_personal_details(tree, carol, moved) -> None:  # type: ignore[no-untyped-def]
    with time_machine.travel(at(TODAY), tick=False):
        response = _client(carol).get(
            reverse("statistics_people_export", args=[tree.committee.pk]),
            {**PERIOD, "figure": "transfers_out", "key": ""},
        )
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2) if row[1].value]
    assert len(rows) == 1
    number, name, born, gender, ethnicity, destination, day, stage = rows[0]
    assert (name, destination, day.date()) == (MOVED, tree.village.name, D(2026, 12, 3))
    assert born is None and gender is None and ethnicity is None and stage is None


def test_a_reader_of_the_destination_gets_the_link_too(tree, eve, moved) -> None:  # type: ignore[no-untyped-def]
    count, rows = _count_and_people(eve, tree.committee, "transfers_out")
    assert count == len(rows) == 1 and rows[0].readable is True
    page = _people_page(eve, tree.committee, "transfers_out").content.decode()
    assert reverse("candidate_detail", args=[moved.pk]) in page and "09/07/1998" in page


def test_only_readers_of_the_origin_see_the_list(tree, alice, bob, vera, oscar, moved) -> None:  # type: ignore[no-untyped-def]
    assert MOVED in _people_page(alice, tree.branch_a, "transfers_out").content.decode()
    for outsider in (bob, vera, oscar):  # another branch, the destination, no role
        assert _people_page(outsider, tree.branch_a, "transfers_out").status_code in (403, 404)
        assert _people_page(outsider, tree.committee, "transfers_out").status_code in (403, 404)


def test_the_destination_lists_those_who_came_in_even_after_they_moved_on(tree, vera, moved, passed) -> None:  # type: ignore[no-untyped-def]
    """V: in = Về (still there) and Qua (gone on to B, outside V); out = Qua. Its own lists are
    unaffected by the origin's: Về keeps her full row and link for V's secretary."""
    count, rows = _count_and_people(vera, tree.village, "transfers_in")
    assert count == len(rows) == 2
    by_name = {row.person.full_name: row for row in rows}
    assert by_name[MOVED].readable is True and by_name[MOVED].figure_date == D(2026, 12, 3)
    assert by_name[PASSED].readable is False and by_name[PASSED].figure_date == D(2026, 6, 1)
    count, rows = _count_and_people(vera, tree.village, "transfers_out")
    assert count == len(rows) == 1
    assert rows[0].person.full_name == PASSED and rows[0].destination_name == tree.branch_b.name
    page = _people_page(vera, tree.village, "transfers_in").content.decode()
    assert reverse("candidate_detail", args=[moved.pk]) in page
    assert reverse("candidate_detail", args=[passed.pk]) not in page and PASSED in page


def test_the_counts_and_lists_agree_for_every_transfer_figure_and_reader(  # type: ignore[no-untyped-def]
    tree, alice, carol, vera, moved, passed
) -> None:
    """A: out 2 (Về, Qua); C: out 2, in 1 (Qua back into B); V: in 2, out 1."""
    cases = [
        (alice, tree.branch_a, "transfers_out", {MOVED, PASSED}),
        (alice, tree.branch_a, "transfers_in", set()),
        (carol, tree.committee, "transfers_out", {MOVED, PASSED}),
        (carol, tree.committee, "transfers_in", {PASSED}),
        (vera, tree.village, "transfers_in", {MOVED, PASSED}),
        (vera, tree.village, "transfers_out", {PASSED}),
    ]
    for user, organisation, figure, names in cases:
        count, rows = _count_and_people(user, organisation, figure)
        assert (count, {row.person.full_name for row in rows}) == (len(names), names), (organisation.code, figure)
