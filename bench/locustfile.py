"""Load test: branch secretaries, committee staff and statistics viewers on the province preset.

Run by `scripts/load` (which starts PostgreSQL, Redis and gunicorn on 127.0.0.1, generates the
province preset and writes LOAD_TARGETS); not meant to be pointed at anything but 127.0.0.1.
locust lives in its own virtualenv (.venv-load), never in the project's requirements.

- Branch secretaries (weight 8): the board of the bench branch, candidate pages of its candidates.
- Committee staff (weight 8): a review queue (commune, busiest province-level committee or the
  grassroots committee, in turn) and the review pages of the dossiers in it.
- Statistics viewers (weight 4): the statistics page of the province (auditor) or of the commune.

Writes (LOAD_WRITES=1, the default; about 10 % of the requests are POSTs), so that cache
invalidation, row locks and the workers are exercised:
- secretaries record the next step the candidate page offers them (the step form filled with
  today's date, 1 in number fields, a short text elsewhere), and upload a small PNG scan;
- committee staff of the commune edit the year's plan of their commune's branches (the formset
  posted back with one target changed).
A write the application refuses with a message (a rule, a stale step) is a success of the server:
it is named "… (refused)"; a failure is a 5xx, a timeout or an unexpected page.

Every user logs in through the login form (GET for the CSRF token, then POST). Think time
between requests: LOAD_WAIT_MIN..LOAD_WAIT_MAX seconds (default 1..3). The run stops after
--run-time or after LOAD_MAX_REQUESTS requests (default 5000), whichever comes first.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import random
import re
from html.parser import HTMLParser
from typing import Any

import gevent
from locust import HttpUser, between, events, task
from locust.env import Environment

PASSWORD = os.environ.get("LOAD_PASSWORD", "bench-2026!")
MAX_REQUESTS = int(os.environ.get("LOAD_MAX_REQUESTS", "5000"))
WAIT = between(float(os.environ.get("LOAD_WAIT_MIN", "1")), float(os.environ.get("LOAD_WAIT_MAX", "3")))
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
WRITES = os.environ.get("LOAD_WRITES", "1") not in ("", "0")
STEP_LINK = re.compile(r'href="(/admission/candidates/\d+/steps/[\w-]+/)"')
# The smallest valid PNG (1x1, grey): the upload's bytes are checked by the service.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108000000003a7e9b55"
    "0000000a49444154789c636800000082008177cd72b60000000049454e44ae426082"
)


class _Form(HTMLParser):
    """The fields of the first POST form of a page that has `marker` among its field names, as a
    browser would send them unchanged (checked boxes, selected options, texts)."""

    def __init__(self, marker: str) -> None:
        super().__init__()
        self.marker = marker
        self.forms: list[dict[str, Any]] = []
        self.current: dict[str, Any] | None = None
        self.select: str | None = None
        self.textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("method", "").lower() == "post":
            self.current = {"action": a.get("action", ""), "fields": {}, "empty": []}
            self.forms.append(self.current)
        if self.current is None or not a.get("name") and tag != "option":
            return
        fields = self.current["fields"]
        if tag == "input":
            kind = a.get("type", "text").lower()
            if kind in ("submit", "button", "file", "image", "reset"):
                return
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    fields[a["name"]] = a.get("value", "on")
                return
            fields[a["name"]] = a.get("value", "")
            if not a.get("value"):
                self.current["empty"].append((a["name"], kind, a.get("placeholder", "")))
        elif tag == "select":
            self.select = a["name"]
            fields.setdefault(self.select, None)
        elif tag == "option" and self.select is not None:
            if "selected" in a or fields.get(self.select) is None and a.get("value"):
                fields[self.select] = a.get("value", "")
        elif tag == "textarea":
            self.textarea = a["name"]
            fields[self.textarea] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None
        elif tag == "form":
            self.current = None

    def handle_data(self, data: str) -> None:
        if self.current is not None and self.textarea is not None:
            self.current["fields"][self.textarea] += data

    @classmethod
    def of(cls, html: str, marker: str) -> dict[str, Any] | None:
        parser = cls(marker)
        parser.feed(html)
        for form in parser.forms:
            if any(marker in name for name in form["fields"]):
                return form
        return None


def _filled(form: dict[str, Any]) -> dict[str, Any]:
    """The form's fields with its empty inputs filled as a hurried secretary would."""
    data = {k: v for k, v in form["fields"].items() if v is not None}
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=7))).strftime("%d/%m/%Y")  # Vietnam's date
    for name, kind, placeholder in form["empty"]:
        if placeholder == "dd/mm/yyyy" or kind == "date":
            data[name] = today
        elif kind == "number":
            data[name] = "1"
        elif kind not in ("hidden", "email"):
            data[name] = "Kiểm thử tải"
    for name, value in data.items():
        if value == "" and name in form["fields"] and name.endswith(("note", "reason", "reason_text")):
            data[name] = "Kiểm thử tải"
    return data


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

    def post_form(self, url: str, marker: str, name: str, change: Any = None, files: Any = None) -> None:
        """GET the form at `url`, POST it back (filled, then `change(data)`): one write."""
        page = self.client.get(url, name=f"{name} form")
        form = _Form.of(page.text, marker) if page.status_code == 200 else None
        if form is None:
            return
        data = _filled(form)
        if change is not None:
            change(data)
        with self.client.post(
            form["action"] or url,
            data=data,
            files=files,
            headers={"Referer": f"{self.host}{url}"},
            name=f"{name} (write)",
            catch_response=True,
            allow_redirects=False,
        ) as response:
            if response.status_code in (301, 302, 303):
                response.success()
            elif response.status_code == 200 and (
                "invalid-feedback" in response.text or "alert-danger" in response.text
            ):
                # Refused with a message (the form again, nothing written): counted apart.
                response.request_meta["name"] = f"{name} (refused)"
                response.success()
            else:
                response.failure(f"{name}: {response.status_code}")


class BranchSecretary(_Visitor):
    weight = 8

    def on_start(self) -> None:
        self.login(TARGETS["secretary"]["username"])

    @task(1)
    def step(self) -> None:
        if not WRITES:
            return
        url = random.choice(TARGETS["secretary"]["candidates"])  # noqa: S311 - load test
        page = self.client.get(url, name="candidate page")
        links = STEP_LINK.findall(page.text)
        if links:
            self.post_form(random.choice(links), "note", "step")  # noqa: S311

    @task(1)
    def upload(self) -> None:
        if not WRITES:
            return
        url = random.choice(TARGETS["secretary"]["candidates"]).rstrip("/") + "/scans/new/"  # noqa: S311
        self.post_form(url, "doc_type", "scan upload", files={"file": ("scan.png", PNG, "image/png")})

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

    @task(1)
    def plan(self) -> None:
        if not WRITES or not self.queue.get("plans"):
            return

        def change(data: dict[str, Any]) -> None:
            data["plan-0-admit"] = str(random.randint(1, 30))  # noqa: S311

        self.post_form(self.queue["plans"], "plan-TOTAL_FORMS", "plan edit", change=change)


class StatisticsViewer(_Visitor):
    weight = 4

    def on_start(self) -> None:
        self.viewer = next(_viewers)
        self.login(self.viewer["username"])

    @task
    def statistics(self) -> None:
        self.client.get(self.viewer["statistics"], name=f"statistics ({self.viewer['label']})")
