"""The secretary imports her branch's own spreadsheet in real Chromium: the mapping page suggests a
field for each column (with the reason), she maps the one it could not guess, runs the dry run,
confirms the stages inferred from the dates and imports; next month's file, laid out the same way,
goes straight to the dry run with the saved mapping. Screenshots go to test-artifacts/browser/.

The clock is frozen on Monday 16/03/2026.
"""

import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from openpyxl import Workbook
from playwright.sync_api import Page, expect

from admission.models import Candidate, ImportBatch, ImportMapping
from members.cccd import cccd_prefix
from members.models import Gender, Person
from tests.browser.conftest import ARTIFACTS, PASSWORD, chromium_page
from tests.conftest import Tree

pytestmark = pytest.mark.browser

NOW = dt.datetime(2026, 3, 16, 9, 30, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
BORN = dt.date(1998, 2, 1)
PREFIX = cccd_prefix(province_code="019", gender=Gender.MALE, date_of_birth=BORN)


@pytest.fixture
def page(live_server, transactional_db, settings, tmp_path: Path) -> Iterator[Page]:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"
    with time_machine.travel(NOW, tick=False), chromium_page(live_server.url) as page:
        yield page


def _shot(page: Page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"imports-{name}.png"), full_page=True)


def _branch_file(path: Path, people: list[tuple[int, str, str, str | None]]) -> Path:
    """The branch's list: two title rows, its own headers (one the app cannot guess: «Nơi ở»), a
    totals row; no kind or stage column."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Chi bộ A"
    sheet["A1"] = "ĐẢNG BỘ SỞ THỬ NGHIỆM – CHI BỘ A"
    sheet.merge_cells("A1:H1")
    sheet["A2"] = "DANH SÁCH QUẦN CHÚNG ƯU TÚ"
    sheet.merge_cells("A2:H2")
    sheet.append(
        ["STT", "Họ tên", "Ngày sinh", "Giới tính", "CMND/CCCD", "Trình độ", "Ngày vào DS cảm tình Đảng", "Nơi ở"]
    )
    for number, name, serial, sympathiser in people:
        sheet.append([number, name, "1/2/98", "Nam", f"{PREFIX}{serial}", "Đại học", sympathiser, "Tổ 5, phường Thử"])
    sheet.append([None, "Tổng cộng", None, None, None, None, None, None])
    buffer = io.BytesIO()
    book.save(buffer)
    path.write_bytes(buffer.getvalue())
    return path


def _upload(page: Page, tree: Tree, path: Path) -> None:
    page.goto(f"/admission/organisations/{tree.branch_a.pk}/import/")
    page.set_input_files("#id_file", str(path))
    page.locator("main form").get_by_role("button", name="Chạy thử").click()


def test_the_secretary_maps_her_own_file_imports_it_and_the_next_file_reuses_the_mapping(  # type: ignore[no-untyped-def]
    page: Page, alice, tree: Tree, tmp_path: Path
) -> None:
    first = _branch_file(
        tmp_path / "chi-bo-a-thang-2.xlsx",
        [(1, "NGUYỄN  VĂN MỘT", "000001", "10/01/2026"), (2, "nguyễn văn hai", "000002", None)],
    )
    page.goto("/accounts/login/")
    page.fill("#id_username", alice.username)
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url("/")

    _upload(page, tree, first)

    expect(page.locator("h1")).to_have_text("Ghép cột của tệp với các mục cần nhập")
    columns = page.locator("#columns")
    expect(columns).to_contain_text("giống «Họ tên» 100%")
    expect(columns).to_contain_text("giống «STT» 100%: cột không cần nhập")
    expect(columns).to_contain_text("•••••••••001")  # the examples mask the CCCD
    expect(page.get_by_label("Ghép cột «CMND/CCCD» vào")).to_have_value("cccd")
    place = page.get_by_label("Ghép cột «Nơi ở» vào")
    expect(place).to_have_value("")  # not similar enough to any field: ignored unless mapped
    _shot(page, "01-mapping-suggested")
    place.select_option("residence")
    expect(page.get_by_label("Lưu cách ghép này cho lần nhập sau")).to_be_checked()
    _shot(page, "02-mapping-confirmed")
    page.locator("#mapping-submit").click()

    expect(page.locator("h1")).to_have_text("Kết quả chạy thử")
    expect(page.locator("#mapping")).to_contain_text("«Nơi ở» → Nơi cư trú")
    expect(page.locator("#skipped")).to_contain_text("dòng tổng cộng")
    expect(page.locator("#row-4")).to_contain_text("Bước S1 · Cảm tình Đảng suy ra từ")
    expect(page.locator("#row-5")).to_contain_text("Loại «Quần chúng»")
    _shot(page, "03-dry-run-inferred")
    assert not Person.objects.exists()
    page.get_by_label("Tôi đã kiểm tra loại và bước", exact=False).check()
    page.locator("#apply-form").get_by_role("button", name="Nhập").click()

    expect(page.locator("h1")).to_have_text("Kết quả nhập")
    expect(page.locator("main")).to_contain_text("Đã nhập 2 dòng: tạo mới 2, cập nhật 0, giữ nguyên 0.")
    _shot(page, "04-imported")
    mot = Person.objects.get(cccd=f"{PREFIX}000001")
    assert (mot.full_name, mot.residence) == ("Nguyễn Văn Một", "Tổ 5, phường Thử")
    assert Candidate.objects.get().stage == "S1"
    assert ImportMapping.objects.get(organisation=tree.branch_a).columns["noi o"] == "residence"

    following = _branch_file(
        tmp_path / "chi-bo-a-thang-3.xlsx",
        [
            (1, "Nguyễn Văn Một", "000001", "10/01/2026"),
            (2, "Nguyễn Văn Hai", "000002", None),
            (3, "Trần Văn Ba", "000003", "02/03/2026"),
        ],
    )

    _upload(page, tree, following)  # no mapping page: the saved mapping is used as it is

    expect(page.locator("h1")).to_have_text("Kết quả chạy thử")
    expect(page.locator("#mapping")).to_contain_text("«Nơi ở» → Nơi cư trú")
    expect(page.locator("#row-6")).to_contain_text("Tạo mới")
    expect(page.locator("#row-4")).to_contain_text("Giữ nguyên")
    _shot(page, "05-next-file-dry-run")
    page.get_by_label("Tôi đã kiểm tra loại và bước", exact=False).check()
    page.locator("#apply-form").get_by_role("button", name="Nhập").click()

    expect(page.locator("main")).to_contain_text("Đã nhập 3 dòng: tạo mới 1, cập nhật 0, giữ nguyên 2.")
    assert sorted(Candidate.objects.values_list("stage", flat=True)) == ["S1", "S1"]
    assert ImportBatch.objects.filter(status=ImportBatch.Status.APPLIED).count() == 2
    assert not page.problems  # type: ignore[attr-defined]
