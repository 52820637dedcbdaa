"""The outbox from the recipient's side: messages arrive once, failures retry and then park."""

import datetime as dt
import socket

import pytest
from aiosmtpd.controller import Controller

from tierline import actions
from tierline.core.errors import InvalidInput
from tierline.notifications.delivery import deliver_due, retry_failed
from tierline.notifications.models import Notification, OutboxMessage


def test_owner_hears_of_escalation_once_even_if_delivered_twice(world):
    esc = world.escalation(owner=world.users["agent"])
    actions.escalate(esc, actor=world.actor("supervisor"), now=world.now, reason="needs L2", trigger="hierarchical")
    later = world.now + dt.timedelta(seconds=1)
    assert deliver_due(later)["sent"] >= 1
    texts = list(Notification.objects.filter(user=world.users["agent"]).values_list("text", flat=True))
    assert any("escalated to Technical support L2" in t for t in texts)
    # A crashed worker's lease expiring means the same message may be handed out again.
    OutboxMessage.objects.update(state="pending", next_attempt_at=later)
    deliver_due(later)
    assert Notification.objects.filter(user=world.users["agent"]).count() == len(texts)


def test_actor_is_not_notified_of_own_action(world):
    supervisor = world.users["supervisor"]
    esc = world.escalation(owner=supervisor)
    actions.change_priority(esc, "P1", actor=world.actor("supervisor"), now=world.now)
    assert not OutboxMessage.objects.filter(recipient_user=supervisor).exists()


def test_refused_action_leaves_no_message(world):
    esc = world.escalation(owner=world.users["agent"])
    before = OutboxMessage.objects.count()
    with pytest.raises(InvalidInput):
        actions.escalate(esc, actor=world.actor("supervisor"), now=world.now, reason="x", trigger="bogus")
    assert OutboxMessage.objects.count() == before


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _email(world, now, key="k1"):
    return OutboxMessage.objects.create(
        tenant=world.tenant, channel="email", idempotency_key=key, recipient_address="dana@example.com",
        subject="Your escalation", body="We are on it.", next_attempt_at=now, created_at=now)


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.content.decode())
        return "250 OK"


def test_email_reaches_a_real_smtp_server_with_idempotency_message_id(world, settings):
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        _email(world, world.now)
        assert deliver_due(world.now) == {"sent": 1, "retry": 0, "failed": 0}
    finally:
        controller.stop()
    assert len(inbox.messages) == 1
    assert "Message-ID: <k1@tierline>" in inbox.messages[0] and "We are on it." in inbox.messages[0]


def test_unreachable_smtp_retries_with_backoff_then_parks_and_can_be_retried(world, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", _free_port(), 2
    settings.TIERLINE = {**settings.TIERLINE, "OUTBOX_MAX_ATTEMPTS": 3}
    message = _email(world, world.now)
    now = world.now
    assert deliver_due(now) == {"sent": 0, "retry": 1, "failed": 0}
    message.refresh_from_db()
    assert message.attempts == 1 and "Connection refused" in message.last_error
    assert message.next_attempt_at == now + dt.timedelta(seconds=30)
    assert deliver_due(now + dt.timedelta(seconds=29))["retry"] == 0  # not due yet
    now += dt.timedelta(seconds=30)
    deliver_due(now)
    message.refresh_from_db()
    assert message.next_attempt_at == now + dt.timedelta(seconds=60)  # doubled
    now += dt.timedelta(seconds=60)
    assert deliver_due(now) == {"sent": 0, "retry": 0, "failed": 1}
    message.refresh_from_db()
    assert message.state == "failed" and message.attempts == 3
    assert deliver_due(now + dt.timedelta(days=1)) == {"sent": 0, "retry": 0, "failed": 0}
    assert retry_failed([message.pk], now) == 1
    message.refresh_from_db()
    assert message.state == "pending" and message.attempts == 0
