"""The embedded default (SQLite) holds under concurrent writers: WAL, IMMEDIATE transactions and a
busy timeout (config/settings/base.py SQLITE_OPTIONS).

The suite runs on PostgreSQL, so these tests open their own SQLite files through Django's SQLite
backend with the options of the settings, and compare them with SQLite's defaults.
"""

import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db.utils import ConnectionHandler, OperationalError

ROOT = Path(__file__).resolve().parents[2]


def _handler(path: Path, options: dict[str, Any]) -> ConnectionHandler:
    return ConnectionHandler(
        {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(path), "OPTIONS": options}}
    )


def _read_then_write(handler: ConnectionHandler, *, rounds: int, errors: list[str], start: threading.Barrier) -> None:
    """What update_or_create does inside a durable transaction: read the row, then write it."""
    connection = handler["default"]  # one connection per thread (ConnectionHandler is thread-local)
    start.wait()
    try:
        for _ in range(rounds):
            try:
                connection.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)
                with connection.cursor() as cursor:
                    cursor.execute("SELECT v FROM item WHERE k = 1")
                    cursor.fetchone()
                    time.sleep(0.002)  # the view's work between the read and the write
                    cursor.execute("UPDATE item SET v = v + 1 WHERE k = 1")
                connection.commit()
            except OperationalError as error:
                errors.append(str(error))
                connection.rollback()
            finally:
                connection.set_autocommit(True)
    finally:
        connection.close()


def _run_writers(path: Path, options: dict[str, Any], *, threads: int = 4, rounds: int = 25) -> tuple[list[str], int]:
    setup = _handler(path, options)["default"]
    with setup.cursor() as cursor:
        cursor.execute("CREATE TABLE item (k INTEGER PRIMARY KEY, v INTEGER NOT NULL)")
        cursor.execute("INSERT INTO item VALUES (1, 0)")
    setup.close()
    handler = _handler(path, options)
    errors: list[str] = []
    start = threading.Barrier(threads)
    workers = [
        threading.Thread(
            target=_read_then_write, args=(handler,), kwargs={"rounds": rounds, "errors": errors, "start": start}
        )
        for _ in range(threads)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    check = _handler(path, options)["default"]
    with check.cursor() as cursor:
        cursor.execute("SELECT v FROM item WHERE k = 1")
        total = cursor.fetchone()[0]
    check.close()
    return errors, total


@pytest.fixture
def _sqlite_allowed(django_db_blocker: Any) -> Any:
    with django_db_blocker.unblock():
        yield


@pytest.mark.usefixtures("_sqlite_allowed")
def test_it_serialises_read_then_write_transactions_without_locked_errors(tmp_path: Path) -> None:
    errors, total = _run_writers(tmp_path / "embedded.sqlite3", settings.SQLITE_OPTIONS)
    assert errors == []
    assert total == 4 * 25  # every write landed


@pytest.mark.usefixtures("_sqlite_allowed")
def test_sqlite_defaults_answer_database_is_locked_to_the_same_writers(tmp_path: Path) -> None:
    """The failure the options remove (deferred transactions: the read lock cannot be upgraded)."""
    errors, total = _run_writers(tmp_path / "default.sqlite3", {"init_command": "PRAGMA journal_mode=WAL"})
    assert errors
    assert all("locked" in error for error in errors)
    assert total == 4 * 25 - len(errors)


@pytest.mark.usefixtures("_sqlite_allowed")
def test_it_opens_the_database_in_wal_mode_with_a_busy_timeout(tmp_path: Path) -> None:
    connection = _handler(tmp_path / "embedded.sqlite3", settings.SQLITE_OPTIONS)["default"]
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] >= 10_000
    assert connection.transaction_mode == "IMMEDIATE"
    connection.close()


def test_the_embedded_default_database_gets_the_options(tmp_path: Path) -> None:
    """Without DATABASE_URL the settings use SQLite under var/ with the options; PostgreSQL gets none."""
    code = "from django.conf import settings; import json; print(json.dumps(settings.DATABASES['default']['OPTIONS']))"
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env |= {"DJANGO_SETTINGS_MODULE": "config.settings.dev", "TRACKER_VAR_DIR": str(tmp_path)}
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert '"transaction_mode": "IMMEDIATE"' in result.stdout
    assert "journal_mode=WAL" in result.stdout
    assert settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3"
    assert "transaction_mode" not in settings.DATABASES["default"].get("OPTIONS", {})


def test_the_embedded_broker_polls_often_and_prefetches(tmp_path: Path) -> None:
    """kombu's filesystem transport sleeps its polling interval whenever the queue is empty (between
    every two tasks with one prefetched): at the default 1 s a province's 200 digests took minutes
    (bench/celery_transport.py measures it)."""
    code = (
        "from config.celery import app; connection = app.connection_for_write(); "
        "print(connection.transport_cls, connection.transport.polling_interval, app.conf.worker_prefetch_multiplier)"
    )
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL"}}
    env |= {"DJANGO_SETTINGS_MODULE": "config.settings.dev", "TRACKER_VAR_DIR": str(tmp_path)}
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    transport, interval, prefetch = result.stdout.split()
    assert transport == "filesystem"
    assert float(interval) <= 0.05
    assert int(prefetch) >= 4  # takes the next digests while one is sent, instead of idling between them
