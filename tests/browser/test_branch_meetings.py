"""A past branch meeting reopened in real Chromium: the secretary finds it in the branch's list,
corrects one member's attendance with a reason, and the vote denominators follow. Screenshots go
to test-artifacts/browser/ (gitignored).

Branch A has twelve official members. At the meeting of Tue 05/08/2025 one was on temporary
transfer and one was marked absent with an accepted reason: N = 10, 7 needed; the candidate's
branch vote (7 for) passed. The branch met again on 05/09/2025, so on Wed 10/09/2025 a change to the
August meeting is a correction with a reason.
"""

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
import time_machine
from playwright.sync_api import Page, expect

from admission import services
from admission.devdata.demo import at, walk_to
from admission.models import Candidate, MeetingCorrection, Vote
from tests.browser.conftest import ARTIFACTS, PASSWORD, chromium_page
from tests.conftest import Tree
from tests.factories import MemberFactory, PersonFactory

pytestmark = pytest.mark.browser

NOW = dt.datetime(2025, 9, 10, 9, 30, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
START = dt.date(2025, 1, 6)
AUGUST = dt.date(2025, 8, 5)
NAMES = [
    "Lê Văn Giới", "Phạm Thị Thiệu", "Nguyễn Văn An", "Trần Thị Bình", "Đỗ Văn Cường", "Hoàng Thị Dung",
    "Vũ Văn Em", "Bùi Thị Giang", "Đặng Văn Hải", "Ngô Thị Hoa", "Dương Văn Khánh", "Lý Thị Lan",
]  # fmt: skip


@pytest.fixture
def page(live_server, transactional_db) -> Iterator[Page]:  # type: ignore[no-untyped-def]
    with time_machine.travel(NOW, tick=False), chromium_page(live_server.url) as page:
        yield page


def _shot(page: Page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"meetings-{name}.png"), full_page=True)


def _meeting(alice, tree: Tree, members, day: dt.date, **special: str):  # type: ignore[no-untyped-def]
    return services.meeting_record(
        acting_user=alice, organisation=tree.branch_a, held_on=day, minutes=f"Sinh hoạt thường kỳ tháng {day:%m/%Y}.",
        add=[], keep=[], remove={},
        attendance={m.pk: services.AttendanceEntry(*special.get(f"m{i}", ("present", ""))) for i, m in enumerate(members)},
        now=at(day),
    )  # fmt: skip


def test_the_secretary_reopens_a_past_meeting_fixes_an_attendance_and_the_denominators_follow(
    page: Page, alice, tree: Tree
) -> None:  # type: ignore[no-untyped-def]
    members = [MemberFactory(person=PersonFactory(organisation=tree.branch_a, full_name=n)) for n in NAMES]
    person = PersonFactory(organisation=tree.branch_a, full_name="Hoàng Văn Ứng Viên")
    candidate = walk_to(
        services.candidate_create(acting_user=alice, person=person, now=at(START)),
        "S8", user=alice, introducers=members[:2], start=START,
    )  # fmt: skip
    august = _meeting(
        alice, tree, members, AUGUST,
        m2=("temporary_transfer", "Đi học dài hạn"), m3=("excused", "Ốm"), m4=("absent", ""),
    )  # fmt: skip
    services.candidate_vote(
        acting_user=alice, candidate=candidate, step_key="branch_vote", held_on=AUGUST, yes=7, no=2, abstain=0,
        form="secret", meeting=august, now=at(AUGUST),
    )  # fmt: skip
    _meeting(alice, tree, members, dt.date(2025, 9, 5))

    page.goto("/accounts/login/")
    page.fill("#id_username", alice.username)
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url("/")

    # The branch's meetings, newest first, from the board.
    page.goto(f"/admission/branches/{tree.branch_a.pk}/board/")
    page.locator("#meetings-link").click()
    rows = page.locator("#meetings tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("05/09/2025")
    expect(rows.nth(1)).to_contain_text("05/08/2025")
    _shot(page, "01-list")

    # The August meeting: attendance, the counts and how they give the denominator.
    rows.nth(1).get_by_role("link", name="05/08/2025").click()
    expect(page.locator("h1")).to_have_text("Họp chi bộ ngày 05/08/2025")
    expect(page.locator("#count-denominator")).to_have_text("10")
    expect(page.locator("#explanation")).to_have_text(
        "12 đảng viên chính thức, trừ 1 chuyển sinh hoạt tạm thời, 1 vắng mặt có lý do được chấp nhận, còn 10; "
        "cần ≥ 7 tán thành"
    )
    expect(page.locator("#votes")).to_contain_text("7/10")
    _shot(page, "02-detail-before")

    # The excused member's reason was not accepted by the branch committee: a correction, with a reason.
    page.locator("#edit-meeting").click()
    expect(page.locator("#correction-notice")).to_contain_text("Chi bộ đã họp kỳ sau (ngày 05/09/2025)")
    row = page.locator(f'#attendance tr[data-member="{members[3].pk}"]')
    expect(row).to_contain_text("Trần Thị Bình")
    row.locator("select").select_option("absent")
    row.locator("input").fill("Lý do ốm không có giấy xác nhận")
    page.locator("main form").get_by_role("button", name="Lưu đính chính").click()
    expect(page.locator("#id_reason")).to_be_visible()  # refused without a reason: the form is shown again
    expect(row.locator("select")).to_have_value("absent")  # with what was chosen
    page.fill("#id_reason", "Chi ủy không chấp nhận lý do vắng mặt")
    _shot(page, "03-correction-form")
    page.locator("main form").get_by_role("button", name="Lưu đính chính").click()

    # The denominators follow: the meeting's and the vote's; the vote is flagged, the stage stays.
    expect(page).to_have_url(f"/admission/branch-meetings/{august.pk}/")
    expect(page.locator("#count-denominator")).to_have_text("11")
    expect(page.locator("#count-excluded")).to_have_text("1")
    expect(page.locator("#explanation")).to_contain_text("còn 11; cần ≥ 8 tán thành")
    expect(page.locator("#votes")).to_contain_text("7/11")
    expect(page.locator("#votes .vote-needs-correction")).to_contain_text("Bí thư cần sửa lại biểu quyết")
    corrections = page.locator("#corrections")
    expect(corrections).to_contain_text("Chi ủy không chấp nhận lý do vắng mặt")
    expect(corrections).to_contain_text(
        "Điểm danh Trần Thị Bình: Vắng mặt có lý do được chấp nhận (được trừ) → Vắng mặt không có lý do được chấp nhận (vẫn tính)"
    )
    expect(corrections).to_contain_text("Biểu quyết về Hoàng Văn Ứng Viên: mẫu số 10 → 11, cần 7 → 8")
    _shot(page, "04-detail-after")

    # The candidate page links the meeting and shows the same warning.
    page.locator("#votes").get_by_role("link", name="Hoàng Văn Ứng Viên").click()
    expect(page.locator("#votes .vote-needs-correction")).to_be_visible()
    _shot(page, "05-candidate-warning")

    vote = Vote.objects.get()
    assert (vote.denominator, vote.required, vote.passed, vote.needs_correction) == (11, 8, True, True)
    assert Candidate.objects.get(pk=candidate.pk).stage == "S9"
    assert MeetingCorrection.objects.get().by == alice
    assert page.problems == []  # type: ignore[attr-defined]
