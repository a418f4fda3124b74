"""Chuyển sinh hoạt in real Chromium: branch A's secretary transfers a probationer to branch B, then
loses sight of them, and branch B's secretary finds them on the board with the transfer history.

Screenshots go to test-artifacts/browser/transfer-*.png (gitignored).
"""

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
import time_machine
from playwright.sync_api import Page, expect

from admission import services
from admission.devdata.demo import at, walk_to
from admission.models import Candidate, CandidateTransfer
from tests.browser.conftest import ARTIFACTS, chromium_page
from tests.browser.conftest import log_in as _log_in
from tests.conftest import Tree
from tests.factories import PersonFactory

pytestmark = pytest.mark.browser

START = dt.date(2025, 1, 6)  # the reference timeline: the probationer is at S13 since 30/10/2025
NOW = dt.datetime(2025, 11, 12, 9, 30, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
PERSON = "Trịnh Thị Chuyển Đến"
REASON = "Chuyển công tác về Sở Xây dựng"


@pytest.fixture
def page(live_server, transactional_db) -> Iterator[Page]:
    with time_machine.travel(NOW, tick=False), chromium_page(live_server.url) as page:
        yield page


def _shot(page: Page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"transfer-{name}.png"), full_page=True)


def test_branch_a_transfers_a_probationer_whom_branch_b_then_sees(
    page: Page, alice, bob, tree: Tree, introducers
) -> None:  # type: ignore[no-untyped-def]
    person = PersonFactory(organisation=tree.branch_a, full_name=PERSON, date_of_birth=dt.date(1996, 4, 5))
    candidate = walk_to(
        services.candidate_create(acting_user=alice, person=person, now=at(START)),
        "S13", user=alice, introducers=introducers, start=START,
    )  # fmt: skip
    detail = f"/admission/candidates/{candidate.pk}/"

    _log_in(page, alice.username)
    page.goto(detail)
    expect(page.locator("#current-stage")).to_have_text("S13 Thời kỳ dự bị")
    _shot(page, "01-candidate-at-branch-a")

    page.locator("#transfer-action").click()
    expect(page).to_have_url(f"{detail}transfer/")
    expect(page.locator("h1")).to_have_text("Chuyển sinh hoạt")
    options = page.locator("#id_to_branch option")
    expect(options.filter(has_text=tree.branch_b.name)).to_have_count(1)
    expect(options.filter(has_text=tree.village.name)).to_have_count(1)  # any branch of the province
    expect(options.filter(has_text=tree.branch_a.name)).to_have_count(0)  # not its own branch
    expect(options.filter(has_text=PERSON)).to_have_count(0)  # organisations only, never people
    page.select_option("#id_to_branch", label=f"{tree.branch_b.name} – {tree.committee.name}")
    page.fill("#id_on_date", "10/11/2025")
    page.fill("#id_note", REASON)
    _shot(page, "02-transfer-form")
    page.locator("main form").get_by_role("button", name="Chuyển sinh hoạt").click()

    expect(page).to_have_url(f"/admission/branches/{tree.branch_a.pk}/board/")
    expect(page.locator("main .alert-success")).to_contain_text(
        f"Đã chuyển sinh hoạt {PERSON} đến {tree.branch_b.name}"
    )
    expect(page.locator("main").get_by_role("link", name=PERSON)).to_have_count(0)  # not on A's board
    _shot(page, "03-branch-a-board-after")
    transfer = CandidateTransfer.objects.get(candidate=candidate)
    assert (transfer.to_organisation, transfer.on_date, transfer.recorded_by) == (
        tree.branch_b,
        dt.date(2025, 11, 10),
        alice,
    )
    response = page.goto(detail)  # branch A no longer sees the probationer
    assert response is not None and response.status == 404
    page.problems.remove(f"404 {page.url}")  # type: ignore[attr-defined]

    _log_in(page, bob.username)
    page.goto(f"/admission/branches/{tree.branch_b.pk}/board/")
    expect(page.locator("#stage-S13")).to_contain_text(PERSON)
    _shot(page, "04-branch-b-board")
    page.locator("#stage-S13").get_by_role("link", name=PERSON).click()
    expect(page).to_have_url(detail)
    expect(page.locator("#current-stage")).to_have_text("S13 Thời kỳ dự bị")
    history = page.locator("#transfers")
    expect(history).to_contain_text(f"10/11/2025 {tree.branch_a.name} → {tree.branch_b.name}")
    expect(history).to_contain_text(REASON)
    expect(page.locator("main .breadcrumb")).to_contain_text(tree.branch_b.name)
    _shot(page, "05-candidate-at-branch-b")
    page.goto("/admission/notifications/")
    expect(page.locator("main")).to_contain_text(f"{PERSON} chuyển sinh hoạt đến chi bộ từ {tree.branch_a.name}")
    _shot(page, "06-branch-b-notification")
    assert Candidate.objects.get(pk=candidate.pk).organisation == tree.branch_b
    assert page.problems == []  # type: ignore[attr-defined]


FORWARD_NOW = dt.datetime(2025, 9, 30, 9, 30, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))


def test_the_old_committee_forwards_the_dossier_from_its_reminder(
    live_server, transactional_db, tree: Tree, alice, gina, introducers
) -> None:  # type: ignore[no-untyped-def]
    """T11: a dossier that had gone up moves with its candidate (01/09/2025, due 23/09/2025); a week
    late, G's staff follow the overdue reminder to their list and record the forwarding."""
    from admission.reminders import sweep

    person = PersonFactory(organisation=tree.branch_a, full_name="Lương Văn Hồ Sơ", date_of_birth=dt.date(1997, 2, 3))
    candidate = walk_to(
        services.candidate_create(acting_user=alice, person=person, now=at(START)),
        "S9", user=alice, introducers=introducers, start=START,
    )  # fmt: skip
    # Before the decision: branch A moves the candidate whose dossier is with the committees.
    with time_machine.travel(at(dt.date(2025, 9, 1)), tick=False), chromium_page(live_server.url) as page:
        _log_in(page, alice.username)
        page.goto(f"/admission/candidates/{candidate.pk}/")
        page.locator("#transfer-action").click()
        page.select_option("#id_to_branch", label=f"{tree.village.name} – {tree.commune.name}")
        page.fill("#id_on_date", "01/09/2025")
        page.fill("#id_note", "Chuyển nơi cư trú")
        page.locator("main form").get_by_role("button", name="Chuyển sinh hoạt").click()
        expect(page.locator("main .alert-success")).to_contain_text(
            f"Đã chuyển sinh hoạt Lương Văn Hồ Sơ đến {tree.village.name}"
        )
        assert page.problems == []  # type: ignore[attr-defined]
    candidate.refresh_from_db()
    assert (candidate.organisation, candidate.stage) == (tree.village, "S10")
    sweep(now=FORWARD_NOW)
    with time_machine.travel(FORWARD_NOW, tick=False), chromium_page(live_server.url) as page:
        _log_in(page, gina.username)
        expect(page.locator("#todo-forwarding")).to_contain_text("Lương Văn Hồ Sơ")
        page.goto("/admission/notifications/")
        page.get_by_role("link", name="QUÁ HẠN chuyển hồ sơ của Lương Văn Hồ Sơ", exact=False).click()
        expect(page).to_have_url("/admission/transfers/to-forward/")
        row = page.locator(".forwarding").filter(has_text="Lương Văn Hồ Sơ")
        expect(row).to_contain_text("23/09/2025")
        expect(row).to_contain_text("quá hạn")
        page.screenshot(path=str(ARTIFACTS / "transfer-07-to-forward.png"), full_page=True)
        # G numbers its forwarding letter in its own register and downloads it.
        row.get_by_role("link", name="Cấp số công văn").click()
        expect(page.locator("h1")).to_have_text("Công văn chuyển hồ sơ đề nghị kết nạp")
        page.get_by_label("Họ tên người ký").fill("Hà Văn Gửi")
        page.get_by_label("Tạo tệp").select_option("docx")
        with page.expect_download() as download:
            page.get_by_role("button", name="Cấp số, vào sổ và tạo tệp").click()
        assert download.value.suggested_filename.endswith(".docx")
        page.goto("/admission/transfers/to-forward/")
        expect(row.locator(".letter")).to_contain_text("Số 1-CV/ĐU")
        row.get_by_label("Ngày nơi chuyển đi chuyển hồ sơ (nơi đến nhận)").fill("29/09/2025")
        row.get_by_role("button", name="Đã chuyển hồ sơ").click()
        expect(page.locator("main .alert-success")).to_contain_text("Đã ghi nhận việc chuyển hồ sơ.")
        expect(page.locator("#forwarding-table")).to_contain_text("Không có hồ sơ nào cần chuyển đi.")
        page.screenshot(path=str(ARTIFACTS / "transfer-08-forwarded.png"), full_page=True)
        assert page.problems == []  # type: ignore[attr-defined]
    candidate.refresh_from_db()
    assert candidate.transfer_received_date == dt.date(2025, 9, 29)


def test_a_decided_candidate_moves_within_30_working_days_and_the_new_branch_holds_the_ceremony(
    live_server, transactional_db, tree: Tree, alice, bob, introducers
) -> None:  # type: ignore[no-untyped-def]
    """T12 (HD06 3.9c): decided on 15/09/2025, moved on 10/10/2025 (the 18th working day): the
    decision is kept and branch B holds the ceremony."""
    person = PersonFactory(organisation=tree.branch_a, full_name="Mai Thị Kết Nạp", date_of_birth=dt.date(1998, 8, 9))
    candidate = walk_to(
        services.candidate_create(acting_user=alice, person=person, now=at(START)),
        "S11", user=alice, introducers=introducers, start=START,
    )  # fmt: skip
    assert candidate.decision_date == dt.date(2025, 9, 15)
    detail = f"/admission/candidates/{candidate.pk}/"
    with time_machine.travel(at(dt.date(2025, 10, 14)), tick=False), chromium_page(live_server.url) as page:
        _log_in(page, alice.username)
        page.goto(detail)
        page.locator("#transfer-action").click()
        page.select_option("#id_to_branch", label=f"{tree.branch_b.name} – {tree.committee.name}")
        page.fill("#id_on_date", "10/10/2025")
        page.fill("#id_note", "Chuyển công tác")
        page.locator("main form").get_by_role("button", name="Chuyển sinh hoạt").click()
        expect(page.locator("main .alert-success")).to_contain_text("Đã chuyển sinh hoạt Mai Thị Kết Nạp")

        _log_in(page, bob.username)
        page.goto(f"/admission/branches/{tree.branch_b.pk}/board/")
        page.locator("main").get_by_role("link", name="Mai Thị Kết Nạp").first.click()
        expect(page).to_have_url(detail)
        expect(page.locator("#current-stage")).to_have_text("S11 Chờ tổ chức lễ kết nạp")
        page.locator("main").get_by_role("link", name="Tổ chức lễ kết nạp", exact=True).click()
        page.fill("#id_on_date", "14/10/2025")
        page.locator("main form [type=submit]").click()
        expect(page.locator("#current-stage")).to_contain_text("S12")
        page.screenshot(path=str(ARTIFACTS / "transfer-09-ceremony-at-destination.png"), full_page=True)
        assert page.problems == []  # type: ignore[attr-defined]
    candidate.refresh_from_db()
    assert (candidate.organisation, candidate.stage, candidate.ceremony_date) == (
        tree.branch_b, "S12", dt.date(2025, 10, 14),
    )  # fmt: skip
    assert candidate.member is not None and candidate.member.organisation == tree.branch_b
