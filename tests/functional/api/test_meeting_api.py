"""The step API with a branch meeting: `meeting` is optional (old clients send the counts as
before); with per-member attendance the meeting gives summoned and excluded (QĐ294 9.3.2, 9.3.4).

Branch A has nine official members; the candidate waits for the branch vote (S8); the clock is
frozen on Mon 20/10/2025 and the meeting was held that day.
"""

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from admission import services
from admission.api.serializers import StepSerializer
from admission.devdata.demo import at, walk_to
from admission.models import BranchMeeting, Candidate, Vote
from admission.workflow import STEP_BY_KEY
from members import api_tokens
from members.models import PartyMember, User
from tests.conftest import Tree
from tests.factories import MemberFactory, PersonFactory

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
START = dt.date(2025, 1, 6)
DAY = dt.date(2025, 10, 20)
API = "/api/v1"


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with time_machine.travel(dt.datetime(2025, 10, 20, 16, 0, tzinfo=TZ), tick=False):
        yield


@pytest.fixture
def members(tree: Tree) -> list[PartyMember]:
    names = ["Lê Văn Giới", "Phạm Thị Thiệu", "Nguyễn Văn An", "Trần Thị Bình", "Đỗ Văn Cường", "Hoàng Thị Dung",
             "Vũ Văn Em", "Bùi Thị Giang", "Đặng Văn Hải"]  # fmt: skip
    return [MemberFactory(person=PersonFactory(organisation=tree.branch_a, full_name=n)) for n in names]


@pytest.fixture
def a8(tree: Tree, alice: User, members: list[PartyMember]) -> Candidate:
    person = PersonFactory(organisation=tree.branch_a, full_name="Hoàng Văn Tám")
    candidate = services.candidate_create(acting_user=alice, person=person, now=at(START))
    return walk_to(candidate, "S8", user=alice, introducers=members[:2], start=START)


@pytest.fixture
def meeting(tree: Tree, alice: User, members: list[PartyMember]) -> BranchMeeting:
    """Nine official members: one suspended, one absent without a reason; N = 8, 6 needed, 7 present."""
    statuses = {0: "suspended", 1: "absent"}
    return services.meeting_record(
        acting_user=alice, organisation=tree.branch_a, held_on=DAY, minutes="", add=[], keep=[], remove={},
        attendance={m.pk: services.AttendanceEntry(statuses.get(i, "present")) for i, m in enumerate(members)},
        now=at(DAY),
    )  # fmt: skip


def _post(user: User, url: str, data: object) -> Any:
    client = Client(headers={"Authorization": f"Token {api_tokens.token_rotate(acting_user=user).key}"})
    return client.post(url, data=json.dumps(data), content_type="application/json")


def _errors(response: Any) -> list[tuple[str, Any]]:
    return [(e["code"], e["params"].get("field")) for e in response.json()["errors"]]


def test_a_branch_vote_names_its_meeting_and_takes_the_counts_from_the_attendance(alice, a8, meeting) -> None:  # type: ignore[no-untyped-def]
    response = _post(
        alice,
        f"{API}/candidates/{a8.pk}/steps/branch_vote/",
        {"on_date": "2025-10-20", "meeting": meeting.pk, "vote": {"yes": 6, "no": 1}},
    )

    assert response.status_code == 200, response.content
    vote = response.json()["vote"]
    assert (vote["summoned"], vote["excluded"], vote["denominator"], vote["required"]) == (9, 1, 8, 6)
    assert (vote["passed"], vote["meeting"], vote["counts_from_attendance"], vote["needs_correction"]) == (
        True, meeting.pk, True, False,
    )  # fmt: skip
    assert response.json()["moved"] is True


def test_old_clients_still_send_the_counts_without_a_meeting(alice, a8) -> None:  # type: ignore[no-untyped-def]
    response = _post(
        alice,
        f"{API}/candidates/{a8.pk}/steps/branch_vote/",
        {"on_date": "2025-10-20", "vote": {"summoned": 9, "yes": 7, "no": 2}},
    )

    assert response.status_code == 200, response.content
    assert (response.json()["vote"]["meeting"], response.json()["vote"]["excluded"]) == (None, 0)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"vote": {"yes": 6, "no": 0}}, ("required", "vote.summoned")),  # no meeting: counts needed
        ({"meeting": 999999, "vote": {"yes": 6, "no": 0}}, ("does_not_exist", "meeting")),
        ({"meeting": "M", "vote": {"yes": 6, "no": 0}}, None),
    ],
)
def test_it_refuses_a_vote_without_counts_or_with_an_unknown_meeting(alice, a8, meeting, data, expected) -> None:  # type: ignore[no-untyped-def]
    response = _post(alice, f"{API}/candidates/{a8.pk}/steps/branch_vote/", {"on_date": "2025-10-20", **data})

    assert response.status_code == 400, response.content
    if expected is not None:
        assert expected in _errors(response)
    assert not Vote.objects.exists()


def test_it_refuses_typed_counts_and_ballots_the_attendance_contradicts(alice, a8, meeting) -> None:  # type: ignore[no-untyped-def]
    url = f"{API}/candidates/{a8.pk}/steps/branch_vote/"

    differ = _post(
        alice, url, {"on_date": "2025-10-20", "meeting": meeting.pk, "vote": {"summoned": 9, "yes": 6, "no": 0}}
    )
    too_many = _post(alice, url, {"on_date": "2025-10-20", "meeting": meeting.pk, "vote": {"yes": 6, "no": 2}})

    assert [code for code, _field in _errors(differ)] == ["meeting_counts_differ"]
    assert [code for code, _field in _errors(too_many)] == ["ballots_exceed_present"]
    assert too_many.json()["errors"][0]["params"] == {"total": 8, "present": 7}
    assert not Vote.objects.exists()


def test_a_meeting_of_another_branch_is_not_found_and_committee_votes_take_none(alice, bob, tree, a8) -> None:  # type: ignore[no-untyped-def]
    elsewhere = services.meeting_record(
        acting_user=bob, organisation=tree.branch_b, held_on=DAY, minutes="", add=[], keep=[], remove={},
        official_members=5, present=5, now=at(DAY),
    )  # fmt: skip

    response = _post(
        alice, f"{API}/candidates/{a8.pk}/steps/branch_vote/",
        {"on_date": "2025-10-20", "meeting": elsewhere.pk, "vote": {"summoned": 9, "yes": 6, "no": 0}},
    )  # fmt: skip
    committee = StepSerializer(
        data={"on_date": "2025-10-20", "meeting": elsewhere.pk, "vote": {"summoned": 5, "yes": 5, "no": 0}},
        context={"step": STEP_BY_KEY["grassroots_vote"]},
    )

    assert ("does_not_exist", "meeting") in _errors(response)
    assert not committee.is_valid()
    assert [e.code for e in committee.errors["meeting"]] == ["not_allowed"]  # a committee's vote has no branch meeting
    assert not Vote.objects.exists()
