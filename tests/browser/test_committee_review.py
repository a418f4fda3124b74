"""Committee staff review a dossier in real Chromium: queue, review page, return with a reason
per document, the branch redoes it and resubmits, the grassroots committee approves it and the
deciding committee records the decision.

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
from admission.models import DossierReturn
from tests.browser.conftest import ARTIFACTS, chromium_page
from tests.browser.conftest import log_in as _log_in
from tests.conftest import Tree
from tests.factories import PersonFactory

pytestmark = pytest.mark.browser

NOW = dt.datetime(2025, 8, 22, 9, 30, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))  # the dossier waits at S9
START = dt.date(2025, 1, 6)
PERSON = "Phùng Thị Hồ Sơ"


@pytest.fixture
def page(live_server, transactional_db) -> Iterator[Page]:
    with time_machine.travel(NOW, tick=False), chromium_page(live_server.url) as page:
        yield page


def _shot(page: Page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"review-{name}.png"), full_page=True)


def test_committee_staff_review_return_and_approve_a_dossier(
    page: Page, tree: Tree, alice, carol, gina, introducers
) -> None:  # type: ignore[no-untyped-def]
    person = PersonFactory(organisation=tree.branch_a, full_name=PERSON)
    candidate = services.candidate_create(acting_user=alice, person=person, now=at(START))
    walk_to(candidate, "S9", user=alice, introducers=introducers, start=START)

    # 1. The grassroots committee's staff find the dossier in their queue and open it.
    _log_in(page, carol.username)
    page.goto("/admission/")
    page.get_by_role("link", name=tree.committee.name).first.click()
    expect(page.locator("#queue")).to_contain_text(PERSON)
    _shot(page, "01-queue")
    page.locator("#queue").get_by_role("link", name=PERSON).click()
    expect(page).to_have_url(f"/admission/candidates/{candidate.pk}/review/")
    expect(page.locator("#due-committee")).to_have_text(tree.committee.name)
    _shot(page, "02-review")

    # 2. A missing reason for a ticked document is refused; the typed note stays.
    page.check("#id_return_A4")
    page.fill("#id_note", "Hồ sơ cần bổ sung trước khi xét")
    page.locator("#return-submit").click()
    expect(page.locator("#doc-A4")).to_contain_text("Ghi lý do trả lại giấy tờ này.")
    expect(page.locator("#id_note")).to_have_value("Hồ sơ cần bổ sung trước khi xét")
    page.fill("#id_reason_A4", "Giấy giới thiệu thiếu chữ ký")
    _shot(page, "03-return-form")
    page.locator("#return-submit").click()
    expect(page.locator("main .alert-success")).to_contain_text("Đã trả hồ sơ về chi bộ")
    expect(page.locator("#current-stage")).to_have_text("S8 Chi bộ xét, ra nghị quyết đề nghị kết nạp")
    expect(page.locator("#returns")).to_contain_text("A4: Giấy giới thiệu thiếu chữ ký")
    assert DossierReturn.objects.get().items.get().reason == "Giấy giới thiệu thiếu chữ ký"

    # 3. The branch secretary sees why, records the letter again and sends the dossier back up.
    _log_in(page, alice.username)
    page.goto(f"/admission/candidates/{candidate.pk}/")
    expect(page.locator("#open-return")).to_contain_text("Giấy giới thiệu thiếu chữ ký")
    expect(page.locator("#resubmit")).to_be_disabled()
    _shot(page, "04-branch-sees-return")
    page.locator("main").get_by_role("link", name="Cập nhật giấy tờ").click()
    page.select_option("#id_doc_type", "A4")
    page.fill("#id_issued_on", "22/08/2025")
    page.locator("main form [type=submit]").click()
    expect(page.locator("#resubmit")).to_be_enabled()
    page.locator("#resubmit").click()
    expect(page.locator("main .alert-success")).to_contain_text("Đã gửi lại hồ sơ lên cấp trên")
    expect(page.locator("#current-stage")).to_contain_text("S9")
    # The branch cannot record the committee's resolution.
    expect(page.locator("main").get_by_role("link", name="Đảng ủy cơ sở biểu quyết")).to_have_count(0)

    # 4. The grassroots committee approves with its vote; the dossier goes to the deciding level.
    _log_in(page, carol.username)
    page.goto(f"/admission/candidates/{candidate.pk}/review/")
    page.locator("#review-actions").get_by_role("link", name="Đảng ủy cơ sở biểu quyết").click()
    page.fill("#id_held_on", "22/08/2025")
    page.fill("#id_summoned", "9")
    page.fill("#id_excluded", "0")
    page.fill("#id_yes", "8")
    page.fill("#id_no", "1")
    page.fill("#id_abstain", "0")
    _shot(page, "05-committee-vote")
    page.locator("main form [type=submit]").click()
    expect(page).to_have_url(f"/admission/candidates/{candidate.pk}/review/")
    expect(page.locator("#current-stage")).to_have_text("S10 Quyết định kết nạp")
    expect(page.locator("#due-committee")).to_have_text(tree.government.name)
    expect(page.locator("#review-readonly")).to_be_visible()  # no longer this committee's turn
    _shot(page, "06-after-approval")

    # 5. The deciding committee records the decision.
    _log_in(page, gina.username)
    page.goto(f"/admission/committees/{tree.government.pk}/queue/")
    page.locator("#queue").get_by_role("link", name=PERSON).click()
    page.locator("#review-actions").get_by_role("link", name="Ghi nhận quyết định kết nạp").click()
    page.fill("#id_on_date", "22/08/2025")
    page.fill("#id_decision_number", "25-QĐ/ĐU")
    page.locator("main form [type=submit]").click()
    expect(page.locator("#current-stage")).to_have_text("S11 Chờ tổ chức lễ kết nạp")
    _shot(page, "07-decided")

    candidate.refresh_from_db()
    assert (candidate.stage, candidate.decision_number, candidate.decision_date) == (
        "S11",
        "25-QĐ/ĐU",
        dt.date(2025, 8, 22),
    )
    assert page.problems == []  # type: ignore[attr-defined]
