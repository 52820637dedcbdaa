"""One real run through the UI in headless Chromium: log in, create, escalate, read the timeline."""

import os

import pytest

from tierline.testing.browser import chromium, signed_in_page
from tierline.testing.world import build_world


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_login_create_escalate_in_chromium(live_server, monkeypatch):
    build_world()

    with chromium(monkeypatch) as (browser, expect):
        page, errors = signed_in_page(browser, live_server.url, "supervisor")
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
