"""The approvals page in real Chromium: the branch secretary sees the consents read-only, the
province's staff records one with its date and number, and the candidate page shows it.

Screenshots go to test-artifacts/browser/ (gitignored).
"""

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
import time_machine
from playwright.sync_api import Page, expect

from admission import services
from admission.devdata.demo import at
from admission.models import ProvincialConsent
from tests.browser.conftest import ARTIFACTS, chromium_page
from tests.browser.conftest import log_in as _log_in
from tests.conftest import Tree
from tests.factories import PersonFactory

pytestmark = pytest.mark.browser

NOW = dt.datetime(2025, 9, 1, 9, 30, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))


@pytest.fixture
def page(live_server, transactional_db) -> Iterator[Page]:
    with time_machine.travel(NOW, tick=False), chromium_page(live_server.url) as page:
        yield page


def test_the_province_records_a_consent_the_branch_only_reads_it(page: Page, tree: Tree, alice, paula) -> None:
    person = PersonFactory(organisation=tree.branch_a, full_name="Lò Văn Sáu Mươi")
    candidate = services.candidate_create(acting_user=alice, person=person, now=at(dt.date(2025, 1, 6)))
    url = f"/admission/candidates/{candidate.pk}/flags/"

    _log_in(page, alice.username)
    page.goto(url)
    expect(page.locator("#section-consents .read-only")).to_be_visible()
    expect(page.locator("#form-consent")).to_have_count(0)
    expect(page.locator("#form-extension")).to_have_count(0)
    expect(page.locator("#form-facts")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "approvals-alice.png"), full_page=True)

    _log_in(page, paula.username)
    page.goto(url)
    page.select_option("#id_consent-kind", "over_60")
    page.fill("#id_consent-granted_on", "28/08/2025")
    page.fill("#id_consent-document_number", "125-CV/TU")
    page.locator("#form-consent [type=submit]").click()
    expect(page.locator("#approvals-summary")).to_contain_text("125-CV/TU")
    page.goto(url)
    expect(page.locator("#consent-list")).to_contain_text("125-CV/TU")
    expect(page.locator("#form-withdraw")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "approvals-paula.png"), full_page=True)
    consent = ProvincialConsent.objects.get()
    assert (consent.document_number, consent.granted_on) == ("125-CV/TU", dt.date(2025, 8, 28))

    _log_in(page, alice.username)
    page.goto(f"/admission/candidates/{candidate.pk}/")
    expect(page.locator("#approvals-summary")).to_contain_text("125-CV/TU")
    page.locator("#approvals-summary").screenshot(path=str(ARTIFACTS / "approvals-summary-alice.png"))
    assert not page.problems  # type: ignore[attr-defined]
