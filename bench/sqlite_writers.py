"""Concurrent writers against the embedded default (SQLite under a fresh var/ folder).

Builds a throwaway embedded default once (migrate + demo data), then for each server (Django's
runserver, gunicorn) copies that database, starts the server on a free loopback port and runs N
writers for D seconds. Each writer logs in as one of the demo users (in turn; the clock starts once all
are logged in) and loops: three dossier-document saves (the form of the candidate page, POST, the write
of `document_record`) for one candidate page read. Anything but the expected answer (302 after a
save, 200 for a page) is an error; "database is locked" in the server's log is counted as well.
Reports requests, errors, median and p95 per server and writes the "SQLite embedded default"
section of bench/report.md (other sections are kept).

    .venv/bin/python bench/sqlite_writers.py                        # 20 writers x 60 s, both servers
    .venv/bin/python bench/sqlite_writers.py --writers 20 --duration 20 --servers gunicorn

Not part of the test suite (on demand, like the rest of bench/); needs no PostgreSQL.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "bench" / "report.md"
SECTION = "SQLite embedded default: concurrent writers"
PYTHON = str(ROOT / ".venv" / "bin" / "python")
DEMO_USERS = ["bithu.vanphong", "phobithu.vanphong", "canbo.stp", "admin", "bithu.tdp1", "canbo.ducxuan"]
DOC_TYPES = ["A1", "A2", "A3", "A4", "A5", "A6"]

# Which candidates each demo user may edit, printed as JSON by the embedded default itself.
EDITABLE = """
import json
from admission.models import Candidate
from members.models import User
from members.selectors import scope_for
out = {}
for name in %r:
    scope = scope_for(User.objects.get(username=name))
    out[name] = [c.pk for c in Candidate.objects.select_related("organisation") if scope.can_edit(c.organisation)]
print(json.dumps(out))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def environment(var_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CACHE_URL", "CELERY_BROKER_URL"}}
    env |= {
        "DJANGO_SETTINGS_MODULE": "config.settings.dev",
        "DJANGO_DEBUG": "1",
        "TRACKER_VAR_DIR": str(var_dir),
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    return env


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


@dataclass
class Results:
    times: dict[str, list[float]] = field(default_factory=lambda: {"save": [], "page": []})
    errors: dict[str, int] = field(default_factory=dict)
    duration: float = 60.0
    lock = threading.Lock()

    def add(self, kind: str, ms: float, error: str | None) -> None:
        with self.lock:
            self.times[kind].append(ms)
            if error:
                self.errors[error] = self.errors.get(error, 0) + 1


class Client:
    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect())

    def csrf(self) -> str:
        return next((c.value or "" for c in self.jar if c.name == "csrftoken"), "")

    def request(self, path: str, data: dict[str, str] | None = None) -> int:
        body = None
        headers = {"Referer": self.base + path}
        if data is not None:
            body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": self.csrf()}).encode()
        request = urllib.request.Request(self.base + path, data=body, headers=headers)  # noqa: S310
        try:
            with self.opener.open(request, timeout=60) as response:
                response.read()
                return int(response.status)
        except urllib.error.HTTPError as error:
            error.read()
            return int(error.code)

    def login(self, username: str, password: str) -> None:
        self.request("/accounts/login/")
        status = self.request("/accounts/login/", {"username": username, "password": password})
        if status != 302:
            raise SystemExit(f"login of {username} answered {status}")


def writer(
    base: str, username: str, password: str, candidates: list[int], ready: threading.Barrier, results: Results
) -> None:
    client = Client(base)
    client.login(username, password)  # logins (password hashing) are not part of the measured load
    ready.wait()
    until = time.monotonic() + results.duration
    rng = random.Random(username)  # noqa: S311 - load pattern, not security
    n = 0
    while time.monotonic() < until:
        n += 1
        pk = rng.choice(candidates)
        start = time.perf_counter()
        if n % 4 == 0:
            kind, expected = "page", 200
            try:
                status = client.request(f"/admission/candidates/{pk}/")
            except OSError as error:
                status = -1
                results.add(kind, (time.perf_counter() - start) * 1000, type(error).__name__)
                continue
        else:
            kind, expected = "save", 302
            data = {
                "doc_type": rng.choice(DOC_TYPES),
                "issued_on": f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/2024",
                "note": f"bench {n}",
            }
            try:
                status = client.request(f"/admission/candidates/{pk}/documents/new/", data)
            except OSError as error:
                results.add(kind, (time.perf_counter() - start) * 1000, type(error).__name__)
                continue
        results.add(kind, (time.perf_counter() - start) * 1000, None if status == expected else f"HTTP {status}")


def wait_for(base: str, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("the server stopped while starting")
        try:
            urllib.request.urlopen(base + "/accounts/login/", timeout=2).read()  # noqa: S310
            return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("the server did not start")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(int(len(ordered) * q) - 1, 0))] if ordered else 0.0


def run_server(
    server: str, template: Path, args: argparse.Namespace, editable: dict[str, list[int]]
) -> dict[str, object]:
    var_dir = Path(tempfile.mkdtemp(prefix=f"bench-{server}-"))
    shutil.copy(template / "tracker.sqlite3", var_dir / "tracker.sqlite3")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    if server == "runserver":
        command = [PYTHON, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"]
    else:
        command = [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(args.gunicorn_workers),
            "--timeout",
            "120",
        ]
    log_path = var_dir / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=environment(var_dir), stdout=log, stderr=log)  # noqa: S603
        try:
            wait_for(base, process)
            results = Results(duration=args.duration)
            users = [u for u in DEMO_USERS if editable.get(u)]
            ready = threading.Barrier(args.writers)  # all logged in: the clock starts for everyone
            threads = []
            for i in range(args.writers):
                user = users[i % len(users)]
                thread = threading.Thread(
                    target=writer, args=(base, user, args.password, editable[user], ready, results), daemon=True
                )
                thread.start()
                threads.append(thread)
            for thread in threads:
                thread.join()
        finally:
            process.terminate()
            process.wait(timeout=30)
    log_text = log_path.read_text(errors="replace")
    all_times = results.times["save"] + results.times["page"]
    summary: dict[str, object] = {
        "server": server if server == "runserver" else f"gunicorn ({args.gunicorn_workers} workers)",
        "requests": len(all_times),
        "saves": len(results.times["save"]),
        "errors": sum(results.errors.values()),
        "error_kinds": results.errors,
        "locked_in_log": log_text.count("database is locked"),
        "median_ms": statistics.median(all_times) if all_times else 0.0,
        "p95_ms": percentile(all_times, 0.95),
        "save_p95_ms": percentile(results.times["save"], 0.95),
        "page_p95_ms": percentile(results.times["page"], 0.95),
    }
    if not args.keep:
        shutil.rmtree(var_dir, ignore_errors=True)
    return summary


def write_report(rows: list[dict[str, object]], args: argparse.Namespace) -> str:
    lines = [
        f"## {SECTION}",
        "",
        f"`bench/sqlite_writers.py --writers {args.writers} --duration {args.duration}`: {args.writers} "
        f"clients for {args.duration} s against the embedded default (SQLite, WAL, IMMEDIATE transactions, "
        "busy timeout; demo data), each logged in as a demo user and looping three dossier-document saves "
        "(POST) for one candidate page; server, clients and SQLite on the same 2-CPU machine, shared with other "
        "work (load average 5-6 during the run).",
        "",
        "| server | requests | saves | errors | 'database is locked' in log | median ms | p95 ms | p95 save ms | p95 page ms |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    lines.extend(
        f"| {r['server']} | {r['requests']} | {r['saves']} | {r['errors']} | {r['locked_in_log']} | "
        f"{r['median_ms']:.0f} | {r['p95_ms']:.0f} | {r['save_p95_ms']:.0f} | {r['page_p95_ms']:.0f} |"
        for r in rows
    )
    lines.extend(f"\nErrors on {r['server']}: {json.dumps(r['error_kinds'])}" for r in rows if r["error_kinds"])
    lines += [
        "",
        "Before (issue report, SQLite without WAL, deferred transactions, default timeout; 20 clients x 60 s): "
        "392 of 3,699 requests failed on runserver and 232 of 5,316 on gunicorn, mostly "
        "'database is locked' on dossier-document saves. This script on the previous settings (20 x 20 s, "
        "logins still inside the measured window): 299 of 511 requests failed (HTTP 500) on runserver, "
        "121 of 681 on gunicorn. Target: 0 errors.",
    ]
    section = "\n".join(lines)
    sections: dict[str, str] = {}
    header = "# Benchmark report\n\nProduced by `scripts/bench` on PostgreSQL (throwaway cluster, fsync off).\n"
    if REPORT.exists():
        text = REPORT.read_text(encoding="utf-8")
        for chunk in text.split("\n## ")[1:]:
            sections[chunk.split("\n", 1)[0]] = "## " + chunk.strip()
    sections[SECTION] = section
    REPORT.write_text(header + "\n" + "\n\n".join(sections.values()) + "\n", encoding="utf-8")
    return section


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--writers", type=int, default=20)
    parser.add_argument("--duration", type=int, default=60, help="seconds of load per server")
    parser.add_argument("--servers", default="runserver,gunicorn")
    parser.add_argument("--gunicorn-workers", type=int, default=4)
    parser.add_argument("--password", default=os.environ.get("DEMO_PASSWORD", "demo-2026!"))
    parser.add_argument("--keep", action="store_true", help="keep the temporary var/ folders and server logs")
    parser.add_argument("--no-report", action="store_true", help="print only, leave bench/report.md alone")
    args = parser.parse_args()

    template = Path(tempfile.mkdtemp(prefix="bench-embedded-"))
    env = environment(template)
    print(f"building the embedded default in {template} (migrate, demo data)", flush=True)  # noqa: T201
    subprocess.run([PYTHON, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)  # noqa: S603
    subprocess.run([PYTHON, "manage.py", "createcachetable"], cwd=ROOT, env=env, check=True)  # noqa: S603
    subprocess.run([PYTHON, "manage.py", "load_demo_data"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)  # noqa: S603
    out = subprocess.run(  # noqa: S603
        [PYTHON, "manage.py", "shell", "-c", EDITABLE % (DEMO_USERS,)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    editable = json.loads(out.strip().splitlines()[-1])
    rows = []
    for server in args.servers.split(","):
        print(f"{server}: {args.writers} writers x {args.duration} s", flush=True)  # noqa: T201
        row = run_server(server.strip(), template, args, editable)
        print(json.dumps(row), flush=True)  # noqa: T201
        rows.append(row)
    shutil.rmtree(template, ignore_errors=True)
    if not args.no_report:
        print(write_report(rows, args))  # noqa: T201
    sys.exit(1 if any(r["errors"] for r in rows) else 0)


if __name__ == "__main__":
    main()
