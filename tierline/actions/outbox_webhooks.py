"""Writing webhook and chat outbox rows, from inside the action's transaction.

One row per (active subscription, event): the key wh<subscription>:ev<event> (SLA events: the
mark, notifications/keys.py) is unique, so an
action retried after a crash, or this function called twice, enqueues nothing new. The key is
also the delivery id receivers de-duplicate by.
"""

from __future__ import annotations

from tierline.core.batchmemo import memo
from tierline.notifications.keys import source
from tierline.notifications.models import OutboxMessage
from tierline.webhooks.models import WebhookSubscription
from tierline.webhooks.payloads import event_document, headline, render


def delivery_key(subscription_id: int, event) -> str:
    return f"wh{subscription_id}:{source(event)}"


def enqueue_webhooks(esc, events, *, insert: bool = True) -> list[OutboxMessage]:
    """The rows for these events; written here unless the caller (insert=False) writes them
    together with its own."""
    if not events:
        return []
    # One indexed query per action (per sweep pass for the worker); most tenants have no
    # subscriptions and stop here.
    subscriptions = memo(("webhook_subscriptions", esc.tenant_id), lambda: list(
        WebhookSubscription.objects.filter(tenant_id=esc.tenant_id, is_active=True).only("pk", "format", "event_types")))
    if not subscriptions:
        return []
    rows = []
    for event in events:
        for sub in subscriptions:
            if not sub.wants(event.type):
                continue
            key = delivery_key(sub.pk, event)
            document = event_document(esc, event, key)
            text = f"{esc.reference} {headline(document)}"[:300]
            rows.append(OutboxMessage(
                tenant_id=esc.tenant_id, channel=sub.channel, idempotency_key=key,
                subject=text, body=text, escalation=esc, event=event,
                payload={"subscription": sub.pk, "format": sub.format, "body": render(sub.format, document)},
                next_attempt_at=event.occurred_at, created_at=event.occurred_at,
            ))
    if rows and insert:
        OutboxMessage.objects.bulk_create(rows, ignore_conflicts=True)
    return rows
