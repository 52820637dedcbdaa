"""One real run through the UI in headless Chromium: log in, create, escalate, read the timeline."""

import os
import shutil

import pytest

from tierline.testing.services import missing
from tierline.testing.world import build_world

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync"]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_login_create_escalate_in_chromium(live_server, monkeypatch):
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        missing(f"no Chromium at {CHROMIUM}")
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError as exc:
        missing(f"playwright is not importable: {exc}")
    # Playwright's sync API runs an event loop in this thread; Django then refuses ORM calls
    # here unless told that this (test-only) thread is not really async.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    build_world()

    with sync_playwright() as p:
        try:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        except Exception as exc:  # a broken browser install is a missing service, not a UI bug
            missing(f"Chromium does not start: {exc}")
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 1000})
            page.set_default_timeout(15000)
            errors = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))

            page.goto(f"{live_server.url}/login/")
            page.fill("input[name=username]", "supervisor")
            page.fill("input[name=password]", "correct-horse-battery")
            page.click("button[type=submit]")
            page.wait_for_url(f"{live_server.url}/escalations/**")
            expect(page.locator(".topbar")).to_contain_text("New escalation")

            page.click("text=+ New escalation")
            page.fill("input[name=title]", "Fibre line down at customer site")
            page.fill("textarea[name=description]", "No sync light since 08:00.")
            page.select_option("select[name=type]", "technical")
            page.select_option("select[name=priority]", "P2")
            page.select_option("select[name=team]", label="L1 · Frontline care")
            page.fill("input[name=tags]", "outage")
            # Agent guidance: before submitting, the form says where this will go and why.
            expect(page.locator("#guidance")).to_contain_text("stays with Frontline care")
            page.click("button:has-text('Create escalation')")
            page.wait_for_url("**/escalations/ACME-*/")
            reference = page.locator(".detail-title .ref").inner_text().strip()
            assert reference.startswith("ACME-")

            page.click("details[data-panel=escalate] > summary")
            form = page.locator("form[data-action=escalate]")
            expect(form.locator("select[name=team] option").first).to_contain_text("One level up")
            form.locator("textarea[name=reason]").fill("Line test needs L2")
            form.locator("button[type=submit]").click()

            timeline = page.locator("ol.timeline")
            expect(timeline.locator("[data-event-type=escalated]")).to_contain_text(
                "Escalated from Frontline care (L1) to Technical support L2 (L2)")
            expect(timeline.locator("[data-event-type=created]")).to_have_count(1)
            expect(page.locator("#escalation .flash-success")).to_contain_text("Escalated")
            expect(page.locator("#flash")).to_be_empty()  # the "created" message from the redirect is gone
            expect(page.locator(".detail-badges")).to_contain_text("Technical support L2")
            # htmx swapped the fragment in place: same URL, no full reload.
            assert page.url.endswith(f"/escalations/{reference}/")

            shot = os.environ.get("TIERLINE_SCREENSHOT")
            if shot:
                page.reload()
                page.screenshot(path=shot, full_page=True)
            assert not errors, errors
        finally:
            browser.close()
