"""The helper's workspace and comments (Mẫu 11-KNĐ; HD06 4.3, 3.10): only the assigned mentor writes
and signs; the comment shows on the candidate page, ticks R3 when signed at the end of probation and
reaches the recognition documents' context; outsiders get 403/404; a mentor sees no dead links."""

import datetime as dt
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from admission import services
from admission.devdata.demo import at, walk_to
from admission.documents.context import document_context
from admission.models import Candidate, DossierItem, MentorComment, MentorCommentKind
from members.models import Role, User
from members.services import role_assign
from tests.conftest import Tree
from tests.factories import PersonFactory, UserFactory

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
START = dt.date(2025, 1, 6)
NOW = dt.datetime(2026, 10, 12, 10, 0, tzinfo=TZ)  # probation ended on 03/10/2026: comment due
NAME = "Lục Văn Dự Bị"
TEXT = "Đồng chí có lập trường tư tưởng vững vàng, hoàn thành tốt nhiệm vụ. Đề nghị công nhận chính thức."


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def probationer(tree: Tree, alice: User, introducers: Any) -> Candidate:
    person = PersonFactory(organisation=tree.branch_a, full_name=NAME, date_of_birth=dt.date(1995, 3, 4))
    candidate = services.candidate_create(acting_user=alice, person=person, now=at(START))
    return walk_to(candidate, "S13", user=alice, introducers=introducers, start=START)


@pytest.fixture
def mentor(tree: Tree, introducers: Any, probationer: Candidate) -> User:
    """The login of the probationer's helper (the timeline assigns the first introducer as mentor)."""
    helper = probationer.mentorships.get(role="mentor").member
    user = UserFactory(username="m_helper", person=helper.person)
    role_assign(acting_user=None, user=user, organisation=tree.branch_a, role=Role.MENTOR)
    return user


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_mentor_signs_the_end_of_probation_comment(mentor, probationer, alice) -> None:  # type: ignore[no-untyped-def]
    assert probationer.ceremony_date is not None
    client = _client(mentor)
    workspace = client.get(reverse("mentee_workspace")).content.decode()
    assert NAME in workspace and "Viết nhận xét khi hết thời gian dự bị" in workspace and "sắp đến hạn" in workspace
    url = reverse("mentor_comment", args=[probationer.pk])
    assert client.get(url).status_code == 200
    signed_on = NOW.date() - dt.timedelta(days=1)
    response = client.post(
        url, {"kind": "end_of_probation", "text": TEXT, "sign": "on", "signed_on": signed_on.strftime("%d/%m/%Y")}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    comment = MentorComment.objects.get(candidate=probationer)
    assert (comment.signed, comment.signed_on, comment.kind) == (True, signed_on, MentorCommentKind.END_OF_PROBATION)
    item = DossierItem.objects.get(candidate=probationer, doc_type="R3")
    assert (item.status, item.issued_on, item.ticked_by) == (DossierItem.Status.RECEIVED, signed_on, "mentor_comment")
    # The secretary reads it on the candidate page; the forms get it in their context.
    page = _client(alice).get(reverse("candidate_detail", args=[probationer.pk])).content.decode()
    assert TEXT in page and signed_on.strftime("%d/%m/%Y") in page
    context = document_context(probationer)
    assert context["mentor_comment"]["text"] == TEXT
    assert context["mentor_comment"]["signed_on"] == signed_on.strftime("%d/%m/%Y")
    # Signed: no longer owed.
    assert "sắp đến hạn" not in client.get(reverse("mentee_workspace")).content.decode()


def test_a_draft_is_rewritten_until_signed_and_ticks_nothing(mentor, probationer) -> None:  # type: ignore[no-untyped-def]
    url = reverse("mentor_comment", args=[probationer.pk])
    client = _client(mentor)
    client.post(url, {"kind": "end_of_probation", "text": "Bản 1"})
    client.post(url, {"kind": "end_of_probation", "text": "Bản 2"})
    assert list(MentorComment.objects.values_list("text", "signed")) == [("Bản 2", False)]
    assert not DossierItem.objects.filter(candidate=probationer, doc_type="R3").exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "end_of_probation", "text": "   "}, "bắt buộc"),
        ({"kind": "end_of_probation", "text": TEXT, "sign": "on"}, "Nhập ngày ký để ký nhận xét"),
        ({"kind": "end_of_probation", "text": TEXT, "sign": "on", "signed_on": "01/01/2030"}, "01/01/2030"),
        ({"kind": "end_of_probation", "text": TEXT, "sign": "on", "signed_on": "31/02/2026"}, "ngày"),
    ],
)
def test_bad_input_keeps_the_form_and_writes_nothing(mentor, probationer, data, message) -> None:  # type: ignore[no-untyped-def]
    response = _client(mentor).post(reverse("mentor_comment", args=[probationer.pk]), data)
    html = response.content.decode()
    assert response.status_code == 200 and message in html
    if data["text"].strip():
        assert TEXT in html  # the form keeps what was typed
    assert not MentorComment.objects.exists()


def test_only_the_assigned_mentor_writes(mentor, probationer, alice, bob, oscar) -> None:  # type: ignore[no-untyped-def]
    url = reverse("mentor_comment", args=[probationer.pk])
    data = {"kind": "periodic", "text": TEXT}
    assert _client(alice).get(url).status_code == 403  # the secretary reads, the helper writes
    assert _client(alice).post(url, data).status_code == 403
    assert _client(bob).get(url).status_code == 404  # another branch: not even there
    assert _client(oscar).post(url, data).status_code == 404
    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and "login" in anonymous.url
    with pytest.raises(PermissionDenied):
        services.mentor_comment_write(acting_user=alice, candidate=probationer, kind="periodic", text=TEXT, sign=False)
    assert not MentorComment.objects.exists()
    # Nobody else's mentees in the workspace.
    assert NAME not in _client(bob).get(reverse("mentee_workspace")).content.decode()


def test_the_mentor_sees_no_dead_links(mentor, probationer) -> None:  # type: ignore[no-untyped-def]
    client = _client(mentor)
    page = client.get(reverse("candidate_detail", args=[probationer.pk]), follow=True).content.decode()
    assert reverse("admission_board", args=[probationer.organisation_id]) not in page
    assert reverse("mentee_workspace") in page and reverse("mentor_comment", args=[probationer.pk]) in page
    for name in ("statistics_index", "organisation_tree", "member_list", "person_list", "plan_index"):
        assert f'href="{reverse(name)}"' not in page, name
    overview = client.get(reverse("admission_overview")).content.decode()
    assert "Không có chi bộ nào" not in overview and reverse("mentee_workspace") in overview
    assert "S13" not in overview.split('id="mentees"')[1].split("</ul>")[0]


def test_every_link_of_the_mentor_pages_opens(mentor, probationer) -> None:  # type: ignore[no-untyped-def]
    """No dead links for a mentor: every internal link of their pages answers without 403/404."""
    import re

    client = _client(mentor)
    pages = [
        reverse("admission_overview"),
        reverse("mentee_workspace"),
        reverse("mentee_detail", args=[probationer.pk]),
        reverse("mentor_comment", args=[probationer.pk]),
    ]
    dead = []
    for page in pages:
        html = client.get(page).content.decode()
        for href in sorted(set(re.findall(r'href="(/[^"#]*)', html))):
            href = href.replace("&amp;", "&")
            if href.startswith(("/static/", "/accounts/logout")):
                continue
            status = client.get(href).status_code
            if status in (403, 404):
                dead.append(f"{page} -> {href}: {status}")
    assert not dead, dead


def test_the_mentor_sees_only_what_a_mentor_needs(mentor, probationer, alice, introducers) -> None:  # type: ignore[no-untyped-def]
    """The mentee's stage and dates and the mentor's own comments; no votes, history, dossier or
    other people's comments; every other page of the candidate is closed to the mentor."""
    MentorComment.objects.create(
        candidate=probationer, mentor=introducers[1], kind=MentorCommentKind.PERIODIC, text="Ý KIẾN CỦA NGƯỜI KHÁC",
        written_at=NOW,
    )  # fmt: skip
    client = _client(mentor)
    detail = client.get(reverse("candidate_detail", args=[probationer.pk]))
    assert detail.status_code == 302 and detail["Location"] == reverse("mentee_detail", args=[probationer.pk])
    page = client.get(reverse("mentee_detail", args=[probationer.pk])).content.decode()
    assert NAME in page and "Thời kỳ dự bị" in page and "03/10/2026" in page  # stage and end of probation
    assert "Ý KIẾN CỦA NGƯỜI KHÁC" not in page
    for word in ("biểu quyết", "tán thành", "Diễn biến", "Nghị quyết chi bộ"):
        assert word.lower() not in page.lower(), word
    for url in (
        reverse("dossier_review", args=[probationer.pk]),
        reverse("candidate_flags", args=[probationer.pk]),
        reverse("scan_upload", args=[probationer.pk]),
        f"/api/v1/candidates/{probationer.pk}/",
        reverse("person_detail", args=[probationer.person_id]),
    ):
        assert client.get(url).status_code in (403, 404), url
    assert not client.get("/api/v1/candidates/").json().get("results")
    # The secretary still reads the candidate page; the mentee page is the helper's only.
    assert _client(alice).get(reverse("candidate_detail", args=[probationer.pk])).status_code == 200
    assert _client(alice).get(reverse("mentee_detail", args=[probationer.pk])).status_code == 404
