"""The removal chain (xóa tên, HD06 4.6) through the pages, in real Chromium: the branch secretary
records the branch's resolution, the deciding committee is refused while the grassroots
resolution is missing, the grassroots committee's staff record it, then the deciding committee's
staff record the decision with its vote; the candidate page shows the complaint deadline.

Screenshots go to test-artifacts/browser/ (gitignored).
"""

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
import time_machine
from playwright.sync_api import Page, expect

from admission import services
from admission.devdata.demo import at, walk_to
from tests.browser.conftest import ARTIFACTS, chromium_page
from tests.browser.conftest import log_in as _log_in
from tests.conftest import Tree
from tests.factories import PersonFactory

pytestmark = pytest.mark.browser

NOW = dt.datetime(2026, 1, 15, 9, 30, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))  # in probation (S13)
START = dt.date(2025, 1, 6)
PERSON = "Lý Văn Dự Bị"
TODAY = "15/01/2026"
BRANCH_VOTE = "Chi bộ biểu quyết đề nghị xóa tên"
GRASSROOTS_VOTE = "Đảng ủy cơ sở biểu quyết đề nghị xóa tên"
DECISION = "Quyết định xóa tên khỏi danh sách đảng viên dự bị"


@pytest.fixture
def page(live_server, transactional_db) -> Iterator[Page]:
    with time_machine.travel(NOW, tick=False), chromium_page(live_server.url) as page:
        yield page


def _shot(page: Page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"removal-{name}.png"), full_page=True)


def _vote(page: Page, yes: str, shot: str) -> None:
    page.fill("#id_held_on", TODAY)
    page.fill("#id_summoned", "9")
    page.fill("#id_excluded", "0")
    page.fill("#id_yes", yes)
    page.fill("#id_no", str(9 - int(yes)))
    page.fill("#id_abstain", "0")
    _shot(page, shot)
    page.locator("main form [type=submit]").click()


def _decide(page: Page) -> None:
    page.fill("#id_on_date", TODAY)
    page.fill("#id_basis", "15-QĐ/ĐU")
    page.fill("#id_note", "Vi phạm tư cách đảng viên dự bị")
    page.fill("#id_vote_summoned", "5")
    page.fill("#id_vote_excluded", "0")
    page.fill("#id_vote_yes", "4")
    page.fill("#id_vote_no", "1")
    page.fill("#id_vote_abstain", "0")


def test_the_removal_chain_walked_by_the_three_bodies(page: Page, tree: Tree, alice, carol, gina, introducers) -> None:  # type: ignore[no-untyped-def]
    person = PersonFactory(organisation=tree.branch_a, full_name=PERSON)
    candidate = services.candidate_create(acting_user=alice, person=person, now=at(START))
    walk_to(candidate, "S13", user=alice, introducers=introducers, start=START)
    url = f"/admission/candidates/{candidate.pk}/"

    # 1. The branch secretary records the branch's resolution proposing removal; the candidate stays.
    _log_in(page, alice.username)
    page.goto(url)
    main = page.locator("main")
    expect(main.get_by_role("link", name=GRASSROOTS_VOTE)).to_have_count(0)  # not the branch's act
    expect(main.get_by_role("link", name=DECISION)).to_have_count(0)
    _shot(page, "01-branch-candidate-page")
    main.get_by_role("link", name=BRANCH_VOTE).click()
    expect(page.locator("h1")).to_have_text(BRANCH_VOTE)
    _vote(page, "7", "02-branch-vote-form")
    expect(page).to_have_url(url)
    expect(page.locator("main .alert-success")).to_contain_text("Biểu quyết đạt: 7/9 (cần 6)")
    expect(page.locator("#current-stage")).to_contain_text("S13")
    expect(page.locator("#votes")).to_contain_text("Xóa tên: 7/9")
    _shot(page, "03-after-branch-vote")

    # 2. The deciding committee is refused while the grassroots committee has not resolved.
    _log_in(page, gina.username)
    page.goto(url)
    expect(page.locator("main").get_by_role("link", name=GRASSROOTS_VOTE)).to_have_count(0)
    page.locator("main").get_by_role("link", name=DECISION).click()
    _decide(page)
    page.locator("main form [type=submit]").click()
    expect(page.locator("main")).to_contain_text("Chưa có nghị quyết của đảng ủy cơ sở đề nghị xóa tên")
    _shot(page, "04-decision-refused")

    # 3. The grassroots committee's staff record its resolution.
    _log_in(page, carol.username)
    page.goto(url)
    expect(page.locator("main").get_by_role("link", name=DECISION)).to_have_count(0)
    page.locator("main").get_by_role("link", name=GRASSROOTS_VOTE).click()
    _vote(page, "8", "05-grassroots-vote-form")
    expect(page.locator("main .alert-success")).to_contain_text("Biểu quyết đạt: 8/9 (cần 6)")
    expect(page.locator("#current-stage")).to_contain_text("S13")

    # 4. The deciding committee's staff record the decision with its vote.
    _log_in(page, gina.username)
    page.goto(url)
    page.locator("main").get_by_role("link", name=DECISION).click()
    _decide(page)
    _shot(page, "06-decision-form")
    page.locator("main form [type=submit]").click()
    expect(page).to_have_url(url)
    expect(page.locator("#current-stage")).to_have_text("SX Xóa tên trong danh sách đảng viên dự bị")
    # Thu 15/01/2026 + 30 working days across Tết (16-20/02/2026) = Thu 05/03/2026 (QĐ294 8.2).
    expect(page.locator("#computed-dates")).to_contain_text("Hạn khiếu nại quyết định xóa tên")
    expect(page.locator("#computed-dates")).to_contain_text("05/03/2026")
    expect(page.locator("#timeline")).to_contain_text(
        f"{TODAY} Quyết định xóa tên khỏi danh sách đảng viên dự bị: Thời kỳ dự bị → Xóa tên trong danh sách đảng viên dự bị"
    )
    _shot(page, "07-removed")

    candidate.refresh_from_db()
    assert (candidate.stage, candidate.removal_date) == ("SX", dt.date(2026, 1, 15))
    assert list(candidate.votes.filter(purpose="removal").values_list("body", "yes", "passed")) == [
        ("BRANCH", 7, True),
        ("GRASSROOTS_COMMITTEE", 8, True),
        ("STANDING_COMMITTEE", 4, True),
    ]
    assert page.problems == []  # type: ignore[attr-defined]
