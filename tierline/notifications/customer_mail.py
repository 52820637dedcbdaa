"""Keeping the customer informed: the events a customer hears about become template emails.

Enqueued when the event is written (inside the action's transaction), rendered when delivered.
The row carries everything the rendering needs, fixed at enqueue: the template's text (pinned,
with its identity "tenant:<language>:v<version>" or "builtin:en"), and the render context as a
JSON snapshot, so the email describes the escalation as it was at that moment, exists only if the
change committed, and reads byte for byte what rendering at enqueue would have produced. The
template text is stored in the row, not only its version id: CommunicationTemplate keeps no
history, and a version id alone could not give back a text an admin has since replaced.

A template that fails to render at delivery does not block anything: its message is parked as
failed with the problem (notifications/delivery.py), visible and retryable in the outbox admin;
a retry drops the pin, so the message is rendered from the template in force once it is fixed.
The snapshot holds only the fields the pinned template reads (no more personal text than the
email itself carries); a fixed template that reads a field the snapshot lacks is parked again,
naming the undefined field.
"""

from __future__ import annotations

from tierline.audit.event_types import EventType
from tierline.notifications.keys import source
from tierline.notifications.models import OutboxMessage
from tierline.notifications.status_links import ensure_link, issue_for_mail
from tierline.templating.context import build_context
from tierline.templating.render import Rendered, TemplateProblem, references, render
from tierline.templating.selection import choose_template


def kinds_for(event, actor) -> list[str]:
    """Which customer templates an event calls for (most events: none)."""
    t = event.type
    if t == EventType.CREATED:
        return ["acknowledgement"]
    if t == EventType.ESCALATED:
        return ["escalated"]
    if t == EventType.PUBLIC_REPLY and event.data.get("from") != "customer" and actor.kind != "customer":
        return ["status_update"]
    if t == EventType.STATUS_CHANGED and (event.data.get("changes", {}).get("status") or [None, None])[1] == \
            "pending_customer":
        return ["waiting_for_you"]
    if t == EventType.RESOLVED:
        return ["resolved", "satisfaction_survey"]
    return []


def thread_id(esc) -> str:
    """One Message-ID per escalation that every customer email refers to, so mail clients thread
    them and replies come back with a reference the intake can match."""
    return f"<{esc.reference.lower()}@tierline>"


def with_reference(subject: str, reference: str) -> str:
    if f"[{reference}]" not in subject and reference not in subject:
        subject = f"{subject} [{reference}]"  # the intake matches replies by reference
    return subject[:300]


def finish(rendered: Rendered, link: str, reference: str) -> Rendered:
    """The last touches every customer email gets: the status-page link, the reference."""
    rendered = ensure_link(rendered, link)
    return rendered._replace(subject=with_reference(rendered.subject, reference))


# What delivery itself reads from the snapshot, whatever the template uses.
_ALWAYS = {("escalation", "reference"), ("status_page_url", None)}


def snapshot(context: dict, pin: dict) -> dict:
    """The context trimmed to what the pinned template reads (and delivery needs): the row holds
    no more personal text than the email will — the latest reply, say, when it does not show it."""
    used = references((pin["subject"], pin["text"], pin["html"] or "")) | _ALWAYS
    out = {}
    for name, value in context.items():
        if isinstance(value, dict):
            fields = {k: v for k, v in value.items() if (name, k) in used}
            if fields or (name, None) in used:
                out[name] = fields
        elif (name, None) in used:
            out[name] = value
    return out


def render_message(message: OutboxMessage) -> Rendered:
    """The email an enqueued customer message stands for; raises TemplateProblem. Without a pin
    (a parked message put back after its template was fixed) the template in force is used."""
    pin = message.template_pin
    if pin is None:
        chosen = choose_template(message.tenant, message.template_kind, message.template_language or None)
        pin, source = {"subject": chosen.subject, "text": chosen.text, "html": chosen.html}, chosen.source
    else:
        source = message.template_source
    context = message.render_context
    rendered = render((pin["subject"], pin["text"], pin["html"]), context, builtin=source.startswith("builtin:"))
    reference = context["escalation"]["reference"]
    return finish(rendered, context["status_page_url"], reference)._replace(source=source)


def enqueue_customer_mail(esc, events, actor, *, insert: bool = True, log: list[dict] | None = None
                          ) -> list[OutboxMessage]:
    """The customer's emails for these events; written here unless the caller (insert=False)
    writes them with its own rows. `log`: the escalation's events as already loaded (dicts)."""
    customer = esc.customer if esc.customer_id else None
    if customer is None or not customer.email:
        return []

    rows, link, contexts = [], None, {}
    language = customer.language
    for event in events:
        for kind in kinds_for(event, actor):
            link = link or issue_for_mail(esc, event.occurred_at)
            chosen = choose_template(esc.tenant, kind, language)
            context = contexts.get(event.occurred_at)
            if context is None:  # one snapshot per moment: the survey shares the resolution's
                context = contexts[event.occurred_at] = build_context(esc, now=event.occurred_at, status_link=link,
                                                                      events=log)
            rows.append(OutboxMessage(
                tenant_id=esc.tenant_id, channel=OutboxMessage.Channel.EMAIL,
                idempotency_key=f"{source(event)}:c{customer.pk}:{kind}", recipient_address=customer.email,
                subject=f"[{esc.reference}] {kind}", body="", escalation=esc, event=event,
                next_attempt_at=event.occurred_at, created_at=event.occurred_at,
                payload={"kind": kind, "thread": thread_id(esc), "from": esc.tenant.email_from,
                         "reply_to": esc.tenant.email_reply_to},
                template_kind=kind, template_language=language or "", template_source=chosen.source,
                template_pin={"subject": chosen.subject, "text": chosen.text, "html": chosen.html},
                render_context=snapshot(context, {"subject": chosen.subject, "text": chosen.text,
                                                  "html": chosen.html}),
            ))
    if rows and insert:
        OutboxMessage.objects.bulk_create(rows, ignore_conflicts=True)
    return rows


__all__ = ["TemplateProblem", "enqueue_customer_mail", "finish", "kinds_for", "render_message", "thread_id"]
