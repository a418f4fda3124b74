"""The API's verification acts (/api/v1/candidates/{id}/verifications/…): the same services,
reason codes and scoping as the candidate page."""

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from admission import services
from admission.devdata.demo import at, walk_to
from admission.models import Candidate, VerificationRequest
from members import api_tokens
from members.models import User
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
START = dt.date(2025, 1, 6)
API = "/api/v1"


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with time_machine.travel(dt.datetime(2025, 6, 20, 10, 0, tzinfo=TZ), tick=False):
        yield


@pytest.fixture
def s6(tree, alice, introducers) -> Candidate:  # type: ignore[no-untyped-def]
    person = PersonFactory(organisation=tree.branch_a, full_name="Hoàng Văn Thẩm")
    candidate = services.candidate_create(acting_user=alice, person=person, now=at(START))
    return walk_to(candidate, "S6", user=alice, introducers=introducers, start=START)


def _api(user: User) -> Client:
    return Client(headers={"Authorization": f"Token {api_tokens.token_rotate(acting_user=user).key}"})


def _post(client: Client, url: str, data: object) -> Any:
    return client.post(url, data=json.dumps(data), content_type="application/json")


def _codes(response: Any) -> list[str]:
    return [error["code"] for error in response.json()["errors"]]


NEW = {"subject": "Bố đẻ", "addressee": "Đảng ủy xã Thử", "sent_on": "2025-05-06", "received_on": "2025-05-08"}
REPLY = {"replied_on": "2025-06-10", "reply_number": "123-CV", "outcome": "clear"}


def test_the_secretary_adds_answers_and_lists_requests(s6, alice) -> None:  # type: ignore[no-untyped-def]
    client = _api(alice)
    base = f"{API}/candidates/{s6.pk}/verifications/"
    created = _post(client, base, NEW)
    assert created.status_code == 201, created.content
    body = created.json()
    # 30 working days from Thu 08/05/2025: Thu 19/06/2025, the day before today.
    assert (body["state"], body["reply_due"], body["overdue"]) == ("open", "2025-06-19", True)
    again = _post(client, base, {**NEW, "subject": "BỐ ĐẺ"})
    assert again.status_code == 400 and _codes(again) == ["verification_already_open"]
    assert again.json()["errors"][0]["params"]["id"] == body["id"]

    step = _post(client, f"{API}/candidates/{s6.pk}/steps/verification/", {"on_date": "2025-06-20"})
    assert step.status_code == 400 and _codes(step) == ["verification_open"]
    (named,) = step.json()["errors"][0]["params"]["requests"]
    assert (named["id"], named["subject"], named["sent_on"]) == (body["id"], "Bố đẻ", "2025-05-06")

    wrong = _post(client, f"{base}{body['id']}/reply/", {**REPLY, "replied_on": "2025-05-01"})
    assert wrong.status_code == 400 and _codes(wrong) == ["date_order"]
    reply = _post(client, f"{base}{body['id']}/reply/", REPLY)
    assert reply.status_code == 200, reply.content
    assert (reply.json()["state"], reply.json()["reply_number"]) == ("answered", "123-CV")
    fixed = _post(client, f"{base}{body['id']}/correct/", {**REPLY, "reply_number": "124-CV", "reason": "Sai số"})
    assert fixed.status_code == 200 and fixed.json()["reply_number"] == "124-CV"
    listed = client.get(base)
    assert listed.status_code == 200 and [r["state"] for r in listed.json()] == ["answered"]
    step = _post(client, f"{API}/candidates/{s6.pk}/steps/verification/", {"on_date": "2025-06-20"})
    assert step.status_code == 200 and step.json()["moved"] is True


def test_cancel_needs_a_reason_and_a_scan_must_be_the_candidates(s6, alice) -> None:  # type: ignore[no-untyped-def]
    client = _api(alice)
    item = services.verification_record(
        acting_user=alice, candidate=s6, subject="Mẹ", addressee="X", sent_on=dt.date(2025, 5, 6),
        received_on=dt.date(2025, 5, 8),
    )  # fmt: skip
    base = f"{API}/candidates/{s6.pk}/verifications/{item.pk}"
    assert _codes(_post(client, f"{base}/cancel/", {"reason": " "})) == ["blank"]
    unknown_scan = _post(client, f"{base}/reply/", {**REPLY, "scan": 999999})
    assert unknown_scan.status_code == 400
    assert unknown_scan.json()["errors"][0]["code"] == "does_not_exist"  # as every unknown id in a body
    cancelled = _post(client, f"{base}/cancel/", {"reason": "Gửi nhầm"})
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    assert _codes(_post(client, f"{base}/reply/", REPLY)) == ["verification_not_open"]
    assert _post(client, f"{API}/candidates/{s6.pk}/verifications/999999/reply/", REPLY).status_code == 404


@pytest.mark.parametrize(("persona", "status"), [("bob", 404), ("eve", 403), ("gina", 400)])
def test_others_are_refused(s6, alice, persona, status, request) -> None:  # type: ignore[no-untyped-def]
    item = services.verification_record(
        acting_user=alice, candidate=s6, subject="Mẹ", addressee="X", sent_on=dt.date(2025, 5, 6),
        received_on=dt.date(2025, 5, 8),
    )  # fmt: skip
    client = _api(request.getfixturevalue(persona))
    response = _post(client, f"{API}/candidates/{s6.pk}/verifications/{item.pk}/reply/", REPLY)
    assert response.status_code == status
    if status == 400:
        assert _codes(response) == ["verification_body"]
    assert _post(client, f"{API}/candidates/{s6.pk}/verifications/", {**NEW, "subject": "Vợ"}).status_code == status
    item.refresh_from_db()
    assert item.is_open and VerificationRequest.objects.count() == 1
