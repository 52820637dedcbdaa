"""Customer emails are rendered by the worker at delivery, from the template text and context
pinned when the event was written: what the customer receives is byte for byte what rendering at
enqueue gave, a template edited in between changes nothing already queued, and a template that
will not render parks its own message only."""

import datetime as dt

from tierline import actions
from tierline.escalations.models import Escalation
from tierline.notifications.customer_mail import finish, render_message
from tierline.notifications.delivery import deliver_due
from tierline.notifications.models import OutboxMessage
from tierline.notifications.services import retry_messages
from tierline.notifications.status_links import issue_for_mail
from tierline.templating.defaults import BUILTIN
from tierline.templating.models import CommunicationTemplate
from tierline.templating.selection import render_for
from tierline.tenancy.models import Customer

H = dt.timedelta(hours=1)


def _at_enqueue(esc, kind, now):
    """What the customer got when the email was rendered inside the action (the old way)."""
    esc = Escalation.objects.get(pk=esc.pk)
    link = issue_for_mail(esc, now)
    return finish(render_for(esc, kind, now=now, status_link=link), link, esc.reference)


def _received(inbox, message):
    # The raw header: the parsed one stops at the first ":" of the key.
    [got] = [m for m in inbox.messages
             if f"<{message.idempotency_key}@tierline>" in dict(m.raw_items())["Message-ID"]]
    html = got.get_body(("html",))
    # Header folding of a non-ASCII subject leaves a leading space on the decoded value.
    return (str(got["Subject"]).strip(), got.get_body(("plain",)).get_content(),
            html.get_content() if html is not None else None)


def test_every_builtin_kind_arrives_byte_identical_to_rendering_at_enqueue(world, smtp):
    inbox, _, _ = smtp
    world.customer.email = "dana@example.com"
    world.customer.save()
    actor, now = world.actor("supervisor"), world.now
    expected = {}
    esc = world.escalation(title='Router "Ü" <keeps> rebooting & more', now=now)
    expected["acknowledgement"] = _at_enqueue(esc, "acknowledgement", now)
    esc = actions.escalate(esc, actor=actor, now=(now := now + H), reason="needs L2", trigger="hierarchical")
    expected["escalated"] = _at_enqueue(esc, "escalated", now)
    esc = actions.add_public_reply(esc, "We replace it today.\nLine two <b>", actor=actor, now=(now := now + H))
    expected["status_update"] = _at_enqueue(esc, "status_update", now)
    esc = actions.acknowledge(esc, actor=actor, now=(now := now + H))
    esc = actions.set_pending(esc, actor=actor, now=(now := now + H), waiting_on="customer")
    expected["waiting_for_you"] = _at_enqueue(esc, "waiting_for_you", now)
    esc = actions.resolve(esc, summary="Replaced.\nAll good", resolution_code="fixed", actor=actor, now=(now := now + H))
    expected["resolved"] = _at_enqueue(esc, "resolved", now)
    expected["satisfaction_survey"] = _at_enqueue(esc, "satisfaction_survey", now)
    assert set(expected) == set(BUILTIN)

    queued = {m.payload["kind"]: m for m in OutboxMessage.objects.filter(escalation=esc, channel="email")}
    assert set(queued) == set(BUILTIN)
    assert all(m.body == "" and m.template_source == "builtin:en" for m in queued.values())  # not rendered yet
    deliver_due(now + H)
    assert len(inbox.messages) == len(BUILTIN)
    for kind, message in queued.items():
        want = expected[kind]
        # The rendering itself, byte for byte ...
        got = render_message(message)
        assert (got.subject.encode(), got.text.encode(), (got.html or "").encode()) == (
            want.subject.encode(), want.text.encode(), (want.html or "").encode()), kind
        # ... and what came through a real SMTP server.
        subject, text, html = _received(inbox, message)
        assert subject == want.subject, kind
        assert text.replace("\r\n", "\n") == want.text.replace("\r\n", "\n"), kind
        assert html.replace("\r\n", "\n").rstrip("\n") == want.html.replace("\r\n", "\n").rstrip("\n"), kind
        message.refresh_from_db()
        assert message.state == "sent" and message.subject == want.subject and message.body == want.text


def test_a_template_edited_after_enqueue_does_not_change_a_queued_message(world, smtp):
    inbox, _, _ = smtp
    world.customer.email = "dana@example.com"
    world.customer.save()
    template = CommunicationTemplate.objects.create(
        tenant=world.tenant, kind="acknowledgement", language="en",
        subject="Old {{ escalation.reference }}", body_text="old text for {{ customer.first_name }}")
    esc = world.escalation()
    template.subject, template.body_text = "New {{ escalation.reference }}", "new text"
    template.save()  # version 2
    later = world.escalation()
    deliver_due(world.now + H)
    first, second = (OutboxMessage.objects.get(escalation=e, channel="email") for e in (esc, later))
    assert first.template_source == "tenant:en:v1" and second.template_source == "tenant:en:v2"
    assert _received(inbox, first)[:2] == (f"Old {esc.reference}", _received(inbox, first)[1])
    assert _received(inbox, first)[1].startswith("old text for Dana")
    assert _received(inbox, second)[0] == f"New {later.reference}"


def test_a_template_that_fails_at_delivery_parks_its_message_and_the_others_go(world, smtp):
    inbox, _, _ = smtp
    world.customer.email, world.customer.language = "dana@example.com", "fr"
    world.customer.save()
    gus = Customer.objects.create(tenant=world.tenant, name="Gus Guest", email="gus@example.com", language="en")
    # Saved without the admin's check, as a template whose output only fails on real data would be.
    broken = CommunicationTemplate.objects.create(
        tenant=world.tenant, kind="acknowledgement", language="fr",
        subject="{{ escalation.reference }} " + "{{ escalation.title }}" * 3, body_text="Bonjour")
    bad = world.escalation(title="x" * 200)
    good = world.escalation(customer=gus)
    stats = deliver_due(world.now + H)
    assert stats["failed"] == 1 and stats["sent"] >= 1
    parked = OutboxMessage.objects.get(escalation=bad, channel="email")
    assert parked.state == "failed" and parked.attempts == 1
    assert parked.last_error.startswith("template acknowledgement:") and "subject" in parked.last_error
    assert [m["To"] for m in inbox.messages] == ["gus@example.com"]
    assert OutboxMessage.objects.get(escalation=good, channel="email").state == "sent"

    # Fixed, then retried from the undelivered-messages page: rendered from the template in force.
    broken.subject = "Nous avons votre demande {{ escalation.reference }}"
    broken.save()
    retry_messages([parked.pk], actor=world.actor("supervisor"), now=world.now + 2 * H)
    deliver_due(world.now + 2 * H)
    parked.refresh_from_db()
    assert parked.state == "sent"
    assert inbox.messages[-1]["Subject"] == f"Nous avons votre demande {bad.reference}"


def test_the_queued_row_holds_only_the_fields_its_template_reads(world):
    world.customer.email = "dana@example.com"
    world.customer.save()
    CommunicationTemplate.objects.create(tenant=world.tenant, kind="status_update", language="en",
                                         subject="Update {{ escalation.reference }}", body_text="We moved on it.")
    esc = world.escalation()
    actions.customer_reply(esc, "my secret account number 4242", actor=_customer_actor(world),
                           now=world.now + H)
    actions.add_public_reply(esc, "On it", actor=world.actor(), now=world.now + 2 * H)
    message = OutboxMessage.objects.get(escalation=esc, payload__kind="status_update")
    assert "4242" not in str(message.render_context) and "On it" not in str(message.render_context)
    assert message.render_context["escalation"] == {"reference": esc.reference}


def _customer_actor(world):
    from tierline.core.actors import Actor

    return Actor.for_customer(world.customer)
