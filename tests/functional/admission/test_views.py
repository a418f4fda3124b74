"""Admission views through the test client: every URL for every persona, the step forms with
their Vietnamese reasons, and query counts that do not grow with the data.

Candidates follow the reference timeline of admission.devdata.demo from START = Mon 06/01/2025 (list
10/01, class 05/02, …, decision 15/09/2025 received 18/09, ceremony 03/10/2025). The views read
the real clock, so each test freezes it (Asia/Ho_Chi_Minh) on a day that fits the timeline.
"""

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, reverse

from admission import services
from admission import urls as admission_urls
from admission.devdata.demo import at, walk_to
from admission.domain.stages import STAGE_INFO, Stage
from admission.models import (
    BranchMeeting,
    Candidate,
    DossierItem,
    Mentorship,
    StageTransition,
    TrialTask,
    VerificationRequest,
)
from members.models import PartyMember, Person, User
from tests.conftest import Tree
from tests.factories import MemberFactory, PersonFactory

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
START = dt.date(2025, 1, 6)
CLASS_DAY = dt.datetime(2025, 2, 5, 10, 0, tzinfo=TZ)  # the day the class is proposed
NAME = "Hoàng Văn Ứng Viên"
NEWCOMER = "Lương Thị Mới"


@pytest.fixture
def frozen() -> Iterator[None]:
    with time_machine.travel(CLASS_DAY, tick=False):
        yield


@pytest.fixture
def introducers(tree: Tree) -> list[PartyMember]:
    return [
        MemberFactory(person=PersonFactory(organisation=tree.branch_a, full_name=name))
        for name in ("Lê Văn Giới", "Phạm Thị Thiệu")
    ]


def _walked(tree: Tree, user: User | None, stage: str, introducers=(), name: str = NAME) -> Candidate:  # type: ignore[no-untyped-def]
    person = PersonFactory(organisation=tree.branch_a, full_name=name)
    candidate = services.candidate_create(acting_user=user, person=person, now=at(START))
    return walk_to(candidate, stage, user=user, introducers=list(introducers), start=START)


@pytest.fixture
def s1(tree: Tree, alice: User, frozen: None) -> Candidate:
    """On the sympathiser list of branch A since Fri 10/01/2025, with one trial task."""
    candidate = _walked(tree, alice, "S1")
    services.task_assign(
        acting_user=alice, candidate=candidate, description="Tham gia hiến máu", due_on=dt.date(2025, 3, 1)
    )
    return candidate


@pytest.fixture
def newcomer(tree: Tree) -> Person:
    """A person of branch A not yet followed (offered by the candidate_create form)."""
    return PersonFactory(organisation=tree.branch_a, full_name=NEWCOMER)


def _client(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _html(response) -> str:  # type: ignore[no-untyped-def]
    return response.content.decode()


# --- Every URL of admission/urls.py ---------------------------------------------------------------

# Pages about branch A or its candidate, and the forms among them (GET shows, POST writes).
FORMS = [
    "candidate_create",
    "meeting_create",
    "candidate_step",
    "mentor_add",
    "document_add",
    "verification_add",
    "task_add",
    "candidate_flags",
    "task_result",
]
OBJECT_PAGES = ["admission_board", "candidate_detail", *FORMS]
OWN_PAGES = ["admission_overview", "notification_list", "preferences"]  # about the user, no object


def _urls(tree: Tree, candidate: Candidate) -> dict[str, str]:
    branch, pk = tree.branch_a.pk, candidate.pk
    return {
        "admission_overview": reverse("admission_overview"),
        "admission_board": reverse("admission_board", args=[branch]),
        "candidate_create": reverse("candidate_create", args=[branch]),
        "meeting_create": reverse("meeting_create", args=[branch]),
        "candidate_detail": reverse("candidate_detail", args=[pk]),
        "candidate_step": reverse("candidate_step", args=[pk, "propose_class"]),
        "mentor_add": reverse("mentor_add", args=[pk]),
        "document_add": reverse("document_add", args=[pk]),
        "verification_add": reverse("verification_add", args=[pk]),
        "task_add": reverse("task_add", args=[pk]),
        "candidate_flags": reverse("candidate_flags", args=[pk]),
        "task_result": reverse("task_result", args=[pk, candidate.tasks.get().pk]),
        "notification_list": reverse("notification_list"),
        "preferences": reverse("preferences"),
        "calendar_feed": reverse("calendar_feed", args=["x" * 43]),
        "committee_queue": reverse("committee_queue", args=[tree.committee.pk]),  # tests in test_queue.py
    }


def _valid_post(name: str, candidate: Candidate, newcomer, introducers) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Input each form accepts from the secretary (checked by the secretary's test below)."""
    attendance = {f"att_{member.pk}": "present" for member in introducers}  # the official members of branch A
    return {
        "candidate_create": {"person": str(newcomer.pk)},
        "meeting_create": {"held_on": "05/02/2025", **attendance, "minutes": "Họp tháng 2"},
        "candidate_step": {"on_date": "05/02/2025", "basis": "NQ 02", "note": ""},
        "mentor_add": {
            "member": str(introducers[0].pk),
            "role": "mentor",
            "together_since": "01/01/2020",
            "assigned_on": "05/02/2025",
        },
        "document_add": {"doc_type": "A2", "issued_on": "01/02/2025", "note": ""},
        "verification_add": {
            "subject": "Bố đẻ",
            "addressee": "UBND xã Thử",
            "sent_on": "01/02/2025",
            "received_on": "03/02/2025",
        },
        "task_add": {"description": "Tham gia hiến máu", "due_on": "01/03/2025"},
        "candidate_flags": {"act": "facts", "facts-area_exception": "on"},
        "task_result": {"result": "Hoàn thành tốt", "done_on": "01/02/2025"},
    }[name]


def _state(candidate: Candidate) -> dict[str, object]:
    """The candidate row and the size of every table a form of this app writes."""
    tables = (Candidate, StageTransition, BranchMeeting, Mentorship, DossierItem, VerificationRequest, TrialTask)
    return {
        "candidate": Candidate.objects.filter(pk=candidate.pk).values().get(),
        **{model.__name__: model.objects.count() for model in tables},
        "task_results": list(TrialTask.objects.order_by("pk").values_list("result", "done_on")),
    }


# URLs whose outsider (403/404) tests live in their own module: name -> test file.
COVERED_ELSEWHERE = {
    "dossier_review": "test_review_views.py",
    "dossier_resubmit": "test_review_views.py",
    "committee_meetings": "test_review_views.py",
    "committee_meeting": "test_review_views.py",
    "scan_upload": "test_upload_views.py",
    "candidate_dossier": "test_dossier_page.py",
    "dossier_item": "test_dossier_page.py",
    "board_print": "test_board_tools.py",
    "scan_file": "test_upload_views.py",
    "document_generate": "test_document_views.py",
    "generated_download": "test_document_views.py",
    "document_job": "../../integration/admission/test_document_jobs.py",
    "document_job_status": "../../integration/admission/test_document_jobs.py",
    "document_templates": "test_document_views.py",
    "document_template_download": "test_document_views.py",
    "document_template_default": "test_document_views.py",
    "document_issue": "test_register_views.py",
    "document_register": "test_register_views.py",
    "document_register_export": "test_register_views.py",
    "issued_cancel": "test_register_views.py",
    "issued_generate": "test_register_views.py",
    "import_page": "test_import_views.py",
    "import_template": "test_import_views.py",
    "import_batch": "test_import_views.py",
    "import_mapping": "test_import_views.py",
    "import_apply": "test_import_views.py",
    "statistics_index": "test_statistics_views.py",
    "statistics_organisation": "test_statistics_views.py",
    "statistics_people": "test_statistics_views.py",
    "statistics_export": "test_statistics_views.py",
    "statistics_people_export": "test_statistics_views.py",
    "statistics_report_save": "test_statistics_views.py",
    "statistics_report": "test_statistics_views.py",
    "statistics_recompute": "test_statistics_views.py",
    "plan_index": "test_statistics_views.py",
    "plan_list": "test_statistics_views.py",
    "plan_export": "test_statistics_views.py",
    "candidate_transfer": "test_transfer_views.py",
    "transfer_forwarded": "test_life_cycle_views.py",
    "transfer_reconsideration": "test_life_cycle_views.py",
    "verification_reply": "test_verification_views.py",
    "verification_correct": "test_verification_views.py",
    "verification_cancel": "test_verification_views.py",
    "branch_meetings": "test_meeting_views.py",
    "branch_meeting": "test_meeting_views.py",
    "branch_meeting_edit": "test_meeting_views.py",
    "step_correction": "test_correction_views.py",
    "step_undo": "test_correction_views.py",
    "vote_withdraw": "test_correction_views.py",
    "mentorship_withdraw": "test_correction_views.py",
    "task_withdraw": "test_task_views.py",
    "list_decision_withdraw": "test_correction_views.py",
    "mentor_comment": "test_mentor_views.py",
    "mentee_workspace": "test_mentor_views.py",
    "transfers_to_forward": "test_forwarding_views.py",
    "transfer_letter_issue": "test_forwarding_views.py",
    "mentee_detail": "test_mentor_views.py",
    "meeting_documents": "../../integration/admission/test_meeting_batch.py",
    "document_batch": "../../integration/admission/test_meeting_batch.py",
    "document_batch_status": "../../integration/admission/test_meeting_batch.py",
    "document_batch_file": "../../integration/admission/test_meeting_batch.py",
    "handoff_page": "../../integration/admission/test_handoff.py",
    "handoff_export": "../../integration/admission/test_handoff.py",
    "self_service_manage": "test_candidate_self.py",
    "self_service_biography": "test_candidate_self.py",
}


def test_it_covers_every_url_of_the_app(tree, s1) -> None:  # type: ignore[no-untyped-def]
    names = {p.name for p in admission_urls.urlpatterns if isinstance(p, URLPattern)}
    assert names == set(_urls(tree, s1)) | set(COVERED_ELSEWHERE)
    assert set(OBJECT_PAGES) | set(OWN_PAGES) | {"calendar_feed", "committee_queue"} == set(_urls(tree, s1))
    here = Path(__file__).parent
    for name, module in COVERED_ELSEWHERE.items():
        assert f'"{name}"' in (here / module).read_text(encoding="utf-8"), (name, module)


@pytest.mark.parametrize("name", [*OBJECT_PAGES, *OWN_PAGES])
@pytest.mark.parametrize("method", ["get", "post"])
def test_it_redirects_anonymous_users_to_the_login_page(tree, s1, newcomer, introducers, name, method) -> None:  # type: ignore[no-untyped-def]
    url = _urls(tree, s1)[name]
    before = _state(s1)
    data = _valid_post(name, s1, newcomer, introducers) if method == "post" and name in FORMS else {}

    response = getattr(_client(None), method)(url, data)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"
    assert _state(s1) == before


def test_it_serves_the_calendar_feed_by_its_secret_token_only(tree, alice, s1) -> None:  # type: ignore[no-untyped-def]
    """The one URL without a login: calendar clients cannot log in, the token is the credential."""
    token = services.calendar_token_set(acting_user=alice, enable=True)

    good = _client(None).get(reverse("calendar_feed", args=[token]))
    bad = _client(None).get(reverse("calendar_feed", args=[token[:-1] + ("A" if token[-1] != "A" else "B")]))

    assert good.status_code == 200
    assert good["Content-Type"].startswith("text/calendar")
    assert "BEGIN:VCALENDAR" in _html(good)
    assert bad.status_code == 404


@pytest.mark.parametrize("name", [*OBJECT_PAGES, *OWN_PAGES])
def test_it_shows_every_page_to_the_branch_secretary(alice, tree, s1, newcomer, name) -> None:  # type: ignore[no-untyped-def]
    response = _client(alice).get(_urls(tree, s1)[name])

    assert response.status_code == 200
    html = _html(response)
    if name in {"admission_overview", "admission_board", "meeting_create"}:
        assert tree.branch_a.name in html
    if name in {"admission_board", "candidate_detail", "candidate_step", "mentor_add", "task_add"}:
        assert NAME in html
    if name == "candidate_create":
        assert NEWCOMER in html
        assert f'value="{s1.person_id}"' not in html  # already followed: not offered again


@pytest.mark.parametrize("step_key", ["propose_class", "certificate", "drop", "withdraw"])
def test_it_shows_the_form_of_each_step_offered_at_the_stage(alice, s1, step_key) -> None:  # type: ignore[no-untyped-def]
    detail = _html(_client(alice).get(reverse("candidate_detail", args=[s1.pk])))
    url = reverse("candidate_step", args=[s1.pk, step_key])

    response = _client(alice).get(url)

    assert f'href="{url}"' in detail
    assert response.status_code == 200
    assert 'name="on_date"' in _html(response)


def test_it_shows_the_vote_form_at_the_branch_vote(alice, tree, introducers) -> None:  # type: ignore[no-untyped-def]
    candidate = _walked(tree, alice, "S8", introducers)
    with time_machine.travel(dt.datetime(2025, 8, 5, 10, 0, tzinfo=TZ), tick=False):
        response = _client(alice).get(reverse("candidate_step", args=[candidate.pk, "branch_vote"]))

    assert response.status_code == 200
    html = _html(response)
    for field in ("held_on", "summoned", "excluded", "yes", "no", "abstain", "form"):
        assert f'name="{field}"' in html


@pytest.mark.parametrize("step_key", ["ceremony", "branch_vote", "no_such_step"])
def test_it_answers_404_for_a_step_not_offered_at_the_stage(alice, s1, step_key) -> None:  # type: ignore[no-untyped-def]
    before = _state(s1)

    response = _client(alice).post(reverse("candidate_step", args=[s1.pk, step_key]), {"on_date": "05/02/2025"})

    assert response.status_code == 404
    assert _state(s1) == before


def test_it_records_the_class_proposal_posted_by_the_secretary(alice, s1) -> None:  # type: ignore[no-untyped-def]
    client = _client(alice)
    response = client.post(
        reverse("candidate_step", args=[s1.pk, "propose_class"]), {"on_date": "05/02/2025", "basis": "NQ 02/CB"}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("candidate_detail", args=[s1.pk])
    row = Candidate.objects.get(pk=s1.pk)
    assert (row.stage, row.class_proposed_date, row.stage_entered_on) == (
        "S2",
        dt.date(2025, 2, 5),
        dt.date(2025, 2, 5),
    )
    moved = StageTransition.objects.filter(candidate=s1).latest("at", "pk")
    assert (moved.from_stage, moved.to_stage, moved.acting_user, moved.basis) == ("S1", "S2", alice, "NQ 02/CB")
    page = _html(client.get(response["Location"]))
    assert f">S2</span> {STAGE_INFO[Stage.S2].label_vi}" in page  # the current stage, by name
    assert "Đã ghi nhận" in page  # the success message


@pytest.mark.parametrize("name", FORMS)
def test_it_saves_each_form_posted_by_the_secretary(alice, tree, s1, newcomer, introducers, name) -> None:  # type: ignore[no-untyped-def]
    """The POSTs the outsiders' tests send are valid: refused for them only because of who they are."""
    before = _state(s1)

    response = _client(alice).post(_urls(tree, s1)[name], _valid_post(name, s1, newcomer, introducers))

    assert response.status_code == 302, _html(response)
    assert _state(s1) != before


@pytest.mark.parametrize("persona", ["bob", "oscar"])
@pytest.mark.parametrize("name", OBJECT_PAGES)
@pytest.mark.parametrize("method", ["get", "post"])
def test_it_hides_branch_a_from_outsiders(request, tree, s1, newcomer, introducers, persona, name, method) -> None:  # type: ignore[no-untyped-def]
    user = request.getfixturevalue(persona)
    before = _state(s1)
    data = _valid_post(name, s1, newcomer, introducers) if method == "post" and name in FORMS else {}

    response = getattr(_client(user), method)(_urls(tree, s1)[name], data)

    assert response.status_code in {403, 404}
    html = _html(response)
    assert NAME not in html
    assert tree.branch_a.name not in html
    assert _state(s1) == before


@pytest.mark.parametrize("persona", ["bob", "oscar"])
def test_it_does_not_list_branch_a_in_the_outsiders_overview(request, tree, s1, persona) -> None:  # type: ignore[no-untyped-def]
    response = _client(request.getfixturevalue(persona)).get(reverse("admission_overview"))

    assert response.status_code == 200
    html = _html(response)
    assert tree.branch_a.name not in html
    assert NAME not in html
    if persona == "bob":
        assert tree.branch_b.name in html  # his own branch is there: the page is not simply empty


@pytest.mark.parametrize("name", ["admission_overview", "admission_board", "candidate_detail"])
def test_it_lets_the_auditor_read(eve, tree, s1, name) -> None:  # type: ignore[no-untyped-def]
    response = _client(eve).get(_urls(tree, s1)[name])

    assert response.status_code == 200
    html = _html(response)
    assert tree.branch_a.name in html
    if name != "admission_overview":
        assert NAME in html
    # No button leads to a form the auditor may not use.
    for form in FORMS:
        assert _urls(tree, s1)[form] not in html


@pytest.mark.parametrize("name", FORMS)
@pytest.mark.parametrize("method", ["get", "post"])
def test_it_refuses_every_form_to_the_auditor(eve, tree, s1, newcomer, introducers, name, method) -> None:  # type: ignore[no-untyped-def]
    before = _state(s1)
    data = _valid_post(name, s1, newcomer, introducers) if method == "post" else {}

    response = getattr(_client(eve), method)(_urls(tree, s1)[name], data)

    assert response.status_code == 403
    assert _state(s1) == before


# --- Bad input: the reasons in Vietnamese, the typed input kept --------------------------------


def test_it_shows_why_a_ceremony_before_the_decision_is_refused_and_keeps_the_date(alice, tree, introducers) -> None:  # type: ignore[no-untyped-def]
    candidate = _walked(tree, alice, "S11", introducers)  # decision 15/09/2025, received 18/09
    before = _state(candidate)

    with time_machine.travel(dt.datetime(2025, 10, 3, 9, 0, tzinfo=TZ), tick=False):
        response = _client(alice).post(
            reverse("candidate_step", args=[candidate.pk, "ceremony"]), {"on_date": "14/09/2025", "note": ""}
        )

    assert response.status_code == 200
    html = _html(response)
    assert "Ngày lễ kết nạp 14/09/2025 trước ngày quyết định kết nạp 15/09/2025 (QĐ294 4.1)" in html
    assert 'value="14/09/2025"' in html
    assert _state(candidate) == before
    assert not PartyMember.objects.filter(person=candidate.person).exists()


def test_it_shows_why_a_vote_with_too_many_ballots_is_refused(alice, tree, introducers) -> None:  # type: ignore[no-untyped-def]
    candidate = _walked(tree, alice, "S8", introducers)
    before = _state(candidate)
    data = {"held_on": "05/08/2025", "form": "secret", "summoned": "9", "excluded": "2", "yes": "6", "no": "2"}

    with time_machine.travel(dt.datetime(2025, 8, 5, 16, 0, tzinfo=TZ), tick=False):
        response = _client(alice).post(
            reverse("candidate_step", args=[candidate.pk, "branch_vote"]), {**data, "abstain": "0", "note": ""}
        )

    assert response.status_code == 200
    assert "Tổng số phiếu 8 lớn hơn số thành viên được tính 7" in _html(response)
    assert 'value="05/08/2025"' in _html(response)
    assert _state(candidate) == before


def test_it_refuses_the_same_mentor_twice_with_a_message(alice, s1, introducers) -> None:  # type: ignore[no-untyped-def]
    url = reverse("mentor_add", args=[s1.pk])
    data = {
        "member": str(introducers[0].pk),
        "role": "mentor",
        "together_since": "01/01/2020",
        "assigned_on": "05/02/2025",
    }
    assert _client(alice).post(url, data).status_code == 302

    response = _client(alice).post(url, data)

    assert response.status_code == 200
    assert Mentorship.objects.filter(candidate=s1).count() == 1


# --- Query counts -------------------------------------------------------------------------------

# Stages for the candidates of the board: the first 3, then 15 covering S0 to S13.
BOARD_STAGES = ["S0", "S2", "S8", "S1", "S3", "S4", "S5", "S6", "S7", "S9", "S10", "S11", "S12", "S13", "S8"]
# The board of branch A for alice, whatever the number of candidates:
#  (the session comes from the cache: SESSION_ENGINE cached_db, config/settings)
#  1. the user with her active role assignments (scope_for) and unread notifications (the
#     menu's badge) in one statement (admission.backends),
#  2. the branch (organisation_get),
#  3. the open candidates with their person's name (candidate_list),
#  4. one bundle (admission.bundle): the received documents of those at S8, the calendar
#     overrides and the province's rule overrides.
BOARD_QUERIES = 4
CANDIDATE_PAGE_QUERIES = 4


def _board_of(tree: Tree, alice: User, introducers, stages: list[str]) -> str:  # type: ignore[no-untyped-def]
    for number, stage in enumerate(stages):
        _walked(tree, alice, stage, introducers, name=f"Ngô Văn Bảng {number:02d}")
    assert Candidate.objects.filter(organisation=tree.branch_a).count() == len(stages)
    return reverse("admission_board", args=[tree.branch_a.pk])


@pytest.mark.parametrize("count", [3, 15])
def test_it_draws_the_board_in_the_same_number_of_queries_for_3_or_15_candidates(
    alice, tree, introducers, django_assert_num_queries, count
) -> None:  # type: ignore[no-untyped-def]
    url = _board_of(tree, alice, introducers, BOARD_STAGES[:count])
    client = _client(alice)

    with (
        time_machine.travel(dt.datetime(2026, 11, 23, 9, 0, tzinfo=TZ), tick=False),
        django_assert_num_queries(BOARD_QUERIES),
    ):
        response = client.get(url)

    assert response.status_code == 200
    assert _html(response).count("candidate-card") == count


def _with_transitions(tree: Tree, alice: User, rounds: int, name: str) -> Candidate:
    """A candidate in S2 after `rounds` drops from the list and re-listings: 2 + 2 * rounds transitions."""
    candidate = _walked(tree, alice, "S0", name=name)
    day = START
    for _ in range(rounds):
        day += dt.timedelta(days=1)
        services.candidate_step(
            acting_user=alice,
            candidate=candidate,
            step_key="add_to_list",
            data=services.StepInput(on_date=day),
            now=at(day),
        )
        day += dt.timedelta(days=1)
        services.candidate_step(
            acting_user=alice,
            candidate=candidate,
            step_key="drop",
            data=services.StepInput(on_date=day, note="Chưa đủ điều kiện"),
            now=at(day),
        )
    for key in ("add_to_list", "propose_class"):
        day += dt.timedelta(days=1)
        services.candidate_step(
            acting_user=alice, candidate=candidate, step_key=key, data=services.StepInput(on_date=day), now=at(day)
        )
    candidate.refresh_from_db()
    assert candidate.stage == "S2"
    assert candidate.transitions.count() == 2 + 2 * rounds
    return candidate


def test_it_draws_the_candidate_page_in_queries_that_do_not_grow_with_the_history(alice, tree) -> None:  # type: ignore[no-untyped-def]
    few = _with_transitions(tree, alice, 0, "Tạ Văn Ít")
    many = _with_transitions(tree, alice, 8, "Tạ Văn Nhiều")
    client = _client(alice)
    counts = []

    with time_machine.travel(dt.datetime(2025, 3, 1, 9, 0, tzinfo=TZ), tick=False):
        for candidate in (few, many):
            with CaptureQueriesContext(connection) as queries:
                response = client.get(reverse("candidate_detail", args=[candidate.pk]))
            assert response.status_code == 200
            assert _html(response).count("→") >= candidate.transitions.count()
            counts.append(len(queries))

    # 2 vs 18 transitions (and as many history rows), the same 4 queries (the session from the
    # cache): 1. the user with role assignments (scope) and unread notifications (the badge) in one
    # statement (admission.backends), 2. the candidate with person and branch (candidate_get),
    # 3. the audit row of the view (one INSERT: Decree 13/2023), 4. every section of the page in
    # one UNION ALL (admission.bundle: transitions with acting users, mentorships with members,
    # votes, documents, trial tasks, verification requests, the last 30 history rows with their
    # users, committee returns with their items, scans, generated documents, calendar and rule
    # overrides, the organisation chain that names the committee due).
    assert counts == [CANDIDATE_PAGE_QUERIES, CANDIDATE_PAGE_QUERIES]


def test_each_card_shows_the_next_step_and_deadline_of_its_own_stage(alice, tree, introducers) -> None:  # type: ignore[no-untyped-def]
    """The board reads plain rows (selectors.BoardCandidate) and works out the next step and the
    bounding dates once per stage: every card still gets what the full candidate gives, whatever
    order the names put the stages in; a candidate added shows on the next board."""
    from admission import dates as date_rules
    from admission import selectors
    from admission.rulebook import calendar_for, rulebook_for
    from admission.workflow import NEXT_STEP, STEP_BY_KEY

    url = _board_of(tree, alice, introducers, BOARD_STAGES)
    today = dt.date(2026, 11, 23)
    columns = selectors.branch_board(user=alice, organisation=tree.branch_a, today=today)
    cards = {card.candidate.pk: (column.stage, card) for column in columns for card in column.cards}
    assert len(cards) == len(BOARD_STAGES)
    calendar, rules = calendar_for(tree.branch_a), rulebook_for(tree.branch_a)
    for candidate in Candidate.objects.filter(organisation=tree.branch_a):
        stage, card = cards[candidate.pk]
        expected = date_rules.stage_deadline(
            stage, date_rules.candidate_dates(candidate, calendar=calendar, rulebook=rules)
        )
        assert stage == candidate.stage_enum
        assert card.next_step == STEP_BY_KEY.get(NEXT_STEP.get(stage, ""))
        assert card.deadline == expected
        assert card.overdue == (expected is not None and expected.day < today)
        assert card.name == candidate.person.full_name
    assert any(card.deadline for _stage, card in cards.values())

    client = _client(alice)
    before = _html(client.get(url))
    _walked(tree, alice, "S0", name="Người Mới Theo Dõi")
    after = _html(client.get(url))
    assert "Người Mới Theo Dõi" not in before and "Người Mới Theo Dõi" in after
    assert after.count("candidate-card") == before.count("candidate-card") + 1


def test_the_board_names_the_documents_still_missing_before_the_branch_vote(alice, tree, introducers) -> None:  # type: ignore[no-untyped-def]
    complete = _walked(tree, alice, "S8", introducers, name="Đỗ Văn Đủ")
    lacking = _walked(tree, alice, "S8", introducers, name="Đỗ Văn Thiếu")
    # A returned document is not held; a deleted one is missing too.
    lacking.documents.filter(doc_type="A2").update(status=DossierItem.Status.RETURNED)
    lacking.documents.filter(doc_type="A4").delete()
    assert complete.documents.filter(status=DossierItem.Status.RECEIVED).count() >= 5
    client = _client(alice)

    with time_machine.travel(dt.datetime(2025, 3, 1, 9, 0, tzinfo=TZ), tick=False):
        html = _html(client.get(reverse("admission_board", args=[tree.branch_a.pk])))

    cards = {card.split("</a>")[0].rsplit(">", 1)[-1]: card for card in html.split("candidate-card")[1:]}
    assert "Hồ sơ còn thiếu" not in cards["Đỗ Văn Đủ"]
    assert (
        "⚠ Hồ sơ còn thiếu: A2 Đơn xin vào Đảng; A4 Giấy giới thiệu của đảng viên chính thức" in cards["Đỗ Văn Thiếu"]
    )
    assert f'href="/admission/candidates/{lacking.pk}/"' in cards["Đỗ Văn Thiếu"]


def test_the_board_is_drawn_in_the_users_language(alice, tree, introducers) -> None:  # type: ignore[no-untyped-def]
    lacking = _walked(tree, alice, "S8", introducers, name="Đỗ Văn Thiếu")
    lacking.documents.filter(doc_type="A4").delete()
    client = _client(alice)
    client.post(reverse("set_language"), {"language": "en"})

    with time_machine.travel(dt.datetime(2025, 3, 1, 9, 0, tzinfo=TZ), tick=False):
        html = _html(client.get(reverse("admission_board", args=[tree.branch_a.pk])))

    assert f'<span class="stage-code" aria-hidden="true">S8</span> {STAGE_INFO[Stage.S8].label_en}' in html
    assert "Next step: " in html and "Deadline: " in html
    assert "⚠ Missing documents: A4 Introduction letter from an official member" in html
