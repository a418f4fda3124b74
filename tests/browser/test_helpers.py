"""The secretary assigns the helper once from the picker of her branch (a probationary member
disabled with the reason), the helper counts as introducer, the introduction step passes, and the
checklist shows the items the steps ticked; in real Chromium. Screenshots go to
test-artifacts/browser/ (gitignored).

Reference timeline (admission.devdata.demo, START Mon 06/01/2025): certificate 20/03, application
15/04/2025 (S5 from then on); the clock is frozen on Tue 20/05/2025.
"""

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
import time_machine
from playwright.sync_api import Page, expect

from admission import services
from admission.devdata.demo import at, walk_to
from admission.models import Mentorship
from members.models import MemberStatus
from tests.browser.conftest import ARTIFACTS, PASSWORD, chromium_page
from tests.conftest import Tree
from tests.factories import MemberFactory, PersonFactory

pytestmark = pytest.mark.browser

NOW = dt.datetime(2025, 5, 20, 9, 30, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
START = dt.date(2025, 1, 6)


@pytest.fixture
def page(live_server, transactional_db) -> Iterator[Page]:  # type: ignore[no-untyped-def]
    with time_machine.travel(NOW, tick=False), chromium_page(live_server.url) as page:
        yield page


def _shot(page: Page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"helpers-{name}.png"), full_page=True)


def test_the_secretary_assigns_the_helper_once_and_the_introduction_passes(page: Page, alice, tree: Tree) -> None:  # type: ignore[no-untyped-def]
    for name, status in (("Lê Văn Giúp", MemberStatus.OFFICIAL), ("Phạm Thị Thiệu", MemberStatus.OFFICIAL),
                         ("Đỗ Văn Dự Bị", MemberStatus.PROBATIONARY)):  # fmt: skip
        MemberFactory(person=PersonFactory(organisation=tree.branch_a, full_name=name), status=status)
    MemberFactory(person=PersonFactory(organisation=tree.branch_b, full_name="Trịnh Thị Chi Bộ Bê"))
    person = PersonFactory(
        organisation=tree.branch_a,
        full_name="Hoàng Văn Trẻ",
        youth_union_member=True,
        date_of_birth=dt.date(2001, 2, 3),
    )
    candidate = services.candidate_create(acting_user=alice, person=person, now=at(START))
    walk_to(candidate, "S5", user=alice, introducers=[], start=START)

    page.goto("/accounts/login/")
    page.fill("#id_username", alice.username)
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url("/")

    page.goto(f"/admission/candidates/{candidate.pk}/")
    expect(page.locator("#introducers")).to_contain_text("Đoàn TNCS Hồ Chí Minh và một đảng viên")
    expect(page.locator("#checklist")).to_contain_text(
        "A1 Giấy chứng nhận lớp bồi dưỡng nhận thức về Đảng (20/03/2025, ghi nhận tự động)"
    )
    page.locator("#mentors").scroll_into_view_if_needed()
    _shot(page, "01-candidate-before")

    page.locator("#mentor-add").click()
    main = page.locator("main")
    expect(main).to_contain_text("Lê Văn Giúp – Chính thức")
    expect(main).not_to_contain_text("Trịnh Thị Chi Bộ Bê")  # branch B: not in the picker
    disabled = main.get_by_label("Đỗ Văn Dự Bị", exact=False)
    expect(disabled).to_be_disabled()
    expect(main).to_contain_text("không chọn được: Đỗ Văn Dự Bị chưa là đảng viên chính thức (QĐ294 3.2.1)")
    _shot(page, "02-picker")

    main.get_by_label("Lê Văn Giúp", exact=False).check()
    page.fill("#id_together_since", "01/01/2020")
    page.fill("#id_assigned_on", "19/05/2025")
    main.locator("form").get_by_role("button", name="Lưu").click()
    expect(page.locator("#mentors")).to_contain_text("Lê Văn Giúp – đảng viên giúp đỡ")
    expect(page.locator("#introducers")).to_contain_text("Lê Văn Giúp")
    page.locator("#mentors").scroll_into_view_if_needed()
    _shot(page, "03-candidate-helper-introduces")

    page.locator("main").get_by_role("link", name="Hoàn thành giới thiệu", exact=True).click()
    expect(page.locator("#form-intro")).to_contain_text(
        "Nếu hai đảng viên giới thiệu: Lê Văn Giúp (1/2). Nếu Đoàn hoặc Công đoàn giới thiệu cùng một đảng viên: Lê Văn Giúp (1/1)"
    )
    expect(page.locator("#id_introduction_mode")).to_have_value("YOUTH_UNION_PLUS_ONE")
    page.fill("#id_on_date", "20/05/2025")
    page.fill("#id_union_resolution_date", "12/05/2025")
    _shot(page, "04-introduction-step")
    page.locator("main form").get_by_role("button", name="Hoàn thành giới thiệu").click()

    expect(page.locator("#current-stage")).to_contain_text("S6")
    expect(page.locator("#checklist")).to_contain_text(
        "A4 Giấy giới thiệu của đảng viên chính thức (20/05/2025, ghi nhận tự động)"
    )
    expect(page.locator("#checklist")).to_contain_text(
        "A5 Nghị quyết giới thiệu của Đoàn/Công đoàn (12/05/2025, ghi nhận tự động)"
    )
    _shot(page, "05-introduced-checklist")
    assert Mentorship.objects.filter(candidate=candidate).count() == 1
    assert not page.problems  # type: ignore[attr-defined]
