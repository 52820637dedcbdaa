"""The status page's forms in real headless Chromium.

The Django test client applies no referrer policy, so only a browser shows whether a POST from
the page passes CSRF: under `Referrer-Policy: no-referrer` Chromium sends `Origin: null` on a
same-origin form POST and Django refuses it (403).
"""

import os
import shutil

import pytest
from django.utils import timezone

from tierline.audit.event_types import EventType
from tierline.audit.models import Event
from tierline.statuspage.links import issue_link
from tierline.testing.services import missing
from tierline.testing.world import build_world

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync"]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_customer_replies_and_rates_from_chromium(live_server, monkeypatch):
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        missing(f"no Chromium at {CHROMIUM}")
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError as exc:
        missing(f"playwright is not importable: {exc}")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # playwright's loop runs in this thread
    world = build_world()
    esc = world.escalation(now=timezone.now())
    _, token = issue_link(esc, actor=world.actor(), now=timezone.now())

    with sync_playwright() as p:
        try:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        except Exception as exc:  # a broken browser install is a missing service, not a page bug
            missing(f"Chromium does not start: {exc}")
        try:
            page = browser.new_page()
            page.set_default_timeout(15000)
            page.goto(f"{live_server.url}/status/{token}/")
            expect(page.locator("[data-reference]")).to_have_text(esc.reference)
            page.fill("#reply textarea[name=body]", "Still no dial tone")
            page.click("#reply button[type=submit]")
            expect(page.locator(".flash-success")).to_contain_text("your message has been added")
            expect(page.locator(".timeline")).to_contain_text("Still no dial tone")
        finally:
            browser.close()
    reply = Event.objects.get(escalation=esc, type=EventType.PUBLIC_REPLY)
    assert reply.actor_kind == "customer"
