"""The board's "Đưa vào chương trình họp chi bộ" action: every person ticked is either put on the new
meeting's form (the sympathiser-list decisions) or named with where their act is recorded; nothing
ticked says so; ids of other branches are dropped without a word; after saving, the meeting page
links each vote still to record with the meeting chosen (docs/decisions.md, "The board's agenda
action").

The clock is frozen on Thu 15/10/2026 (Asia/Ho_Chi_Minh): one person has waited since July for the
branch's admission vote (S8), another for its recognition vote (S15).
"""

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
from admission.models import BranchMeeting, Candidate, Vote
from members.models import MemberStatus, Organisation, PartyMember, User
from tests.conftest import Tree
from tests.factories import MemberFactory, PersonFactory

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
LONG_AGO = dt.date(2025, 1, 6)  # the S15 person's first day: probation ended in October 2026
THIS_YEAR = dt.date(2026, 1, 5)  # the others' first day: S8 since 09/07/2026


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with time_machine.travel(dt.datetime(2026, 10, 15, 10, 0, tzinfo=TZ), tick=False):
        yield


def _candidate(
    branch: Organisation, name: str, stage: str, introducers: list[PartyMember], start: dt.date
) -> Candidate:
    person = PersonFactory(organisation=branch, full_name=name, date_of_birth=dt.date(1998, 5, 17))
    candidate = services.candidate_create(acting_user=None, person=person, now=at(start))
    return walk_to(candidate, stage, user=None, introducers=introducers, start=start)


@pytest.fixture
def people(tree: Tree, introducers: list[PartyMember]) -> dict[str, Candidate]:
    a = tree.branch_a
    return {
        "outstanding": _candidate(a, "Nguyễn Văn Đức", "S0", introducers, THIS_YEAR),
        "listed": _candidate(a, "Lê Thị Cảm", "S1", introducers, THIS_YEAR),
        "applying": _candidate(a, "Phan Văn Đơn", "S4", introducers, THIS_YEAR),
        "admission": _candidate(a, "Đỗ Thị Yến", "S8", introducers, THIS_YEAR),
        "recognition": _candidate(a, "Trịnh Văn Dự Bị", "S15", introducers, LONG_AGO),
        "elsewhere": _candidate(tree.branch_b, "Hồ Thị Chi Bộ Khác", "S0", introducers, THIS_YEAR),
    }


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _form(user: User, tree: Tree, *chosen: Candidate, **extra: str) -> str:
    url = reverse("meeting_create", args=[tree.branch_a.pk])
    response = _client(user).get(url, {"c": [c.pk for c in chosen], **extra})
    assert response.status_code == 200
    return response.content.decode()


def _note(html: str, candidate: Candidate) -> str:
    """The agenda note about `candidate` on the new-meeting form ('' when there is none)."""
    found = re.search(rf'<li class="agenda-\w+" data-candidate="{candidate.pk}">(.*?)</li>', html, re.S)
    return found.group(1) if found else ""


def test_the_board_button_says_it_was_pressed(tree, alice, people) -> None:  # type: ignore[no-untyped-def]
    html = _client(alice).get(reverse("admission_board", args=[tree.branch_a.pk])).content.decode()

    assert re.search(r'<button[^>]*name="agenda" value="1"[^>]*id="bulk-agenda"', html)


def test_a_ticked_outstanding_person_is_ticked_on_the_form_and_said_so(tree, alice, people) -> None:  # type: ignore[no-untyped-def]
    html = _form(alice, tree, people["outstanding"], agenda="1")

    assert re.search(rf'name="add_{people["outstanding"].pk}"[^>]*checked', html)
    assert "Nguyễn Văn Đức: đã đánh dấu để chi bộ xét đưa vào danh sách cảm tình Đảng" in _note(
        html, people["outstanding"]
    )


def test_a_ticked_sympathiser_is_pointed_at_the_list_review_on_the_form(tree, alice, people) -> None:  # type: ignore[no-untyped-def]
    html = _form(alice, tree, people["listed"], agenda="1")

    assert f'name="remove_{people["listed"].pk}"' in html
    assert "Lê Thị Cảm đang trong danh sách cảm tình Đảng" in _note(html, people["listed"])


def test_ticked_people_waiting_for_a_branch_vote_are_named_with_their_vote_page(tree, alice, people) -> None:  # type: ignore[no-untyped-def]
    html = _form(alice, tree, people["admission"], people["recognition"], agenda="1")

    admission = _note(html, people["admission"])
    recognition = _note(html, people["recognition"])
    assert "Biểu quyết của Đỗ Thị Yến (Chi bộ xét, ra nghị quyết đề nghị kết nạp)" in admission
    assert "sau khi lưu cuộc họp" in admission
    assert reverse("candidate_step", args=[people["admission"].pk, "branch_vote"]) in admission
    assert "Biểu quyết của Trịnh Văn Dự Bị (Chi bộ xét công nhận đảng viên chính thức)" in recognition
    assert reverse("candidate_step", args=[people["recognition"].pk, "recognition_vote"]) in recognition


def test_a_ticked_person_with_another_next_step_is_sent_to_that_step(tree, alice, people) -> None:  # type: ignore[no-untyped-def]
    note = _note(_form(alice, tree, people["applying"]), people["applying"])

    assert "Phan Văn Đơn (Viết đơn và khai lý lịch): biên bản này không ghi việc của người đó" in note
    assert reverse("candidate_step", args=[people["applying"].pk, "application"]) in note


def test_nothing_ticked_opens_the_form_with_a_hint_to_tick_people_first(tree, alice, people) -> None:  # type: ignore[no-untyped-def]
    html = _form(alice, tree, agenda="1")
    plain = _form(alice, tree)  # the board's "Ghi cuộc họp chi bộ" link: no hint

    assert 'id="agenda-nobody"' in html
    assert "Chưa chọn ai trên bảng theo dõi" in html
    assert 'id="meeting-form"' in html  # the meeting can still be recorded
    assert 'id="agenda-nobody"' not in plain and 'id="agenda-notes"' not in plain


def test_a_candidate_of_another_branch_is_ignored_without_a_word(tree, alice, people) -> None:  # type: ignore[no-untyped-def]
    html = _form(alice, tree, people["admission"], people["elsewhere"], agenda="1")
    alone = _form(alice, tree, people["elsewhere"], agenda="1")

    assert "Đỗ Thị Yến" in _note(html, people["admission"])
    assert "Hồ Thị Chi Bộ Khác" not in html
    assert f'data-candidate="{people["elsewhere"].pk}"' not in html
    assert "Hồ Thị Chi Bộ Khác" not in alone
    assert 'id="agenda-nobody"' in alone  # as for an id that does not exist


@pytest.mark.parametrize("persona", ["bob", "oscar"])
def test_an_outsider_gets_403_or_404_and_no_name(request, tree, alice, people, persona) -> None:  # type: ignore[no-untyped-def]
    url = reverse("meeting_create", args=[tree.branch_a.pk])

    response = _client(request.getfixturevalue(persona)).get(url, {"c": [people["admission"].pk], "agenda": "1"})

    assert response.status_code in {403, 404}
    assert "Đỗ Thị Yến" not in response.content.decode()


def test_after_saving_the_meeting_page_links_each_vote_with_the_meeting_chosen(  # type: ignore[no-untyped-def]
    tree, alice, introducers, people
) -> None:
    client = _client(alice)
    chosen = [people["outstanding"], people["admission"], people["recognition"], people["elsewhere"]]
    url = f"{reverse('meeting_create', args=[tree.branch_a.pk])}?agenda=1&" + "&".join(f"c={c.pk}" for c in chosen)
    third = MemberFactory(person=PersonFactory(organisation=tree.branch_a), status=MemberStatus.OFFICIAL)  # ĐL 24.1
    members = [*introducers, third]
    data = {"held_on": "15/10/2026", "minutes": "Họp tháng 10", f"add_{people['outstanding'].pk}": "on"}
    data |= {f"att_{m.pk}": "present" for m in members}

    saved = client.post(url, data)

    meeting = BranchMeeting.objects.get()
    assert saved.status_code == 302
    assert saved["Location"].startswith(reverse("branch_meeting", args=[meeting.pk]) + "?")
    page = client.get(saved["Location"]).content.decode()
    to_record = page[page.index('id="votes-to-record"') :]
    to_record = to_record[: to_record.index("</ul>")]
    vote_url = reverse("candidate_step", args=[people["admission"].pk, "branch_vote"])
    assert f"{vote_url}?meeting={meeting.pk}&amp;next=" in to_record
    assert "Đỗ Thị Yến" in to_record and "Trịnh Văn Dự Bị" in to_record
    assert "Hồ Thị Chi Bộ Khác" not in page and "Nguyễn Văn Đức" not in to_record

    link = re.search(rf'href="({re.escape(vote_url)}[^"]+)"', to_record)
    assert link is not None
    step_url = link.group(1).replace("&amp;", "&")
    form = client.get(step_url).content.decode()
    assert re.search(rf'<option value="{meeting.pk}" selected>', form)
    voted = client.post(step_url, {"meeting": str(meeting.pk), "form": "secret", "yes": "3", "no": "0", "abstain": "0"})

    assert Vote.objects.get(candidate=people["admission"]).meeting == meeting
    assert voted.status_code == 302
    assert voted["Location"].startswith(reverse("branch_meeting", args=[meeting.pk]))
    after = client.get(voted["Location"]).content.decode()
    still = after[after.index('id="votes-to-record"') :]
    assert "Trịnh Văn Dự Bị" in still[: still.index("</ul>")]
    assert vote_url not in still[: still.index("</ul>")]


def test_the_meeting_page_offers_no_vote_links_to_a_reader_or_for_another_branch(  # type: ignore[no-untyped-def]
    tree, alice, eve, introducers, people
) -> None:
    meeting = services.meeting_record(
        acting_user=alice, organisation=tree.branch_a, held_on=dt.date(2026, 10, 15), minutes="", add=[], keep=[],
        remove={}, attendance={m.pk: services.AttendanceEntry("present") for m in introducers},
        now=at(dt.date(2026, 10, 15)),
    )  # fmt: skip
    url = reverse("branch_meeting", args=[meeting.pk])

    secretary = _client(alice).get(url, {"c": [people["elsewhere"].pk]}).content.decode()
    auditor = _client(eve).get(url, {"c": [people["admission"].pk]}).content.decode()

    assert 'id="votes-to-record"' not in secretary and "Hồ Thị Chi Bộ Khác" not in secretary
    assert 'id="votes-to-record"' not in auditor
