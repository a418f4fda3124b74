"""A committee staff member logs in with a password and a TOTP code, in real Chromium."""

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from tests.browser.conftest import ARTIFACTS, PASSWORD, chromium_page

pytestmark = pytest.mark.browser
NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))


@pytest.fixture
def page(live_server, transactional_db, settings) -> Iterator[Page]:  # type: ignore[no-untyped-def]
    settings.TWO_FACTOR_REQUIRED = True
    with time_machine.travel(NOW, tick=False), chromium_page(live_server.url) as page:
        yield page


def test_committee_staff_set_up_the_authenticator_at_first_login(page: Page, carol, tree) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"/admission/committees/{tree.committee.pk}/queue/")
    page.fill("#id_username", carol.username)
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()

    expect(page.locator("h1")).to_have_text("Xác thực hai lớp")
    expect(page.locator("#totp-qr")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "two-factor-setup.png"), full_page=True)
    device = TOTPDevice.objects.get(user=carol, confirmed=False)
    page.fill("#id_token", f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}")
    page.locator("#verify").click()

    # The recovery codes, shown once, then on to the page that was asked for.
    expect(page.locator("h1")).to_have_text("Mã khôi phục xác thực hai lớp")
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    page.screenshot(path=str(ARTIFACTS / "two-factor-recovery-codes.png"), full_page=True)
    page.locator("#recovery-continue").click()

    expect(page).to_have_url(f"/admission/committees/{tree.committee.pk}/queue/")
    expect(page.locator("h1")).to_contain_text("Hồ sơ chờ xét")
    assert TOTPDevice.objects.get(user=carol).confirmed
    assert page.problems == []  # type: ignore[attr-defined]
