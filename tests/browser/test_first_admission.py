"""One new person taken from outstanding non-member (S0) to probationary member (S13) through the
pages, as a new user would: the branch secretary from her home page, then the grassroots committee
and the deciding committee from theirs, then the secretary again. Nothing is set up by services but
the organisation tree, the users and the branch's two official members.

Page loads are counted as the browser's `load` events of the main frame (a form post and the page
it is redirected to make one). The target is at most 35 (about 90 before the to-do home page, the
new-candidate form, the dossier page and the next step's form on the candidate page).

The clock moves along the reference timeline of admission.devdata.demo (first followed on
Mon 06/01/2025, admitted 03/10/2025). Screenshots go to test-artifacts/browser/walk-*.png.
"""

import datetime as dt
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from playwright.sync_api import Page, expect

from admission.models import Candidate
from members.models import MemberStatus
from tests.browser.conftest import ARTIFACTS, chromium_page
from tests.browser.conftest import log_in as _log_in
from tests.conftest import Tree

pytestmark = pytest.mark.browser

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
START = dt.date(2025, 1, 6)
PERSON = "Đinh Thị Mới Vào"
PAGE_LOAD_TARGET = 35


def _day(offset: int) -> dt.datetime:
    return dt.datetime.combine(START + dt.timedelta(days=offset), dt.time(9, 30), tzinfo=TZ)


def _text(offset: int) -> str:
    return (START + dt.timedelta(days=offset)).strftime("%d/%m/%Y")


@pytest.fixture
def clock() -> Iterator[Any]:
    with time_machine.travel(_day(0), tick=False) as traveller:
        yield traveller


@pytest.fixture
def page(live_server, transactional_db, clock, settings) -> Iterator[Page]:  # type: ignore[no-untyped-def]
    # The clock jumps months within one sitting; the 8-hour session would end at each jump.
    settings.SESSION_COOKIE_AGE = 3 * 365 * 24 * 3600
    with chromium_page(live_server.url) as page:
        yield page


class Loads:
    def __init__(self, page: Page) -> None:
        self.urls: list[str] = []
        page.on("load", lambda p: self.urls.append(p.url))


def _shot(page: Page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"walk-{name}.png"), full_page=True)


def _quick(page: Page, label: str, day: str, stage: str, **fields: str) -> None:
    """Record the next step in the form on the candidate page itself."""
    box = page.locator("#quick-step")
    expect(box).to_contain_text(label)
    page.fill("#quick_on_date", day)
    for name, value in fields.items():
        page.fill(f"#quick_{name}", value)
    box.get_by_role("button", name=label).click()
    expect(page.locator("#current-stage")).to_contain_text(stage)


def _helper(page: Page, name: str, role: str, together_since: str, day: str) -> None:
    page.locator("#mentor-add").click()
    main = page.locator("main")
    main.get_by_label(name, exact=False).check()
    main.get_by_label(role, exact=False).check()
    page.fill("#id_together_since", together_since)
    page.fill("#id_assigned_on", day)
    main.locator("form").get_by_role("button", name="Lưu").click()
    expect(page.locator("#mentors")).to_contain_text(name)


def test_a_new_person_becomes_a_probationary_member(  # type: ignore[no-untyped-def]
    page: Page, clock, tree: Tree, alice, carol, gina, introducers
) -> None:
    loads = Loads(page)
    first, second = (m.person.full_name for m in introducers)

    # 1. The secretary enters the person from her home page and starts following them (S0).
    _log_in(page, alice.username)
    _shot(page, "01-home")
    page.locator("main").get_by_role("link", name="+ Theo dõi quần chúng ưu tú").first.click()
    page.fill("#id_full_name", PERSON)
    page.fill("#id_date_of_birth", "12/03/1990")
    page.select_option("#id_gender", "F")
    page.fill("#id_phone", "0912 345 678")
    _shot(page, "02-new-person")
    page.locator("#candidate-create").get_by_role("button", name="Bắt đầu theo dõi").click()
    expect(page.locator("#current-stage")).to_contain_text("Quần chúng ưu tú")
    expect(page.locator("#contact")).to_contain_text("0912 345 678")
    _shot(page, "03-candidate-s0")

    # 2. The branch's steps, each in the form on the candidate page, on its day.
    clock.move_to(_day(4))
    _quick(page, "Đưa vào danh sách cảm tình Đảng", _text(4), "Cảm tình Đảng")
    clock.move_to(_day(30))
    _quick(page, "Đề nghị học lớp bồi dưỡng nhận thức về Đảng", _text(30), "Học lớp bồi dưỡng")
    clock.move_to(_day(73))
    _quick(page, "Ghi nhận giấy chứng nhận lớp nhận thức", _text(73), "S3", certificate_number="GCN-2025")
    _shot(page, "04-after-certificate")
    clock.move_to(_day(86))
    _quick(page, "Đảng ủy cơ sở cho phép lập hồ sơ", _text(86), "S4")
    clock.move_to(_day(99))
    _quick(page, "Nhận đơn xin vào Đảng và lý lịch", _text(99), "S5")
    clock.move_to(_day(104))
    _helper(page, first, "Đảng viên giúp đỡ, đồng thời", _text(-735), _text(104))
    _helper(page, second, "Chỉ là người giới thiệu", _text(-735), _text(104))
    clock.move_to(_day(119))
    _quick(page, "Hoàn thành giới thiệu", _text(119), "S6")
    clock.move_to(_day(165))
    _quick(page, "Hoàn thành thẩm tra lý lịch", _text(165), "S7")
    clock.move_to(_day(185))
    _quick(page, "Tổng hợp ý kiến nhận xét", _text(185), "S8")
    _shot(page, "05-before-branch-vote")

    # 3. The branch's vote has its own form (the counts, the meeting).
    clock.move_to(_day(211))
    page.locator("main").get_by_role("link", name="Chi bộ biểu quyết đề nghị kết nạp", exact=True).click()
    page.fill("#id_held_on", _text(211))
    for field, value in (("summoned", "9"), ("excluded", "0"), ("yes", "8"), ("no", "1"), ("abstain", "0")):
        page.fill(f"#id_{field}", value)
    page.locator("main form [type=submit]").click()
    expect(page.locator("#current-stage")).to_contain_text("S9")
    _shot(page, "06-after-branch-vote")

    # 4. The grassroots committee votes, from what its home page shows it.
    clock.move_to(_day(226))
    _log_in(page, carol.username)
    page.locator("main").get_by_role("link", name=PERSON).first.click()
    page.locator("#review-actions").get_by_role("link", name="Đảng ủy cơ sở biểu quyết").click()
    page.fill("#id_held_on", _text(226))
    for field, value in (("summoned", "9"), ("excluded", "0"), ("yes", "8"), ("no", "1"), ("abstain", "0")):
        page.fill(f"#id_{field}", value)
    page.locator("main form [type=submit]").click()
    expect(page.locator("#current-stage")).to_contain_text("S10")

    # 5. The deciding committee records the decision.
    clock.move_to(_day(255))
    _log_in(page, gina.username)
    page.locator("main").get_by_role("link", name=PERSON).first.click()
    page.locator("#review-actions").get_by_role("link", name="Ghi nhận quyết định kết nạp").click()
    page.fill("#id_on_date", _text(252))
    page.fill("#id_decision_number", "25-QĐ/ĐU")
    page.fill("#id_decision_received_date", _text(255))
    page.locator("main form [type=submit]").click()
    expect(page.locator("#current-stage")).to_contain_text("S11")
    _shot(page, "07-decided")

    # 6. The secretary: the ceremony and the records, from her board.
    clock.move_to(_day(270))
    _log_in(page, alice.username)
    page.locator("main").get_by_role("link", name="Bảng theo dõi").first.click()
    page.locator("main").get_by_role("link", name=PERSON).first.click()
    _quick(page, "Tổ chức lễ kết nạp", _text(270), "S12")
    clock.move_to(_day(297))
    _quick(page, "Hoàn thành lý lịch, phiếu đảng viên", _text(297), "S13")
    _shot(page, "08-probationary-member")

    candidate = Candidate.objects.get(person__full_name=PERSON)
    assert candidate.stage == "S13"
    assert candidate.person.membership.status == MemberStatus.PROBATIONARY
    print(f"S0 to S13: {len(loads.urls)} page loads", *loads.urls, sep="\n  ")
    assert len(loads.urls) <= PAGE_LOAD_TARGET, loads.urls
    assert page.problems == []  # type: ignore[attr-defined]
