"""The real services of scripts/test, for the tests that drive them (tests/integration/test_faults.py,
tests/integration/admission/test_worker_end_to_end.py).

- A Celery worker process on the test Redis, sending to a local aiosmtpd inbox (fixtures
  `worker` and `smtp_inbox`).
- Redis: stop and start the redis-server that scripts/lib.sh `start_services` started
  (REDIS_PORT, REDIS_SERVER_BIN, TEST_WORKDIR).
- PostgreSQL: restart the throwaway cluster under $TEST_WORKDIR/pg with pg_ctl (as the postgres
  user when root, like scripts/lib.sh).
- A tiny WSGI client: unlike django.test.Client it keeps Django's request_started/finished
  connection handling (close_old_connections), so a request after a database restart reconnects
  exactly as under gunicorn.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import glob
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from django.test import Client, RequestFactory

from members.models import Gender, Organisation, Person, User

REPO = Path(__file__).resolve().parents[1]


def person(organisation: Organisation, full_name: str) -> Person:
    """A plain person (no CCCD) of `organisation`, saved (names normalised by Person.save)."""
    return Person.objects.create(
        organisation=organisation, full_name=full_name, date_of_birth=dt.date(1995, 6, 15), gender=Gender.FEMALE
    )


# --- Celery worker and SMTP inbox ---------------------------------------------------------------


class Inbox:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(envelope.content)
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp_inbox() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield inbox, controller.port
    controller.stop()


@pytest.fixture
def worker(smtp_inbox: tuple[Inbox, int]) -> Iterator[subprocess.Popen[bytes]]:
    """A real Celery worker on the redis-server of scripts/test, sending to `smtp_inbox`."""
    if not redis_available():
        pytest.skip("needs the redis-server started by scripts/test")
    _inbox, port = smtp_inbox
    with celery_worker(worker_log(), TRACKER_TEST_REAL_SMTP="1", EMAIL_URL=f"smtp://127.0.0.1:{port}") as process:
        yield process


@contextlib.contextmanager
def celery_worker(log_path: Path, *, queues: str = "", **env_extra: str) -> Iterator[subprocess.Popen[bytes]]:
    """A real Celery worker process on the test database and the redis-server of scripts/test,
    logging to `log_path`, consuming `queues` (all when empty); stopped on exit."""
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",  # the test database
        "CELERY_BROKER_URL": os.environ["REDIS_URL"],
        **env_extra,
    }
    queue_args = ["-Q", queues] if queues else []
    with open(log_path, "w+") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                *queue_args,
                "--pool=solo",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel=INFO",
            ],  # fmt: skip
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while "ready." not in log_path.read_text():
            assert process.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, "worker did not start"
            time.sleep(0.3)
        yield process
        process.terminate()
        process.wait(timeout=20)


def worker_log() -> Path:
    return Path(os.environ.get("TEST_WORKDIR", "/tmp")) / "worker.log"


def wait_for(condition: Any, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.3)
    return False


# --- Redis ---------------------------------------------------------------------------------------


def redis_stop() -> None:
    port = os.environ["REDIS_PORT"]
    subprocess.run(["redis-cli", "-p", port, "shutdown", "nosave"], check=False, capture_output=True)


def redis_start() -> None:
    port = os.environ["REDIS_PORT"]
    subprocess.run(
        [
            os.environ["REDIS_SERVER_BIN"],
            "--bind",
            "127.0.0.1",
            "--port",
            port,
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "yes",
            "--dir",
            os.environ.get("TEST_WORKDIR", "/tmp"),
        ],
        check=True,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        ping = subprocess.run(["redis-cli", "-p", port, "ping"], check=False, capture_output=True, text=True)
        if ping.stdout.strip() == "PONG":
            return
        time.sleep(0.1)
    raise AssertionError("redis-server did not come back")


def redis_available() -> bool:
    return all(os.environ.get(name) for name in ("REDIS_URL", "REDIS_PORT", "REDIS_SERVER_BIN"))


# --- PostgreSQL and a WSGI client ------------------------------------------------------------------


def pg_ctl_command() -> list[str] | None:
    """The pg_ctl command line for the cluster of scripts/test, or None when it is not there."""
    workdir = os.environ.get("TEST_WORKDIR")
    binaries = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if not workdir or not binaries or not (Path(workdir) / "pg" / "postmaster.pid").exists():
        return None
    as_db_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    return [*as_db_user, binaries[-1], "-D", str(Path(workdir) / "pg")]


def pg_restart(command: list[str]) -> subprocess.CompletedProcess[str]:
    """Fast restart (disconnects every session); pg_ctl reuses the options of postmaster.opts."""
    log = str(Path(command[-1]) / "server.log")
    return subprocess.run(
        [*command, "-l", log, "-m", "fast", "-w", "-t", "60", "restart"],
        check=True,
        capture_output=True,
        text=True,
        timeout=90,
    )


class WsgiClient:
    """Requests through Django's real WSGI handler, logged in as `user` (session cookie)."""

    def __init__(self, user: User) -> None:
        client = Client()
        client.force_login(user)
        self.cookies = {key: morsel.value for key, morsel in client.cookies.items()}
        self.cookies["csrftoken"] = "f" * 32  # any 32-character secret; the form sends the same
        self.handler = WSGIHandler()
        self.factory = RequestFactory()

    def request(self, method: str, path: str, data: dict[str, Any] | None = None) -> int:
        """The status code; the response is closed (request_finished) as a server would."""
        if method == "POST":
            environ = self.factory.post(path, {**(data or {}), "csrfmiddlewaretoken": "f" * 32}).environ
        else:
            environ = self.factory.get(path, data or {}).environ
        cookie = SimpleCookie()
        for key, value in self.cookies.items():
            cookie[key] = value
        environ["HTTP_COOKIE"] = cookie.output(header="", sep=";").strip()
        status: list[str] = []

        def start_response(code: str, headers: Any, exc_info: Any = None) -> Any:
            status.append(code)
            return lambda data: None

        response = self.handler(environ, start_response)
        try:
            for _chunk in response:
                pass
        finally:
            response.close()
        return int(status[0].split()[0])
