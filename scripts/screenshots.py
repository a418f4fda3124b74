"""Full-page screenshots of the running app, logged in as one user, with headless Chromium.

    .venv/bin/python scripts/screenshots.py --base-url http://127.0.0.1:8000 \\
        --out test-artifacts/screens --user bithu.vanphong --password 'demo-2026!' [--path /members/ ...] [--mobile]

Writes <out>/<user>-<width>x<height>-<path>.png for every path (desktop 1280 wide; with
--mobile also 390x844) and prints, for each page, its HTTP status and any console error
(a blocked script or style under the CSP shows up there). Exits 1 when the login fails
or a page answers with an error status.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, StorageState, ViewportSize, sync_playwright

DEFAULT_PATHS = ["/", "/organisations/", "/members/", "/members/?q=nguyen+van+duc"]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
MOBILE: ViewportSize = {"width": 390, "height": 844}


def _slug(path: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", path).strip("-") or "root"


def _log_in(browser: Browser, base_url: str, user: str, password: str) -> StorageState:
    """Log in through the login form; returns the storage state (cookies) for other contexts."""
    context = browser.new_context(base_url=base_url, viewport=DESKTOP)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.fill("#id_username", user)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    if "/accounts/login/" in page.url:
        context.close()
        raise SystemExit(f"login failed for {user!r} (still on {page.url})")
    state = context.storage_state()
    context.close()
    return state


def _shoot(context: BrowserContext, paths: list[str], out: Path, prefix: str) -> int:
    """Screenshot each path; returns the number of pages that answered with an error."""
    failures = 0
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}") if m.type in {"error", "warning"} else None)
    page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
    for path in paths:
        console.clear()
        response = page.goto(path, wait_until="networkidle")
        status = response.status if response else 0
        target = out / f"{prefix}-{_slug(path)}.png"
        page.screenshot(path=str(target), full_page=True)
        width = page.evaluate("document.documentElement.scrollWidth")
        viewport = page.viewport_size or DESKTOP
        overflow = f" HORIZONTAL OVERFLOW {width}px > {viewport['width']}px" if width > viewport["width"] else ""
        print(f"{status} {path} -> {target}{overflow}")
        for line in console:
            print(f"    {line}")
        if status >= 400 or status == 0:
            failures += 1
    page.close()
    return failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--out", type=Path, default=Path("test-artifacts/screens"))
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--path", action="append", dest="paths", help="repeatable; default: " + " ".join(DEFAULT_PATHS))
    parser.add_argument("--mobile", action="store_true", help="also take 390x844 screenshots")
    parser.add_argument("--chromium", default=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
    args = parser.parse_args(argv)

    paths = args.paths or DEFAULT_PATHS
    args.out.mkdir(parents=True, exist_ok=True)
    viewports = [DESKTOP, MOBILE] if args.mobile else [DESKTOP]
    failures = 0
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
        try:
            state = _log_in(browser, args.base_url, args.user, args.password)
            for viewport in viewports:
                mobile = viewport is MOBILE
                context = browser.new_context(
                    base_url=args.base_url,
                    viewport=viewport,
                    storage_state=state,
                    is_mobile=mobile,
                    has_touch=mobile,
                    device_scale_factor=1,
                )
                prefix = f"{_slug(args.user)}-{viewport['width']}x{viewport['height']}"
                failures += _shoot(context, paths, args.out, prefix)
                context.close()
        finally:
            browser.close()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
