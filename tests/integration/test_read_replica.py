"""The read replica against a real streaming standby (scripts/lib.sh starts it next to the primary).

The suite's other tests run on the primary alone; here the "replica" database is the standby's copy
of the test database (a test mirror, so Django neither creates nor flushes it there), and the tests
are transactional: rows are committed, so they really replicate. Pausing the standby's replay
makes the difference between the two servers visible: a read that shows the paused state came
from the replica, one that shows the new row came from the primary.
"""

from __future__ import annotations

import copy
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import environ
import pytest
from django.db import connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from config.replica import RECORD_END_SQL, REPLICA, STICKY_KEY, primary_position
from members import api_tokens
from members.models import Person, User
from tests.conftest import Tree
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", REPLICA])

API = "/api/v1"


@pytest.fixture(scope="module", autouse=True)
def replica_alias(django_db_setup: None) -> Iterator[None]:
    """The "replica" database: the standby's copy of the test database (created on the primary)."""
    url = os.environ.get("TEST_DATABASE_REPLICA_URL")
    if not url:
        pytest.skip("no streaming standby: run through scripts/test, which starts one")
    standby = environ.Env.db_url_config(url)
    settings_dict = copy.deepcopy(connections["default"].settings_dict)  # NAME is the test database's
    settings_dict.update(HOST=standby["HOST"], PORT=standby["PORT"])
    settings_dict["TEST"] = {**settings_dict["TEST"], "MIRROR": "default"}
    connections.settings[REPLICA] = settings_dict
    yield
    connections[REPLICA].close()
    del connections[REPLICA]
    del connections.settings[REPLICA]


def _one(alias: str, sql: str, params: list[Any] | None = None) -> Any:
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.fetchone()[0]


def replica_caught_up(timeout: float = 60) -> None:
    # Generous: under a loaded machine's I/O the standby may replay seconds behind.
    position = primary_position()
    deadline = time.monotonic() + timeout
    while not _one(REPLICA, "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [position]):
        assert time.monotonic() < deadline, "the standby did not replay the primary's writes"
        time.sleep(0.02)


@contextmanager
def replay_paused() -> Iterator[None]:
    """The standby keeps receiving WAL but applies none of it until the block ends."""
    replica_caught_up()
    _one(REPLICA, "SELECT pg_wal_replay_pause()::text")
    deadline = time.monotonic() + 15
    while _one(REPLICA, "SELECT pg_get_wal_replay_pause_state()") != "paused":
        assert time.monotonic() < deadline
        time.sleep(0.02)
    try:
        yield
    finally:
        _one(REPLICA, "SELECT pg_wal_replay_resume()::text")


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _names(response: Any) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["full_name"] for row in response.json()["results"]}


@contextmanager
def captured() -> Iterator[dict[str, CaptureQueriesContext]]:
    with CaptureQueriesContext(connections["default"]) as primary, CaptureQueriesContext(connections[REPLICA]) as rep:
        yield {"default": primary, REPLICA: rep}


def _sql(capture: CaptureQueriesContext) -> str:
    return "\n".join(query["sql"] for query in capture.captured_queries)


@pytest.mark.parametrize(
    ("insert", "record_end"),
    [
        ("0/2A5F3B8", "0/2A5F3B8"),  # inside a page: the insert position itself
        ("0/2A60018", "0/2A60000"),  # 24 bytes into a page (0x2A60000 = 5,424 × 8,192): its short header
        ("0/3000028", "0/3000000"),  # 40 bytes into a 16 MB segment: its long header
    ],
)
def test_the_primary_position_is_the_end_of_its_last_record(insert: str, record_end: str) -> None:
    """A standby's replay position stops at a page boundary when a record ends there; the insert
    position has already skipped the next page's header (config.replica.RECORD_END_SQL)."""
    assert _one("default", RECORD_END_SQL.format(lsn="%s::pg_lsn"), [insert]) == record_end


def test_the_replica_is_a_hot_standby_of_the_primary() -> None:
    assert _one(REPLICA, "SELECT pg_is_in_recovery()") is True
    assert _one("default", "SELECT pg_is_in_recovery()") is False
    assert _one(REPLICA, "SELECT current_database()") == connections["default"].settings_dict["NAME"]


def test_a_statistics_page_is_read_from_the_replica_and_the_write_from_the_primary(
    tree: Tree, carol: User, settings: Any
) -> None:
    settings.STATISTICS_CACHE_SECONDS = 0  # computed on every view, never served from the cache
    PersonFactory.create_batch(3, organisation=tree.branch_a)
    replica_caught_up()
    client = _client(carol)
    page = reverse("statistics_organisation", args=[tree.committee.pk])

    with captured() as queries:
        response = client.get(page)
    assert response.status_code == 200
    # The figures' queries ran on the standby; the primary only answered for the session and user.
    assert "admission_stagetransition" in _sql(queries[REPLICA]) and "members_partymember" in _sql(queries[REPLICA])
    assert "admission_stagetransition" not in _sql(queries["default"])
    assert "members_partymember" not in _sql(queries["default"])

    # The Excel export writes its audit record: the write goes to the primary, in its transaction.
    with captured() as queries:
        export = client.get(reverse("statistics_export", args=[tree.committee.pk]))
    assert export.status_code == 200
    assert 'INSERT INTO "members_auditlog"' in _sql(queries["default"])
    assert "INSERT" not in _sql(queries[REPLICA])
    assert "members_partymember" in _sql(queries[REPLICA])


def test_other_users_read_the_replica_and_the_acting_user_their_own_write(tree: Tree, alice: User, carol: User) -> None:
    people = f"{API}/people/"
    replica_caught_up()
    author, reader = _client(alice), _client(carol)
    assert "Hà Văn Mới" not in _names(author.get(people))

    with replay_paused():
        created = author.post(
            people,
            data=json.dumps(
                {
                    "organisation": tree.branch_a.pk,
                    "full_name": "Hà Văn Mới",
                    "date_of_birth": "1990-01-01",
                    "gender": "M",
                }
            ),
            content_type="application/json",
        )
        assert created.status_code == 201, created.content
        assert Person.objects.filter(full_name="Hà Văn Mới").exists()  # committed on the primary

        # The author reads the list from the primary: the standby has not replayed their write.
        with captured() as queries:
            assert "Hà Văn Mới" in _names(author.get(people))
        assert "members_person" in _sql(queries["default"]) and "members_person" not in _sql(queries[REPLICA])

        # Carol (same scope) reads the standby, paused before the write: not there yet.
        with captured() as queries:
            assert "Hà Văn Mới" not in _names(reader.get(people))
        assert "members_person" in _sql(queries[REPLICA]) and "members_person" not in _sql(queries["default"])

        # What does not opt in (one person, not a list) reads the primary for everyone.
        person = Person.objects.get(full_name="Hà Văn Mới")
        assert reader.get(f"{people}{person.pk}/").json()["full_name"] == "Hà Văn Mới"

    replica_caught_up()
    assert "Hà Văn Mới" in _names(reader.get(people))
    # Once the standby has replayed it, the author reads from the standby again.
    with captured() as queries:
        assert "Hà Văn Mới" in _names(author.get(people))
    assert "members_person" in _sql(queries[REPLICA]) and "members_person" not in _sql(queries["default"])


def test_an_api_token_user_reads_their_own_write_too(tree: Tree, alice: User) -> None:
    from django.core.cache import cache

    key = api_tokens.token_rotate(acting_user=alice).key
    client = Client(HTTP_AUTHORIZATION=f"Token {key}")  # no session: the user comes from the token
    with replay_paused():
        response = client.patch(
            f"{API}/people/{PersonFactory(organisation=tree.branch_a).pk}/",
            data=json.dumps({"phone": "0900000001"}),
            content_type="application/json",
        )
        assert response.status_code == 200, response.content
        assert cache.get(STICKY_KEY.format(alice.pk))  # the primary's position after the write
        assert any(row["phone"] == "0900000001" for row in client.get(f"{API}/people/").json()["results"])


def test_an_unreachable_replica_is_skipped(tree: Tree, carol: User, unused_port: int) -> None:
    PersonFactory(organisation=tree.branch_a, full_name="Đỗ Thị Chính")
    settings_dict = connections.settings[REPLICA]
    real_port = settings_dict["PORT"]
    connections[REPLICA].close()
    settings_dict["PORT"] = unused_port
    try:
        with CaptureQueriesContext(connections["default"]) as primary:
            response = _client(carol).get(f"{API}/people/")
        assert "Đỗ Thị Chính" in _names(response)  # no error, and the row written just now
        assert "members_person" in _sql(primary)
    finally:
        connections[REPLICA].close()
        settings_dict["PORT"] = real_port


def test_outsiders_are_refused_with_the_replica_on(tree: Tree, oscar: User, bob: User) -> None:
    replica_caught_up()
    assert _client(oscar).get(reverse("statistics_organisation", args=[tree.committee.pk])).status_code == 404
    assert _client(bob).get(reverse("statistics_organisation", args=[tree.branch_a.pk])).status_code == 404
    assert _client(bob).get(f"{API}/people/{PersonFactory(organisation=tree.branch_a).pk}/").status_code == 404


@pytest.fixture
def unused_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
