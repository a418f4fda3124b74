"""The life cycle's side paths walked through the pages in real Chromium, as a new user would:
from the home page, through the menu, the board or the committee's queue, to the candidate page and
the buttons it shows. Each candidate is brought to the path's first stage by the real services
(walk_to); everything after that is clicked and typed. Each walk counts its page loads (documents
the browser loaded: link clicks, form posts and their redirects, log-ins) and asserts the end state
in the database.

1. Non-admission (QĐ294 4.3.1): the deciding committee's decision not to admit, S10 -> S1.
2. Deadlock (QĐ294 4.2.3): three failed recognition votes, S15 -> SY, the superior's ruling to vote
   again, SY -> S15, and the new vote passes, S15 -> S16.
3. Annulment (QĐ294 4.4): S13 -> SZ -> S10, the new decision and the new ceremony.
4. Readmission (E10, QĐ294 3.5): a former member followed again; the branch vote is refused.

Screenshots go to test-artifacts/browser/paths-*.png (gitignored).
"""

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
import time_machine
from playwright.sync_api import Page, Request, expect

from admission import services
from admission.devdata.demo import at, walk_to
from admission.models import Candidate
from members.models import MemberStatus
from tests.browser.conftest import ARTIFACTS, chromium_page
from tests.browser.conftest import log_in as _log_in
from tests.conftest import Tree
from tests.factories import MemberFactory, PersonFactory

pytestmark = pytest.mark.browser

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
START = dt.date(2025, 1, 6)  # the reference timeline of admission.devdata.demo
ADMISSION = "Phát triển đảng viên"


class Walk:
    """The page loads of one walk: every document the browser requested for its main frame."""

    def __init__(self, page: Page) -> None:
        self.loads: list[str] = []
        page.on("request", self._count)

    def _count(self, request: Request) -> None:
        if request.is_navigation_request() and request.resource_type == "document":
            self.loads.append(f"{request.method} {request.url}")


@pytest.fixture
def page(live_server, transactional_db) -> Iterator[Page]:
    with chromium_page(live_server.url) as page:
        yield page


def _shot(page: Page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"paths-{name}.png"), full_page=True)


def _open_from_board(page: Page, branch: str, person: str) -> None:
    """Menu, the branch's line of the overview, then the person's card on the board."""
    page.locator("nav.navbar").get_by_role("link", name=ADMISSION, exact=True).click()
    page.locator("#branch-overview").get_by_role("link", name=branch).click()
    page.locator("main").get_by_role("link", name=person).first.click()
    expect(page.locator("h1")).to_have_text(person)


def _open_from_queue(page: Page, committee: str, person: str) -> None:
    """Menu, the committee's queue, then the person's dossier review page."""
    page.locator("nav.navbar").get_by_role("link", name=ADMISSION, exact=True).click()
    page.locator("#queues").get_by_role("link", name=committee).click()
    page.locator("#queue").get_by_role("link", name=person).click()


def _action(page: Page, label: str) -> None:
    """Click the step's button where the page shows it, and land on its form."""
    page.locator("main").get_by_role("link", name=label, exact=True).click()
    expect(page.locator("h1")).to_have_text(label)


def _flash(page: Page):  # type: ignore[no-untyped-def]
    """The flash message the last post left (the review page has its own green box)."""
    return page.locator("main [role=alert]")


def _submit(page: Page) -> None:
    page.locator("main form [type=submit]").click()


def _branch_vote(page: Page, day: str, yes: int, summoned: int = 9) -> None:
    page.fill("#id_held_on", day)
    page.fill("#id_summoned", str(summoned))
    page.fill("#id_excluded", "0")
    page.fill("#id_yes", str(yes))
    page.fill("#id_no", str(summoned - yes))
    page.fill("#id_abstain", "0")


def _committee_vote(page: Page, yes: int, summoned: int = 5) -> None:
    page.fill("#id_vote_summoned", str(summoned))
    page.fill("#id_vote_excluded", "0")
    page.fill("#id_vote_yes", str(yes))
    page.fill("#id_vote_no", str(summoned - yes))
    page.fill("#id_vote_abstain", "0")


def _follow(tree: Tree, alice, introducers, name: str, stage: str, **people) -> Candidate:  # type: ignore[no-untyped-def]
    person = PersonFactory(organisation=tree.branch_a, full_name=name, **people)
    candidate = services.candidate_create(acting_user=alice, person=person, now=at(START))
    return walk_to(candidate, stage, user=alice, introducers=introducers, start=START)


# 1. Non-admission --------------------------------------------------------------------------------
REJECTED = "Bùi Văn Chưa Đạt"
REJECT = "Ghi nhận quyết định không kết nạp"
REJECT_REASON = "Chưa đủ tiêu chuẩn về đạo đức, lối sống theo kết quả thẩm tra bổ sung"


def test_the_deciding_committee_decides_not_to_admit(page: Page, tree: Tree, alice, gina, introducers) -> None:  # type: ignore[no-untyped-def]
    with time_machine.travel(dt.datetime(2025, 9, 10, 9, 30, tzinfo=TZ), tick=False):
        candidate = _follow(tree, alice, introducers, REJECTED, "S10")  # at S10 since 20/08/2025
        walk = Walk(page)

        # The branch cannot record the deciding committee's decision.
        _log_in(page, alice.username)
        _open_from_board(page, tree.branch_a.name, REJECTED)
        expect(page.locator("#current-stage")).to_have_text("S10 Quyết định kết nạp")
        expect(page.locator("main").get_by_role("link", name=REJECT)).to_have_count(0)
        _shot(page, "reject-01-branch-sees-s10")

        # The deciding committee's staff record the decision not to admit with its failed vote.
        _log_in(page, gina.username)
        _open_from_queue(page, tree.government.name, REJECTED)
        _shot(page, "reject-02-review-page")
        _action(page, REJECT)
        page.fill("#id_on_date", "10/09/2025")
        _committee_vote(page, yes=2)
        page.fill("#id_basis", "30-QĐ/ĐU")
        page.fill("#id_note", REJECT_REASON)
        _shot(page, "reject-03-form")
        _submit(page)
        expect(_flash(page)).to_contain_text(f"Đã ghi nhận: {REJECT}.")
        expect(page.locator("#current-stage")).to_have_text("S1 Cảm tình Đảng")
        _shot(page, "reject-04-after")

        # Branch A's secretary reads the notice with the reason and finds the person on the list.
        _log_in(page, alice.username)
        page.locator("nav.navbar").get_by_role("link", name="Thông báo").click()
        expect(page.locator("main")).to_contain_text(REJECTED)
        expect(page.locator("main")).to_contain_text(REJECT_REASON)
        _shot(page, "reject-05-branch-notification")
        _open_from_board(page, tree.branch_a.name, REJECTED)
        expect(page.locator("#current-stage")).to_have_text("S1 Cảm tình Đảng")
        expect(page.locator("#timeline")).to_contain_text(
            f"10/09/2025 Ghi nhận quyết định không kết nạp: Quyết định kết nạp → Cảm tình Đảng — {REJECT_REASON}"
        )
        _shot(page, "reject-06-back-on-the-list")

    print(f"non-admission: {len(walk.loads)} page loads")
    candidate.refresh_from_db()
    assert candidate.stage == "S1"
    vote = candidate.votes.get(purpose="admission", body="STANDING_COMMITTEE")
    assert (vote.yes, vote.passed) == (2, False)
    transition = candidate.transitions.latest("at")
    assert (transition.from_stage, transition.to_stage, transition.note, transition.acting_user) == (
        "S10",
        "S1",
        REJECT_REASON,
        gina,
    )
    assert page.problems == []  # type: ignore[attr-defined]


# 2. Deadlock -------------------------------------------------------------------------------------
DEADLOCKED = "Đỗ Thị Bế Tắc"
RECOGNITION_VOTE = "Chi bộ biểu quyết công nhận đảng viên chính thức"
REVOTE = "Cấp trên yêu cầu chi bộ biểu quyết lại"
REVOTE_REASON = "Chi bộ họp lại sau khi đảng viên dự bị khắc phục khuyết điểm"


def test_three_failed_recognition_votes_then_the_superior_asks_for_a_new_vote(
    page: Page, tree: Tree, alice, gina, introducers
) -> None:  # type: ignore[no-untyped-def]
    with time_machine.travel(dt.datetime(2026, 10, 20, 9, 30, tzinfo=TZ), tick=False):
        candidate = _follow(tree, alice, introducers, DEADLOCKED, "S15")  # at S15 since 10/10/2026
        walk = Walk(page)

        _log_in(page, alice.username)
        _open_from_board(page, tree.branch_a.name, DEADLOCKED)
        expect(page.locator("#current-stage")).to_have_text("S15 Chi bộ xét công nhận đảng viên chính thức")
        _shot(page, "deadlock-01-s15")
        for n, day in enumerate(("12/10/2026", "14/10/2026", "16/10/2026"), start=1):
            _action(page, RECOGNITION_VOTE)
            _branch_vote(page, day, yes=5)
            if n == 1:
                _shot(page, "deadlock-02-failed-vote-form")
            _submit(page)
            expect(_flash(page)).to_contain_text("Biểu quyết không đạt: 5/9 (cần 6)")
        expect(page.locator("#current-stage")).to_contain_text("SY")
        expect(page.locator("main").get_by_role("link", name=RECOGNITION_VOTE)).to_have_count(0)
        _shot(page, "deadlock-03-sy")

        # SY is the deciding committee's turn, but its queue lists only S8A-S10 and S16: the staff
        # find the probationer on the branch's board.
        _log_in(page, gina.username)
        _open_from_board(page, tree.branch_a.name, DEADLOCKED)
        _shot(page, "deadlock-04-committee-candidate-page")
        _action(page, REVOTE)
        page.fill("#id_on_date", "19/10/2026")
        page.fill("#id_note", REVOTE_REASON)
        _shot(page, "deadlock-05-revote-form")
        _submit(page)
        expect(_flash(page)).to_contain_text(f"Đã ghi nhận: {REVOTE}.")
        expect(page.locator("#current-stage")).to_contain_text("S15")

        _log_in(page, alice.username)
        _open_from_board(page, tree.branch_a.name, DEADLOCKED)
        expect(page.locator("#timeline")).to_contain_text(REVOTE_REASON)
        _action(page, RECOGNITION_VOTE)
        _branch_vote(page, "20/10/2026", yes=8)
        _submit(page)
        expect(_flash(page)).to_contain_text("Biểu quyết đạt: 8/9 (cần 6)")
        expect(page.locator("#current-stage")).to_contain_text("S16")
        _shot(page, "deadlock-06-s16")

    print(f"deadlock: {len(walk.loads)} page loads")
    candidate.refresh_from_db()
    assert (candidate.stage, candidate.recognition_branch_date) == ("S16", dt.date(2026, 10, 20))
    assert list(candidate.votes.filter(purpose="recognition").order_by("held_on").values_list("yes", "passed")) == [
        (5, False),
        (5, False),
        (5, False),
        (8, True),
    ]
    assert list(candidate.transitions.order_by("at", "pk").values_list("to_stage", flat=True))[-3:] == [
        "SY",
        "S15",
        "S16",
    ]
    assert page.problems == []  # type: ignore[attr-defined]


# 3. Annulment ------------------------------------------------------------------------------------
ANNULLED = "Hà Văn Làm Lại"
ANNUL = "Hủy quyết định kết nạp sai"
ANNUL_REASON = "Quyết định kết nạp ban hành khi chưa thẩm tra lý lịch người thân"
REDECIDE = "Làm lại các bước sai và xét quyết định lại"
DECISION = "Ghi nhận quyết định kết nạp"
CEREMONY = "Tổ chức lễ kết nạp"


def test_an_admission_is_annulled_then_decided_again(page: Page, tree: Tree, alice, gina, introducers) -> None:  # type: ignore[no-untyped-def]
    with time_machine.travel(dt.datetime(2025, 11, 20, 9, 30, tzinfo=TZ), tick=False):
        candidate = _follow(tree, alice, introducers, ANNULLED, "S13")  # decided 15/09, ceremony 03/10/2025
        old_ceremony = candidate.ceremony_date
        walk = Walk(page)

        _log_in(page, alice.username)
        _open_from_board(page, tree.branch_a.name, ANNULLED)
        expect(page.locator("#current-stage")).to_have_text("S13 Thời kỳ dự bị")
        expect(page.locator("main").get_by_role("link", name=ANNUL)).to_have_count(0)
        _shot(page, "annul-01-branch-has-no-annul")

        _log_in(page, gina.username)
        _open_from_board(page, tree.branch_a.name, ANNULLED)
        _shot(page, "annul-02-committee-candidate-page")
        _action(page, ANNUL)
        page.fill("#id_on_date", "10/11/2025")
        page.fill("#id_basis", "40-QĐ/ĐU")
        page.fill("#id_note", ANNUL_REASON)
        _shot(page, "annul-03-form")
        _submit(page)
        expect(_flash(page)).to_contain_text(f"Đã ghi nhận: {ANNUL}.")
        expect(page.locator("#current-stage")).to_contain_text("SZ")
        _shot(page, "annul-04-sz")
        candidate.refresh_from_db()
        assert candidate.member is not None and candidate.member.status == MemberStatus.REMOVED

        _action(page, REDECIDE)
        page.fill("#id_on_date", "14/11/2025")
        page.fill("#id_note", "Đã thẩm tra bổ sung lý lịch người thân")
        _submit(page)
        expect(page.locator("#current-stage")).to_have_text("S10 Quyết định kết nạp")
        _shot(page, "annul-05-back-at-s10")
        _action(page, DECISION)
        page.fill("#id_on_date", "17/11/2025")
        page.fill("#id_decision_number", "45-QĐ/ĐU")
        page.fill("#id_decision_received_date", "18/11/2025")
        _committee_vote(page, yes=4)
        _shot(page, "annul-06-new-decision-form")
        _submit(page)
        expect(page.locator("#current-stage")).to_have_text("S11 Chờ tổ chức lễ kết nạp")

        _log_in(page, alice.username)
        _open_from_board(page, tree.branch_a.name, ANNULLED)
        _action(page, CEREMONY)
        page.fill("#id_on_date", "20/11/2025")
        _submit(page)
        expect(_flash(page)).to_contain_text(f"Đã ghi nhận: {CEREMONY}.")
        expect(page.locator("#current-stage")).to_contain_text("S12")
        _shot(page, "annul-07-new-ceremony")

    print(f"annulment: {len(walk.loads)} page loads")
    candidate.refresh_from_db()
    member = candidate.member
    assert (candidate.stage, candidate.decision_number, candidate.decision_date, candidate.ceremony_date) == (
        "S12",
        "45-QĐ/ĐU",
        dt.date(2025, 11, 17),
        dt.date(2025, 11, 20),
    )
    assert old_ceremony == dt.date(2025, 10, 3)
    assert member is not None
    member.refresh_from_db()
    assert (member.status, member.ceremony_date, member.left_date) == (
        MemberStatus.PROBATIONARY,
        dt.date(2025, 11, 20),
        None,
    )
    assert page.problems == []  # type: ignore[attr-defined]


# 4. Readmission ----------------------------------------------------------------------------------
RETURNING = "Vũ Văn Trở Lại"
BRANCH_VOTE = "Chi bộ biểu quyết đề nghị kết nạp"


def test_a_former_member_is_followed_again_and_the_branch_vote_is_refused(
    page: Page, tree: Tree, alice, introducers
) -> None:  # type: ignore[no-untyped-def]
    person = PersonFactory(organisation=tree.branch_a, full_name=RETURNING, date_of_birth=dt.date(1990, 3, 3))
    MemberFactory(
        person=person, organisation=tree.branch_a, status=MemberStatus.REMOVED, left_date=dt.date(2022, 10, 3)
    )
    walk = Walk(page)
    with time_machine.travel(at(START), tick=False):
        _log_in(page, alice.username)
        page.locator("nav.navbar").get_by_role("link", name=ADMISSION, exact=True).click()
        page.locator("#branch-overview").get_by_role("link", name=tree.branch_a.name).click()
        page.get_by_role("link", name="+ Theo dõi quần chúng ưu tú").click()
        page.select_option("#id_person", label=RETURNING)
        _shot(page, "readmission-01-follow-form")
        page.locator("main form").get_by_role("button", name="Bắt đầu theo dõi").click()
        expect(page.locator("#current-stage")).to_have_text("S0 Quần chúng ưu tú")
        expect(page.locator("#approvals-summary")).to_contain_text("Kết nạp lại")
        _shot(page, "readmission-02-candidate-page")
    candidate = Candidate.objects.get(person=person)
    assert candidate.readmission

    with time_machine.travel(dt.datetime(2025, 8, 5, 9, 30, tzinfo=TZ), tick=False):
        walk_to(candidate, "S8", user=alice, introducers=introducers, start=START)  # the set-up
        _log_in(page, alice.username)  # seven months later: the session has expired
        _open_from_board(page, tree.branch_a.name, RETURNING)
        expect(page.locator("#current-stage")).to_contain_text("S8")
        _action(page, BRANCH_VOTE)
        _branch_vote(page, "05/08/2025", yes=8)
        _submit(page)
        main = page.locator("main")
        expect(main).to_contain_text("Kết nạp lại cần Ban Thường vụ cấp ủy trực thuộc Trung ương đồng ý bằng văn bản")
        expect(main).to_contain_text(
            "Chưa đủ 36 tháng kể từ khi ra khỏi Đảng (03/10/2022): sớm nhất được xét ngày 03/10/2025"
        )
        expect(page.locator("#id_held_on")).to_have_value("05/08/2025")
        expect(page.locator("#id_summoned")).to_have_value("9")
        expect(page.locator("#id_yes")).to_have_value("8")
        expect(page.locator("#id_no")).to_have_value("1")
        _shot(page, "readmission-03-vote-refused")

    print(f"readmission: {len(walk.loads)} page loads")
    candidate.refresh_from_db()
    assert (candidate.stage, candidate.readmission, candidate.votes.count()) == ("S8", True, 0)
    assert page.problems == []  # type: ignore[attr-defined]


# 5. The recognition chain ------------------------------------------------------------------------
RECOGNISED = "Kiều Thị Chính Thức"
APPRAISAL = "Đảng ủy bộ phận thẩm định đề nghị công nhận"
GRASSROOTS_RECOGNITION = "Đảng ủy cơ sở biểu quyết đề nghị công nhận"
RECOGNITION_DECISION = "Ghi nhận quyết định công nhận đảng viên chính thức"


def test_the_recognition_chain_walked_by_the_sub_committee_the_grassroots_and_the_deciding_committee(
    page: Page, tree: Tree, carol, gina
) -> None:  # type: ignore[no-untyped-def]
    """R6 then R7 then R8 (HD38 II.1.1c(6)-(7); QĐ294 4.2.2): each body finds the dossier in its own
    queue only when it is its turn, and the decision comes last."""
    from admission.models import Vote
    from members.models import OrganisationKind, Role
    from tests.conftest import _persona
    from tests.factories import OrganisationFactory

    sub = OrganisationFactory(
        kind=OrganisationKind.SUB_COMMITTEE, name="Đảng ủy bộ phận Khối 1", code="S", parent=tree.committee
    )
    branch = OrganisationFactory(kind=OrganisationKind.BRANCH, name="Chi bộ Phòng 1", code="S1", parent=sub)
    sam = _persona("sam", sub, Role.COMMITTEE_STAFF)
    introducers = [
        MemberFactory(person=PersonFactory(organisation=branch, full_name=name), status=MemberStatus.OFFICIAL)
        for name in ("Lê Văn Giới", "Phạm Thị Thiệu")
    ]
    with time_machine.travel(dt.datetime(2026, 11, 9, 9, 30, tzinfo=TZ), tick=False):
        person = PersonFactory(organisation=branch, full_name=RECOGNISED, youth_union_member=False)
        candidate = services.candidate_create(acting_user=None, person=person, now=at(START))
        walk_to(candidate, "S15", user=None, introducers=introducers, start=START)
        services.candidate_vote(
            acting_user=None, candidate=candidate, step_key="recognition_vote", held_on=dt.date(2026, 10, 26),
            summoned=9, excluded=0, yes=8, no=1, abstain=0, form="secret", now=at(dt.date(2026, 10, 26)),
        )  # fmt: skip
        walk = Walk(page)

        # R6: the sub-committee's turn; the grassroots committee's queue does not list it yet.
        _log_in(page, carol.username)
        page.locator("nav.navbar").get_by_role("link", name=ADMISSION, exact=True).click()
        page.locator("#queues").get_by_role("link", name=tree.committee.name).click()
        expect(page.locator("#queue")).not_to_contain_text(RECOGNISED)
        _log_in(page, sam.username)
        _open_from_queue(page, sub.name, RECOGNISED)
        _shot(page, "recognition-01-sub-committee-review")
        _action(page, APPRAISAL)
        _branch_vote(page, "02/11/2026", yes=4, summoned=5)
        _shot(page, "recognition-02-appraisal-form")
        _submit(page)
        expect(_flash(page)).to_contain_text("Biểu quyết đạt: 4/5")

        # R7: now the grassroots committee's.
        _log_in(page, carol.username)
        _open_from_queue(page, tree.committee.name, RECOGNISED)
        expect(page.locator("main").get_by_role("link", name=APPRAISAL, exact=True)).to_have_count(0)
        _action(page, GRASSROOTS_RECOGNITION)
        _branch_vote(page, "05/11/2026", yes=7)
        _submit(page)
        expect(_flash(page)).to_contain_text("Biểu quyết đạt: 7/9 (cần 6)")
        _shot(page, "recognition-03-after-grassroots")

        # R8: the deciding committee decides.
        _log_in(page, gina.username)
        _open_from_queue(page, tree.government.name, RECOGNISED)
        _action(page, RECOGNITION_DECISION)
        page.fill("#id_on_date", "09/11/2026")
        _committee_vote(page, yes=4)
        _shot(page, "recognition-04-decision-form")
        _submit(page)
        expect(_flash(page)).to_contain_text(f"Đã ghi nhận: {RECOGNITION_DECISION}.")
        expect(page.locator("#current-stage")).to_contain_text("S17")
        _shot(page, "recognition-05-official")

    print(f"recognition chain: {len(walk.loads)} page loads")
    candidate.refresh_from_db()
    assert (candidate.stage, candidate.recognition_appraisal_date, candidate.recognition_grassroots_date) == (
        "S17", dt.date(2026, 11, 2), dt.date(2026, 11, 5),
    )  # fmt: skip
    assert list(
        Vote.objects.filter(candidate=candidate, purpose="recognition").order_by("held_on").values_list("body", "yes")
    ) == [("BRANCH", 8), ("SUB_COMMITTEE_APPRAISAL", 4), ("GRASSROOTS_COMMITTEE", 7), ("STANDING_COMMITTEE", 4)]
    assert page.problems == []  # type: ignore[attr-defined]
