"""Property-based tests of the whole API against its own OpenAPI document (schemathesis).

The schema is loaded in-process from the Django WSGI application; every operation is called with
generated valid and invalid input (examples, coverage and fuzzing phases) on the real PostgreSQL
test database, authenticated with the token of Carol (committee staff of C: she edits branches A
and B and records the grassroots committee's resolutions), with candidates at several stages.
Generated ids are mostly pointed at real rows so that the steps, returns and updates reach the
services instead of stopping at 404.

Every response must conform to the schema (status code, content type, body), there must never
be a 5xx, and schema-invalid input must be refused. `positive_data_acceptance` is not checked:
input the schema allows is still refused by the rules (dates, stages, scope), by design.
Bounded for CI: at most MAX_EXAMPLES fuzzed examples per operation plus the coverage cases (about
2,300 requests for the 22 operations, about a minute on 2 cores), derandomized, no example database.
"""

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import schemathesis
import time_machine
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from admission import services
from admission.devdata.demo import at, walk_to
from admission.models import Candidate, Notification
from admission.workflow import steps_for
from members import api_tokens
from members.models import PartyMember, User
from tests.conftest import Tree
from tests.factories import PersonFactory

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
START = dt.date(2025, 1, 6)
NOW = dt.datetime(2025, 10, 20, 10, 0, tzinfo=TZ)
MAX_EXAMPLES = 40

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
# The token is sent explicitly; generated Authorization headers would only test 401.
schema.config.generation.update(with_security_parameters=False)


@dataclass
class World:
    headers: dict[str, str]
    ids: dict[str, list[int]] = field(default_factory=dict)  # kind of row -> real ids

    def aim(self, kind: str, value: Any) -> Any:
        """Most generated ids become real rows; one in eight stays as generated (usually a 404)."""
        rows = self.ids.get(kind)
        if isinstance(value, str) and value.isascii() and value.isdigit():
            value = int(value)
        if not rows or isinstance(value, bool) or not isinstance(value, int) or value % 8 == 7:
            return value
        return rows[value % len(rows)]


@pytest.fixture
def in_process_wsgi() -> Iterator[None]:
    """Keep the test's database connection (and its transaction) across in-process WSGI calls.

    The WSGI handler closes "old" connections when a request starts and finishes, which inside
    the test's transaction means closing it; Django's test client disconnects the same handler.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def world(in_process_wsgi: None, tree: Tree, alice: User, carol: User, introducers: list[PartyMember]) -> World:
    """Branch A with a candidate at each of several stages (S9 is Carol's to act on), people not
    followed yet, branch B, and notifications for Carol."""
    with time_machine.travel(NOW, tick=False):
        candidates = []
        for index, stage in enumerate(("S0", "S1", "S3", "S5", "S8", "S9", "S10", "S11")):
            person = PersonFactory(organisation=tree.branch_a, full_name=f"Nguyễn Văn Thử {chr(65 + index)}")
            candidate = services.candidate_create(acting_user=alice, person=person, now=at(START))
            candidates.append(walk_to(candidate, stage, user=alice, introducers=introducers, start=START))
        free = [PersonFactory(organisation=branch, full_name=f"Trần Thị Mới {i}") for i, branch in
                enumerate((tree.branch_a, tree.branch_a, tree.branch_b))]  # fmt: skip
        token = api_tokens.token_rotate(acting_user=carol)
        Notification.objects.filter(user=alice).update(user=carol)
    return World(
        # identity: the WSGI transport hands the body over as sent, and pages are gzipped when the
        # client accepts it (GZipMiddleware), which real HTTP clients undo themselves.
        headers={"Authorization": f"Token {token.key}", "Accept-Encoding": "identity"},
        ids={
            "candidates": [c.pk for c in candidates],
            "people": [c.person_id for c in candidates] + [p.pk for p in free],
            "free_people": [p.pk for p in free],
            "members": [m.pk for m in introducers],
            "organisations": [tree.branch_a.pk, tree.branch_b.pk, tree.committee.pk],
            "branches": [tree.branch_a.pk, tree.branch_b.pk],
            "notifications": list(Notification.objects.filter(user=carol).values_list("pk", flat=True)),
        },
    )


def _aim_at_real_rows(case: Any, world: World) -> None:
    """Point generated ids at real rows, and most valid step bodies at the candidate's real stage,
    so that generated input reaches the services and not only the 404 and validation paths."""
    collection = case.path.removeprefix("/api/v1/").split("/", 1)[0]
    path, body, query = case.path_parameters, case.body, case.query
    if path and "id" in path:
        path["id"] = world.aim(collection, path["id"])
    if isinstance(query, dict):
        for key in ("organisation", "parent"):
            if key in query:
                query[key] = world.aim("organisations", query[key])
    if not isinstance(body, dict):
        return
    if "person" in body:
        body["person"] = world.aim("free_people", body["person"])
    if "organisation" in body:
        body["organisation"] = world.aim("branches", body["organisation"])
    if isinstance(body.get("ids"), list):
        body["ids"] = [world.aim("notifications", value) for value in body["ids"]]
    negative = case.meta is not None and case.meta.generation.mode.is_negative
    if negative:
        return
    if collection == "people" and len(str(body)) % 2 == 0:  # half of them: a name and no CCCD, usually valid
        body.pop("cccd", None)
        if isinstance(body.get("full_name"), str):
            body["full_name"] = f"Nguyễn {body['full_name']}"[:120]
    if "step_key" not in (path or {}) or not isinstance(path.get("id"), int):
        return
    candidate = Candidate.objects.filter(pk=path["id"]).first()
    steps = steps_for(candidate.stage_enum) if candidate else []
    if steps:
        step = steps[len(str(body)) % len(steps)]
        path["step_key"] = step.key
        allowed = {"on_date", "note", *step.extra_fields, "basis" if step.kind != "vote" else "vote"}
        allowed |= {"vote"} if step.committee_vote else set()
        for key in set(body) - allowed:
            del body[key]
        if len(str(body)) % 2 == 0:
            body["on_date"] = NOW.date().isoformat()


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_conforms_to_its_schema_and_never_fails(case: Any, world: World) -> None:
    _aim_at_real_rows(case, world)
    with time_machine.travel(NOW, tick=False):
        response = case.call_and_validate(headers=world.headers, excluded_checks=[positive_data_acceptance])
    assert response.status_code < 500
