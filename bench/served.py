"""Pages timed as production serves them: gunicorn (one sync worker, `config.settings.test`: DEBUG off,
no second factor, persistent database connection as in base settings) over HTTP on 127.0.0.1.

Why beside the test client of bench/test_pages.py: inside pytest the same request runs ~40 % slower
in Python (the settings page: 2.8 ms of CPU under pytest, 1.9 ms in a plain process, the same 8,246
function calls; the branch board 15 against 9.8 ms), so the test client's wall time says more about
the benchmark's process than about the page. A served page is what a user's browser waits for (less
the network): request parsing, WSGI, middleware, view, template and response, in a process that does
nothing else. The client opens one connection per request (gunicorn's sync worker closes it after
the response), and reads the whole body before the clock stops.

Used by bench/test_pages.py (the "served" columns) and on its own against a kept dataset
(`scripts/dataset --keep` or `LOAD_KEEP=1 scripts/load`), e.g. the largest province of the national
preset without generating it again:

    DJANGO_SETTINGS_MODULE=config.settings.test DATABASE_URL=postgres://… \\
        .venv/bin/python -m bench.served --province 1 [--pages floor,board,stats_province] [--runs 30] [--rounds 5]

The host's speed is measured beside every timing (`host_probe_ms`): this benchmark runs on a shared
virtual machine whose speed swings with its neighbours' load (the probe took 20 to 73 ms within
minutes on 07/12/2026, and the floor page 2.7 to 8.0 ms with it). A figure is only comparable with
another taken at the same host speed, so each carries it; `--rounds` repeats the whole set and reports
the median over every round and over the rounds in which the host ran at its nominal speed (the probe
within `NOMINAL_SLACK` of `REFERENCE_PROBE_MS`, or of the fastest probe of the run if it was faster).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
WARM_UP = 2
NOMINAL_SLACK = 1.2  # a round counts as "host at nominal speed" when its probe is within 20 % of the reference
# The probe's time on the benchmark's machine when its neighbours are quiet (2-core VM: 20.2 ms, the fastest seen on
# 07/12/2026); another machine sets its own with BENCH_HOST_PROBE_MS.
REFERENCE_PROBE_MS = float(os.environ.get("BENCH_HOST_PROBE_MS", "20"))

# A fixed piece of pure Python of the kind a page runs (building dicts and strings), timed in a fresh
# interpreter so that the caller's process (pytest or not) does not change it: best of 5, in ms.
_PROBE = """
import time
best = 1e9
for _ in range(5):
    started = time.perf_counter()
    built = {}
    for i in range(100000):
        built[str(i)] = i * 2
    "".join(built)
    best = min(best, time.perf_counter() - started)
print(best * 1000)
"""


def host_probe_ms() -> float:
    """How fast the host runs Python right now: the time of `_PROBE` (lower is faster)."""
    result = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, check=True)  # noqa: S603
    return float(result.stdout)


@dataclass
class Timing:
    median_ms: float
    p95_ms: float
    runs: int
    bytes: int
    host_ms: float = 0.0  # the slower of the host probes taken just before and just after (`host_probe_ms`)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def database_url(settings_dict: dict[str, Any]) -> str:
    """The DATABASE_URL of a Django database's settings (the benchmark's test database)."""
    user = quote(settings_dict.get("USER") or "")
    password = settings_dict.get("PASSWORD") or ""
    credentials = f"{user}:{quote(password)}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    return f"postgres://{credentials}{host}{port}/{quote(settings_dict['NAME'])}"


class Server:
    """A running gunicorn; `time()` requests a page as the session `session_key`."""

    def __init__(self, port: int, cookie_name: str) -> None:
        self.port, self.cookie_name = port, cookie_name

    def get(self, path: str, session_key: str = "") -> tuple[int, bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        try:
            headers = {"Cookie": f"{self.cookie_name}={session_key}"} if session_key else {}
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def time(self, path: str, session_key: str, runs: int) -> Timing:
        before = host_probe_ms()
        times: list[float] = []
        size = 0
        for index in range(runs + WARM_UP):
            started = time.perf_counter()
            status, body = self.get(path, session_key)
            elapsed = (time.perf_counter() - started) * 1000
            if status != 200:
                raise AssertionError(f"{path}: HTTP {status} from gunicorn")
            size = len(body)
            if index >= WARM_UP:
                times.append(elapsed)
        times.sort()
        host = max(before, host_probe_ms())
        return Timing(statistics.median(times), times[max(int(len(times) * 0.95) - 1, 0)], runs, size, host)


@contextlib.contextmanager
def gunicorn(database: str, *, cookie_name: str = "sessionid") -> Iterator[Server]:
    """gunicorn serving `database` (a DATABASE_URL) with the statistics figures cache off, stopped on exit."""
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database,
        "DATABASE_CONN_MAX_AGE": os.environ.get("DATABASE_CONN_MAX_AGE", "60"),
        "STATISTICS_CACHE_SECONDS": "0",
        "TRACKER_NO_REPLICA": "1",
    }
    env.pop("DATABASE_REPLICA_URL", None)
    with tempfile.NamedTemporaryFile("w+", prefix="bench-gunicorn-", suffix=".log") as log:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1"]
            + ["--timeout", "300", "--log-level", "warning", "--error-logfile", log.name],
            cwd=ROOT,
            env=env,
        )
        server = Server(port, cookie_name)
        try:
            deadline = time.monotonic() + 60
            while True:
                with contextlib.suppress(OSError):
                    server.get("/accounts/login/")
                    break
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"gunicorn did not start:\n{Path(log.name).read_text()}")
                time.sleep(0.2)
            yield server
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def session_key(username: str) -> str:
    """A committed session of `username` (force_login outside any transaction), for the served pages."""
    from django.conf import settings
    from django.test import Client

    from members.models import User

    client = Client()
    client.force_login(User.objects.get(username=username))
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def _standalone_pages(province: int) -> list[tuple[str, str, str]]:
    """(key, login suffix, path) of the pages whose targets issue 18 sets, for the bench logins of `province`."""
    from django.urls import reverse

    from members.models import RoleAssignment

    def organisation(suffix: str) -> int:
        assignment = RoleAssignment.objects.get(user__username=f"bench.p{province:02d}.{suffix}")
        return int(assignment.organisation_id)

    return [
        ("floor", "bithu", reverse("preferences")),
        ("board", "bithu", reverse("admission_board", args=[organisation("bithu")])),
        ("stats_province", "tinh", reverse("statistics_organisation", args=[organisation("tinh")])),
        ("stats_commune", "xa", reverse("statistics_organisation", args=[organisation("xa")])),
    ]


def summary_lines(rounds: dict[str, list[Timing]]) -> list[str]:
    """Per page: the median of the rounds' medians, over every round and over the nominal-speed rounds."""
    fastest = min([REFERENCE_PROBE_MS] + [timing.host_ms for timings in rounds.values() for timing in timings])
    lines = [
        f"| page | rounds | median of the rounds' medians, ms | host at nominal speed (probe ≤ "
        f"{fastest * NOMINAL_SLACK:.1f} ms): rounds | their median, ms | their medians, ms |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for key, timings in rounds.items():
        nominal = [timing for timing in timings if timing.host_ms <= fastest * NOMINAL_SLACK]
        medians = " / ".join(f"{timing.median_ms:.1f}" for timing in nominal) or "–"
        nominal_median = f"{statistics.median(t.median_ms for t in nominal):.1f}" if nominal else "–"
        lines.append(
            f"| {key} | {len(timings)} | {statistics.median(t.median_ms for t in timings):.1f} | {len(nominal)} | "
            f"{nominal_median} | {medians} |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--province", type=int, default=19, help="whose bench logins (bench.pNN.*)")
    parser.add_argument(
        "--pages", default="", help="comma-separated keys (floor, board, stats_province, stats_commune)"
    )
    parser.add_argument("--runs", type=int, default=30, help="timed requests per page and round")
    parser.add_argument("--rounds", type=int, default=1, help="times the whole set of pages is timed")
    arguments = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    wanted = {key for key in arguments.pages.split(",") if key}
    pages = [page for page in _standalone_pages(arguments.province) if not wanted or page[0] in wanted]
    sessions = {login: session_key(f"bench.p{arguments.province:02d}.{login}") for _, login, _ in pages}
    rounds: dict[str, list[Timing]] = {key: [] for key, _, _ in pages}
    print("| round | page | login | served median ms | served p95 ms | host probe ms | bytes | runs |")  # noqa: T201
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")  # noqa: T201
    with gunicorn(database_url(connection.settings_dict), cookie_name=settings.SESSION_COOKIE_NAME) as server:
        for number in range(1, arguments.rounds + 1):
            for key, login, path in pages:
                timing = server.time(path, sessions[login], arguments.runs)
                rounds[key].append(timing)
                print(  # noqa: T201
                    f"| {number} | {key} (`{path}`) | {login} | {timing.median_ms:.1f} | {timing.p95_ms:.1f} | "
                    f"{timing.host_ms:.1f} | {timing.bytes:,} | {timing.runs} |",
                    flush=True,
                )
    print()  # noqa: T201
    print("\n".join(summary_lines(rounds)))  # noqa: T201


if __name__ == "__main__":
    main()
