"""The hand-off page in real Chromium: the grassroots committee's staff choose a period and see the
member their subtree recognised, then download the Excel. Screenshot: test-artifacts/browser/handoff-*.png.
"""

import datetime as dt
import io
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
import time_machine
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from admission import services
from admission.devdata.demo import at, walk_to
from tests.browser.conftest import ARTIFACTS, PASSWORD, chromium_page
from tests.conftest import Tree
from tests.factories import PersonFactory

pytestmark = pytest.mark.browser

START = dt.date(2025, 1, 6)  # the reference timeline
NOW = dt.datetime(2027, 1, 15, 9, 30, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
PERSON = "Vũ Văn Chính Thức"


@pytest.fixture
def page(live_server, transactional_db) -> Iterator[Page]:
    with time_machine.travel(NOW, tick=False), chromium_page(live_server.url) as page:
        yield page


def test_the_committee_downloads_its_new_official_members(page: Page, alice, carol, tree: Tree, introducers) -> None:  # type: ignore[no-untyped-def]
    person = PersonFactory(organisation=tree.branch_a, full_name=PERSON, date_of_birth=dt.date(1996, 4, 5))
    candidate = walk_to(
        services.candidate_create(acting_user=alice, person=person, now=at(START)),
        "S17", user=alice, introducers=introducers, start=START,
    )  # fmt: skip
    decided = candidate.recognition_decision_date
    assert decided is not None

    page.goto("/accounts/login/")
    page.fill("#id_username", carol.username)
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url("/")
    page.goto(f"/organisations/{tree.committee.pk}/")
    page.locator("#handoff-link").click()
    page.fill("#id_start", f"01/01/{decided.year}")
    page.fill("#id_end", f"31/12/{decided.year}")
    page.get_by_role("button", name="Xem").click()
    expect(page.locator("#handoff-count")).to_contain_text("1 đảng viên được công nhận chính thức")
    expect(page.locator("#handoff-table")).to_contain_text(PERSON)
    page.screenshot(path=str(ARTIFACTS / "handoff-01-page.png"), full_page=True)
    href = page.locator("#handoff-export").get_attribute("href")
    response = page.request.get(href or "")
    assert response.status == 200
    rows = list(load_workbook(io.BytesIO(response.body())).active.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][0] == PERSON
