"""The candidate's self-service in real Chromium: the secretary invites and opens the application
to uploads; the candidate accepts the one-time link, sets a password, uploads a scan, fills the
biography draft and prints it; every other page is closed to them. Screenshots go to
test-artifacts/browser/candidate-self-*.png (gitignored).
"""

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
import time_machine
from playwright.sync_api import Page, expect

from admission import services
from admission.devdata.demo import at, walk_to
from admission.models import BiographyDraft, DocumentScan
from tests.browser.conftest import ARTIFACTS, PASSWORD, chromium_page
from tests.conftest import Tree
from tests.factories import PersonFactory

pytestmark = pytest.mark.browser

START = dt.date(2025, 1, 6)
NOW = dt.datetime(2025, 6, 2, 9, 30, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))  # at S5 since 15/04/2025
PERSON = "Mai Thị Tự Khai"
OWN_PASSWORD = "Sen-hong-thang-6!"
PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


@pytest.fixture
def page(live_server, transactional_db) -> Iterator[Page]:
    with time_machine.travel(NOW, tick=False), chromium_page(live_server.url) as page:
        yield page


def _shot(page: Page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"candidate-self-{name}.png"), full_page=True)


def test_a_candidate_accepts_uploads_fills_the_biography_and_reaches_nothing_else(  # type: ignore[no-untyped-def]
    page: Page, alice, tree: Tree, introducers, tmp_path, settings
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    person = PersonFactory(organisation=tree.branch_a, full_name=PERSON, date_of_birth=dt.date(2001, 2, 3))
    candidate = walk_to(
        services.candidate_create(acting_user=alice, person=person, now=at(START)),
        "S5", user=alice, introducers=introducers, start=START,
    )  # fmt: skip
    detail = f"/admission/candidates/{candidate.pk}/"

    # The secretary invites from the candidate page and opens the application (A2) to uploads.
    page.goto("/accounts/login/")
    page.fill("#id_username", alice.username)
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.goto(detail)
    page.locator("#self-service-link").click()
    page.fill("#id_email", "mai.tu.khai@example.vn")
    page.get_by_role("button", name="Gửi lời mời").click()
    expect(page.locator("main .alert-success").first).to_contain_text("Đã gửi lời mời đến mai.tu.khai@example.vn")
    link = page.locator("#invitation-link").input_value()
    assert "/me/invitation/" in link
    _shot(page, "01-secretary-invited")
    page.locator("#open-items-form input[value=A2]").check()
    page.locator("#open-items-form").get_by_role("button", name="Lưu").click()
    expect(page.locator("main .alert-success")).to_contain_text("Đã lưu các giấy tờ được tự tải lên.")

    # The candidate opens the link in a fresh session and sets a password.
    page.context.clear_cookies()
    page.goto(link)
    expect(page.locator("h1")).to_have_text("Nhận lời mời theo dõi hồ sơ")
    page.fill("#id_new_password1", OWN_PASSWORD)
    page.fill("#id_new_password2", OWN_PASSWORD)
    _shot(page, "02-accept")
    page.get_by_role("button", name="Đặt mật khẩu và vào hồ sơ").click()
    expect(page).to_have_url("/me/")
    expect(page.locator("#own-stage")).to_have_text("Giới thiệu người vào Đảng")
    expect(page.locator("#own-missing")).to_contain_text("Giấy giới thiệu của đảng viên chính thức")
    expect(page.locator("#own-deadlines")).to_contain_text("Giấy chứng nhận lớp nhận thức còn giá trị đến")
    expect(page.get_by_role("link", name="Thống kê")).to_have_count(0)
    expect(page.get_by_role("link", name="Phát triển đảng viên", exact=True)).to_have_count(0)
    _shot(page, "03-own-case")

    # A scan of the application.
    scan = tmp_path / "don-xin-vao-dang.pdf"
    scan.write_bytes(PDF)
    page.locator("#own-upload-link").click()
    page.select_option("#id_doc_type", "A2")
    page.set_input_files("#id_file", str(scan))
    _shot(page, "04-upload")
    page.locator("#own-upload-form").get_by_role("button", name="Tải lên").click()
    expect(page).to_have_url("/me/")
    expect(page.locator("#own-scans")).to_contain_text("don-xin-vao-dang.pdf")
    assert DocumentScan.objects.filter(candidate=candidate, doc_type="A2").count() == 1

    # The biography draft: a relative and a period of history.
    page.locator("#own-biography-link").click()
    page.fill("#id_family-0-relation", "Mẹ đẻ")
    page.fill("#id_family-0-full_name", "Trần Thị Mẹ")
    page.fill("#id_family-0-birth_year", "1975")
    page.fill("#id_family-0-occupation", "Giáo viên")
    page.fill("#id_family-0-residence", "Phường Thử, tỉnh Thử nghiệm")
    page.fill("#id_family-0-political", "Đoàn viên công đoàn")
    page.fill("#id_history-0-period", "09/2019 - 06/2023")
    page.fill("#id_history-0-activity", "Sinh viên Trường Đại học Sư phạm")
    page.fill("#id_notes-rewards", "Giấy khen Đoàn trường năm 2022")
    page.locator("#biography-save").click()
    expect(page.locator("main .alert-success")).to_contain_text("Đã lưu bản nháp lý lịch.")
    expect(page.locator("#id_family-0-full_name")).to_have_value("Trần Thị Mẹ")
    _shot(page, "05-biography")
    assert BiographyDraft.objects.get(candidate=candidate).data["family"][0]["full_name"] == "Trần Thị Mẹ"
    page.goto("/me/biography/print/")
    expect(page.locator("#print-family")).to_contain_text("Trần Thị Mẹ")
    expect(page.locator("#biography-print")).to_contain_text("NGƯỜI KHAI LÝ LỊCH")
    _shot(page, "06-biography-print")

    # Nothing else: the candidate's own page for staff, the board, the overview, the people, the API.
    for url in (
        detail,
        f"/admission/branches/{tree.branch_a.pk}/board/",
        "/admission/",
        "/people/",
        f"/admission/candidates/{candidate.pk}/self-service/",
        "/api/v1/candidates/",
    ):
        response = page.goto(url)
        assert response is not None and response.status == 404, url
        expect(page.locator("body")).not_to_contain_text(PERSON)
    _shot(page, "07-closed-page")
    page.goto("/")
    expect(page).to_have_url("/me/")

    # The secretary sees the upload and the draft, and prints it in the form's layout.
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.fill("#id_username", alice.username)
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.goto(f"/admission/candidates/{candidate.pk}/self-service/")
    expect(page.locator("#access-state")).to_contain_text("Đang theo dõi hồ sơ từ")
    page.locator("#draft-lock").click()
    expect(page.locator("#draft-state")).to_contain_text("đã khóa ngày")
    _shot(page, "08-secretary-manage")
    problems = [p for p in page.problems if "Content Security Policy" in p]  # type: ignore[attr-defined]
    assert not problems, problems
