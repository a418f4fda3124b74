"""The ten main pages of a branch secretary measured in real Chromium, on a server that serves the
static files as production does (WhiteNoise, hashed names, pre-compressed, cached for ever):

- accessibility: axe-core (npm, node_modules/axe-core) finds no serious or critical violation;
- weight: at most 150 KB transferred on a first visit (empty cache) and 30 KB on a later one
  (the static files then come from the browser's cache), counted by the DevTools protocol's
  `encodedDataLength` (the bytes on the wire, compressed);
- a phone: at 390 px wide the board, the candidate page and the dossier have no horizontal scroll;
- print: the candidate page and the sympathiser list print without navigation or forms.

Screenshots go to test-artifacts/browser/quality-*.png (gitignored).
"""

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from django.test.testcases import LiveServerThread
from django.urls import reverse
from playwright.sync_api import Browser, Page, sync_playwright

from admission import services
from admission.devdata.demo import at, walk_to
from admission.models import Candidate
from tests.browser.conftest import ARTIFACTS, CHROMIUM_ARGS, PASSWORD
from tests.conftest import Tree
from tests.factories import PersonFactory

pytestmark = pytest.mark.browser

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
START = dt.date(2025, 1, 6)
NOW = dt.datetime(2025, 8, 1, 9, 30, tzinfo=TZ)  # the candidate waits for the branch's vote (S8)
AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
MANIFEST_STORAGE = {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}
FIRST_VISIT_LIMIT = 150 * 1024
LATER_VISIT_LIMIT = 30 * 1024


@pytest.fixture(scope="module")
def collected_static(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """collectstatic as in production (config/settings/prod.py): hashed names and .gz copies."""
    root = tmp_path_factory.mktemp("static")
    with override_settings(STATIC_ROOT=root, STORAGES={**settings.STORAGES, "staticfiles": MANIFEST_STORAGE}):
        call_command("collectstatic", interactive=False, verbosity=0)
    return root


@pytest.fixture
def server(collected_static: Path, settings, transactional_db) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A live server whose static files go through WhiteNoise's middleware (pytest-django's
    live_server serves them with Django's static view: no compression, no cache headers)."""
    settings.STATIC_ROOT = collected_static
    settings.STORAGES = {**settings.STORAGES, "staticfiles": MANIFEST_STORAGE}
    thread = LiveServerThread("127.0.0.1", lambda handler: handler, port=0)
    thread.daemon = True
    thread.start()
    thread.is_ready.wait()
    if thread.error:
        raise thread.error
    yield f"http://127.0.0.1:{thread.port}"
    thread.terminate()


@pytest.fixture
def browser() -> Iterator[Browser]:
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"), args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def candidate(tree: Tree, alice, introducers) -> Candidate:  # type: ignore[no-untyped-def]
    person = PersonFactory(
        organisation=tree.branch_a, full_name="Trần Thị Đo Lường", phone="0912 000 111", email="doluong@example.vn"
    )
    with time_machine.travel(NOW, tick=False):
        followed = services.candidate_create(acting_user=alice, person=person, now=at(START))
        walk_to(followed, "S8", user=alice, introducers=introducers, start=START)
        for name, stage in (("Lê Văn Một", "S1"), ("Phạm Thị Hai", "S0")):
            other = services.candidate_create(
                acting_user=alice, person=PersonFactory(organisation=tree.branch_a, full_name=name), now=at(START)
            )
            walk_to(other, stage, user=alice, introducers=introducers, start=START)
    return followed


def _pages(tree: Tree, candidate: Candidate) -> dict[str, str]:
    branch = tree.branch_a.pk
    return {
        "home": reverse("dashboard"),
        "overview": reverse("admission_overview"),
        "board": reverse("admission_board", args=[branch]),
        "candidate": reverse("candidate_detail", args=[candidate.pk]),
        "dossier": reverse("candidate_dossier", args=[candidate.pk]),
        "new-candidate": reverse("candidate_create", args=[branch]),
        "meeting": reverse("meeting_create", args=[branch]),
        "meetings": reverse("branch_meetings", args=[branch]),
        "notifications": reverse("notification_list"),
        "members": reverse("member_list"),
    }


def _logged_in(browser: Browser, base_url: str, username: str, **options: Any) -> Any:
    context = browser.new_context(base_url=base_url, **options)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("main form [type=submit]").click()
    page.wait_for_url("/")
    state = context.storage_state()
    context.close()
    return state


class Transferred:
    """Bytes on the wire for one page load (compressed bodies and headers; 0 for a cache hit)."""

    def __init__(self, page: Page) -> None:
        self.total = 0
        session = page.context.new_cdp_session(page)
        session.send("Network.enable")
        session.on("Network.loadingFinished", self._add)

    def _add(self, event: dict[str, Any]) -> None:
        self.total += int(event.get("encodedDataLength", 0))

    def measure(self, page: Page, url: str) -> int:
        self.total = 0
        page.goto(url, wait_until="load")
        page.wait_for_load_state("networkidle")
        return self.total


def test_the_main_pages_are_accessible_and_light(server, browser, tree, alice, candidate) -> None:  # type: ignore[no-untyped-def]
    state = _logged_in(browser, server, alice.username)
    pages = _pages(tree, candidate)
    weights: dict[str, tuple[int, int]] = {}
    findings: list[str] = []
    with time_machine.travel(NOW, tick=False):
        for name, url in pages.items():
            # A new context for each page: an empty cache, as on a first visit.
            context = browser.new_context(base_url=server, storage_state=state, viewport={"width": 1280, "height": 900})
            page = context.new_page()
            counter = Transferred(page)
            first = counter.measure(page, url)
            later = counter.measure(page, url)
            weights[name] = (first, later)
            static = page.request.get(page.evaluate("document.querySelector('link[rel=stylesheet]').href"))
            assert "max-age=315360000" in static.headers.get("cache-control", ""), static.headers
            context.close()

        # axe-core needs its script injected: a context that ignores the page's CSP for that alone.
        context = browser.new_context(base_url=server, storage_state=state, bypass_csp=True)
        page = context.new_page()
        for name, url in pages.items():
            page.goto(url)
            page.add_script_tag(path=str(AXE))
            result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
            for violation in result["violations"]:
                if violation["impact"] in ("serious", "critical"):
                    targets = [", ".join(node["target"]) for node in violation["nodes"][:3]]
                    findings.append(f"{name}: {violation['id']} ({violation['impact']}) {targets}")
            page.screenshot(path=str(ARTIFACTS / f"quality-{name}.png"), full_page=True)
        context.close()

    print("page weights (first, later) in bytes:", weights)
    assert not findings, "\n".join(findings)
    heavy = {name: w for name, w in weights.items() if w[0] > FIRST_VISIT_LIMIT or w[1] > LATER_VISIT_LIMIT}
    assert heavy == {}, heavy


def test_the_board_and_the_candidate_page_fit_a_phone_and_print(server, browser, tree, alice, candidate) -> None:  # type: ignore[no-untyped-def]
    phone = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
    state = _logged_in(browser, server, alice.username, **phone)
    context = browser.new_context(base_url=server, storage_state=state, **phone)
    page = context.new_page()
    with time_machine.travel(NOW, tick=False):
        for name in ("board", "candidate", "dossier"):
            page.goto(_pages(tree, candidate)[name])
            page.screenshot(path=str(ARTIFACTS / f"quality-390-{name}.png"), full_page=True)
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, (name, overflow)
        # The print layouts (@media print): the candidate page and the sympathiser list, on A4 width.
        page.set_viewport_size({"width": 794, "height": 1123})
        page.emulate_media(media="print")
        for name, url in (
            ("candidate", _pages(tree, candidate)["candidate"]),
            ("sympathisers", reverse("board_print", args=[tree.branch_a.pk]) + "?list=sympathisers"),
        ):
            page.goto(url)
            assert not page.locator("nav.navbar").is_visible()
            assert page.locator("main form").filter(visible=True).count() == 0
            page.screenshot(path=str(ARTIFACTS / f"quality-print-{name}.png"), full_page=True)
    context.close()


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def test_a_dossier_item_is_saved_in_place_with_htmx(
    server, browser, tree, alice, candidate, settings, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """In the real browser, under the site's CSP: one item saved with two scans, no page load."""
    settings.MEDIA_ROOT = tmp_path / "media"
    state = _logged_in(browser, server, alice.username)
    context = browser.new_context(base_url=server, storage_state=state, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    loads: list[str] = []
    with time_machine.travel(NOW, tick=False):
        page.goto(_pages(tree, candidate)["dossier"])
        page.on("load", lambda p: loads.append(p.url))
        item = page.locator("#item-A5")
        item.locator("summary").click()
        item.locator("input[name='A5-issued_on']").fill("12/05/2025")
        item.locator("input[name='A5-note']").fill("Nghị quyết của Đoàn cơ sở")
        item.locator("input[type=file]").set_input_files(
            [
                {"name": "nghi-quyet-1.pdf", "mimeType": "application/pdf", "buffer": PDF},
                {"name": "nghi-quyet-2.pdf", "mimeType": "application/pdf", "buffer": PDF},
            ]
        )
        item.get_by_role("button", name="Lưu A5").click()
        saved = page.locator("#item-A5")
        saved.get_by_text("Đã lưu", exact=True).wait_for()
        page.screenshot(path=str(ARTIFACTS / "quality-dossier-saved.png"), full_page=True)
    context.close()

    assert loads == []  # swapped in place
    assert problems == []  # nothing refused by the CSP
    documents = candidate.documents.get(doc_type="A5")
    assert (documents.issued_on, documents.note) == (dt.date(2025, 5, 12), "Nghị quyết của Đoàn cơ sở")
    assert sorted(candidate.scans.values_list("original_name", flat=True)) == ["nghi-quyet-1.pdf", "nghi-quyet-2.pdf"]
