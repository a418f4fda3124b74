"""The REST API under /api/v1/ through the test client: the UI's scoping for every persona,
tokens, steps through the same services as the step forms (same reason codes, same
StageTransition rows), pagination and filters, input that must be refused, the docs page and
the OpenAPI document.

Candidates follow the reference timeline of admission.devdata.demo from START = Mon 06/01/2025; the
clock is frozen on Mon 20/10/2025 (after the ceremony day of the timeline), so the committee
decision of an S10 dossier (branch resolution 05/08/2025) is overdue.
"""

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from admission import services
from admission.devdata.demo import at, walk_to
from admission.domain.reasons import format_reason, reason
from admission.models import Candidate, DossierItem, Notification, StageTransition, Vote
from members import api_tokens
from members.models import ApiToken, PartyMember, Person, User
from tests.conftest import Tree
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
START = dt.date(2025, 1, 6)
NOW = dt.datetime(2025, 10, 20, 10, 0, tzinfo=TZ)
API = "/api/v1"


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def _follow(user: User, organisation: Any, name: str, stage: str = "S0", **kwargs: Any) -> Candidate:
    person = PersonFactory(organisation=organisation, full_name=name)
    candidate = services.candidate_create(acting_user=user, person=person, now=at(START))
    return walk_to(candidate, stage, user=user, introducers=kwargs.get("introducers", []), start=START)


@pytest.fixture
def a0(tree: Tree, alice: User) -> Candidate:
    """Followed in branch A since 06/01/2025 (S0)."""
    return _follow(alice, tree.branch_a, "Đặng Thị Ứng Viên")


@pytest.fixture
def a8(tree: Tree, alice: User, introducers: list[PartyMember]) -> Candidate:
    """Branch A, waiting for the branch vote (S8) since 10/07/2025."""
    return _follow(alice, tree.branch_a, "Hoàng Văn Tám", "S8", introducers=introducers)


@pytest.fixture
def a10(tree: Tree, alice: User, introducers: list[PartyMember]) -> Candidate:
    """Branch A, waiting for the admission decision of G (S10) since 20/08/2025."""
    return _follow(alice, tree.branch_a, "Hoàng Văn Quyết", "S10", introducers=introducers)


@pytest.fixture
def b0(tree: Tree, bob: User) -> Candidate:
    """Followed in branch B (Bob's) since 06/01/2025 (S0)."""
    return _follow(bob, tree.branch_b, "Trịnh Văn Bê")


def _api(user: User | None = None, token: str | None = None) -> Client:
    if user is not None:
        token = api_tokens.token_rotate(acting_user=user).key
    return Client(headers={"Authorization": f"Token {token}"} if token else {})


def _post(client: Client, url: str, data: object) -> Any:
    return client.post(url, data=json.dumps(data), content_type="application/json")


def _patch(client: Client, url: str, data: object) -> Any:
    return client.patch(url, data=json.dumps(data), content_type="application/json")


def _ids(response: Any) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def _codes(response: Any) -> list[str]:
    return [error["code"] for error in response.json()["errors"]]


# --- Scope: the same as the UI ---------------------------------------------------------------


def test_it_shows_alice_branch_a_only(tree: Tree, alice: User, a0: Candidate, b0: Candidate) -> None:
    api = _api(alice)

    assert _ids(api.get(f"{API}/candidates/")) == {a0.pk}
    assert _ids(api.get(f"{API}/people/")) == {a0.person_id}
    assert _ids(api.get(f"{API}/organisations/")) == {tree.branch_a.pk}
    assert api.get(f"{API}/candidates/{a0.pk}/").status_code == 200
    for url in (
        f"{API}/candidates/{b0.pk}/",
        f"{API}/people/{b0.person_id}/",
        f"{API}/organisations/{tree.branch_b.pk}/",
    ):
        response = api.get(url)
        assert response.status_code == 404, url
        assert _codes(response) == ["not_found"]


def test_it_shows_bob_branch_b_only(tree: Tree, bob: User, a0: Candidate, b0: Candidate) -> None:
    api = _api(bob)

    assert _ids(api.get(f"{API}/candidates/")) == {b0.pk}
    assert _ids(api.get(f"{API}/people/")) == {b0.person_id}
    assert api.get(f"{API}/candidates/{a0.pk}/").status_code == 404
    assert api.get(f"{API}/people/{a0.person_id}/").status_code == 404
    # Writing to A's candidate is a 404 as well: bob cannot learn that it exists.
    assert _post(api, f"{API}/candidates/{a0.pk}/steps/add_to_list/", {"on_date": "2025-02-05"}).status_code == 404
    assert _patch(api, f"{API}/people/{a0.person_id}/", {"phone": "0900"}).status_code == 404
    assert Candidate.objects.get(pk=a0.pk).stage == "S0"


def test_it_shows_nothing_to_a_user_without_role(oscar: User, a0: Candidate, b0: Candidate) -> None:
    api = _api(oscar)

    for name in ("candidates", "people", "organisations", "members", "deadlines", "notifications"):
        response = api.get(f"{API}/{name}/")
        assert response.status_code == 200, name
        assert response.json()["count"] == 0, name
    statistics = api.get(f"{API}/statistics/").json()
    assert statistics["open_candidates"] == 0 and statistics["official_members"] == 0
    assert api.get(f"{API}/candidates/{a0.pk}/").status_code == 404
    assert _post(api, f"{API}/candidates/", {"person": a0.person_id}).status_code == 403


def test_it_lets_the_auditor_read_but_not_write(
    tree: Tree, eve: User, a0: Candidate, b0: Candidate, introducers: list[PartyMember]
) -> None:
    api = _api(eve)
    newcomer = PersonFactory(organisation=tree.branch_a, full_name="Lương Thị Mới")

    assert _ids(api.get(f"{API}/candidates/")) == {a0.pk, b0.pk}
    detail = api.get(f"{API}/candidates/{a0.pk}/").json()
    assert detail["available_steps"] == []
    writes = [
        _post(api, f"{API}/candidates/{a0.pk}/steps/add_to_list/", {"on_date": "2025-02-05"}),
        _post(api, f"{API}/candidates/", {"person": newcomer.pk}),
        _patch(api, f"{API}/candidates/{a0.pk}/", {"area_exception": True}),
        _post(api, f"{API}/candidates/{a0.pk}/documents/", {"doc_type": "A2", "issued_on": "2025-02-01"}),
        _post(api, f"{API}/people/", {"organisation": tree.branch_a.pk, "full_name": "Hà Văn Mới",
                                      "date_of_birth": "1990-01-01", "gender": "M"}),
        _patch(api, f"{API}/people/{a0.person_id}/", {"phone": "0900"}),
    ]  # fmt: skip
    for response in writes:
        assert response.status_code == 403, response.content
        assert _codes(response) == ["permission_denied"]
    assert Candidate.objects.get(pk=a0.pk).stage == "S0"
    assert not Candidate.objects.filter(person=newcomer).exists()


def test_it_refuses_requests_without_a_valid_token(a0: Candidate) -> None:
    for client in (_api(), _api(token="0" * 40)):
        for url in (f"{API}/candidates/", f"{API}/candidates/{a0.pk}/", f"{API}/statistics/"):
            response = client.get(url)
            assert response.status_code == 401, url
            assert response["WWW-Authenticate"] == "Token"
            assert _codes(response)[0] in {"not_authenticated", "authentication_failed"}


# --- Steps through the same services as the UI -------------------------------------------------


def test_it_records_a_step_like_the_ui(alice: User, a0: Candidate) -> None:
    data = {"on_date": "2025-02-05", "basis": "NQ 02"}

    response = _post(_api(alice), f"{API}/candidates/{a0.pk}/steps/add_to_list/", data)

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["moved"], body["vote"]) == (True, None)
    assert (body["candidate"]["stage"], body["candidate"]["sympathiser_date"]) == ("S1", "2025-02-05")
    assert body["candidate"]["available_steps"] == ["propose_class", "certificate", "drop", "withdraw"]
    transition = StageTransition.objects.filter(candidate=a0).latest("pk")
    assert (transition.from_stage, transition.to_stage, transition.on_date) == ("S0", "S1", dt.date(2025, 2, 5))
    assert (transition.acting_user, transition.basis, transition.at) == (alice, "NQ 02", NOW)
    assert {k: body["transition"][k] for k in ("id", "from_stage", "to_stage", "on_date", "acting_user", "basis")} == {
        "id": transition.pk,
        "from_stage": "S0",
        "to_stage": "S1",
        "on_date": "2025-02-05",
        "acting_user": "alice",
        "basis": "NQ 02",
    }
    assert Candidate.objects.get(pk=a0.pk).history.latest().history_user == alice  # type: ignore[attr-defined]


def test_it_refuses_a_step_with_the_reason_codes_of_the_service(alice: User, a8: Candidate) -> None:
    candidate = a8
    counts = {"summoned": 9, "excluded": 0, "yes": 7, "no": 5, "abstain": 0, "form": "secret"}
    with pytest.raises(services.StepRefused) as refused:
        services.candidate_vote(
            acting_user=alice, candidate=candidate, step_key="branch_vote", held_on=dt.date(2025, 10, 21), **counts
        )

    response = _post(
        _api(alice), f"{API}/candidates/{candidate.pk}/steps/branch_vote/", {"on_date": "2025-10-21", "vote": counts}
    )

    assert response.status_code == 400, response.content
    assert _codes(response) == [r.code for r in refused.value.reasons]
    assert {"date_in_future", "vote_counts_exceed_denominator"} <= set(_codes(response))
    error = response.json()["errors"][_codes(response).index("vote_counts_exceed_denominator")]
    assert error["params"] == {"total": 12, "denominator": 9}
    assert error["rule"] and error["message"]
    assert not Vote.objects.filter(candidate=candidate).exists()
    assert Candidate.objects.get(pk=candidate.pk).stage == "S8"


def test_it_writes_messages_in_the_account_language(alice: User, a10: Candidate) -> None:
    alice.preferred_language = "en"
    alice.save(update_fields=["preferred_language"])

    response = _post(_api(alice), f"{API}/candidates/{a10.pk}/steps/decision/", {"on_date": "2025-10-15"})

    assert response.status_code == 400
    assert response["Content-Language"] == "en"
    error = response.json()["errors"][0]
    assert error["code"] == "level_not_due"
    assert error["message"] == format_reason(reason("level_not_due", "", committee=error["params"]["committee"]), "en")


def test_it_records_a_branch_vote_that_did_not_pass(alice: User, a8: Candidate) -> None:
    candidate = a8
    counts = {"summoned": 9, "yes": 5, "no": 4}

    response = _post(
        _api(alice), f"{API}/candidates/{candidate.pk}/steps/branch_vote/", {"on_date": "2025-10-20", "vote": counts}
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["moved"], body["transition"], body["candidate"]["stage"]) == (False, None, "S8")
    assert (body["vote"]["passed"], body["vote"]["required"], body["vote"]["yes"]) == (False, 6, 5)


def test_it_lets_only_the_due_committee_record_its_decision(alice: User, gina: User, a10: Candidate) -> None:
    data = {"on_date": "2025-10-15", "decision_number": "QĐ 15", "decision_received_date": "2025-10-17"}

    refused = _post(_api(alice), f"{API}/candidates/{a10.pk}/steps/decision/", data)
    assert refused.status_code == 400, refused.content
    assert _codes(refused) == ["level_not_due"]
    assert refused.json()["errors"][0]["rule"] == "QĐ294 4.3; HD06 3.6-3.7"
    assert Candidate.objects.get(pk=a10.pk).stage == "S10"

    accepted = _post(_api(gina), f"{API}/candidates/{a10.pk}/steps/decision/", data)
    assert accepted.status_code == 200, accepted.content
    candidate = Candidate.objects.get(pk=a10.pk)
    assert (candidate.stage, candidate.decision_number) == ("S11", "QĐ 15")
    assert StageTransition.objects.filter(candidate=a10, to_stage="S11", acting_user=gina).exists()


def test_it_answers_409_for_a_step_that_does_not_start_here(alice: User, a10: Candidate) -> None:
    response = _post(_api(alice), f"{API}/candidates/{a10.pk}/steps/add_to_list/", {"on_date": "2025-10-15"})

    assert response.status_code == 409
    assert _codes(response) == ["step_not_available"]
    assert response.json()["errors"][0]["params"] == {"step": "add_to_list", "stage": "S10", "allowed_from": ["S0"]}


def test_it_returns_and_resubmits_a_dossier(alice: User, gina: User, a10: Candidate) -> None:
    returned = _post(
        _api(gina),
        f"{API}/candidates/{a10.pk}/return/",
        {"note": "Thiếu chữ ký", "documents": [{"code": "A4", "reason": "Giấy giới thiệu chưa ký"}]},
    )
    assert returned.status_code == 200, returned.content
    assert returned.json()["candidate"]["stage"] == "S8"
    assert returned.json()["dossier_return"]["documents"] == [{"code": "A4", "reason": "Giấy giới thiệu chưa ký"}]

    secretary = _api(alice)
    pending = _post(secretary, f"{API}/candidates/{a10.pk}/resubmit/", {})
    assert pending.status_code == 400
    assert _codes(pending) == ["returned_documents_pending"]
    assert pending.json()["errors"][0]["params"] == {"documents": ["A4"]}

    recorded = _post(secretary, f"{API}/candidates/{a10.pk}/documents/", {"doc_type": "A4", "issued_on": "2025-10-18"})
    assert recorded.status_code == 201, recorded.content
    assert DossierItem.objects.get(candidate=a10, doc_type="A4").status == "received"
    resubmitted = _post(secretary, f"{API}/candidates/{a10.pk}/resubmit/", {"note": "Đã bổ sung"})
    assert resubmitted.status_code == 200, resubmitted.content
    assert resubmitted.json()["candidate"]["stage"] == "S9"
    assert resubmitted.json()["transition"]["from_stage"] == "S8"


def test_it_returns_illegal_transition_as_a_conflict(gina: User, a0: Candidate) -> None:
    response = _post(_api(gina), f"{API}/candidates/{a0.pk}/return/", {"note": "Thiếu giấy tờ"})

    assert response.status_code == 409
    assert _codes(response) == ["illegal_transition"]
    assert response.json()["errors"][0]["params"] == {"from_stage": "S0", "to_stage": "S8"}


def test_it_creates_a_candidate_and_sets_flags(tree: Tree, alice: User, a0: Candidate) -> None:
    newcomer = PersonFactory(organisation=tree.branch_a, full_name="Lương Thị Mới")
    api = _api(alice)

    created = _post(api, f"{API}/candidates/", {"person": newcomer.pk})
    assert created.status_code == 201, created.content
    assert created.json()["stage"] == "S0"
    assert created.json()["available_steps"] == ["add_to_list"]
    again = _post(api, f"{API}/candidates/", {"person": newcomer.pk})
    assert again.status_code == 400 and _codes(again) == ["candidacy_open"]

    flagged = _patch(api, f"{API}/candidates/{a0.pk}/", {"area_exception": True})
    assert flagged.status_code == 200, flagged.content
    assert flagged.json()["area_exception"] is True
    assert Candidate.objects.get(pk=a0.pk).area_exception


# --- People: CCCD, search, validation ------------------------------------------------------------


def test_it_never_returns_the_full_cccd(alice: User, a0: Candidate) -> None:
    cccd = a0.person.cccd
    assert cccd
    api = _api(alice)

    for response in (api.get(f"{API}/people/"), api.get(f"{API}/people/{a0.person_id}/")):
        assert response.status_code == 200
        assert cccd not in response.content.decode()
        assert "cccd" not in (response.json().get("results") or [response.json()])[0]
    detail = api.get(f"{API}/people/{a0.person_id}/").json()
    assert detail["cccd_masked"] == "•" * 9 + cccd[-3:]


def test_it_creates_and_updates_a_person(tree: Tree, alice: User) -> None:
    api = _api(alice)
    data = {
        "organisation": tree.branch_a.pk,
        "full_name": "  lê   thị   hồng ",
        "date_of_birth": "1998-04-02",
        "gender": "F",
        "cccd": "001 198 012345",
    }

    created = _post(api, f"{API}/people/", data)
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["full_name"], body["cccd_masked"]) == ("Lê Thị Hồng", "•••••••••345")
    assert "001198012345" not in created.content.decode()

    wrong_gender = _patch(api, f"{API}/people/{body['id']}/", {"gender": "M"})
    assert wrong_gender.status_code == 400
    assert {e["params"].get("field") for e in wrong_gender.json()["errors"]} == {"cccd"}

    updated = _patch(api, f"{API}/people/{body['id']}/", {"phone": "0912345678"})
    assert updated.status_code == 200
    assert Person.objects.get(pk=body["id"]).cccd == "001198012345"  # omitted: kept
    assert _post(api, f"{API}/people/", {**data, "organisation": tree.committee.pk}).status_code == 400


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("full_name", "Nguyễn " + "a" * 45),  # the given name alone is longer than its column
        ("full_name", "Nguyễn " + "ß" * 112),  # "ß" capitalises to "SS": longer once normalised
        ("ethnicity", "\u0958" * 40),  # NFC decomposes it into two characters
    ],
)
def test_it_refuses_text_too_long_once_normalised(tree: Tree, alice: User, field: str, value: str) -> None:
    data = {"organisation": tree.branch_a.pk, "full_name": "Lê Thị Hồng", "date_of_birth": "1998-04-02", "gender": "F"}

    response = _post(_api(alice), f"{API}/people/", {**data, field: value})

    assert response.status_code == 400, response.content
    assert response.json()["errors"][0]["params"] == {"field": field}
    assert not Person.objects.filter(organisation=tree.branch_a).exists()


def test_it_refuses_values_of_the_wrong_json_type(tree: Tree, alice: User, a0: Candidate) -> None:
    api = _api(alice)

    for url, data, field in (
        (f"{API}/candidates/{a0.pk}/", {"area_exception": 1}, "area_exception"),
        (f"{API}/candidates/", {"person": str(a0.person_id)}, "person"),
        (f"{API}/candidates/{a0.pk}/steps/add_to_list/", {"on_date": "2025-10-20", "note": 5}, "note"),
        (f"{API}/notifications/read/", {"ids": ["1"]}, "ids"),
    ):
        response = _patch(api, url, data) if url.endswith(f"{a0.pk}/") else _post(api, url, data)
        assert response.status_code == 400, url
        assert response.json()["errors"] == [
            {"code": "invalid_type", "rule": "", "message": "Sai kiểu dữ liệu JSON.", "params": {"field": field}}
        ]


def test_it_searches_people_without_accents(alice: User, a0: Candidate) -> None:
    api = _api(alice)

    assert _ids(api.get(f"{API}/people/", {"q": "DANG thi ung"})) == {a0.person_id}
    assert _ids(api.get(f"{API}/people/", {"q": "đặng thị ứng viên"})) == {a0.person_id}
    assert _ids(api.get(f"{API}/people/", {"q": "trinh"})) == set()


@pytest.mark.parametrize(
    ("fixture", "step", "data", "field"),
    [
        ("a8", "branch_vote", {"on_date": "2025-10-20", "vote": {"summoned": 40000, "yes": 1, "no": 0}}, "vote.summoned"),
        ("a8", "branch_vote", {"on_date": "2025-10-20", "vote": {"summoned": 9, "yes": -1, "no": 0}}, "vote.yes"),
        ("a8", "branch_vote", {"on_date": "2025-10-20"}, "vote"),
        ("a8", "branch_vote", {"on_date": "2025-10-20", "basis": "NQ", "vote": {"summoned": 9, "yes": 9, "no": 0}},
         "basis"),
        ("a0", "add_to_list", {"on_date": "2025-10-20", "note": "a\x00b"}, "note"),
        ("a0", "add_to_list", {"on_date": "2025-10-20", "note": "x" * 2001}, "note"),
        ("a0", "add_to_list", {"on_date": "0001-01-01"}, "on_date"),
        ("a0", "add_to_list", {"on_date": "20/10/2025"}, "on_date"),
        ("a0", "add_to_list", {"on_date": "2025-10-20", "vote": {"summoned": 9, "yes": 9, "no": 0}}, "vote"),
        ("a0", "add_to_list", {"on_date": "2025-10-20", "certificate_number": "GCN"}, "certificate_number"),
        ("a0", "add_to_list", {}, "on_date"),
    ],
)  # fmt: skip
def test_it_refuses_bad_input_with_400(
    request: pytest.FixtureRequest, alice: User, fixture: str, step: str, data: dict, field: str
) -> None:
    candidate: Candidate = request.getfixturevalue(fixture)
    transitions = candidate.transitions.count()

    response = _post(_api(alice), f"{API}/candidates/{candidate.pk}/steps/{step}/", data)

    assert response.status_code == 400, response.content
    assert field in {e["params"].get("field") for e in response.json()["errors"]}
    assert candidate.transitions.count() == transitions
    assert not Vote.objects.filter(candidate=candidate).exists()


def test_it_refuses_a_body_that_is_not_a_json_object(alice: User, a0: Candidate) -> None:
    api = _api(alice)
    url = f"{API}/candidates/{a0.pk}/steps/add_to_list/"

    assert api.post(url, data="not json", content_type="application/json").status_code == 400
    assert _codes(api.post(url, data="[1, 2]", content_type="application/json")) == ["invalid"]
    assert api.post(url, data={"on_date": "2025-10-20"}).status_code == 415  # form-encoded


@pytest.mark.parametrize(
    "url",
    ["candidates/abc/", "candidates/99999999999999999999999/", "candidates/0/", "people/-1/", "nowhere/",
     "candidates/1/steps/fly/"],
)  # fmt: skip
def test_it_answers_malformed_paths_with_a_json_404(alice: User, url: str) -> None:
    response = _api(alice).get(f"{API}/{url}") if "steps" not in url else _post(_api(alice), f"{API}/{url}", {})

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert _codes(response) == ["not_found"]


# --- Pagination and filters -------------------------------------------------------------------------


def test_it_paginates_and_filters(tree: Tree, alice: User, a0: Candidate, a10: Candidate) -> None:
    third = _follow(alice, tree.branch_a, "Bùi Văn Ba")
    api = _api(alice)

    first = api.get(f"{API}/candidates/", {"page_size": 2}).json()
    assert (first["count"], len(first["results"]), first["previous"]) == (3, 2, None)
    assert "page=2" in first["next"]
    second = api.get(f"{API}/candidates/", {"page_size": 2, "page": 2}).json()
    assert len(second["results"]) == 1 and second["next"] is None
    assert api.get(f"{API}/candidates/", {"page_size": 2, "page": 3}).status_code == 404
    for bad in ("0", "201", "abc", "-1"):
        response = api.get(f"{API}/candidates/", {"page_size": bad})
        assert response.status_code == 400, bad
        assert response.json()["errors"][0]["params"] == {"field": "page_size"}

    assert _ids(api.get(f"{API}/candidates/", {"stage": "S10"})) == {a10.pk}
    assert _ids(api.get(f"{API}/candidates/", {"overdue": "1"})) == {a10.pk}
    assert _ids(api.get(f"{API}/candidates/", {"overdue": "false"})) == {a0.pk, third.pk}
    assert _ids(api.get(f"{API}/candidates/", {"organisation": tree.committee.pk})) == {a0.pk, a10.pk, third.pk}
    assert _ids(api.get(f"{API}/candidates/", {"organisation": tree.branch_b.pk})) == set()
    assert _ids(api.get(f"{API}/candidates/", {"q": "bui van"})) == {third.pk}
    for params in ({"stage": "S99"}, {"organisation": "abc"}, {"organisation": "9" * 30}, {"overdue": "yes"},
                   {"q": "a\x00"}, {"q": "x" * 101}):  # fmt: skip
        response = api.get(f"{API}/candidates/", params)
        assert response.status_code == 400, params
        assert response.json()["errors"][0]["params"]["field"] == next(iter(params))


def test_it_lists_deadlines_with_their_rule(alice: User, a0: Candidate, a10: Candidate) -> None:
    api = _api(alice)

    body = api.get(f"{API}/deadlines/", {"overdue": "1"}).json()
    assert [row["candidate"] for row in body["results"]] == [a10.pk]
    row = body["results"][0]
    assert (row["stage"], row["deadline"], row["overdue"]) == ("S10", "decision_deadline", True)
    assert row["next_due_on"] == Candidate.objects.get(pk=a10.pk).next_due_on.isoformat()
    assert row["rule"]["point"].startswith("QĐ294")
    assert api.get(f"{API}/deadlines/", {"before": row["next_due_on"]}).json()["count"] == 0
    assert api.get(f"{API}/deadlines/", {"before": "2030-01-01"}).json()["count"] == 1
    assert api.get(f"{API}/deadlines/", {"before": "2025-13-01"}).status_code == 400


def test_it_lists_and_marks_only_ones_own_notifications(tree: Tree, alice: User, bob: User, a10: Candidate) -> None:
    mine = Notification.objects.filter(user=alice)
    assert mine.exists(), "the walk's stage changes notify the branch secretary"
    Notification.objects.create(
        user=bob, key="other", kind="deadline", organisation=tree.branch_b, text_vi="B", text_en="B", created_at=NOW
    )
    api = _api(alice)

    listed = api.get(f"{API}/notifications/", {"unread": "1"}).json()
    assert {row["id"] for row in listed["results"]} == set(mine.values_list("pk", flat=True))
    marked = _post(api, f"{API}/notifications/read/", {"ids": [mine.first().pk]})
    assert marked.json() == {"marked": 1}
    assert _post(api, f"{API}/notifications/read/", {}).json() == {"marked": mine.count() - 1}
    assert not Notification.objects.filter(user=alice, read_at__isnull=True).exists()
    assert Notification.objects.get(user=bob).read_at is None


def test_it_counts_in_scope(alice: User, a0: Candidate, a10: Candidate, b0: Candidate, introducers: list) -> None:
    body = _api(alice).get(f"{API}/statistics/").json()

    assert (body["open_candidates"], body["overdue_candidates"]) == (2, 1)
    assert {(row["stage"], row["count"]) for row in body["open_candidates_by_stage"]} == {("S0", 1), ("S10", 1)}
    assert (body["official_members"], body["probationary_members"]) == (2, 0)


# --- Tokens ----------------------------------------------------------------------------------------


def test_it_creates_and_revokes_a_token_from_the_browser_session(alice: User, a0: Candidate) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice)
    browser.get(f"{API}/docs/")
    csrf = browser.cookies["csrftoken"].value

    assert browser.post(f"{API}/token/", content_type="application/json").status_code == 403  # no CSRF token
    created = browser.post(f"{API}/token/", content_type="application/json", headers={"X-CSRFToken": csrf})
    assert created.status_code == 201, created.content
    assert created["Cache-Control"] == "no-store"
    first = created.json()["token"]
    assert _api(token=first).get(f"{API}/candidates/").status_code == 200

    form = f"csrfmiddlewaretoken={csrf}"  # as a plain HTML form sends it
    second = browser.post(f"{API}/token/", form, content_type="application/x-www-form-urlencoded").json()["token"]
    assert second != first
    assert _api(token=first).get(f"{API}/candidates/").status_code == 401
    assert _api(token=second).post(f"{API}/token/").status_code == 403  # a token cannot mint tokens

    assert browser.delete(f"{API}/token/", headers={"X-CSRFToken": csrf}).status_code == 204
    assert _api(token=second).get(f"{API}/candidates/").status_code == 401
    assert not ApiToken.objects.filter(user=alice).exists()


def test_it_manages_the_token_on_the_docs_page(alice: User) -> None:
    browser = Client()
    browser.force_login(alice)

    page = browser.post(f"{API}/docs/", {"action": "create"})
    assert page.status_code == 200
    key = re.search(r'id="new-token">([0-9a-f]{40})<', page.content.decode()).group(1)
    assert (
        ApiToken.objects.get(user=alice).digest == hashlib.sha256(key.encode()).hexdigest()
    )  # only the digest is kept
    assert page["Cache-Control"] == "no-store"
    assert _api(token=key).get(f"{API}/candidates/").status_code == 200
    assert key not in browser.get(f"{API}/docs/").content.decode()
    browser.post(f"{API}/docs/", {"action": "revoke"})
    assert not ApiToken.objects.filter(user=alice).exists()


# --- Documentation -----------------------------------------------------------------------------------


def test_it_renders_the_docs_page_with_every_path(alice: User) -> None:
    browser = Client()
    assert browser.get(f"{API}/docs/").status_code == 302  # login first
    browser.force_login(alice)
    schema = Client().get(f"{API}/openapi.json").json()

    response = browser.get(f"{API}/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    for path, item in schema["paths"].items():
        assert f"<code>{path}</code>" in html, path
        for method in item:
            assert f'id="op-{item[method]["operationId"]}"' in html
    for text in ("Authorization: Token", "page_size", "level_not_due", "branch_vote", "StepRequest", "cccd_masked"):
        assert text in html, text
    assert "<script" not in html.split("<main", 1)[1].split("</main>", 1)[0]  # no script in the page body


def test_it_serves_a_valid_openapi_3_document() -> None:
    import schemathesis
    from django.core.wsgi import get_wsgi_application

    response = Client().get(f"{API}/openapi.json")
    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.")

    schema = schemathesis.openapi.from_wsgi(f"{API}/openapi.json", get_wsgi_application())
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == sum(
        len([m for m in item if m in {"get", "post", "patch", "delete"}]) for item in response.json()["paths"].values()
    )
    assert {f"{op.method.upper()} {op.path}" for op in operations} >= {
        "POST /api/v1/candidates/{id}/steps/{step_key}/",
        "GET /api/v1/deadlines/",
        "DELETE /api/v1/token/",
    }
