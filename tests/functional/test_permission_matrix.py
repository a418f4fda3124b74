"""The permission matrix: every URL of the project x every persona x an object inside
and outside the persona's scope, generated from the URL configuration so that a new view
cannot escape it (the test fails until the view's object is declared below).

Expectations come from the one scoping selector (`members.selectors.scope_for`):
- anonymous visitors are sent to the login page (pages) or refused (API: 401/403);
- a persona whose scope does not cover the object gets 403, 404 or 405, and the answer never
  contains the object's person's name;
- a persona whose scope covers it never gets a server error (the exact status — a page, a
  redirect, a refusal for a read-only role — is each view's own test);
- lists and pages without an object never show the other province's people to anyone but an
  administrator.
A second province ("Z") holds the outside objects; nobody but the administrator has a role there.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from admission import services
from admission.devdata.demo import at, walk_to
from admission.models import (
    BranchMeeting,
    Candidate,
    CandidateTransfer,
    CommitteeMeeting,
    DocumentBatch,
    DocumentJob,
    DocumentScan,
    DocumentTemplate,
    GeneratedDocument,
    ImportBatch,
    IssuedDocument,
    StatisticsReport,
    TrialTask,
    VerificationRequest,
)
from admission.services import candidate_access
from members.models import Organisation, OrganisationKind, Role, User
from members.selectors import scope_for
from members.services import role_assign
from tests.factories import MemberFactory, OrganisationFactory, PersonFactory, UserFactory

pytestmark = pytest.mark.django_db
START = dt.date(2025, 1, 6)
NOW = dt.datetime(2025, 8, 22, 10, 0, tzinfo=dt.UTC)
INSIDE_NAME = "Hoàng Văn Trong Phạm Vi"
OUTSIDE_NAME = "Quách Thị Ngoài Phạm Vi"

# Not checked here, with the reason: Django's own account pages (no object, no personal data),
# the calendar feed (its secret token is the credential: tests/functional/admission/test_views.py),
# the API's catch-all 404.
EXEMPT = {
    "password_change",
    "password_change_done",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    "login",
    "logout",
    "calendar_feed",
    "api_not_found",
    # The candidate's invitation link: its one-time token is the credential
    # (tests/functional/admission/test_candidate_self.py).
    "self_invitation",
}
# The candidate persona's own pages (no id in the URL: always their own case); every other URL
# must refuse them (403/404/405), except the account pages below and the home page, which
# sends them to their case.
CANDIDATE_PAGES = {"self_case", "self_upload", "self_biography", "self_biography_print"}
CANDIDATE_ACCOUNT_PAGES = {"set_language", "two_factor", "two_factor_qr", "two_factor_recovery"}


@dataclass
class Side:
    """The objects of one province: branch, grassroots committee, candidate (at S9) and the rest."""

    branch: Organisation
    committee: Organisation
    candidate: Candidate
    task: TrialTask
    scan: DocumentScan
    generated: GeneratedDocument
    template: DocumentTemplate
    meeting: CommitteeMeeting
    report: StatisticsReport
    batch: ImportBatch
    member: Any
    verification: VerificationRequest
    branch_meeting: BranchMeeting
    issued: IssuedDocument
    document_batch: DocumentBatch
    document_job: DocumentJob
    transfer: CandidateTransfer


def _side(branch: Organisation, committee: Organisation, name: str, staff: User | None) -> Side:
    introducers = [
        MemberFactory(person=PersonFactory(organisation=branch, full_name=n)) for n in (f"{name} Giới", f"{name} Thiệu")
    ]
    person = PersonFactory(organisation=branch, full_name=name)
    candidate = services.candidate_create(acting_user=None, person=person, now=at(START))
    walk_to(candidate, "S9", user=None, introducers=introducers, start=START)
    task = TrialTask.objects.create(candidate=candidate, description="Nhiệm vụ", due_on=dt.date(2025, 9, 1))
    pdf = b"%PDF-1.4\n%%EOF\n"
    scan = DocumentScan.objects.create(
        candidate=candidate, doc_type="A2", file=ContentFile(pdf, name="a.pdf"), content_type="application/pdf",
        size=len(pdf), sha256="0" * 64, original_name="a.pdf", uploaded_at=NOW,
    )  # fmt: skip
    generated = GeneratedDocument.objects.create(
        candidate=candidate, kind="admission_decision", format="pdf", template_version="mặc định 1",
        file=ContentFile(pdf, name="g.pdf"), sha256="0" * 64, created_at=NOW,
    )  # fmt: skip
    template = DocumentTemplate.objects.create(
        kind="admission_decision", organisation=committee, version="1", effective_from=dt.date(2025, 1, 1),
        file=ContentFile(b"PK", name="t.docx"), uploaded_at=NOW,
    )  # fmt: skip
    meeting = CommitteeMeeting.objects.create(committee=committee, held_on=dt.date(2025, 8, 28))
    report = StatisticsReport.objects.create(
        organisation=committee, period_start=dt.date(2025, 1, 1), period_end=dt.date(2025, 12, 31),
        baseline_date=dt.date(2025, 1, 1), baseline_members=10, created_at=NOW,
    )  # fmt: skip
    batch = ImportBatch.objects.create(
        organisation=branch, created_by=staff, created_at=NOW, file_name="x.xlsx", sha256="0" * 64, status="dry_run"
    )
    verification = VerificationRequest.objects.create(
        candidate=candidate, subject="Bố đẻ", addressee="UBND xã", sent_on=dt.date(2025, 5, 6),
        received_on=dt.date(2025, 5, 8),
    )  # fmt: skip
    branch_meeting = services.meeting_record(
        acting_user=None,
        organisation=branch,
        held_on=dt.date(2025, 8, 5),
        minutes=f"Họp tháng 8 về {name}",
        add=[],
        keep=[candidate],
        remove={},
        attendance={m.pk: services.AttendanceEntry("present") for m in introducers},
        now=NOW,
    )
    issued = IssuedDocument.objects.create(
        issuer=branch, doc_type="NQ", term_start=dt.date(2025, 1, 1), number=1, symbol="1-NQ/CB",
        kind="branch_resolution", candidate=candidate, summary=f"Đề nghị kết nạp ({name})",
        issued_on=dt.date(2025, 8, 5), signer_name="Bí thư", signer_position="BÍ THƯ", created_at=NOW,
    )  # fmt: skip
    document_batch = DocumentBatch.objects.create(
        meeting=meeting, entries=[issued.pk], total=1, status="done", created_at=NOW,
        zip_file=ContentFile(b"PK", name="b.zip"), pdf_file=ContentFile(pdf, name="b.pdf"),
    )  # fmt: skip
    document_job = DocumentJob.objects.create(
        candidate=candidate, kind="admission_decision", format="pdf", status="done", document=generated, created_at=NOW
    )
    # A forwarding the committee owes (T11), as a row: moving the candidate would change every other URL.
    transfer = CandidateTransfer.objects.create(
        candidate=candidate, from_organisation=branch, to_organisation=branch, on_date=dt.date(2025, 8, 20),
        stage="S9", stage_after="S9", note="Chuyển sinh hoạt", recorded_at=NOW, forwarding_committee=committee,
        forward_due_on=dt.date(2025, 9, 10),
    )  # fmt: skip
    return Side(
        branch,
        committee,
        candidate,
        task,
        scan,
        generated,
        template,
        meeting,
        report,
        batch,
        introducers[0],
        verification,
        branch_meeting,
        issued,
        document_batch,
        document_job,
        transfer,
    )


# What each URL's parameters point at: name -> (the object whose scope decides, the URL kwargs).
Target = Callable[[Side], tuple[Any, dict[str, Any]]]
TARGETS: dict[str, Target] = {}


def _targets(names: str, target: Target) -> None:
    for name in names.split():
        TARGETS[name] = target


_targets(
    "admission_board board_print candidate_create meeting_create branch_meetings",
    lambda s: (s.branch, {"pk": s.branch.pk}),
)
_targets("branch_meeting branch_meeting_edit", lambda s: (s.branch_meeting, {"pk": s.branch_meeting.pk}))
_targets(
    "list_decision_withdraw",
    lambda s: (s.branch_meeting, {"pk": s.branch_meeting.list_decisions.get().pk}),
)
_targets("person_create", lambda s: (s.branch, {"organisation_pk": s.branch.pk}))
_targets(
    "committee_queue committee_meetings document_templates statistics_organisation statistics_people "
    "statistics_export statistics_people_export statistics_report_save statistics_recompute plan_list plan_export import_page "
    "import_template organisation_detail api_organisation-detail document_register document_register_export "
    "handoff_page handoff_export",
    lambda s: (s.committee, {"pk": s.committee.pk}),
)
_targets(
    "candidate_detail mentor_add document_add verification_add task_add candidate_flags dossier_review "
    "dossier_resubmit document_generate scan_upload api_candidate-detail api_candidate-documents "
    "api_candidate-resubmit api_candidate-return-dossier api_candidate-consents api_candidate-withdraw-consent candidate_transfer transfer_forwarded transfer_reconsideration api_candidate-transfer api_candidate-verifications "
    "api_candidate-helpers document_issue mentor_comment mentee_detail self_service_manage self_service_biography candidate_dossier",
    lambda s: (s.candidate, {"pk": s.candidate.pk}),
)
_targets("dossier_item", lambda s: (s.candidate, {"pk": s.candidate.pk, "doc_type": "A4"}))
_targets(
    "verification_reply verification_correct verification_cancel",
    lambda s: (s.verification, {"pk": s.candidate.pk, "verification_pk": s.verification.pk}),
)
_targets(
    "api_candidate-verification-reply api_candidate-verification-correct api_candidate-verification-cancel",
    lambda s: (s.verification, {"pk": s.candidate.pk, "verification_id": s.verification.pk}),
)
_targets("step_undo api_candidate-undo", lambda s: (s.candidate, {"pk": s.candidate.pk}))
_targets(
    "step_correction",
    lambda s: (s.candidate, {"pk": s.candidate.pk, "transition_pk": s.candidate.transitions.last().pk}),
)
_targets(
    "api_candidate-step-correct",
    lambda s: (s.candidate, {"pk": s.candidate.pk, "transition_id": s.candidate.transitions.last().pk}),
)
_targets("vote_withdraw", lambda s: (s.candidate, {"pk": s.candidate.pk, "vote_pk": s.candidate.votes.last().pk}))
_targets(
    "api_candidate-vote-withdraw",
    lambda s: (s.candidate, {"pk": s.candidate.pk, "vote_id": s.candidate.votes.last().pk}),
)
_targets(
    "mentorship_withdraw",
    lambda s: (s.candidate, {"pk": s.candidate.pk, "mentorship_pk": s.candidate.mentorships.last().pk}),
)
_targets(
    "candidate_step api_candidate-step",
    lambda s: (s.candidate, {"pk": s.candidate.pk, "step_key": "grassroots_vote"}),
)
_targets("task_result task_withdraw", lambda s: (s.candidate, {"pk": s.candidate.pk, "task_pk": s.task.pk}))
_targets(
    "person_detail person_edit person_reveal api_person-detail", lambda s: (s.candidate, {"pk": s.candidate.person_id})
)
_targets("api_member-detail", lambda s: (s.member, {"pk": s.member.pk}))
_targets("committee_meeting meeting_documents", lambda s: (s.meeting, {"pk": s.meeting.pk}))
# A meeting's document batch: the meeting's committee decides.
_targets("document_batch document_batch_status", lambda s: (s.meeting, {"pk": s.document_batch.pk}))
_targets("document_batch_file", lambda s: (s.meeting, {"pk": s.document_batch.pk, "fmt": "pdf"}))
_targets("generated_download", lambda s: (s.generated, {"pk": s.generated.pk}))
# A file being made off the request path: its candidate's scope decides.
_targets("document_job document_job_status", lambda s: (s.document_job, {"pk": s.document_job.pk}))
# The former place's committee issues its forwarding letter: the transfer's forwarding committee decides.
_targets("transfer_letter_issue", lambda s: (s.transfer, {"pk": s.transfer.pk}))
_targets("scan_file", lambda s: (s.scan, {"pk": s.scan.pk}))
_targets("issued_cancel issued_generate", lambda s: (s.issued, {"pk": s.issued.pk}))
_targets(
    "document_template_download",
    lambda s: (s.template, {"pk": s.committee.pk, "template_pk": s.template.pk}),
)
_targets("document_template_default", lambda s: (s.committee, {"pk": s.committee.pk, "kind": "admission_decision"}))
_targets("statistics_report", lambda s: (s.report, {"pk": s.report.pk}))
_targets("import_batch import_apply", lambda s: (s.batch, {"pk": s.batch.pk}))
_targets("import_mapping", lambda s: (s.committee, {"pk": s.committee.pk, "sha256": "0" * 64}))
# Pages about the user or lists of what they may see: no object in the URL.
NO_OBJECT = set(
    [
        "admission_overview",
        "mentee_workspace",
        "transfers_to_forward",
        *CANDIDATE_PAGES,
        "notification_list",
        "preferences",
        "statistics_index",
        "plan_index",
        "dashboard",
        "organisation_tree",
        "member_list",
        "person_list",
        "set_language",
        "audit_log",
        "two_factor",
        "two_factor_qr",
        "two_factor_recovery",
        "api_schema",
        "api_docs",
        "api_token",
        "api_deadlines",
        "api_statistics",
        "api_handoff",
        "api_statistics_figures",
        "api_organisation-list",
        "api_person-list",
        "api_member-list",
        "api_candidate-list",
        "api_notification-list",
        "api_notification-mark-read",
    ]
)


def _organisation_of(obj: Any) -> Organisation:
    for attribute in ("organisation", "committee", "branch"):
        if hasattr(obj, f"{attribute}_id") and getattr(obj, f"{attribute}_id"):
            return getattr(obj, attribute)
    if hasattr(obj, "candidate"):
        return obj.candidate.organisation
    assert isinstance(obj, Organisation), obj
    return obj


def _url_names() -> set[str]:
    def walk(patterns: list[Any]) -> set[str]:
        found: set[str] = set()
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace != "admin":
                    found |= walk(pattern.url_patterns)
            elif isinstance(pattern, URLPattern) and pattern.name:
                found.add(pattern.name)
        return found

    return walk(get_resolver().url_patterns)


def test_every_url_is_in_the_matrix() -> None:
    missing = _url_names() - set(TARGETS) - NO_OBJECT - EXEMPT
    assert not missing, f"declare the object of these URLs in tests/functional/test_permission_matrix.py: {missing}"
    assert not (set(TARGETS) | NO_OBJECT) - _url_names(), "the matrix names URLs that no longer exist"


@pytest.fixture
def world(tree, media_root):  # type: ignore[no-untyped-def]
    """Province P (tests/conftest.py) and a second province Z, each with its objects."""
    other = OrganisationFactory(kind=OrganisationKind.PROVINCE, name="Đảng bộ tỉnh Z", code="Z")
    z_government = OrganisationFactory(
        kind=OrganisationKind.PROVINCIAL_GOVERNMENT, name="ĐB UBND Z", code="ZG", parent=other
    )
    z_committee = OrganisationFactory(
        kind=OrganisationKind.GRASSROOTS_COMMITTEE, name="ĐB Sở Z", code="ZC", parent=z_government
    )
    z_branch = OrganisationFactory(kind=OrganisationKind.BRANCH, name="Chi bộ Z", code="ZB", parent=z_committee)
    personas: dict[str, User | None] = {"anonymous": None}
    for username, organisation, role in (
        ("m_alice", tree.branch_a, Role.BRANCH_SECRETARY),
        ("m_carol", tree.committee, Role.COMMITTEE_STAFF),
        ("m_gina", tree.government, Role.COMMITTEE_STAFF),
        ("m_eve", tree.province, Role.AUDITOR),
        ("m_admin", other, Role.ADMINISTRATOR),
        ("m_oscar", None, None),
    ):
        user = UserFactory(username=username)
        if organisation is not None:
            role_assign(acting_user=None, user=user, organisation=organisation, role=role)
        personas[username] = user
    inside = _side(tree.branch_a, tree.committee, INSIDE_NAME, personas["m_alice"])
    outside = _side(z_branch, z_committee, OUTSIDE_NAME, None)
    # The candidate persona: the inside candidate's own login, invited and accepted.
    access, _token = candidate_access.candidate_access_invite(
        acting_user=personas["m_alice"], candidate=inside.candidate, email="uv@example.vn", now=NOW
    )
    access.open_items = ["A2"]
    access.save(update_fields=["open_items"])
    personas["m_candidate"] = candidate_access.candidate_access_accept(
        access=access, password="Sen-hong-2025!", now=NOW
    )
    return personas, inside, outside


@pytest.fixture
def media_root(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _call(client: Client, method: str, url: str) -> Any:
    if method == "get":
        return client.get(url)
    return (
        client.post(url, {}, content_type="application/json" if url.startswith("/api/") else None)
        if False
        else client.post(url, {})
    )


def test_every_url_honours_the_scope_of_every_persona(world) -> None:  # type: ignore[no-untyped-def]
    personas, inside, outside = world
    problems: list[str] = []
    names = sorted(_url_names() - EXEMPT)
    with time_machine.travel(NOW, tick=False):
        clients = {}
        for key, user in personas.items():
            clients[key] = Client(raise_request_exception=False)  # a server error is a finding, not a crash
            if user is not None:
                clients[key].force_login(user)
        for name in names:
            for side_name, side in (("inside", inside), ("outside", outside)):
                if name in NO_OBJECT:
                    if side_name == "outside":
                        continue
                    url, obj = reverse(name), None
                else:
                    obj, kwargs = TARGETS[name](side)
                    url = reverse(name, kwargs=kwargs)
                for key, user in personas.items():
                    for method in ("get", "post"):
                        response = _call(clients[key], method, url)
                        where = f"{method.upper()} {name} [{side_name}] as {key}: {response.status_code}"
                        body = (
                            response.content.decode(errors="replace")
                            if not getattr(response, "streaming", False)
                            else ""
                        )
                        if response.status_code >= 500:
                            problems.append(f"{where} server error")
                            continue
                        if user is None:
                            ok = response.status_code in {401, 403, 405} or (
                                response.status_code == 302 and "/accounts/login/" in response["Location"]
                            )
                            if not ok and name not in {"set_language", "api_schema", "api_docs"}:
                                problems.append(f"{where} anonymous not refused")
                            continue
                        if key == "m_candidate":
                            if name in CANDIDATE_PAGES or name in CANDIDATE_ACCOUNT_PAGES:
                                pass
                            elif name == "dashboard":
                                if response.status_code != 302 or response["Location"] != reverse("self_case"):
                                    problems.append(f"{where} the candidate's home is not their case")
                            elif response.status_code not in {403, 404, 405}:
                                problems.append(f"{where} reached by the candidate")
                            if OUTSIDE_NAME in body or (side is outside and INSIDE_NAME in body):
                                problems.append(f"{where} shows someone else to the candidate")
                            continue
                        admin = key == "m_admin"
                        if obj is None:
                            if not admin and OUTSIDE_NAME in body:
                                problems.append(f"{where} shows the other province's person")
                            continue
                        if scope_for(user).can_read(_organisation_of(obj)):
                            continue  # covered: no server error above
                        if response.status_code not in {403, 404, 405}:
                            problems.append(f"{where} outside the scope but not refused")
                        if (INSIDE_NAME if side is inside else OUTSIDE_NAME) in body:
                            problems.append(f"{where} leaks the person's name")
    assert not problems, "\n".join(problems)
