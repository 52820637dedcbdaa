"""The customer hears from us: template emails for the events customers care about, through a real
SMTP server, threaded, in the client's name, exactly once — and SMTP being down loses nothing."""

import datetime as dt
import email
import socket
from email import policy

import pytest
from aiosmtpd.controller import Controller

from tierline import actions
from tierline.notifications.delivery import deliver_due
from tierline.notifications.models import OutboxMessage
from tierline.templating.models import CommunicationTemplate

H = dt.timedelta(hours=1)


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.original_content, policy=policy.default))
        return "250 OK"


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(settings):
    inbox, port = Inbox(), _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 5
    yield inbox, controller, port
    controller.stop()


def _customer_mail(esc):
    return OutboxMessage.objects.filter(escalation=esc, channel="email").order_by("pk")


def test_customer_is_kept_informed_with_threaded_template_emails(world, smtp):
    inbox, _, _ = smtp
    world.tenant.email_from, world.tenant.email_reply_to = "Acme Care <care@acme.example>", "in@acme.example"
    world.tenant.save()
    world.customer.email = "dana@example.com"
    world.customer.save()
    esc = world.escalation(title="Router keeps rebooting")
    actor = world.actor("specialist")
    esc = actions.acknowledge(esc, actor=actor, now=world.now)
    esc = actions.add_public_reply(esc, "We are replacing the router today.", actor=actor, now=world.now + H)
    esc = actions.add_internal_note(esc, "SECRET internal remark", actor=actor, now=world.now + H)
    esc = actions.resolve(esc, summary="Router replaced", resolution_code="fixed", actor=actor, now=world.now + 2 * H)
    assert [m.payload["kind"] for m in _customer_mail(esc)] == [
        "acknowledgement", "status_update", "resolved", "satisfaction_survey"]
    deliver_due(world.now + 3 * H)
    deliver_due(world.now + 3 * H)  # a second pass sends nothing again
    assert len(inbox.messages) == 4
    first, reply = inbox.messages[0], inbox.messages[1]
    assert first["From"] == "Acme Care <care@acme.example>" and first["Reply-To"] == "in@acme.example"
    assert esc.reference in first["Subject"] and first["Auto-Submitted"] == "auto-generated"
    thread = f"<{esc.reference.lower()}@tierline>"
    assert all(m["In-Reply-To"] == thread for m in inbox.messages)
    assert "We are replacing the router today." in reply.get_body(("plain",)).get_content()
    assert reply.get_body(("html",)) is not None and reply["Auto-Submitted"] is None
    assert not any("SECRET" in m.as_string() for m in inbox.messages)


def test_tenant_template_in_the_customers_language_is_used(world, smtp):
    inbox, _, _ = smtp
    CommunicationTemplate.objects.create(tenant=world.tenant, kind="acknowledgement", language="fr",
                                         subject="Nous avons reçu votre demande {{ escalation.reference }}",
                                         body_text="Bonjour {{ customer.name }}, nous nous en occupons.")
    world.customer.email, world.customer.language = "dana@example.com", "fr-CA"
    world.customer.save()
    esc = world.escalation()
    deliver_due(world.now)
    assert inbox.messages[0]["Subject"] == f"Nous avons reçu votre demande {esc.reference}"
    assert "Bonjour Dana Customer" in inbox.messages[0].get_body(("plain",)).get_content()


def test_no_email_without_an_address_and_none_for_internal_events(world):
    with_address = world.escalation()
    actions.add_internal_note(with_address, "note", actor=world.actor(), now=world.now)
    actions.change_priority(with_address, "P1", actor=world.actor(), now=world.now)
    assert [m.payload["kind"] for m in _customer_mail(with_address)] == ["acknowledgement"]
    world.customer.email = ""
    world.customer.save()
    assert not _customer_mail(world.escalation()).exists()


def test_smtp_down_for_two_attempts_then_up_delivers_exactly_once(world, settings):
    world.customer.email = "dana@example.com"
    world.customer.save()
    port = _free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 2
    esc = world.escalation()
    now = world.now
    for _ in range(2):  # nobody listens on the port yet
        deliver_due(now)
        now += dt.timedelta(hours=2)
    message = _customer_mail(esc).get()
    assert message.state == "pending" and message.attempts == 2 and "refused" in message.last_error
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        deliver_due(now)
        deliver_due(now + H)
    finally:
        controller.stop()
    assert len(inbox.messages) == 1
    message.refresh_from_db()
    assert message.state == "sent" and message.attempts == 3
