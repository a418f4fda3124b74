"""The secretary answers a verification request after the fact, then completes the verification
step, in real Chromium. Screenshots go to test-artifacts/browser/ (gitignored).

Reference timeline (admission.devdata.demo, START Mon 06/01/2025): S6 from 05/05/2025. The letter
was sent 06/05 and received 08/05/2025; its reply was due Thu 19/06/2025 (30 working days), so on
Fri 20/06/2025 the request is overdue.
"""

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
import time_machine
from playwright.sync_api import Page, expect

from admission import services
from admission.devdata.demo import at, walk_to
from admission.models import Candidate
from tests.browser.conftest import ARTIFACTS, PASSWORD, chromium_page
from tests.conftest import Tree
from tests.factories import PersonFactory

pytestmark = pytest.mark.browser

NOW = dt.datetime(2025, 6, 20, 9, 30, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
START = dt.date(2025, 1, 6)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def page(live_server, transactional_db, settings, tmp_path) -> Iterator[Page]:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path
    with time_machine.travel(NOW, tick=False), chromium_page(live_server.url) as page:
        yield page


def _shot(page: Page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"verification-{name}.png"), full_page=True)


def test_the_secretary_answers_a_request_after_the_fact_and_completes_the_step(
    page: Page, alice, introducers, tree: Tree
) -> None:  # type: ignore[no-untyped-def]
    person = PersonFactory(organisation=tree.branch_a, full_name="Hoàng Văn Thẩm")
    candidate = services.candidate_create(acting_user=alice, person=person, now=at(START))
    walk_to(candidate, "S6", user=alice, introducers=introducers, start=START)
    services.verification_record(
        acting_user=alice,
        candidate=candidate,
        subject="Bố đẻ: Hoàng Văn Cha",
        addressee="Đảng ủy xã Thử",
        sent_on=dt.date(2025, 5, 6),
        received_on=dt.date(2025, 5, 8),
        now=at(dt.date(2025, 5, 8)),
    )

    page.goto("/accounts/login/")
    page.fill("#id_username", alice.username)
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url("/")

    page.goto(f"/admission/candidates/{candidate.pk}/")
    panel = page.locator("#verifications")
    expect(panel).to_contain_text("chờ trả lời")
    expect(panel.locator(".text-danger")).to_contain_text("hạn trả lời 19/06/2025 · QUÁ HẠN")
    panel.scroll_into_view_if_needed()
    _shot(page, "01-open-request-overdue")

    # The step is refused and says which request is open, with a link to its reply form.
    step = "Hoàn thành thẩm tra lý lịch"
    page.locator("main").get_by_role("link", name=step, exact=True).click()
    page.fill("#id_on_date", "20/06/2025")
    page.locator("main form").get_by_role("button", name=step).click()
    expect(page.locator("main .alert-block, main .alert-danger").first).to_contain_text(
        "Còn 1 yêu cầu thẩm tra chưa có trả lời: Bố đẻ: Hoàng Văn Cha – Đảng ủy xã Thử (gửi ngày 06/05/2025, "
        "hạn trả lời 19/06/2025)"
    )
    _shot(page, "02-step-refused-names-the-request")
    page.locator("#form-links").get_by_role("link").click()

    expect(page.locator("h1")).to_have_text("Ghi nhận trả lời thẩm tra lý lịch")
    expect(page.locator("#form-intro")).to_contain_text("Bố đẻ: Hoàng Văn Cha → Đảng ủy xã Thử")
    page.fill("#id_replied_on", "18/06/2025")
    page.fill("#id_reply_number", "45-CV/ĐU")
    page.get_by_label("Không phát hiện vấn đề").check()
    page.set_input_files("#id_scan", {"name": "tra-loi.pdf", "mimeType": "application/pdf", "buffer": PDF})
    _shot(page, "03-reply-form")
    page.locator("main form").get_by_role("button", name="Ghi nhận trả lời").click()

    expect(page).to_have_url(f"/admission/candidates/{candidate.pk}/")
    expect(page.locator(".alert-success")).to_contain_text("Đã ghi nhận trả lời thẩm tra: Bố đẻ: Hoàng Văn Cha.")
    expect(panel).to_contain_text("đã trả lời 18/06/2025 · số 45-CV/ĐU · Không phát hiện vấn đề")
    expect(panel.get_by_role("link", name="bản chụp")).to_be_visible()
    expect(panel.get_by_role("link", name="Sửa")).to_be_visible()
    panel.scroll_into_view_if_needed()
    _shot(page, "04-answered")

    page.locator("main").get_by_role("link", name=step, exact=True).click()
    page.fill("#id_on_date", "20/06/2025")
    page.locator("main form").get_by_role("button", name=step).click()
    expect(page).to_have_url(f"/admission/candidates/{candidate.pk}/")
    expect(page.locator("#current-stage")).to_contain_text("S7")
    _shot(page, "05-step-completed")
    assert Candidate.objects.get(pk=candidate.pk).stage == "S7"
    assert page.problems == []  # type: ignore[attr-defined]
