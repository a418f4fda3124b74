"""`path__startswith_any` (members/lookups.py): one lookup for "below any of these organisations",
on PostgreSQL (LIKE ANY of one array) and on SQLite (the embedded default: an OR of LIKE)."""

from __future__ import annotations

import sqlite3

import pytest
from django.db.backends.sqlite3.base import DatabaseWrapper as SQLiteWrapper
from django.db.models import Q

from members.models import Organisation, OrganisationKind

PATHS = ["/1/", "/1/2/", "/1/2/5/", "/1/20/", "/1/3/", "/1/3_/", "/1/3%/", "/1/4\\/"]


@pytest.fixture
def tree(db) -> dict[str, Organisation]:  # type: ignore[no-untyped-def]
    organisations = {}
    for index, path in enumerate(PATHS):
        organisation = Organisation.objects.create(
            kind=OrganisationKind.BRANCH if index else OrganisationKind.PROVINCE,
            name=f"Tổ chức {index}",
            code=f"T{index}",
        )
        Organisation.objects.filter(pk=organisation.pk).update(path=path)  # paths chosen, not computed
        organisations[path] = organisation
    return organisations


def _paths(condition: Q) -> list[str]:
    return sorted(Organisation.objects.filter(condition).values_list("path", flat=True))


@pytest.mark.parametrize(
    ("prefixes", "expected"),
    [
        (["/1/2/"], ["/1/2/", "/1/2/5/"]),  # the organisation itself and those below, not /1/20/
        (["/1/2/", "/1/3/"], ["/1/2/", "/1/2/5/", "/1/3/"]),
        (["/1/3_/"], ["/1/3_/"]),  # "_" is a character, not LIKE's any-one-character
        (["/1/3%/"], ["/1/3%/"]),  # "%" likewise
        (["/1/4\\/"], ["/1/4\\/"]),  # and the escape character itself
        (["/9/"], []),
    ],
)
def test_below_any_of_the_prefixes(tree, prefixes: list[str], expected: list[str]) -> None:  # type: ignore[no-untyped-def]
    assert _paths(Q(path__startswith_any=prefixes)) == expected
    assert _paths(~Q(path__startswith_any=prefixes)) == sorted(set(PATHS) - set(expected))


def test_an_empty_list_matches_nothing_and_its_negation_everything(tree) -> None:  # type: ignore[no-untyped-def]
    assert _paths(Q(path__startswith_any=[])) == []
    assert _paths(~Q(path__startswith_any=[])) == sorted(PATHS)


def test_across_a_relation(tree) -> None:  # type: ignore[no-untyped-def]
    child = Organisation.objects.create(kind=OrganisationKind.BRANCH, name="Con", code="C1", parent=tree["/1/2/5/"])
    found = Organisation.objects.filter(parent__path__startswith_any=["/1/2/"]).values_list("pk", flat=True)
    assert list(found) == [child.pk]


def test_the_same_answers_on_sqlite() -> None:
    """The SQL written for SQLite, run by SQLite on the same paths."""
    wrapper = SQLiteWrapper({**_sqlite_settings(), "NAME": ":memory:"}, alias="sqlite-lookup-test")
    database = sqlite3.connect(":memory:")
    database.execute('CREATE TABLE "members_organisation" ("path" varchar(255))')
    database.executemany('INSERT INTO "members_organisation" VALUES (?)', [(path,) for path in PATHS])
    for prefixes, expected in [
        (["/1/2/"], ["/1/2/", "/1/2/5/"]),
        (["/1/3_/", "/1/3%/"], ["/1/3%/", "/1/3_/"]),
        (["/1/4\\/"], ["/1/4\\/"]),
    ]:
        query = Organisation.objects.filter(path__startswith_any=prefixes).values_list("path", flat=True).query
        sql, params = query.get_compiler(connection=wrapper).as_sql()
        assert "LIKE ANY" not in sql
        sqlite_sql = sql.replace("%s", "?")  # what the SQLite backend's cursor does to the placeholders
        assert sorted(row[0] for row in database.execute(sqlite_sql, params)) == expected


def _sqlite_settings() -> dict[str, object]:
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "OPTIONS": {},
        "TIME_ZONE": None,
        "CONN_MAX_AGE": 0,
        "CONN_HEALTH_CHECKS": False,
        "AUTOCOMMIT": True,
        "ATOMIC_REQUESTS": False,
        "TEST": {},
        "USER": "",
        "PASSWORD": "",
        "HOST": "",
        "PORT": "",
    }


def test_one_prefix_is_read_through_the_path_index(tree) -> None:  # type: ignore[no-untyped-def]
    """A single prefix (a commune's queue) must reach the path's prefix index: PostgreSQL never uses it
    for `LIKE ANY`, and read all 310,000 organisations of the national preset instead (36 ms a query)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # the table is tiny here: ask what it *can* use
    plan = Organisation.objects.filter(path__startswith_any=["/1/2/"]).explain()
    assert "org_path_prefix" in plan, plan
