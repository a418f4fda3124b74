"""Real Chromium (Debian's /usr/bin/chromium) driven by Playwright; `playwright install` is not used."""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from playwright.sync_api import Page, expect, sync_playwright

PASSWORD = "test-password-1"
# Without the networking switches Chromium keeps calling hosts this closed network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts" / "browser"


@contextmanager
def chromium_page(base_url: str) -> Iterator[Page]:
    """A desktop-sized page on `base_url` that records failed loads and CSP refusals in `page.problems`.

    The sync API runs an event loop in this thread; the tests' ORM calls stay synchronous.
    """
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"), args=CHROMIUM_ARGS
        )
        context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.problems = []  # type: ignore[attr-defined]
        page.on(
            "response",
            lambda response: (
                page.problems.append(f"{response.status} {response.url}")  # type: ignore[attr-defined]
                if response.status >= 400
                else None
            ),
        )
        page.on(
            "console",
            lambda message: (
                page.problems.append(message.text)  # type: ignore[attr-defined]
                if "Content Security Policy" in message.text
                else None
            ),
        )
        try:
            yield page
        finally:
            context.close()
            browser.close()
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def log_in(page: Page, username: str) -> None:
    """Log in afresh as `username` (the demo password) through the login form; lands on the home page."""
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("main form [type=submit]").click()
    expect(page).to_have_url("/")
