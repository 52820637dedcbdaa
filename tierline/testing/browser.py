"""Headless Debian Chromium for UI tests: found, imported and launched the same way everywhere, and a
missing or broken browser is a missing service (skip, or fail under TIERLINE_REQUIRE_SERVICES=1)."""

import contextlib
import os
import shutil

from tierline.testing.services import missing

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync"]


@contextlib.contextmanager
def chromium(monkeypatch):
    """Yields (browser, expect); closes the browser afterwards."""
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        missing(f"no Chromium at {CHROMIUM}")
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError as exc:
        missing(f"playwright is not importable: {exc}")
    # Playwright's sync API runs an event loop in this thread; Django then refuses ORM calls
    # here unless told that this (test-only) thread is not really async.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as p:
        try:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        except Exception as exc:  # a broken browser install is a missing service, not a UI bug
            missing(f"Chromium does not start: {exc}")
        try:
            yield browser, expect
        finally:
            browser.close()


def signed_in_page(browser, base_url: str, username: str, password: str = "correct-horse-battery"):
    """A desktop-sized page signed in through the real login form, on the queue. Returns
    (page, errors): errors collects uncaught page script errors, which a UI test should assert empty."""
    page = browser.new_page(viewport={"width": 1440, "height": 1000})
    page.set_default_timeout(15000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{base_url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/escalations/**")
    return page, errors
