"""The life cycle's pages: the acts around a transfer (T11 forwarding received, T13 request to
reconsider) for the destination's competent committee only; the committee queue lists the rulings
it owes (SY) with what is expected; the candidate's timeline and history speak Vietnamese (the vote
behind a move, stage names, no codes).

Reference timeline (admission.devdata.demo, START Mon 06/01/2025): S9 from 05/08/2025; recognition
resolution 25/10/2026 (S16). The clock is frozen after the events recorded."""

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from admission import services
from admission.devdata.demo import at, walk_to
from admission.models import Candidate
from members.models import Role, User
from members.services import role_assign
from tests.conftest import Tree
from tests.factories import PersonFactory, UserFactory

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
START = dt.date(2025, 1, 6)
MOVED = dt.date(2025, 9, 1)
NOW = dt.datetime(2025, 9, 15, 10, 0, tzinfo=TZ)
LATER = dt.datetime(2026, 12, 1, 10, 0, tzinfo=TZ)


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _walk(tree: Tree, introducers, stage: str, name: str) -> Candidate:  # type: ignore[no-untyped-def]
    person = PersonFactory(organisation=tree.branch_a, full_name=name, youth_union_member=False)
    candidate = services.candidate_create(acting_user=None, person=person, now=at(START))
    return walk_to(candidate, stage, user=None, introducers=introducers, start=START)


@pytest.fixture
def wendy(tree: Tree) -> User:
    """Committee staff of the commune W, which decides for the village branch V."""
    user = UserFactory(username="wendy")
    role_assign(acting_user=None, user=user, organisation=tree.commune, role=Role.COMMITTEE_STAFF)
    return user


@pytest.fixture
def moved(tree: Tree, alice: User, introducers) -> Iterator[Candidate]:  # type: ignore[no-untyped-def]
    candidate = _walk(tree, introducers, "S9", "Tạ Văn Chuyển Hồ Sơ")
    services.candidate_transfer(
        acting_user=alice,
        candidate=candidate,
        to_branch=tree.village,
        on_date=MOVED,
        note="Chuyển nơi cư trú",
        now=at(MOVED),
    )
    candidate.refresh_from_db()
    with time_machine.travel(NOW, tick=False):
        yield candidate


def test_the_destinations_committee_records_the_forwarded_dossier_on_the_page(moved, wendy) -> None:  # type: ignore[no-untyped-def]
    client = _client(wendy)
    page = client.get(reverse("candidate_detail", args=[moved.pk])).content.decode()
    assert 'id="transfer-forwarded-link"' in page and "Hạn cấp ủy nơi chuyển đi chuyển hồ sơ" in page
    assert "transfer →" not in page  # the history names the move in words
    url = reverse("transfer_forwarded", args=[moved.pk])
    refused = client.post(url, {"on_date": "31/08/2025"})  # before the move: form again, with the reason
    assert refused.status_code == 200 and "trước ngày chuyển sinh hoạt" in refused.content.decode()
    assert client.post(url, {"on_date": "12/09/2025"}).status_code == 302
    moved.refresh_from_db()
    assert moved.transfer_received_date == dt.date(2025, 9, 12)
    assert client.get(url).status_code == 403  # recorded: nothing left to record


def test_the_destinations_committee_requests_reconsideration_on_the_page(moved, wendy) -> None:  # type: ignore[no-untyped-def]
    url = reverse("transfer_reconsideration", args=[moved.pk])
    response = _client(wendy).post(url, {"on_date": "10/09/2025", "note": "Cần thẩm tra lại nơi cư trú"})
    assert response.status_code == 302
    moved.refresh_from_db()
    assert moved.reconsideration_requested_date == dt.date(2025, 9, 10)
    page = _client(wendy).get(reverse("candidate_detail", args=[moved.pk])).content.decode()
    assert "Cần thẩm tra lại nơi cư trú" in page and "Hạn trả lời đề nghị xem xét lại" in page


@pytest.mark.parametrize("name", ["transfer_forwarded", "transfer_reconsideration"])
def test_others_are_refused_the_acts_around_a_transfer(moved, tree, alice, gina, oscar, name) -> None:  # type: ignore[no-untyped-def]
    secretary = UserFactory(username="thu")
    role_assign(acting_user=None, user=secretary, organisation=tree.village, role=Role.BRANCH_SECRETARY)
    url = reverse(name, args=[moved.pk])
    for outsider in (alice, gina, oscar):  # the old branch and its committee no longer read it
        assert _client(outsider).post(url, {"on_date": "10/09/2025", "note": "x"}).status_code == 404
    assert _client(secretary).post(url, {"on_date": "10/09/2025", "note": "x"}).status_code == 403
    moved.refresh_from_db()
    assert (moved.transfer_forwarded_date, moved.reconsideration_requested_date) == (None, None)


def test_the_queue_lists_a_deadlock_with_the_rulings_expected_and_the_timeline_speaks_vietnamese(
    tree, introducers, carol, gina
) -> None:  # type: ignore[no-untyped-def]
    candidate = _walk(tree, introducers, "S16", "Lò Văn Bế Tắc")
    for day in (3, 10, 17):
        held = candidate.stage_entered_on + dt.timedelta(days=day)
        services.candidate_vote(
            acting_user=carol,
            candidate=candidate,
            step_key="recognition_grassroots_vote",
            held_on=held,
            summoned=9,
            excluded=0,
            yes=5,
            no=4,
            abstain=0,
            form="secret",
            now=at(held),
        )
        candidate.refresh_from_db()
    assert candidate.stage == "SY"
    with time_machine.travel(LATER, tick=False):
        queue = _client(gina).get(reverse("committee_queue", args=[tree.government.pk])).content.decode()
        page = _client(gina).get(reverse("candidate_detail", args=[candidate.pk])).content.decode()
    assert "Lò Văn Bế Tắc" in queue
    assert "Cần:" in queue and "Cấp trên kết luận công nhận" in queue and "Quyết định xóa tên" in queue
    assert "SY ·" not in queue
    timeline = page[page.index('id="timeline"') : page.index("</ol>", page.index('id="timeline"'))]
    assert "Biểu quyết ngày 25/10/2026: 7/9 tán thành" in timeline  # the recognition vote behind S15 -> S16
    assert "[Vote" not in timeline and "S15" not in timeline
    assert "Đảng ủy cơ sở biểu quyết 3 lần không đạt 2/3" in timeline
    history = page[page.index("history_type") if "history_type" in page else 0 :]
    assert "· S16" not in history and "S15→S16" not in page
