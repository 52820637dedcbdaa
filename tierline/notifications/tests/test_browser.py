"""In headless Chromium: the header's unread count arrives through htmx, the inbox marks a
notification read, and a supervisor retries an undelivered message."""

import datetime as dt

import pytest
from django.utils import timezone

from tierline.notifications.delivery import deliver_due
from tierline.notifications.models import OutboxMessage
from tierline.testing.browser import chromium, signed_in_page
from tierline.testing.world import build_world


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_unread_badge_inbox_and_retry_in_chromium(live_server, monkeypatch):
    world = build_world()
    now = timezone.now()
    for i in range(2):
        world.escalation(role="agent", title=f"Case {i}", now=now)
    OutboxMessage.objects.filter(channel="email").update(state="sent")
    deliver_due(now)
    parked = OutboxMessage.objects.create(
        tenant=world.tenant, channel="email", idempotency_key="parked", recipient_address="x@y.example",
        subject="s", body="b", state="failed", attempts=8, last_error="ConnectionRefusedError: refused",
        last_attempt_at=now, next_attempt_at=now, created_at=now - dt.timedelta(hours=1))

    with chromium(monkeypatch) as (browser, expect):
        page, errors = signed_in_page(browser, live_server.url, "supervisor")

        expect(page.locator("#notif-badge .notif-count")).to_have_text("2")  # loaded by htmx
        page.click("#notif-badge a")
        page.wait_for_url("**/notifications/")
        page.locator("tr.unread button:has-text('Mark read')").first.click()
        expect(page.locator("#notif-badge .notif-count")).to_have_text("1")
        page.click("button:has-text('Mark all read')")
        expect(page.locator("#notif-badge .notif-count")).to_have_count(0)

        page.click("text=Undelivered messages")
        row = page.locator(f"tr[data-message='{parked.pk}']")
        expect(row).to_contain_text("ConnectionRefusedError")
        row.locator("button:has-text('Retry')").click()
        expect(page.locator("#flash")).to_contain_text("1 message back in the queue")
        assert errors == []
    parked.refresh_from_db()
    assert (parked.state, parked.attempts) == ("pending", 0)
