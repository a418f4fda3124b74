"""The board's search and filters, its bulk actions (the meeting's agenda, a printed list) and the
printed lists, through the test client."""

import datetime as dt
import re
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from admission import services
from admission.devdata.demo import at, walk_to
from admission.models import Candidate
from members.models import User
from tests.conftest import Tree
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
START = dt.date(2025, 1, 6)
DAY = dt.datetime(2025, 2, 5, 10, 0, tzinfo=TZ)


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with time_machine.travel(DAY, tick=False):
        yield


def _candidate(
    tree: Tree, alice: User, name: str, stage: str = "S0", born: dt.date = dt.date(1998, 5, 17)
) -> Candidate:
    person = PersonFactory(organisation=tree.branch_a, full_name=name, date_of_birth=born)
    candidate = services.candidate_create(acting_user=alice, person=person, now=at(START))
    return walk_to(candidate, stage, user=alice, introducers=[], start=START) if stage != "S0" else candidate


@pytest.fixture
def people(tree: Tree, alice: User) -> dict[str, Candidate]:
    return {
        "duc": _candidate(tree, alice, "Nguyễn Văn Đức"),
        "hoa": _candidate(tree, alice, "Trần Thị Hoa"),
        "listed": _candidate(tree, alice, "Lê Thị Cảm", stage="S1"),
    }


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _names(html: str) -> set[str]:
    return set(re.findall(r'<a class="fw-semibold" href="[^"]+">([^<]+)</a>', html))


def test_it_finds_a_name_typed_without_diacritics_or_capitals(tree, alice, people) -> None:  # type: ignore[no-untyped-def]
    url = reverse("admission_board", args=[tree.branch_a.pk])

    html = _client(alice).get(url, {"q": "nguyen van duc"}).content.decode()

    assert _names(html) == {"Nguyễn Văn Đức"}
    assert 'value="nguyen van duc"' in html  # the search stays in its box


def test_it_filters_by_stage_and_says_when_nothing_matches(tree, alice, people) -> None:  # type: ignore[no-untyped-def]
    client = _client(alice)
    url = reverse("admission_board", args=[tree.branch_a.pk])

    listed = client.get(url, {"stage": "S1"}).content.decode()
    overdue = client.get(url, {"overdue": "on", "q": "hoa"}).content.decode()
    nobody = client.get(url, {"q": "không có ai"}).content.decode()

    assert _names(listed) == {"Lê Thị Cảm"}
    assert _names(overdue) == set()  # none of them is late on 05/02/2025
    assert "Không có ai khớp với điều kiện lọc." in nobody


def test_an_unknown_stage_filter_is_ignored_not_an_error(tree, alice, people) -> None:  # type: ignore[no-untyped-def]
    response = _client(alice).get(reverse("admission_board", args=[tree.branch_a.pk]), {"stage": "S99"})

    assert response.status_code == 200
    assert len(_names(response.content.decode())) == 3


def test_the_cards_are_picked_for_the_bulk_actions(tree, alice, people) -> None:  # type: ignore[no-untyped-def]
    html = _client(alice).get(reverse("admission_board", args=[tree.branch_a.pk])).content.decode()

    for candidate in people.values():
        assert f'name="c" value="{candidate.pk}" form="bulk"' in html
    assert f'formaction="{reverse("meeting_create", args=[tree.branch_a.pk])}"' in html
    assert 'id="bulk-print"' in html


def test_the_agenda_action_ticks_the_chosen_outstanding_people(tree, alice, people) -> None:  # type: ignore[no-untyped-def]
    url = reverse("meeting_create", args=[tree.branch_a.pk])

    html = _client(alice).get(url, {"c": [people["duc"].pk, people["listed"].pk]}).content.decode()

    assert re.search(rf'name="add_{people["duc"].pk}"[^>]*checked', html)
    assert not re.search(rf'name="add_{people["hoa"].pk}"[^>]*checked', html)


def test_it_prints_the_chosen_people(tree, alice, people) -> None:  # type: ignore[no-untyped-def]
    url = reverse("board_print", args=[tree.branch_a.pk])

    html = _client(alice).get(url, {"c": [people["duc"].pk, people["hoa"].pk]}).content.decode()

    table = html[html.index('id="print-list"') :]
    assert "Nguyễn Văn Đức" in table and "Trần Thị Hoa" in table
    assert "Lê Thị Cảm" not in table
    assert "17/05/1998" in table
    assert "Quần chúng ưu tú" in table


def test_it_prints_the_sympathiser_list(tree, alice, people) -> None:  # type: ignore[no-untyped-def]
    html = (
        _client(alice).get(reverse("board_print", args=[tree.branch_a.pk]), {"list": "sympathisers"}).content.decode()
    )

    table = html[html.index('id="print-list"') :]
    assert "Danh sách cảm tình Đảng" in html
    assert "Lê Thị Cảm" in table
    assert "Nguyễn Văn Đức" not in table


def test_an_outsider_gets_no_printed_list(tree, bob, people) -> None:  # type: ignore[no-untyped-def]
    response = _client(bob).get(reverse("board_print", args=[tree.branch_a.pk]), {"list": "sympathisers"})

    assert response.status_code in (403, 404)
