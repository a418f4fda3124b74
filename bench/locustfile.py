"""Load test: branch secretaries, committee staff and statistics viewers on the province preset.

Run by `scripts/load` (which starts PostgreSQL, Redis and gunicorn on 127.0.0.1, generates the
province preset and writes LOAD_TARGETS); not meant to be pointed at anything but 127.0.0.1.
locust lives in its own virtualenv (.venv-load), never in the project's requirements.

- Branch secretaries (weight 8): the board of the bench branch, candidate pages of its candidates.
- Committee staff (weight 8): a review queue (commune, busiest province-level committee or the
  grassroots committee, in turn) and the review pages of the dossiers in it.
- Statistics viewers (weight 4): the statistics page of the province (auditor) or of the commune.

Every user logs in through the login form (GET for the CSRF token, then POST). Think time
between requests: LOAD_WAIT_MIN..LOAD_WAIT_MAX seconds (default 1..3). The run stops after
--run-time or after LOAD_MAX_REQUESTS requests (default 5000), whichever comes first.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
from typing import Any

import gevent
from locust import HttpUser, between, events, task
from locust.env import Environment

PASSWORD = os.environ.get("LOAD_PASSWORD", "bench-2026!")
MAX_REQUESTS = int(os.environ.get("LOAD_MAX_REQUESTS", "5000"))
WAIT = between(float(os.environ.get("LOAD_WAIT_MIN", "1")), float(os.environ.get("LOAD_WAIT_MAX", "3")))
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _targets() -> dict[str, Any]:
    path = os.environ.get("LOAD_TARGETS")
    if not path:
        raise SystemExit("LOAD_TARGETS (the JSON file scripts/load writes) is not set")
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


TARGETS = _targets()
_queues = itertools.cycle([q for q in TARGETS["queues"] if q["candidates"]])
_viewers = itertools.cycle(TARGETS["statistics"])
_state = {"requests": 0, "stopping": False}
_environment: list[Environment] = []


@events.init.add_listener
def _remember(environment: Environment, **_kwargs: Any) -> None:
    _environment.append(environment)


@events.request.add_listener
def _cap(**_kwargs: Any) -> None:
    """Stop the whole run after MAX_REQUESTS requests (bounded in count as well as in time)."""
    _state["requests"] += 1
    if _state["requests"] >= MAX_REQUESTS and not _state["stopping"] and _environment:
        _state["stopping"] = True
        runner = _environment[0].runner
        if runner is not None:
            gevent.spawn(runner.quit)


class _Visitor(HttpUser):
    abstract = True
    wait_time = WAIT

    def login(self, username: str) -> None:
        page = self.client.get("/accounts/login/", name="login form")
        found = CSRF.search(page.text)
        if found is None:
            raise RuntimeError("no CSRF token on the login page")
        with self.client.post(
            "/accounts/login/",
            data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": found.group(1), "next": ""},
            headers={"Referer": f"{self.host}/accounts/login/"},
            name="login (POST + dashboard)",
            catch_response=True,
        ) as response:
            if "/accounts/login/" in response.url or response.status_code != 200:
                response.failure(f"login of {username} failed ({response.status_code} at {response.url})")


class BranchSecretary(_Visitor):
    weight = 8

    def on_start(self) -> None:
        self.login(TARGETS["secretary"]["username"])

    @task(2)
    def board(self) -> None:
        self.client.get(TARGETS["secretary"]["board"], name="board")

    @task(3)
    def candidate(self) -> None:
        url = random.choice(TARGETS["secretary"]["candidates"])  # noqa: S311 - load test
        self.client.get(url, name="candidate page")


class CommitteeStaff(_Visitor):
    weight = 8

    def on_start(self) -> None:
        self.queue = next(_queues)
        self.login(self.queue["username"])

    @task(2)
    def queue_page(self) -> None:
        self.client.get(self.queue["queue"], name=f"queue ({self.queue['label']})")

    @task(3)
    def review(self) -> None:
        url = random.choice(self.queue["candidates"])  # noqa: S311 - load test
        self.client.get(url, name="dossier review")


class StatisticsViewer(_Visitor):
    weight = 4

    def on_start(self) -> None:
        self.viewer = next(_viewers)
        self.login(self.viewer["username"])

    @task
    def statistics(self) -> None:
        self.client.get(self.viewer["statistics"], name=f"statistics ({self.viewer['label']})")
