"""Without DATABASE_REPLICA_URL nothing changes: the router answers None (Django's own routing),
`reading_from_replica()` is a no-op and the middleware writes nothing. With it, settings refuse a
SQLite primary. (The replica itself: tests/integration/test_read_replica.py, on a real standby.)"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from django.db import connections

from config.replica import REPLICA, ReplicaRouter, read_connection, reading_from_replica, replica_configured
from members.models import Person

REPO = Path(__file__).resolve().parents[2]


def test_without_a_replica_the_router_leaves_routing_to_django() -> None:
    assert not replica_configured()
    router = ReplicaRouter()
    assert router.db_for_read(Person) is None
    assert router.db_for_write(Person) is None
    assert router.allow_migrate("default", "members") is None
    assert router.allow_migrate(REPLICA, "members") is False
    with reading_from_replica(user=None) as on_replica:
        assert on_replica is False
        assert router.db_for_read(Person) is None
        assert read_connection() is connections["default"]


def _settings_with(**env: str) -> subprocess.CompletedProcess[str]:
    code = "from django.conf import settings; print(sorted(settings.DATABASES), settings.DATABASE_ROUTERS)"
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=REPO,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.base", "DJANGO_SECRET_KEY": "x", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_settings_add_the_replica_only_when_configured() -> None:
    primary = "postgres://tracker@127.0.0.1:5432/tracker"
    without = _settings_with(DATABASE_URL=primary)
    assert without.returncode == 0, without.stderr
    assert without.stdout.startswith("['default']")
    with_replica = _settings_with(
        DATABASE_URL=primary, DATABASE_REPLICA_URL="postgres://tracker@127.0.0.1:5433/tracker"
    )
    assert with_replica.returncode == 0, with_replica.stderr
    assert with_replica.stdout.startswith("['default', 'replica']")
    on_sqlite = _settings_with(DATABASE_URL="sqlite:////tmp/x.sqlite3", DATABASE_REPLICA_URL="postgres://h/db")
    assert on_sqlite.returncode != 0
    assert "DATABASE_REPLICA_URL needs PostgreSQL" in on_sqlite.stderr
