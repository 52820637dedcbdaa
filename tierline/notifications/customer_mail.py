"""Keeping the customer informed: the events a customer hears about become template emails.

Rendered when the event is written (inside the action's transaction), so the email describes the
escalation as it was at that moment, and exists only if the change committed. A template that
fails to render does not block the change: its message is parked as failed with the problem,
visible and retryable in the outbox admin once the template is fixed.
"""

from __future__ import annotations

from tierline.audit.event_types import EventType
from tierline.notifications.models import OutboxMessage
from tierline.notifications.status_links import ensure_link, issue_for_mail
from tierline.templating.render import TemplateProblem
from tierline.templating.selection import render_for


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


def enqueue_customer_mail(esc, events, actor, *, insert: bool = True, log: list[dict] | None = None
                          ) -> list[OutboxMessage]:
    """The customer's emails for these events; written here unless the caller (insert=False)
    writes them with its own rows. `log`: the escalation's events as already loaded (dicts)."""
    customer = esc.customer if esc.customer_id else None
    if customer is None or not customer.email:
        return []

    rows, link = [], None
    for event in events:
        for kind in kinds_for(event, actor):
            state, error = OutboxMessage.State.PENDING, ""
            link = link or issue_for_mail(esc, event.occurred_at)
            try:
                rendered = ensure_link(render_for(esc, kind, now=event.occurred_at, status_link=link, events=log),
                                       link)
                subject, text, html, source = rendered.subject, rendered.text, rendered.html, rendered.source
            except TemplateProblem as problem:
                state, error = OutboxMessage.State.FAILED, f"template {kind}: {problem}"
                subject, text, html, source = f"[{esc.reference}] {kind}", "", None, ""
            if f"[{esc.reference}]" not in subject and esc.reference not in subject:
                subject = f"{subject} [{esc.reference}]"  # the intake matches replies by reference
            rows.append(OutboxMessage(
                tenant_id=esc.tenant_id, channel=OutboxMessage.Channel.EMAIL,
                idempotency_key=f"ev{event.pk}:c{customer.pk}:{kind}", recipient_address=customer.email,
                subject=subject[:300], body=text, escalation=esc, event=event, state=state, last_error=error,
                next_attempt_at=event.occurred_at, created_at=event.occurred_at,
                payload={"kind": kind, "html": html, "template": source, "thread": thread_id(esc),
                         "from": esc.tenant.email_from, "reply_to": esc.tenant.email_reply_to},
            ))
    if rows and insert:
        OutboxMessage.objects.bulk_create(rows, ignore_conflicts=True)
    return rows
