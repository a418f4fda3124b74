"""The correction pages and API acts: links on the candidate page for who may correct, the forms
keep what was typed on a refusal, the history lists each correction with its reason; outsiders
are refused. Reference timeline (admission.devdata.demo, START 06/01/2025): S4 from 02/04/2025."""

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from admission import services
from admission.devdata.demo import at, walk_to
from admission.models import Candidate, Correction, ListDecision, Mentorship, StageTransition, Vote
from members import api_tokens
from members.models import User
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
START = dt.date(2025, 1, 6)


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with time_machine.travel(dt.datetime(2025, 4, 20, 10, 0, tzinfo=TZ), tick=False):
        yield


@pytest.fixture
def s4(tree, alice, introducers) -> Candidate:  # type: ignore[no-untyped-def]
    person = PersonFactory(organisation=tree.branch_a, full_name="Trịnh Văn Đính")
    candidate = services.candidate_create(acting_user=alice, person=person, now=at(START))
    return walk_to(candidate, "S4", user=alice, introducers=introducers, start=START)


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _permit(candidate: Candidate) -> StageTransition:
    return StageTransition.objects.get(candidate=candidate, step_key="permit_dossier")


def test_the_branch_corrects_its_last_step_from_the_page_and_sees_it_in_the_history(s4, alice) -> None:  # type: ignore[no-untyped-def]
    client = _client(alice)
    page = client.get(reverse("candidate_detail", args=[s4.pk])).content.decode()
    permit = _permit(s4)
    url = reverse("step_correction", args=[s4.pk, permit.pk])
    assert url in page and reverse("step_undo", args=[s4.pk]) in page
    # The certificate step has a later step resting on it: the branch may not correct it any more.
    certificate = StageTransition.objects.get(candidate=s4, step_key="certificate")
    assert reverse("step_correction", args=[s4.pk, certificate.pk]) not in page

    form = client.get(url).content.decode()
    assert "02/04/2025" in form and "Đính chính bước đã ghi" in form
    # Refused (before the certificate of 20/03/2025): the form keeps what was typed, nothing stored.
    refused = client.post(url, {"dossier_start_date": "01/03/2025", "reason": "Nhầm ngày"})
    assert refused.status_code == 200
    text = refused.content.decode()
    assert "trước ngày của bước liền trước" in text and "01/03/2025" in text and "Nhầm ngày" in text
    assert not Correction.objects.filter(candidate=s4).exists()

    done = client.post(url, {"dossier_start_date": "28/03/2025", "reason": "Biên bản ghi 28/03"})
    assert done.status_code == 302
    s4.refresh_from_db()
    assert s4.dossier_start_date == dt.date(2025, 3, 28)
    page = client.get(reverse("candidate_detail", args=[s4.pk])).content.decode()
    assert "Biên bản ghi 28/03" in page and "02/04/2025 → 28/03/2025" in page


def test_the_last_step_is_undone_from_the_page_with_a_reason(s4, alice) -> None:  # type: ignore[no-untyped-def]
    client = _client(alice)
    url = reverse("step_undo", args=[s4.pk])
    assert (
        "Đảng ủy cơ sở cho phép lập hồ sơ" in client.get(url).content.decode()
    )  # the page names the step it takes back
    assert client.post(url, {"reason": ""}).status_code == 200  # a reason is required
    assert client.post(url, {"reason": "Chưa đủ điều kiện, ghi nhầm"}).status_code == 302
    s4.refresh_from_db()
    assert (s4.stage, s4.dossier_start_date) == ("S3", None)
    page = client.get(reverse("candidate_detail", args=[s4.pk])).content.decode()
    assert "Chưa đủ điều kiện, ghi nhầm" in page and "Hủy bước vừa ghi" in page


def test_outsiders_and_the_auditor_cannot_correct(s4, bob, eve, introducers) -> None:  # type: ignore[no-untyped-def]
    permit = _permit(s4)
    mentorship = Mentorship.objects.create(
        candidate=s4, member=introducers[0], together_since=dt.date(2024, 1, 1), assigned_on=dt.date(2025, 4, 3)
    )
    urls = [
        reverse("step_correction", args=[s4.pk, permit.pk]),
        reverse("step_undo", args=[s4.pk]),
        reverse("mentorship_withdraw", args=[s4.pk, mentorship.pk]),
    ]
    for user in (bob, eve):
        client = _client(user)
        for url in urls:
            assert client.get(url).status_code in (403, 404)
            assert client.post(url, {"reason": "x", "dossier_start_date": "28/03/2025"}).status_code in (403, 404)
    s4.refresh_from_db()
    assert (s4.stage, s4.dossier_start_date) == ("S4", dt.date(2025, 4, 2))
    assert s4.mentorships.filter(pk=mentorship.pk).exists()


def test_a_vote_is_withdrawn_from_the_page_and_outsiders_are_refused(s4, alice, bob, eve, introducers) -> None:  # type: ignore[no-untyped-def]
    s4.refresh_from_db()
    walk_to(s4, "S8", user=alice, introducers=introducers, start=START)
    with time_machine.travel(dt.datetime(2025, 8, 6, 10, 0, tzinfo=TZ), tick=False):
        vote = services.candidate_vote(
            acting_user=alice, candidate=s4, step_key="branch_vote", held_on=dt.date(2025, 8, 5),
            summoned=9, excluded=0, yes=5, no=4, abstain=0, form="secret",
        )  # fmt: skip
        url = reverse("vote_withdraw", args=[s4.pk, vote.pk])
        for user in (bob, eve):
            assert _client(user).post(url, {"reason": "x"}).status_code in (403, 404)
        assert Vote.objects.filter(pk=vote.pk).exists()
        assert "Biểu quyết ngày 05/08/2025: 5/9" in _client(alice).get(url).content.decode()
        assert _client(alice).post(url, {"reason": "Nhập sai số phiếu"}).status_code == 302
        assert not Vote.objects.filter(pk=vote.pk).exists()


def _api(user: User) -> Client:
    return Client(headers={"Authorization": f"Token {api_tokens.token_rotate(acting_user=user).key}"})


def _post(client: Client, url: str, data: object) -> Any:
    return client.post(url, data=json.dumps(data), content_type="application/json")


def test_the_api_corrects_undoes_and_refuses_outsiders(s4, alice, bob) -> None:  # type: ignore[no-untyped-def]
    permit = _permit(s4)
    correct = f"/api/v1/candidates/{s4.pk}/history/{permit.pk}/correct/"
    outsider = _post(_api(bob), correct, {"on_date": "2025-03-28", "reason": "x"})
    assert outsider.status_code == 404
    refused = _post(_api(alice), correct, {"on_date": "2025-03-01", "reason": "x"})
    assert refused.status_code == 400
    assert [e["code"] for e in refused.json()["errors"]] == ["correction_before_previous_step"]
    done = _post(_api(alice), correct, {"on_date": "2025-03-28", "reason": "Biên bản ghi 28/03"})
    assert done.status_code == 200
    assert done.json()["changes"]["dossier_start_date"] == ["2025-04-02", "2025-03-28"]

    assert _post(_api(bob), f"/api/v1/candidates/{s4.pk}/undo/", {"reason": "x"}).status_code == 404
    undone = _post(_api(alice), f"/api/v1/candidates/{s4.pk}/undo/", {"reason": "Ghi nhầm"})
    assert (undone.status_code, undone.json()["kind"]) == (200, "undo")
    s4.refresh_from_db()
    assert s4.stage == "S3"


def test_a_refusal_links_to_the_page_that_lifts_it(tree, alice, introducers) -> None:  # type: ignore[no-untyped-def]
    person = PersonFactory(organisation=tree.branch_a, full_name="Lưu Văn Giới")
    candidate = services.candidate_create(acting_user=alice, person=person, now=at(START))
    walk_to(candidate, "S5", user=alice, introducers=introducers, start=START)  # nobody assigned to help yet
    response = _client(alice).post(
        reverse("candidate_step", args=[candidate.pk, "introduction"]), {"on_date": "18/04/2025"}
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert 'id="form-remedies"' in text
    assert reverse("mentor_add", args=[candidate.pk]) in text.split('id="form-remedies"')[1].split("</div>")[0]


def test_a_list_decision_is_withdrawn_from_the_meeting_page_and_outsiders_are_refused(tree, alice, bob, eve) -> None:  # type: ignore[no-untyped-def]
    person = PersonFactory(organisation=tree.branch_a, full_name="Lã Văn Nhầm")
    candidate = services.candidate_create(acting_user=alice, person=person, now=at(START))
    meeting = services.meeting_record(
        acting_user=alice, organisation=tree.branch_a, held_on=dt.date(2025, 4, 18), minutes="", add=[candidate],
        keep=[], remove={}, official_members=9, present=8, now=at(dt.date(2025, 4, 18)),
    )  # fmt: skip
    decision = ListDecision.objects.get(meeting=meeting)
    url = reverse("list_decision_withdraw", args=[decision.pk])
    assert url in _client(alice).get(reverse("branch_meeting", args=[meeting.pk])).content.decode()
    for user in (bob, eve):
        assert _client(user).post(url, {"reason": "x"}).status_code in (403, 404)
    assert ListDecision.objects.filter(pk=decision.pk).exists()
    response = _client(alice).post(url, {"reason": "Nhầm người"})
    assert response.status_code == 302 and response["Location"] == reverse("branch_meeting", args=[meeting.pk])
    candidate.refresh_from_db()
    assert candidate.stage == "S0" and not ListDecision.objects.filter(pk=decision.pk).exists()
