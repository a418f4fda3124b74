"""Real Chromium through Playwright against the live server: log in, search members, switch language.

Screenshots go to test-artifacts/browser/ (gitignored).
"""

from collections.abc import Iterator

import pytest
from django.utils import translation
from playwright.sync_api import Page, expect

from members.models import MemberStatus
from tests.browser.conftest import ARTIFACTS, PASSWORD, chromium_page
from tests.conftest import Tree
from tests.factories import MemberFactory

pytestmark = pytest.mark.browser

PARTY_RED = "rgb(179, 22, 27)"  # .bg-party in static/css/app.css (#b3161b)
# Links of the navigation bar and their Vietnamese source text (templates/base.html).
NAV_LINKS = {"/": "Tổng quan", "/organisations/": "Tổ chức đảng", "/members/": "Đảng viên", "/people/": "Hồ sơ cá nhân"}


@pytest.fixture
def page(live_server, transactional_db) -> Iterator[Page]:
    with chromium_page(live_server.url) as page:
        yield page


@pytest.fixture
def branch_members(tree: Tree) -> None:
    for name in ["Nguyễn Văn Đức", "Trần Thị Lan", "Nguyễn Văn Dũng", "Lê Thị Hoa"]:
        MemberFactory(person__organisation=tree.branch_a, person__full_name=name)
    MemberFactory(
        person__organisation=tree.branch_a,
        person__full_name="Phạm Văn Dự",
        status=MemberStatus.PROBATIONARY,
        official_date=None,
    )


def _log_in(page: Page, username: str) -> None:
    page.goto("/")
    expect(page).to_have_url("/accounts/login/?next=/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url("/")


def test_it_logs_in_and_finds_a_member_by_typing_the_name_without_accents(page: Page, alice, branch_members) -> None:
    _log_in(page, alice.username)
    page.screenshot(path=str(ARTIFACTS / "01-dashboard.png"), full_page=True)

    navbar = page.locator("nav.navbar.bg-party")
    assert navbar.evaluate("el => getComputedStyle(el).backgroundColor") == PARTY_RED  # app.css loaded
    assert navbar.evaluate("el => getComputedStyle(el).display") == "flex"  # Bootstrap loaded

    page.locator("nav.navbar").get_by_role("link", name="Đảng viên", exact=True).click()
    expect(page).to_have_url("/members/")
    rows = page.locator("#member-table tbody tr")
    expect(rows).to_have_count(5)
    expect(rows.filter(has_text="Trần Thị Lan")).to_be_visible()

    page.fill("#id_q", "nguyen van duc")
    page.locator("form[role=search] button[type=submit]").click()

    expect(page).to_have_url("/members/?q=nguyen+van+duc&status=")
    expect(rows.filter(has_text="Nguyễn Văn Đức")).to_be_visible()
    expect(rows.filter(has_text="Trần Thị Lan")).to_have_count(0)
    expect(rows.filter(has_text="Nguyễn Văn Dũng")).to_have_count(0)
    expect(rows).to_have_count(1)
    expect(page.locator("#id_q")).to_have_value("nguyen van duc")
    page.screenshot(path=str(ARTIFACTS / "02-members-search.png"), full_page=True)
    assert page.problems == []  # type: ignore[attr-defined]


def test_it_does_not_let_a_secretary_find_members_of_another_branch(page: Page, bob, branch_members) -> None:
    _log_in(page, bob.username)

    page.goto("/members/?q=nguyen+van+duc")

    expect(page.locator("#member-table tbody tr")).to_have_count(1)  # the "no member" row
    expect(page.locator("#member-table")).not_to_contain_text("Nguyễn Văn Đức")


def test_it_refuses_a_wrong_password_in_the_login_form(page: Page, alice) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", alice.username)
    page.fill("#id_password", "not-the-password")
    page.locator("main form button[type=submit]").click()

    expect(page).to_have_url("/accounts/login/")
    expect(page.locator("main")).to_contain_text("Tên đăng nhập hoặc mật khẩu không đúng.")


def _english(text: str) -> str:
    with translation.override("en"):
        return translation.gettext(text)


def test_it_switches_the_navigation_to_english(page: Page, alice, branch_members) -> None:
    _log_in(page, alice.username)
    page.goto("/members/")

    page.get_by_role("button", name="English").click()

    expect(page).to_have_url("/members/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("button", name="Tiếng Việt")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "03-members-english.png"), full_page=True)
    nav = page.locator("nav.navbar")
    for href, source in NAV_LINKS.items():
        english = _english(source)
        assert english != source, f"no English translation of {source!r}"
        expect(nav.locator(f'a.nav-link[href="{href}"]')).to_have_text(english)
    logout = _english("Đăng xuất")
    assert logout != "Đăng xuất"
    expect(nav.get_by_role("button", name=logout, exact=True)).to_be_visible()
