"""The helper / introducer picker, page and API: it lists only the members of the candidate's
branch (through the one scoping selector), shows those who do not meet a condition of QĐ294 3.2.1
disabled with the reason, and one assignment makes the helper the introducer (rules §3 S5).

The clock is frozen on 20/05/2025 (Asia/Ho_Chi_Minh); candidates follow the reference timeline of
admission.devdata.demo from START = 06/01/2025 (application 15/04/2025: S5 from then on).
"""

import datetime as dt
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from admission import services
from admission.devdata.demo import at, walk_to
from admission.models import Candidate, Mentorship
from members import api_tokens
from members.models import MemberStatus, Organisation, OrganisationKind, PartyMember, Role, User
from members.services import role_assign
from tests.conftest import Tree
from tests.factories import MemberFactory, OrganisationFactory, PersonFactory, UserFactory

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
START = dt.date(2025, 1, 6)
NOW = dt.datetime(2025, 5, 20, 10, 0, tzinfo=TZ)
API = "/api/v1"


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def _member(organisation: Organisation, name: str, status: str = MemberStatus.OFFICIAL) -> PartyMember:
    return MemberFactory(person=PersonFactory(organisation=organisation, full_name=name), status=status)  # type: ignore[no-any-return]


@pytest.fixture
def members(tree: Tree) -> dict[str, PartyMember]:
    """Members of branch A (two official, one probationary), of branch B, and of the other grassroots
    committee D: the picker of a candidate of A lists the first three only."""
    return {
        "giup": _member(tree.branch_a, "Lê Văn Giúp"),
        "thieu": _member(tree.branch_a, "Phạm Thị Thiệu"),
        "du_bi": _member(tree.branch_a, "Đỗ Văn Dự Bị", MemberStatus.PROBATIONARY),
        "b": _member(tree.branch_b, "Trịnh Thị Chi Bộ Bê"),
        "d": _member(tree.delegated_branch, "Quách Văn Công Ty"),
        "removed": _member(tree.branch_a, "Mai Văn Đã Xóa", MemberStatus.REMOVED),
    }


def _followed(branch: Organisation, user: User | None, stage: str = "S5", *, youth: bool = False) -> Candidate:
    person = PersonFactory(
        organisation=branch,
        full_name="Hoàng Văn Ứng Viên",
        youth_union_member=youth,
        date_of_birth=dt.date(2000, 6, 1) if youth else dt.date(1985, 6, 1),
    )
    candidate = services.candidate_create(acting_user=user, person=person, now=at(START))
    return walk_to(candidate, stage, user=user, introducers=[], start=START)


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _api(user: User) -> Client:
    return Client(headers={"Authorization": f"Token {api_tokens.token_rotate(acting_user=user).key}"})


def _radio(html: str, member: PartyMember) -> str:
    """The picker's radio input of `member` (its tag only)."""
    start = html.index(f'name="member" value="{member.pk}"')
    return html[html.rindex("<input", 0, start) : html.index(">", start) + 1]


# --- Scope: the picker lists the candidate's branch only ------------------------------------------


def test_it_lists_only_the_members_of_the_candidates_branch(tree: Tree, alice: User, members: dict) -> None:  # type: ignore[type-arg]
    candidate = _followed(tree.branch_a, alice)

    html = _client(alice).get(reverse("mentor_add", args=[candidate.pk])).content.decode()

    for key in ("giup", "thieu", "du_bi"):
        assert members[key].person.full_name in html, key
    for key in ("b", "d", "removed"):  # other branches of the same grassroots unit or province; left
        assert members[key].person.full_name not in html, key
    assert "Hoàng Văn Ứng Viên –" not in html  # not the person themself


def test_committee_staff_see_the_same_list_as_the_branch(tree: Tree, carol: User, members: dict) -> None:  # type: ignore[type-arg]
    """Carol's scope covers branches A and B: the picker is still the candidate's branch."""
    candidate = _followed(tree.branch_a, None)

    html = _client(carol).get(reverse("mentor_add", args=[candidate.pk])).content.decode()

    assert members["giup"].person.full_name in html
    assert members["b"].person.full_name not in html


def test_a_grassroots_branch_under_the_province_lists_only_its_own_members(tree: Tree, members: dict) -> None:  # type: ignore[type-arg]
    """The leak reported: a grassroots branch placed directly under the province listed the whole province."""
    lone = OrganisationFactory(
        kind=OrganisationKind.GRASSROOTS_BRANCH, name="Chi bộ cơ sở Trực thuộc", code="L", parent=tree.province
    )
    secretary = UserFactory(username="lan")
    role_assign(acting_user=None, user=secretary, organisation=lone, role=Role.BRANCH_SECRETARY)
    own = _member(lone, "Vương Thị Cơ Sở")
    village = _member(tree.village, "Tạ Văn Thôn")
    candidate = _followed(lone, secretary)

    html = _client(secretary).get(reverse("mentor_add", args=[candidate.pk])).content.decode()

    assert own.person.full_name in html
    for other in (village, members["giup"], members["b"], members["d"]):
        assert other.person.full_name not in html


def test_it_refuses_a_member_of_another_branch_posted_by_hand(tree: Tree, alice: User, members: dict) -> None:  # type: ignore[type-arg]
    candidate = _followed(tree.branch_a, alice)
    post = {
        "member": str(members["b"].pk),
        "role": "mentor",
        "together_since": "01/01/2020",
        "assigned_on": "19/05/2025",
    }

    response = _client(alice).post(reverse("mentor_add", args=[candidate.pk]), post)

    assert response.status_code == 200
    assert "member" in response.context["form"].errors
    assert not Mentorship.objects.exists()


def test_an_outsider_gets_404_and_a_read_only_role_403(tree: Tree, bob: User, eve: User, oscar: User) -> None:
    candidate = _followed(tree.branch_a, None)
    url = reverse("mentor_add", args=[candidate.pk])

    assert _client(bob).get(url).status_code == 404
    assert _client(oscar).get(url).status_code == 404
    assert _client(eve).get(url).status_code == 403


# --- Reasons: not official is disabled with why ------------------------------------------------------


def test_it_disables_a_probationary_member_with_the_reason(tree: Tree, alice: User, members: dict) -> None:  # type: ignore[type-arg]
    candidate = _followed(tree.branch_a, alice)

    html = _client(alice).get(reverse("mentor_add", args=[candidate.pk])).content.decode()

    assert " disabled" in _radio(html, members["du_bi"])
    assert "disabled" not in _radio(html, members["giup"])
    assert "Đỗ Văn Dự Bị – Dự bị — không chọn được: Đỗ Văn Dự Bị chưa là đảng viên chính thức (QĐ294 3.2.1)" in html
    assert "Đảng viên giúp đỡ là người giới thiệu: chỉ phân công một lần." in html


def test_it_refuses_a_disabled_member_posted_by_hand_with_the_reason(tree: Tree, alice: User, members: dict) -> None:  # type: ignore[type-arg]
    candidate = _followed(tree.branch_a, alice)
    post = {
        "member": str(members["du_bi"].pk),
        "role": "mentor",
        "together_since": "01/01/2020",
        "assigned_on": "19/05/2025",
    }

    response = _client(alice).post(reverse("mentor_add", args=[candidate.pk]), post)

    assert response.status_code == 200
    assert response.context["form"].errors["member"] == ["Đỗ Văn Dự Bị chưa là đảng viên chính thức (QĐ294 3.2.1)"]
    assert 'value="01/01/2020"' in response.content.decode()  # the form keeps what was typed
    assert not Mentorship.objects.exists()


def test_it_refuses_less_than_12_months_together_with_the_day_they_are_reached(
    tree: Tree, alice: User, members: dict
) -> None:  # type: ignore[type-arg]
    candidate = _followed(tree.branch_a, alice)
    post = {
        "member": str(members["giup"].pk),
        "role": "mentor",
        "together_since": "01/09/2024",
        "assigned_on": "19/05/2025",
    }

    response = _client(alice).post(reverse("mentor_add", args=[candidate.pk]), post)

    assert "Lê Văn Giúp: chưa đủ 12 tháng cùng công tác với người vào Đảng; đến 01/09/2025 mới đủ" in (
        response.content.decode()
    )
    assert not Mentorship.objects.exists()


# --- One entry: the helper introduces ------------------------------------------------------------------


def test_one_assignment_makes_the_helper_the_introducer(tree: Tree, alice: User, members: dict) -> None:  # type: ignore[type-arg]
    """A Youth Union member of youth age: the Youth Union and the helper introduce; the helper is
    entered once, and the introduction step (its form pre-selected) passes."""
    candidate = _followed(tree.branch_a, alice, youth=True)
    client = _client(alice)
    post = {
        "member": str(members["giup"].pk),
        "role": "mentor",
        "together_since": "01/01/2020",
        "assigned_on": "19/05/2025",
    }
    assert client.post(reverse("mentor_add", args=[candidate.pk]), post).status_code == 302

    page = client.get(reverse("candidate_detail", args=[candidate.pk])).content.decode()
    assert "Lê Văn Giúp – đảng viên giúp đỡ" in page
    assert "Đoàn TNCS Hồ Chí Minh và một đảng viên" in page and "cần 1 đảng viên" in page
    step_url = reverse("candidate_step", args=[candidate.pk, "introduction"])
    form = client.get(step_url)
    assert form.context["form"].fields["introduction_mode"].initial == "YOUTH_UNION_PLUS_ONE"
    response = client.post(
        step_url,
        {"on_date": "20/05/2025", "introduction_mode": "YOUTH_UNION_PLUS_ONE", "union_resolution_date": "12/05/2025"},
    )

    assert response.status_code == 302, response.context["form"].errors
    candidate.refresh_from_db()
    assert (candidate.stage, candidate.introduction_mode) == ("S6", "YOUTH_UNION_PLUS_ONE")
    assert Mentorship.objects.get().role == "mentor"  # entered once, not again as introducer


def test_the_refusal_names_who_counts_and_what_to_assign(tree: Tree, alice: User, members: dict) -> None:  # type: ignore[type-arg]
    candidate = _followed(tree.branch_a, alice)
    services.mentor_assign(
        acting_user=alice, candidate=candidate, member=members["giup"], together_since=dt.date(2020, 1, 1),
        assigned_on=dt.date(2025, 5, 19),
    )  # fmt: skip
    step_url = reverse("candidate_step", args=[candidate.pk, "introduction"])

    response = _client(alice).post(step_url, {"on_date": "20/05/2025", "introduction_mode": "TWO_MEMBERS"})

    html = response.content.decode()
    assert "Cần 2 đảng viên chính thức giới thiệu, hiện có 1 (Lê Văn Giúp)." in html
    assert "phân công thêm 1 đảng viên chính thức của chi bộ" in html
    assert Candidate.objects.get(pk=candidate.pk).stage == "S5"


# --- API -------------------------------------------------------------------------------------------------


def test_the_api_lists_the_branch_with_reasons(tree: Tree, alice: User, members: dict) -> None:  # type: ignore[type-arg]
    candidate = _followed(tree.branch_a, alice)

    response = _api(alice).get(f"{API}/candidates/{candidate.pk}/helpers/")

    assert response.status_code == 200, response.content
    body = response.json()
    rows = {row["person_name"]: row for row in body["members"]}
    assert set(rows) == {"Lê Văn Giúp", "Phạm Thị Thiệu", "Đỗ Văn Dự Bị"}
    assert rows["Lê Văn Giúp"]["eligible"] and rows["Lê Văn Giúp"]["reasons"] == []
    (why,) = rows["Đỗ Văn Dự Bị"]["reasons"]
    assert not rows["Đỗ Văn Dự Bị"]["eligible"]
    assert (why["code"], why["rule"]) == ("mentor_not_official", "QĐ294 3.2.1")
    assert why["message"] == "Đỗ Văn Dự Bị chưa là đảng viên chính thức"
    assert body["replacement_after_transfer"] is False


def test_the_api_judges_the_12_months_from_a_given_day_and_shows_assignments(
    tree: Tree, alice: User, members: dict
) -> None:  # type: ignore[type-arg]
    candidate = _followed(tree.branch_a, alice)
    services.mentor_assign(
        acting_user=alice, candidate=candidate, member=members["giup"], together_since=dt.date(2020, 1, 1),
        assigned_on=dt.date(2025, 5, 19),
    )  # fmt: skip

    body: Any = _api(alice).get(f"{API}/candidates/{candidate.pk}/helpers/?together_since=2024-09-01").json()

    rows = {row["person_name"]: row for row in body["members"]}
    assert [r["code"] for r in rows["Phạm Thị Thiệu"]["reasons"]] == ["mentor_together_too_short"]
    assert rows["Phạm Thị Thiệu"]["reasons"][0]["params"]["reached_on"] == "2025-09-01"
    assert rows["Lê Văn Giúp"]["assigned"] == ["mentor"]


def test_the_api_refuses_outsiders_and_read_only_roles(tree: Tree, alice: User, bob: User, eve: User) -> None:
    candidate = _followed(tree.branch_a, alice)
    url = f"{API}/candidates/{candidate.pk}/helpers/"

    assert _api(bob).get(url).status_code == 404
    assert "Hoàng Văn Ứng Viên" not in _api(bob).get(url).content.decode()
    assert _api(eve).get(url).status_code == 403
    assert Client().get(url).status_code in (401, 403)
    for value in ("31/12/2024", ""):
        bad = _api(alice).get(url + f"?together_since={value}")
        assert bad.status_code == 400, value
        assert bad.json()["errors"][0]["params"]["field"] == "together_since"
