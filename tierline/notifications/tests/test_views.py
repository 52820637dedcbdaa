"""The pages: my notifications with the unread count, my preferences, and undelivered messages
(supervisors and admins), from the user's side and the attacker's."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from tierline.notifications.delivery import deliver_due
from tierline.notifications.models import Notification, NotificationPreference, OutboxMessage

H = dt.timedelta(hours=1)


@pytest.fixture
def notified(world):
    """Three notifications for the supervisor (lead of the team new work lands in)."""
    escs = [world.escalation(role="agent", title=f"Case {i}") for i in range(3)]
    deliver_due(timezone.now())
    return world, escs


def badge(client) -> int:
    response = client.get("/notifications/unread/")
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    return int(re.search(r'data-unread="(\d+)"', response.content.decode())[1])


def test_the_header_polls_the_unread_count_and_the_inbox_lists_them(client, notified):
    world, escs = notified
    client.force_login(world.users["supervisor"])
    page = client.get("/escalations/").content.decode()
    assert 'hx-get="/notifications/unread/"' in page
    assert badge(client) == 3
    html = client.get("/notifications/").content.decode()
    assert all(e.reference in html for e in escs) and "Mark all read" in html


def test_mark_one_read_then_all(client, notified):
    world, escs = notified
    client.force_login(world.users["supervisor"])
    first = Notification.objects.filter(user=world.users["supervisor"]).order_by("pk").first()
    response = client.post(f"/notifications/{first.pk}/read/", {"open": "1"})
    assert response.status_code == 302 and response["Location"] == f"/escalations/{first.escalation.reference}/"
    assert badge(client) == 2
    assert client.post("/notifications/read-all/").status_code == 302
    assert badge(client) == 0
    assert "No notifications unread" in client.get("/notifications/?unread=1").content.decode()


def test_someone_elses_notification_cannot_be_marked(client, notified):
    world, _ = notified
    note = Notification.objects.filter(user=world.users["supervisor"]).first()
    client.force_login(world.users["agent"])
    assert client.post(f"/notifications/{note.pk}/read/").status_code == 404
    client.force_login(world.other_user)
    assert client.post(f"/notifications/{note.pk}/read/").status_code == 404
    assert client.get(f"/notifications/{note.pk}/read/").status_code == 405
    note.refresh_from_db()
    assert note.read_at is None
    client.logout()
    assert client.get("/notifications/").status_code == 302  # to the login page
    assert client.get("/notifications/unread/").status_code == 302


def test_preferences_page_saves_channels_and_quiet_hours(client, world):
    client.force_login(world.users["agent"])
    html = client.get("/notifications/preferences/").content.decode()
    assert "Quiet hours" in html and "SLA warnings" in html
    response = client.post("/notifications/preferences/", {
        "tenant": "ACME", "k_sla": ["in_app", "email"], "k_intake": [], "quiet_start": "22:00", "quiet_end": "07:00"})
    assert response.status_code == 302
    pref = NotificationPreference.objects.get(user=world.users["agent"])
    assert pref.tenant == world.tenant and pref.quiet_start == dt.time(22) and pref.quiet_end == dt.time(7)
    assert pref.channels["sla"] == ["in_app", "email"] and pref.channels["intake"] == []
    # Half a window is refused, readably.
    response = client.post("/notifications/preferences/", {"tenant": "ACME", "quiet_start": "22:00"})
    assert response.status_code == 422 and "give both the start and the end" in response.content.decode()
    assert client.post("/notifications/preferences/", {"tenant": "ACME", "quiet_start": "25:99"}).status_code == 422
    # Asking for another tenant's preferences shows one's own tenant instead.
    assert "Globex" not in client.get("/notifications/preferences/?tenant=GLOBEX").content.decode()


def _failed(world, tenant=None, key="x"):
    return OutboxMessage.objects.create(
        tenant=tenant or world.tenant, channel="email", idempotency_key=key, recipient_address="a@b.example",
        subject="s", body="b", state="failed", attempts=8, last_error="SMTPServerDisconnected: gone",
        last_attempt_at=world.now, next_attempt_at=world.now, created_at=world.now)


def test_supervisors_see_failed_messages_and_retry_them(client, world):
    mine, theirs = _failed(world, key="mine"), _failed(world, world.other_tenant, key="theirs")
    client.force_login(world.users["supervisor"])
    html = client.get("/notifications/outbox/").content.decode()
    assert f'data-message="{mine.pk}"' in html and f'data-message="{theirs.pk}"' not in html
    assert "SMTPServerDisconnected" in html and "a@b.example" in html
    response = client.post("/notifications/outbox/retry/", {"ids": [mine.pk]})
    assert response.status_code == 302
    mine.refresh_from_db()
    assert (mine.state, mine.attempts) == ("pending", 0) and mine.next_attempt_at <= timezone.now()
    # Another tenant's message: not found, and untouched.
    assert client.post("/notifications/outbox/retry/", {"ids": [theirs.pk]}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.state == "failed"
    assert client.post("/notifications/outbox/retry/", {"ids": ["x"]}).status_code == 302


def test_agents_and_client_viewers_may_not_see_the_outbox(client, world):
    message = _failed(world)
    for role in ("agent", "client_viewer"):
        client.force_login(world.users[role])
        assert client.get("/notifications/outbox/").status_code == 403
        assert client.post("/notifications/outbox/retry/", {"ids": [message.pk]}).status_code == 403
        message.refresh_from_db()
        assert message.state == "failed"


def test_the_admin_retry_action(admin_client, world):
    failed, sent = _failed(world, key="f"), _failed(world, key="s")
    OutboxMessage.objects.filter(pk=sent.pk).update(state="sent")
    response = admin_client.post("/admin/notifications/outboxmessage/", {
        "action": "retry", "_selected_action": [failed.pk, sent.pk]}, follow=True)
    assert response.status_code == 200 and "1 failed message(s) back in the queue" in response.content.decode()
    failed.refresh_from_db()
    sent.refresh_from_db()
    assert (failed.state, failed.attempts, sent.state) == ("pending", 0, "sent")
    assert admin_client.get(f"/admin/notifications/outboxmessage/{failed.pk}/change/").status_code == 200


def test_a_retried_message_is_delivered(world, smtp):
    inbox, _, _ = smtp
    message = _failed(world)
    from tierline.core.actors import Actor
    from tierline.notifications.services import retry_messages

    assert retry_messages([message.pk], actor=Actor.for_user(world.users["admin"]), now=world.now) == 1
    deliver_due(world.now)
    message.refresh_from_db()
    assert message.state == "sent" and [m["Message-ID"] for m in inbox.messages] == ["<x@tierline>"]


