"""The branch secretary issues a numbered resolution from the candidate's page, sees it in the
branch's register, cancels it (the number stays, marked cancelled) and issues again (the next
number); in real Chromium. Screenshots go to test-artifacts/browser/ (gitignored)."""

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
import time_machine
from playwright.sync_api import Page, expect

from admission import services
from admission.devdata.demo import at
from tests.browser.conftest import ARTIFACTS, PASSWORD, chromium_page
from tests.conftest import Tree
from tests.factories import PersonFactory

pytestmark = pytest.mark.browser

NOW = dt.datetime(2026, 3, 5, 9, 30, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))


@pytest.fixture
def page(live_server, transactional_db, settings, tmp_path) -> Iterator[Page]:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path
    with time_machine.travel(NOW, tick=False), chromium_page(live_server.url) as page:
        yield page


def _shot(page: Page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"register-{name}.png"), full_page=True)


def test_the_secretary_issues_cancels_and_issues_again_with_the_next_number(page: Page, alice, tree: Tree) -> None:  # type: ignore[no-untyped-def]
    person = PersonFactory(organisation=tree.branch_a, full_name="Hoàng Văn Số")
    candidate = services.candidate_create(acting_user=alice, person=person, now=at(dt.date(2025, 1, 6)))

    page.goto("/accounts/login/")
    page.fill("#id_username", alice.username)
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url("/")

    page.goto(f"/admission/candidates/{candidate.pk}/")
    page.locator("#issue-link").click()
    main = page.locator("main")
    expect(main).to_contain_text("Cấp số và vào sổ văn bản")
    expect(page.locator("#issuers")).to_contain_text("bạn không cấp số cho cấp này")  # the committee's decisions
    page.select_option("#id_kind", "branch_resolution")
    page.fill("#id_issued_on", "02/03/2026")
    page.fill("#id_signer_name", "Trần Văn Ký")
    page.fill("#id_recipients", "Đảng ủy Sở Thử nghiệm\nLưu chi bộ")
    page.select_option("#id_format", "docx")
    _shot(page, "01-issue-form")
    page.locator("main form [type=submit]").click()
    expect(page.locator("body")).to_contain_text("Đã vào sổ: Nghị quyết chi bộ đề nghị kết nạp, số 1-NQ/CB.")
    expect(page.locator("#generated-documents")).to_contain_text("Số 1-NQ/CB")

    page.goto(f"/admission/organisations/{tree.branch_a.pk}/register/")
    register = page.locator("#register")
    expect(register).to_contain_text("Số 1-NQ/CB")
    expect(register).to_contain_text("Hoàng Văn Số")
    register.locator("summary").first.click()
    page.fill("[name=reason]", "Ghi nhầm ngày họp")
    register.get_by_role("button", name="Hủy, giữ số").click()
    expect(page.locator("body")).to_contain_text("Đã hủy văn bản số 1-NQ/CB; số này không cấp lại.")

    page.goto(f"/admission/candidates/{candidate.pk}/documents/issue/?kind=branch_resolution")
    page.fill("#id_issued_on", "04/03/2026")
    page.fill("#id_signer_name", "Trần Văn Ký")
    page.select_option("#id_format", "docx")
    page.locator("main form [type=submit]").click()
    expect(page.locator("body")).to_contain_text("số 2-NQ/CB")

    page.goto(f"/admission/organisations/{tree.branch_a.pk}/register/")
    expect(page.locator("#entry-1, #register tr.table-secondary").first).to_contain_text("đã hủy")
    expect(page.locator("#register")).to_contain_text("Ghi nhầm ngày họp")
    expect(page.locator("#register")).to_contain_text("Số 2-NQ/CB")
    _shot(page, "02-register")
    with page.expect_download() as download:
        page.locator("#register-export").click()
    assert download.value.suggested_filename == "so-van-ban_A_2025-01-01.xlsx"
    assert not page.problems, page.problems  # type: ignore[attr-defined]
