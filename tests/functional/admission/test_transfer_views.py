"""Chuyển sinh hoạt through the page ("candidate_transfer") and the API (POST
/api/v1/candidates/<id>/transfer/): the sending branch's secretary moves the candidate; the picker
lists branches of the province and no people; refusals show the service's reasons; access moves."""

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
from admission.models import Candidate, CandidateTransfer
from members import api_tokens
from members.models import User
from tests.conftest import Tree
from tests.factories import MemberFactory, PersonFactory

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
START = dt.date(2025, 1, 6)
NOW = dt.datetime(2025, 11, 12, 10, 0, tzinfo=TZ)  # the timeline's probationer is at S13 since 30/10/2025
NAME = "Tạ Văn Chuyển Đi"
BYSTANDER = "Mạc Thị Ở Lại"


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def probationer(tree: Tree, alice: User, introducers: Any) -> Candidate:
    person = PersonFactory(organisation=tree.branch_a, full_name=NAME, date_of_birth=dt.date(1995, 3, 4))
    candidate = services.candidate_create(acting_user=alice, person=person, now=at(START))
    MemberFactory(person=PersonFactory(organisation=tree.branch_b, full_name=BYSTANDER))  # a person of branch B
    return walk_to(candidate, "S13", user=alice, introducers=introducers, start=START)


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_secretary_transfers_from_the_candidate_page(tree, alice, bob, probationer) -> None:  # type: ignore[no-untyped-def]
    url = reverse("candidate_transfer", args=[probationer.pk])
    page = _client(alice).get(reverse("candidate_detail", args=[probationer.pk])).content.decode()
    assert url in page and "Chuyển sinh hoạt" in page

    form = _client(alice).get(url)
    html = form.content.decode()
    assert form.status_code == 200 and "HD06 3.9" in html
    for branch in (tree.branch_b, tree.delegated_branch, tree.village):  # every branch of the province
        assert f'value="{branch.pk}"' in html
    assert f'value="{tree.branch_a.pk}"' not in html and f'value="{tree.committee.pk}"' not in html
    assert BYSTANDER not in html  # the picker lists organisations, never people

    refused = _client(alice).post(url, {"to_branch": tree.branch_b.pk, "on_date": "13/11/2025", "note": "Chuyển"})
    assert refused.status_code == 200 and "HD06 3.9" in refused.content.decode()
    assert not CandidateTransfer.objects.exists()

    done = _client(alice).post(
        url, {"to_branch": tree.branch_b.pk, "on_date": "10/11/2025", "note": "Chuyển công tác về Sở Xây dựng"}
    )
    assert done.status_code == 302 and done["Location"] == reverse("admission_board", args=[tree.branch_a.pk])
    assert _client(alice).get(reverse("candidate_detail", args=[probationer.pk])).status_code == 404
    seen = _client(bob).get(reverse("candidate_detail", args=[probationer.pk]))
    html = seen.content.decode()
    assert seen.status_code == 200 and NAME in html
    assert 'id="transfers"' in html and "Chuyển công tác về Sở Xây dựng" in html and tree.branch_a.name in html


@pytest.mark.parametrize(("who", "status"), [("bob", 404), ("carol", 403), ("gina", 403), ("eve", 403)])
def test_only_the_sending_branch_opens_the_form(request, tree, probationer, who, status) -> None:  # type: ignore[no-untyped-def]
    client = _client(request.getfixturevalue(who))
    url = reverse("candidate_transfer", args=[probationer.pk])
    assert client.get(url).status_code == status
    response = client.post(url, {"to_branch": tree.branch_b.pk, "on_date": "10/11/2025", "note": "Chuyển"})
    assert response.status_code == status
    if who != "bob":  # the committees read the page but are not offered the action
        assert (
            reverse("candidate_transfer", args=[probationer.pk])
            not in client.get(reverse("candidate_detail", args=[probationer.pk])).content.decode()
        )
    assert not CandidateTransfer.objects.exists()


def _api(user: User) -> Client:
    return Client(headers={"Authorization": f"Token {api_tokens.token_rotate(acting_user=user).key}"})


def _post(client: Client, pk: int, data: object) -> Any:
    return client.post(f"/api/v1/candidates/{pk}/transfer/", data=json.dumps(data), content_type="application/json")


def test_the_api_transfers_with_the_services_reason_codes(tree, alice, bob, carol, eve, probationer) -> None:  # type: ignore[no-untyped-def]
    body = {"to_branch": tree.branch_b.pk, "on_date": "2025-11-10", "note": "Chuyển công tác"}
    assert _post(_api(bob), probationer.pk, body).status_code == 404
    assert _post(_api(eve), probationer.pk, body).status_code == 403
    refused = _post(_api(carol), probationer.pk, body)
    assert refused.status_code == 400 and [e["code"] for e in refused.json()["errors"]] == ["branch_turn"]
    wrong = _post(_api(alice), probationer.pk, {**body, "to_branch": tree.committee.pk, "note": ""})
    assert wrong.status_code == 400
    assert [e["code"] for e in wrong.json()["errors"]] == ["transfer_reason_required", "transfer_target_not_branch"]
    assert {e["rule"] for e in wrong.json()["errors"]} == {"HD06 3.9"}
    unknown = _post(_api(alice), probationer.pk, {**body, "to_branch": 999_999})
    assert unknown.status_code == 400 and unknown.json()["errors"][0]["params"]["field"] == "to_branch"

    done = _post(_api(alice), probationer.pk, body)

    assert done.status_code == 201, done.content
    data = done.json()
    assert (data["from_organisation"]["id"], data["to_organisation"]["id"]) == (tree.branch_a.pk, tree.branch_b.pk)
    assert (data["stage"], data["stage_after"], data["on_date"], data["recorded_by"]) == (
        "S13", "S13", "2025-11-10", "alice",
    )  # fmt: skip
    assert _api(alice).get(f"/api/v1/candidates/{probationer.pk}/").status_code == 404
    assert _api(bob).get(f"/api/v1/candidates/{probationer.pk}/").status_code == 200


def test_the_api_moves_a_dossier_at_the_committee_to_the_destinations_decision(tree, alice, introducers) -> None:  # type: ignore[no-untyped-def]
    person = PersonFactory(organisation=tree.branch_a, full_name="Lưu Văn Hồ Sơ")
    candidate = walk_to(
        services.candidate_create(acting_user=alice, person=person, now=at(START)),
        "S9", user=alice, introducers=introducers, start=START,
    )  # fmt: skip
    done = _post(_api(alice), candidate.pk, {"to_branch": tree.village.pk, "on_date": "2025-09-01", "note": "Chuyển"})
    assert done.status_code == 201, done.content
    assert done.json()["stage_after"] == "S10"
    assert done.json()["transition"]["to_stage"] == "S10"
    candidate.refresh_from_db()
    assert (candidate.stage, candidate.next_due_on) == ("S10", dt.date(2025, 10, 14))
