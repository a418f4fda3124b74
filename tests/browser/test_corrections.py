"""Corrections in real Chromium (issue 14): a wrong ceremony date corrected with the probation end
and the deadline following; a mistyped vote withdrawn and entered again; the last step undone; each
correction listed in the history with its reason. Screenshots go to test-artifacts/browser/.

Reference timeline (admission.devdata.demo, START Mon 06/01/2025): ceremony Fri 03/10/2025 (S12);
the branch vote candidate is at S8 from 10/07/2025. The clock is frozen on Mon 20/10/2025.
"""

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
import time_machine
from playwright.sync_api import Page, expect

from admission import services
from admission.devdata.demo import at, walk_to
from admission.models import Candidate, StageTransition
from tests.browser.conftest import ARTIFACTS, PASSWORD, chromium_page
from tests.conftest import Tree
from tests.factories import PersonFactory

pytestmark = pytest.mark.browser

NOW = dt.datetime(2025, 10, 20, 9, 30, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
START = dt.date(2025, 1, 6)


@pytest.fixture
def page(live_server, transactional_db) -> Iterator[Page]:  # type: ignore[no-untyped-def]
    with time_machine.travel(NOW, tick=False), chromium_page(live_server.url) as page:
        yield page


def _shot(page: Page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"corrections-{name}.png"), full_page=True)


def _walked(tree: Tree, alice, introducers, name: str, stage: str) -> Candidate:  # type: ignore[no-untyped-def]
    person = PersonFactory(organisation=tree.branch_a, full_name=name)
    candidate = services.candidate_create(acting_user=alice, person=person, now=at(START))
    return walk_to(candidate, stage, user=alice, introducers=introducers, start=START)


def _login(page: Page, username: str) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url("/")


def test_a_wrong_ceremony_date_is_corrected_and_the_dates_follow(page: Page, alice, introducers, tree: Tree) -> None:  # type: ignore[no-untyped-def]
    candidate = _walked(tree, alice, introducers, "Phan Văn Lễ", "S12")
    ceremony = StageTransition.objects.get(candidate=candidate, step_key="ceremony")
    _login(page, alice.username)
    page.goto(f"/admission/candidates/{candidate.pk}/")
    dates = page.locator("#computed-dates")
    expect(dates).to_contain_text("03/10/2026")  # the probation ends 12 months after the ceremony
    deadline_before = page.locator("#stage-deadline").inner_text()

    page.locator(f"#transition-{ceremony.pk}").get_by_role("link", name="Đính chính").click()
    expect(page.locator("h1")).to_have_text("Đính chính bước đã ghi")
    expect(page.locator("#form-intro")).to_contain_text("Tổ chức lễ kết nạp")
    expect(page.locator("#id_ceremony_date")).to_have_value("03/10/2025")
    page.fill("#id_ceremony_date", "01/10/2025")
    page.fill("#id_reason", "Biên bản lễ kết nạp ghi ngày 01/10/2025")
    _shot(page, "01-ceremony-correction-form")
    page.locator("main form").get_by_role("button", name="Lưu đính chính").click()

    expect(page).to_have_url(f"/admission/candidates/{candidate.pk}/")
    expect(page.locator(".alert-success")).to_contain_text("Đã đính chính: Tổ chức lễ kết nạp.")
    expect(dates).to_contain_text("01/10/2026")
    expect(dates).not_to_contain_text("03/10/2026")
    assert page.locator("#stage-deadline").inner_text() != deadline_before  # the records deadline follows
    history = page.locator("#corrections")
    expect(history).to_contain_text("Ngày lễ kết nạp (ngày vào Đảng): 03/10/2025 → 01/10/2025")
    expect(history).to_contain_text("Biên bản lễ kết nạp ghi ngày 01/10/2025")
    history.scroll_into_view_if_needed()
    _shot(page, "02-ceremony-corrected")
    candidate.refresh_from_db()
    assert candidate.ceremony_date == dt.date(2025, 10, 1)
    assert page.problems == []  # type: ignore[attr-defined]


def test_a_mistyped_vote_is_withdrawn_entered_again_and_its_step_undone(
    page: Page, alice, introducers, tree: Tree
) -> None:  # type: ignore[no-untyped-def]
    candidate = _walked(tree, alice, introducers, "Đỗ Thị Phiếu", "S8")
    _login(page, alice.username)
    page.goto(f"/admission/candidates/{candidate.pk}/")
    step = "Chi bộ biểu quyết đề nghị kết nạp"

    def vote(yes: int) -> None:
        page.locator("main").get_by_role("link", name=step, exact=True).click()
        page.fill("#id_held_on", "17/10/2025")
        page.fill("#id_summoned", "9")
        page.fill("#id_excluded", "0")
        page.fill("#id_yes", str(yes))
        page.fill("#id_no", str(9 - yes))
        page.fill("#id_abstain", "0")
        page.locator("main form").get_by_role("button", name=step).click()
        expect(page).to_have_url(f"/admission/candidates/{candidate.pk}/")

    vote(5)  # the secretary typed 5 instead of 7
    expect(page.locator(".alert-warning")).to_contain_text("Biểu quyết không đạt: 5/9")
    votes = page.locator("#votes")
    votes.get_by_role("link", name="Rút lại").click()
    expect(page.locator("#form-intro")).to_contain_text("Biểu quyết ngày 17/10/2025: 5/9 tán thành")
    page.fill("#id_reason", "Nhập sai số phiếu tán thành")
    _shot(page, "03-withdraw-vote-form")
    page.locator("main form").get_by_role("button", name="Rút lại kết quả biểu quyết").click()
    expect(page.locator(".alert-success")).to_contain_text("Đã rút lại kết quả biểu quyết")
    expect(votes).to_contain_text("Chưa có.")

    vote(7)
    expect(page.locator(".alert-success")).to_contain_text("Biểu quyết đạt: 7/9")
    expect(votes).to_contain_text("7/9")
    _shot(page, "04-vote-entered-again")

    page.locator("#undo-step").click()
    expect(page.locator("h1")).to_have_text("Hủy bước vừa ghi")
    page.fill("#id_reason", "Cuộc họp chưa đủ điều kiện, sẽ họp lại")
    page.locator("main form").get_by_role("button", name="Hủy bước này").click()
    expect(page.locator(".alert-success")).to_contain_text("Đã hủy bước “Chi bộ biểu quyết đề nghị kết nạp”")
    expect(votes).to_contain_text("Chưa có.")
    history = page.locator("#corrections")
    expect(history).to_contain_text("Nhập sai số phiếu tán thành")
    expect(history).to_contain_text("Cuộc họp chưa đủ điều kiện, sẽ họp lại")
    history.scroll_into_view_if_needed()
    _shot(page, "05-history-with-corrections")
    candidate.refresh_from_db()
    assert (candidate.stage, candidate.branch_resolution_date) == ("S8", None)
    assert page.problems == []  # type: ignore[attr-defined]
