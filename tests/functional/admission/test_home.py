"""The home page's to-do for each role: what is late and due soon with one click to do it, the
meetings of the month and the returned dossiers for a branch; what reached a committee and what is
late there; nothing from outside the user's scope; a query count that does not grow with the data.

Candidates follow the reference timeline of admission.devdata.demo from START = Mon 06/01/2025
(branch resolution, then the decision due 45 working days later: QĐ294 4.3.1). The clock is frozen
relative to each candidate's own legal date, so the test holds on any day.
"""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
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


def _walked(tree: Tree, branch, stage: str, name: str, introducers=()) -> Candidate:  # type: ignore[no-untyped-def]
    person = PersonFactory(organisation=branch, full_name=name)
    candidate = services.candidate_create(acting_user=None, person=person, now=at(START))
    return walk_to(candidate, stage, user=None, introducers=list(introducers), start=START)


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _home(user: User, day: dt.date) -> str:
    with time_machine.travel(dt.datetime.combine(day, dt.time(9, 0), tzinfo=TZ), tick=False):
        response = _client(user).get(reverse("dashboard"))
    assert response.status_code == 200
    return response.content.decode()


def _section(html: str, section_id: str) -> str:
    found = re.search(rf'id="{section_id}".*?</section>', html, re.S)
    return found.group(0) if found else ""


def test_a_secretary_sees_what_is_late_with_its_legal_date_owner_and_a_link(tree, alice, bob, introducers) -> None:  # type: ignore[no-untyped-def]
    deciding = _walked(tree, tree.branch_a, "S10", "Nguyễn Văn Chờ Quyết", introducers)
    elsewhere = _walked(tree, tree.branch_b, "S10", "Trần Thị Chi Bộ Khác", introducers)
    assert deciding.next_due_on is not None
    late_day = deciding.next_due_on + dt.timedelta(days=1)

    due = _section(_home(alice, late_day), "todo-due")

    assert "Nguyễn Văn Chờ Quyết" in due and "Trần Thị Chi Bộ Khác" not in due  # only her branch
    assert deciding.next_due_on.strftime("%d/%m/%Y") in due and "quá hạn" in due
    assert "Cấp ủy có thẩm quyền" in due  # the decision is the committee's act: the page says who acts
    assert reverse("candidate_detail", args=[deciding.pk]) in due
    other = _section(_home(bob, late_day), "todo-due")
    assert "Trần Thị Chi Bộ Khác" in other and "Nguyễn Văn Chờ Quyết" not in other
    assert elsewhere.pk != deciding.pk


def test_a_branch_act_due_soon_links_to_its_form(tree, alice, introducers) -> None:  # type: ignore[no-untyped-def]
    voting = _walked(tree, tree.branch_a, "S8", "Lê Thị Chờ Biểu Quyết", introducers)
    assert voting.next_due_on is not None

    soon = _section(_home(alice, voting.next_due_on - dt.timedelta(days=10)), "todo-due")
    far = _section(_home(alice, voting.next_due_on - dt.timedelta(days=20)), "todo-due")

    assert reverse("candidate_step", args=[voting.pk, "branch_vote"]) in soon
    assert "quá hạn" not in soon and "Cấp thực hiện: Chi bộ" in soon
    assert "Lê Thị Chờ Biểu Quyết" not in far  # beyond the 14 days


def test_a_committee_sees_the_dossiers_at_its_level_and_how_many_are_late(tree, gina, carol, introducers) -> None:  # type: ignore[no-untyped-def]
    first = _walked(tree, tree.branch_a, "S10", "Phạm Văn Một", introducers)
    _walked(tree, tree.branch_b, "S10", "Phạm Văn Hai", introducers)
    assert first.next_due_on is not None
    day = first.next_due_on + dt.timedelta(days=2)

    html = _home(gina, day)
    at_g = _section(html, f"todo-committee-{tree.government.pk}")

    assert "Phạm Văn Một" in at_g and "Phạm Văn Hai" in at_g
    assert "2 hồ sơ" in at_g and "2 quá hạn" in at_g
    assert reverse("dossier_review", args=[first.pk]) in at_g
    # The grassroots committee C does not decide: nothing reached it.
    at_c = _section(_home(carol, day), f"todo-committee-{tree.committee.pk}")
    assert "Phạm Văn Một" not in at_c and "0 hồ sơ" in at_c


def test_returned_dossiers_and_the_months_meetings_are_listed(tree, alice, carol, introducers) -> None:  # type: ignore[no-untyped-def]
    resolving = _walked(tree, tree.branch_a, "S9", "Đỗ Văn Bị Trả", introducers)
    day = resolving.stage_entered_on + dt.timedelta(days=3)
    with time_machine.travel(at(day), tick=False):
        services.dossier_return(
            acting_user=carol, candidate=resolving, note="Thiếu ý kiến nơi cư trú", documents={"A6": "Bổ sung"}
        )
        services.meeting_record(
            acting_user=alice,
            organisation=tree.branch_a,
            held_on=day,
            minutes="",
            add=[],
            keep=[],
            remove={},
            official_members=9,
            present=8,
        )

    html = _home(alice, day)

    returned = _section(html, "todo-returned")
    assert "Đỗ Văn Bị Trả" in returned and "Thiếu ý kiến nơi cư trú" in returned and tree.committee.name in returned
    assert day.strftime("%d/%m/%Y") in _section(html, "todo-meetings")
    next_month = (day.replace(day=1) + dt.timedelta(days=40)).replace(day=1)
    assert "Chưa ghi cuộc họp nào" in _section(_home(alice, next_month), "todo-meetings")


def test_a_login_without_a_role_and_an_outsider_see_nothing_of_the_branch(tree, oscar, bob, introducers) -> None:  # type: ignore[no-untyped-def]
    candidate = _walked(tree, tree.branch_a, "S10", "Hoàng Thị Bí Mật", introducers)
    assert candidate.next_due_on is not None
    for user in (oscar, bob):
        html = _home(user, candidate.next_due_on)
        assert "Hoàng Thị Bí Mật" not in html
    assert "Không có việc nào được giao" in _home(oscar, candidate.next_due_on)


def test_the_home_page_reads_the_same_number_of_queries_for_one_or_many_rows(tree, alice, gina, introducers) -> None:  # type: ignore[no-untyped-def]
    first = _walked(tree, tree.branch_a, "S10", "Vũ Văn Một", introducers)
    assert first.next_due_on is not None
    day = first.next_due_on + dt.timedelta(days=1)

    def count(user: User) -> int:
        client = _client(user)
        with time_machine.travel(dt.datetime.combine(day, dt.time(9, 0), tzinfo=TZ), tick=False):
            client.get(reverse("dashboard"))  # warm the session and the caches
            with CaptureQueriesContext(connection) as queries:
                assert client.get(reverse("dashboard")).status_code == 200
        return len(queries)

    few = {user.username: count(user) for user in (alice, gina)}
    for index in range(4):
        _walked(tree, tree.branch_a, "S10", f"Vũ Văn Thêm {index}", introducers)
    many = {user.username: count(user) for user in (alice, gina)}

    assert few == many, (few, many)
    # Secretary: session, user, scope, the due list, meetings, returns, mentees, and the members
    # overview (statistics, organisations, their counts). Committee staff: the committee row,
    # the tree lookups of its due filter, its totals and page, its meetings, the dossiers it forwards (T11).
    assert few["alice"] <= 11 and few["gina"] <= 16
