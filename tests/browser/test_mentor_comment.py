"""The helper in real Chromium: the mentor opens their workspace, writes and signs the
end-of-probation comment (Mẫu 11-KNĐ), which then shows on the candidate page (and ticks R3) for the
branch secretary; the mentor's own page of the mentee shows the stage, the dates and their
comments, nothing else. Screenshots go to test-artifacts/browser/mentor-*.png (gitignored).
"""

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
import time_machine
from playwright.sync_api import Page, expect

from admission import services
from admission.devdata.demo import at, walk_to
from members.models import Role
from members.services import role_assign
from tests.browser.conftest import ARTIFACTS, chromium_page
from tests.browser.conftest import log_in as _log_in
from tests.conftest import Tree
from tests.factories import PersonFactory, UserFactory

pytestmark = pytest.mark.browser

START = dt.date(2025, 1, 6)  # the reference timeline: ceremony on 03/10/2025
NOW = dt.datetime(2026, 10, 12, 9, 30, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))  # probation ended 03/10/2026: comment due
PERSON = "Đinh Thị Dự Bị"
TEXT = "Đồng chí giữ vững lập trường, hoàn thành tốt nhiệm vụ được giao. Đề nghị chi bộ công nhận chính thức."


@pytest.fixture
def page(live_server, transactional_db) -> Iterator[Page]:
    with time_machine.travel(NOW, tick=False), chromium_page(live_server.url) as page:
        yield page


def _shot(page: Page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"mentor-{name}.png"), full_page=True)


def test_the_mentor_signs_the_end_of_probation_comment(page: Page, alice, tree: Tree, introducers) -> None:  # type: ignore[no-untyped-def]
    person = PersonFactory(organisation=tree.branch_a, full_name=PERSON, date_of_birth=dt.date(1996, 4, 5))
    candidate = walk_to(
        services.candidate_create(acting_user=alice, person=person, now=at(START)),
        "S13", user=alice, introducers=introducers, start=START,
    )  # fmt: skip
    helper = candidate.mentorships.get(role="mentor").member
    mentor = UserFactory(username="giupdo.a", person=helper.person)
    role_assign(acting_user=None, user=mentor, organisation=tree.branch_a, role=Role.MENTOR)
    detail = f"/admission/candidates/{candidate.pk}/"

    _log_in(page, mentor.username)
    page.goto("/admission/")
    page.locator("#mentee-workspace-link").click()
    expect(page).to_have_url("/admission/mentees/")
    row = page.locator("#mentee-table tr.mentee")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(PERSON)
    expect(row).to_contain_text("Thời kỳ dự bị")
    expect(row.locator(".owed")).to_contain_text("sắp đến hạn")
    expect(page.get_by_role("link", name="Thống kê")).to_have_count(0)  # no organisation pages for a mentor
    _shot(page, "01-workspace")

    row.get_by_role("link", name="Viết nhận xét khi hết thời gian dự bị").click()
    expect(page.locator("h1")).to_have_text("Nhận xét của đảng viên giúp đỡ")
    page.fill("#id_text", TEXT)
    page.check("#id_sign")
    page.fill("#id_signed_on", "10/10/2026")
    _shot(page, "02-comment-form")
    page.locator("main form").get_by_role("button", name="Lưu nhận xét").click()

    expect(page).to_have_url(f"/admission/mentees/{candidate.pk}/")  # the mentor's page of the mentee
    expect(page.locator("main .alert-success")).to_contain_text("Đã ký nhận xét.")
    expect(page.locator("#mentee-stage")).to_have_text("Thời kỳ dự bị")
    comment = page.locator("#mentor-comments .mentor-comment")
    expect(comment).to_contain_text(TEXT)
    expect(comment).to_contain_text("đã ký ngày 10/10/2026")
    _shot(page, "03-candidate-page-mentor")
    page.locator(".breadcrumb a").first.click()  # leads to the workspace, not a branch board
    expect(page).to_have_url("/admission/mentees/")

    _log_in(page, alice.username)
    page.goto(detail)
    expect(page.locator("#mentor-comments")).to_contain_text(TEXT)
    expect(page.locator("#mentor-comment-link")).to_have_count(0)  # the secretary reads, does not write
    expect(page.locator("body")).to_contain_text("R3 Nhận xét của đảng viên giúp đỡ (10/10/2026, ghi nhận tự động)")
    _shot(page, "04-candidate-page-secretary")
