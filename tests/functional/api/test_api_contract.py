"""What generated clients and integrators rely on (docs/api.md, docs/api-versioning.md): a valid
OpenAPI 3 document with ASCII names, the token declared as `Bearer` and `Token` and accepted as
both, real booleans for yes/no filters (the old `1`/`0` still accepted), every error status in
the one error model (429 and 500 included), pagination described, messages in the user's
language, and the scope rule: a filter outside the scope matches nothing (200), an object
outside it is 404, an id in a body outside it is 400, each exactly as for an id that does not
exist.

The clock is frozen on Mon 20/10/2025; branch A has a candidate at S0 and one at S10 whose
committee decision is overdue, branch B one at S0.
"""

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from openapi_spec_validator import validate

from admission import services
from admission.api import selectors as api_selectors
from admission.devdata.demo import at, walk_to
from admission.models import Candidate, Notification
from members import api_tokens
from members.models import Organisation, PartyMember, Person, User
from tests.conftest import Tree
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
START = dt.date(2025, 1, 6)
NOW = dt.datetime(2025, 10, 20, 10, 0, tzinfo=TZ)
API = "/api/v1"
UNKNOWN_ID = 2**62


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def schema() -> dict[str, Any]:
    response = Client().get(f"{API}/openapi.json")
    assert response.status_code == 200
    return response.json()  # type: ignore[no-any-return]


def _follow(user: User, organisation: Organisation, name: str, stage: str = "S0", **kwargs: Any) -> Candidate:
    person = PersonFactory(organisation=organisation, full_name=name)
    candidate = services.candidate_create(acting_user=user, person=person, now=at(START))
    return walk_to(candidate, stage, user=user, introducers=kwargs.get("introducers", []), start=START)


def _client(user: User, keyword: str = "Bearer") -> Client:
    return Client(headers={"Authorization": f"{keyword} {api_tokens.token_rotate(acting_user=user).key}"})


def _ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.content
    return sorted(row.get("id") or row["candidate"] for row in response.json()["results"])  # deadlines: candidate


def _operations(schema: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


# --- The document ----------------------------------------------------------------------------


def test_it_serves_a_document_the_openapi_validator_accepts(schema: dict[str, Any]) -> None:
    validate(schema)  # raises on any error (refs, types, required keys)
    assert schema["openapi"].startswith("3.0")


def test_every_name_a_generator_uses_is_ascii(schema: dict[str, Any]) -> None:
    assert schema["info"]["title"] == "Party Admission Tracker API"
    assert schema["info"]["description"].startswith("Theo dõi phát triển đảng viên – API.")  # Vietnamese there
    names = list(schema["components"]["schemas"]) + list(schema["components"]["securitySchemes"])
    for _path, _method, operation in _operations(schema):
        names += [operation["operationId"], *operation.get("tags", [])]
        names += [parameter["name"] for parameter in operation.get("parameters", [])]
    for component in schema["components"]["schemas"].values():
        names += list(component.get("properties", {}))
    assert [name for name in names if not name.isascii() or not name.replace("_", "").isalnum()] == []

    titles: list[str] = []

    def collect(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("title"), str):
                titles.append(node["title"])
            for value in node.values():
                collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)

    collect(schema["paths"])
    collect(schema["components"])
    assert [title for title in titles if not title.isascii()] == []
    stage = schema["components"]["schemas"]["Candidate"]["properties"]["stage"]
    assert stage["description"] == "Bước"  # the label moved from title to description


def test_the_filter_parameters_are_typed_and_described(schema: dict[str, Any]) -> None:
    parameters = {p["name"]: p for p in schema["paths"][f"{API}/candidates/"]["get"]["parameters"]}
    for name in ("overdue", "include_closed"):
        assert parameters[name]["schema"] == {"type": "boolean"}
    assert "(Quá hạn)" in parameters["overdue"]["description"]
    assert parameters["stage"]["schema"] == {"$ref": "#/components/schemas/StageEnum"}
    assert "(Bước)" in parameters["stage"]["description"]
    assert all(parameter.get("description") for parameter in parameters.values()), parameters
    unread = schema["paths"][f"{API}/notifications/"]["get"]["parameters"]
    assert next(p for p in unread if p["name"] == "unread")["schema"] == {"type": "boolean"}
    kind = next(p for p in schema["paths"][f"{API}/organisations/"]["get"]["parameters"] if p["name"] == "kind")
    assert kind["schema"] == {"$ref": "#/components/schemas/OrganisationKindEnum"}


def test_the_token_is_declared_as_bearer_or_token(schema: dict[str, Any]) -> None:
    schemes = schema["components"]["securitySchemes"]
    assert schemes["bearerAuth"]["type"] == "http" and schemes["bearerAuth"]["scheme"] == "bearer"
    assert (schemes["tokenAuth"]["type"], schemes["tokenAuth"]["in"], schemes["tokenAuth"]["name"]) == (
        "apiKey",
        "header",
        "Authorization",
    )
    assert "Token <key>" in schemes["tokenAuth"]["description"]
    candidates = schema["paths"][f"{API}/candidates/"]["get"]
    assert candidates["security"] == [{"bearerAuth": []}, {"tokenAuth": []}, {"cookieAuth": []}]  # either one


def test_every_operation_documents_its_errors_with_the_error_model(schema: dict[str, Any]) -> None:
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path, method, operation in _operations(schema):
        responses = operation["responses"]
        expected = {"403", "406", "429", "500"}
        if any("bearerAuth" in requirement for requirement in operation.get("security", [])):
            expected.add("401")
        if "requestBody" in operation:
            expected |= {"400", "415"}
        assert expected <= set(responses), (method, path, sorted(responses))
        for code, reply in responses.items():
            if code >= "400":
                assert reply["content"] == error, (method, path, code)
                assert reply["description"], (method, path, code)
        assert "Retry-After" in responses["429"]["headers"]


def test_pagination_is_described(schema: dict[str, Any]) -> None:
    page = schema["components"]["schemas"]["PaginatedCandidateList"]
    assert "a page past the last one is 404" in page["description"]
    assert {name: bool(prop.get("description")) for name, prop in page["properties"].items()} == {
        "count": True,
        "next": True,
        "previous": True,
        "results": True,
    }
    assert "example.org" not in json.dumps(page)
    parameters = {p["name"]: p for p in schema["paths"][f"{API}/candidates/"]["get"]["parameters"]}
    assert parameters["page_size"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 200}
    assert "404" in schema["paths"][f"{API}/candidates/"]["get"]["responses"]


# --- Behaviour behind the document -----------------------------------------------------------


def test_it_accepts_the_token_as_bearer_and_as_token(alice: User, eve: User) -> None:
    key = api_tokens.token_rotate(acting_user=alice).key
    for header in (f"Bearer {key}", f"Token {key}", f"bearer {key}", f"token {key}"):
        assert Client(headers={"Authorization": header}).get(f"{API}/statistics/").status_code == 200, header
    for header in ("Bearer", f"Bearer {key} extra", f"Basic {key}", f"Bearer {'0' * 40}"):
        response = Client(headers={"Authorization": header}).get(f"{API}/statistics/")
        assert response.status_code == 401, header
        assert response.json()["errors"][0]["code"] in {"authentication_failed", "not_authenticated"}
    assert Client(headers={"Authorization": "Bearer"}).get(f"{API}/statistics/").json()["errors"][0]["message"] == (
        "Thiếu token sau Bearer."
    )


def test_yes_no_filters_take_booleans_and_the_old_values(
    tree: Tree, alice: User, introducers: list[PartyMember]
) -> None:
    a0 = _follow(alice, tree.branch_a, "Đặng Thị Ứng Viên")
    a10 = _follow(alice, tree.branch_a, "Hoàng Văn Quyết", "S10", introducers=introducers)
    api = _client(alice)

    for yes, no in (("true", "false"), ("1", "0")):
        assert _ids(api.get(f"{API}/candidates/", {"overdue": yes})) == [a10.pk]
        assert _ids(api.get(f"{API}/candidates/", {"overdue": no})) == [a0.pk]
        assert _ids(api.get(f"{API}/deadlines/", {"overdue": yes})) == [a10.pk]
        assert api.get(f"{API}/candidates/", {"include_closed": yes}).status_code == 200
        unread = api.get(f"{API}/notifications/", {"unread": yes}).json()["count"]
        assert unread == Notification.objects.filter(user=alice, read_at__isnull=True).count() > 0
    for bad in ("yes", "True", "2", ""):
        response = api.get(f"{API}/candidates/", {"overdue": bad})
        assert response.status_code == 400, bad
        assert response.json()["errors"][0]["params"] == {"field": "overdue"}


def test_out_of_scope_ids_are_treated_exactly_as_unknown_ones(tree: Tree, alice: User, bob: User) -> None:
    a0 = _follow(alice, tree.branch_a, "Đặng Thị Ứng Viên")
    b0 = _follow(bob, tree.branch_b, "Trịnh Văn Bê")
    api = _client(alice)

    # A filter: an empty page (200), as for an organisation that does not exist.
    for url in ("candidates", "people", "members", "deadlines"):
        outside = api.get(f"{API}/{url}/", {"organisation": tree.branch_b.pk})
        unknown = api.get(f"{API}/{url}/", {"organisation": UNKNOWN_ID})
        assert (outside.status_code, outside.json()["count"]) == (200, 0), url
        assert outside.json() == unknown.json(), url
    assert _ids(api.get(f"{API}/candidates/", {"organisation": tree.branch_a.pk})) == [a0.pk]

    # An object: 404, the same body as for an id that does not exist.
    for outside_url, unknown_url in (
        (f"candidates/{b0.pk}/", f"candidates/{UNKNOWN_ID}/"),
        (f"people/{b0.person_id}/", f"people/{UNKNOWN_ID}/"),
        (f"organisations/{tree.branch_b.pk}/", f"organisations/{UNKNOWN_ID}/"),
        (f"candidates/{b0.pk}/verifications/", f"candidates/{UNKNOWN_ID}/verifications/"),
    ):
        outside, unknown = api.get(f"{API}/{outside_url}"), api.get(f"{API}/{unknown_url}")
        assert (outside.status_code, unknown.status_code) == (404, 404), outside_url
        assert (
            outside.json()
            == unknown.json()
            == {"errors": [{"code": "not_found", "rule": "", "message": "Không tìm thấy.", "params": {}}]}
        )

    # An id in a body: 400 on that field, the same error (apart from the id) as for an unknown one.
    def person_in(organisation: int) -> Any:
        body = {"organisation": organisation, "full_name": "Lê Văn Mới", "gender": "M", "date_of_birth": "1990-01-01"}
        return api.post(f"{API}/people/", json.dumps(body), content_type="application/json")

    outside, unknown = person_in(tree.branch_b.pk), person_in(UNKNOWN_ID)
    assert (outside.status_code, unknown.status_code) == (400, 400)
    (outside_error,), (unknown_error,) = outside.json()["errors"], unknown.json()["errors"]
    assert outside_error["code"] == unknown_error["code"] == "does_not_exist"
    assert outside_error["params"] == unknown_error["params"] == {"field": "organisation"}
    assert outside_error["message"] == f"Không có đối tượng mã “{tree.branch_b.pk}”."
    assert not Person.objects.filter(full_name="Lê Văn Mới").exists()


def test_messages_are_in_the_users_language(tree: Tree, alice: User) -> None:
    _follow(alice, tree.branch_a, "Đặng Thị Ứng Viên")
    api = _client(alice)
    json_post = {"content_type": "application/json"}

    def message(response: Any, status: int) -> str:
        assert response.status_code == status, response.content
        return response.json()["errors"][0]["message"]  # type: ignore[no-any-return]

    vietnamese = {
        "page past the end": message(api.get(f"{API}/candidates/", {"page": 9}), 404),
        "no token": message(Client().get(f"{API}/candidates/"), 401),
        "not JSON": message(api.post(f"{API}/people/", "{oops", **json_post), 400),
        "media type": message(api.post(f"{API}/people/", "x=1", content_type="text/plain"), 415),
        "accept": message(api.get(f"{API}/candidates/", headers={"Accept": "text/html"}), 406),
        "wrong type": message(api.post(f"{API}/notifications/read/", json.dumps({"ids": "1"}), **json_post), 400),
        "body not an object": message(api.post(f"{API}/people/", "[]", **json_post), 400),
        "null": message(api.post(f"{API}/candidates/", json.dumps({"person": None}), **json_post), 400),
    }
    assert vietnamese == {
        "page past the end": "Không có trang này.",
        "no token": "Chưa gửi thông tin xác thực (token).",
        "not JSON": "Nội dung gửi lên không phải JSON hợp lệ (dòng 1, cột 2).",
        "media type": "Không hỗ trợ kiểu nội dung “text/plain”: hãy gửi JSON (Content-Type: application/json).",
        "accept": "Không đáp ứng được tiêu đề Accept của yêu cầu: API chỉ trả về JSON.",
        "wrong type": "Sai kiểu dữ liệu JSON.",
        "body not an object": "Dữ liệu không hợp lệ: cần một đối tượng JSON nhưng nhận được list.",
        "null": "Trường này không được là null.",
    }

    alice.preferred_language = "en"
    alice.save(update_fields=["preferred_language"])
    assert message(api.get(f"{API}/candidates/", {"page": 9}), 404) == "Invalid page."
    assert (
        message(api.post(f"{API}/people/", "{oops", **json_post), 400)
        == "The body is not valid JSON (line 1, column 2)."
    )


def test_a_server_error_is_json_in_the_error_format(alice: User, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(**kwargs: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(api_selectors, "statistics_counts", broken)
    key = api_tokens.token_rotate(acting_user=alice).key
    client = Client(headers={"Authorization": f"Bearer {key}"}, raise_request_exception=False)

    response = client.get(f"{API}/statistics/")

    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "errors": [
            {
                "code": "server_error",
                "rule": "",
                "message": "Lỗi máy chủ. Vui lòng thử lại sau hoặc báo cho quản trị viên.",
                "params": {},
            }
        ]
    }
