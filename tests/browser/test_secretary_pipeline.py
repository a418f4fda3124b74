"""A branch secretary follows a new person and records the first two steps, in real Chromium.

Screenshots go to test-artifacts/browser/ (gitignored).
"""

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
import time_machine
from playwright.sync_api import Page, expect

from admission.models import Candidate, StageTransition
from tests.browser.conftest import ARTIFACTS, PASSWORD, chromium_page
from tests.conftest import Tree
from tests.factories import PersonFactory

pytestmark = pytest.mark.browser

# The server and the test share the frozen clock (one process); Chromium keeps its own, which
# only matters for cookie expiry, and the session cookie has none (expires at browser close).
TODAY = dt.date(2026, 11, 23)
NOW = dt.datetime(2026, 11, 23, 9, 30, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
PERSON = "Trần Thị Ưu Tú"


@pytest.fixture
def page(live_server, transactional_db) -> Iterator[Page]:
    with time_machine.travel(NOW, tick=False), chromium_page(live_server.url) as page:
        yield page


def _shot(page: Page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"pipeline-{name}.png"), full_page=True)


def _log_in(page: Page, username: str) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url("/")


def _record_step(page: Page, label: str, day: str, shot: str) -> None:
    """Open the step from the candidate page, type its date and submit."""
    page.locator("main").get_by_role("link", name=label, exact=True).click()
    expect(page.locator("h1")).to_have_text(label)
    expect(page.locator("#id_on_date")).to_have_attribute("placeholder", "dd/mm/yyyy")
    page.fill("#id_on_date", day)
    _shot(page, shot)
    page.locator("main form").get_by_role("button", name=label).click()


def test_it_follows_a_person_and_records_the_first_steps(page: Page, alice, tree: Tree) -> None:  # type: ignore[no-untyped-def]
    PersonFactory(organisation=tree.branch_a, full_name=PERSON)
    PersonFactory(organisation=tree.branch_b, full_name="Không Thuộc Chi Bộ A")
    today = TODAY.strftime("%d/%m/%Y")
    _log_in(page, alice.username)

    page.locator("nav.navbar").get_by_role("link", name="Phát triển đảng viên", exact=True).click()
    expect(page).to_have_url("/admission/")
    overview = page.locator("#branch-overview")
    expect(overview).to_contain_text(tree.branch_a.name)
    expect(overview).not_to_contain_text(tree.branch_b.name)
    _shot(page, "01-overview")

    overview.get_by_role("link", name=tree.branch_a.name).click()
    expect(page).to_have_url(f"/admission/branches/{tree.branch_a.pk}/board/")
    expect(page.locator("main")).to_contain_text("Chi bộ chưa theo dõi quần chúng ưu tú nào.")
    _shot(page, "02-empty-board")

    page.get_by_role("link", name="+ Theo dõi quần chúng ưu tú").click()
    options = page.locator("#id_person option")
    expect(options.filter(has_text=PERSON)).to_have_count(1)
    expect(options.filter(has_text="Không Thuộc Chi Bộ A")).to_have_count(0)  # another branch's person
    page.select_option("#id_person", label=PERSON)
    _shot(page, "03-follow-form")
    page.locator("main form").get_by_role("button", name="Bắt đầu theo dõi").click()

    candidate = Candidate.objects.get(person__full_name=PERSON)
    expect(page).to_have_url(f"/admission/candidates/{candidate.pk}/")
    expect(page.locator("#current-stage")).to_have_text("S0 Quần chúng ưu tú")
    expect(page.locator("main .alert-success")).to_contain_text(PERSON)
    _shot(page, "04-candidate-s0")

    _record_step(page, "Đưa vào danh sách cảm tình Đảng", today, "05a-listing-form")
    _shot(page, "05b-after-listing")
    expect(page).to_have_url(f"/admission/candidates/{candidate.pk}/")
    expect(page.locator("#current-stage")).to_have_text("S1 Cảm tình Đảng")
    expect(page.locator("#timeline")).to_contain_text(
        f"{today} Đưa vào danh sách cảm tình Đảng: Quần chúng ưu tú → Cảm tình Đảng"
    )

    _record_step(page, "Đề nghị học lớp bồi dưỡng nhận thức về Đảng", today, "06a-class-form")
    expect(page.locator("#current-stage")).to_have_text("S2 Học lớp bồi dưỡng nhận thức về Đảng")
    _shot(page, "06b-after-class-proposal")

    candidate.refresh_from_db()
    assert (candidate.stage, candidate.sympathiser_date, candidate.class_proposed_date) == ("S2", TODAY, TODAY)
    assert list(StageTransition.objects.filter(candidate=candidate).values_list("to_stage", "acting_user")) == [
        ("S1", alice.pk),
        ("S2", alice.pk),
    ]

    page.locator("main .breadcrumb").get_by_role("link", name=tree.branch_a.name).click()
    expect(page.locator("#stage-S2")).to_contain_text(PERSON)
    _shot(page, "07-board")
    page.get_by_role("link", name="Ghi cuộc họp chi bộ", exact=True).click()
    expect(page).to_have_url(f"/admission/branches/{tree.branch_a.pk}/meetings/new/")
    expect(page.locator("h1")).to_have_text("Họp chi bộ: điểm danh, biên bản, xét danh sách cảm tình Đảng")
    expect(page.locator(f"#id_remove_{candidate.pk}")).to_be_visible()  # listed (S2): may be removed
    _shot(page, "08-monthly-meeting")
    assert page.problems == []  # type: ignore[attr-defined]
