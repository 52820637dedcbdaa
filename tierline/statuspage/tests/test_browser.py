"""The status page's forms in real headless Chromium.

The Django test client applies no referrer policy, so only a browser shows whether a POST from
the page passes CSRF: under `Referrer-Policy: no-referrer` Chromium sends `Origin: null` on a
same-origin form POST and Django refuses it (403).
"""


import pytest
from django.utils import timezone

from tierline.audit.event_types import EventType
from tierline.audit.models import Event
from tierline.statuspage.links import issue_link
from tierline.testing.browser import chromium
from tierline.testing.world import build_world


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_customer_replies_and_rates_from_chromium(live_server, monkeypatch):
    world = build_world()
    esc = world.escalation(now=timezone.now())
    _, token = issue_link(esc, actor=world.actor(), now=timezone.now())

    with chromium(monkeypatch) as (browser, expect):
        page = browser.new_page()
        page.set_default_timeout(15000)
        page.goto(f"{live_server.url}/status/{token}/")
        expect(page.locator("[data-reference]")).to_have_text(esc.reference)
        page.fill("#reply textarea[name=body]", "Still no dial tone")
        page.click("#reply button[type=submit]")
        expect(page.locator(".flash-success")).to_contain_text("your message has been added")
        expect(page.locator(".timeline")).to_contain_text("Still no dial tone")
    reply = Event.objects.get(escalation=esc, type=EventType.PUBLIC_REPLY)
    assert reply.actor_kind == "customer"
