"""Delivering outbox messages: claim with a lease, send, then mark — never lose, never repeat.

A message is claimed by moving its next_attempt_at forward by a lease inside a short
transaction (SKIP LOCKED on PostgreSQL, so several workers share the queue). If the worker
dies mid-send the lease simply expires and another worker retries; receivers de-duplicate by the
idempotency key (Notification.source is unique; email carries it as Message-ID).
"""

from __future__ import annotations

import base64
import datetime as dt
import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction

from tierline.notifications.models import Notification, OutboxMessage

log = logging.getLogger(__name__)
LEASE = dt.timedelta(seconds=120)
MAX_BACKOFF = dt.timedelta(hours=1)


def backoff(attempts: int) -> dt.timedelta:
    return min(dt.timedelta(seconds=30 * 2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def claim(now: dt.datetime, batch: int = 50) -> list[OutboxMessage]:
    with transaction.atomic():
        rows = list(
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(state=OutboxMessage.State.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "id")[:batch]
        )
        ids = [m.pk for m in rows]
        if ids:
            OutboxMessage.objects.filter(pk__in=ids).update(next_attempt_at=now + LEASE)
    for m in rows:
        m.attempts += 1
    return rows


def _send(message: OutboxMessage, now: dt.datetime) -> None:
    if message.channel == OutboxMessage.Channel.IN_APP:
        try:
            with transaction.atomic():
                Notification.objects.get_or_create(
                    source=message,
                    defaults={"tenant_id": message.tenant_id, "user_id": message.recipient_user_id,
                              "escalation_id": message.escalation_id, "text": message.subject[:300],
                              "created_at": now},
                )
        except IntegrityError:
            pass  # delivered by a concurrent worker: exactly what idempotency is for
    elif message.channel == OutboxMessage.Channel.EMAIL:
        extra = message.payload or {}
        headers = {"Message-ID": f"<{message.idempotency_key}@tierline>"}
        if extra.get("thread"):
            headers.update({"In-Reply-To": extra["thread"], "References": extra["thread"]})
        if extra.get("kind") not in (None, "status_update"):
            headers["Auto-Submitted"] = "auto-generated"  # so autoresponders do not answer (no mail loops)
        email = EmailMultiAlternatives(
            subject=message.subject, body=message.body,
            from_email=extra.get("from") or settings.DEFAULT_FROM_EMAIL, to=[message.recipient_address],
            reply_to=[extra["reply_to"]] if extra.get("reply_to") else None, headers=headers,
        )
        if extra.get("html"):
            email.attach_alternative(extra["html"], "text/html")
        for item in extra.get("attachments") or ():  # scheduled reports: the file travels in the row
            email.attach(item["filename"], base64.b64decode(item["content_b64"]), item["content_type"])
        email.send(fail_silently=False)
    elif message.channel in (OutboxMessage.Channel.WEBHOOK, OutboxMessage.Channel.CHAT):
        from tierline.webhooks.delivery import send

        send(message, now)
    else:
        raise ValueError(f"unknown channel {message.channel}")


def deliver_due(now: dt.datetime, batch: int = 50) -> dict[str, int]:
    """One pass: claim due messages and deliver them. Returns counts for the worker's log."""
    stats = {"sent": 0, "retry": 0, "failed": 0}
    max_attempts = settings.TIERLINE["OUTBOX_MAX_ATTEMPTS"]
    for message in claim(now, batch):
        try:
            _send(message, now)
        except Exception as exc:  # any delivery failure is retried, then parked as failed
            error = f"{type(exc).__name__}: {exc}"[:2000]
            if message.attempts >= max_attempts:
                OutboxMessage.objects.filter(pk=message.pk).update(
                    state=OutboxMessage.State.FAILED, attempts=message.attempts, last_error=error)
                stats["failed"] += 1
                log.warning("outbox %s gave up after %s attempts: %s", message.pk, message.attempts, error)
            else:
                OutboxMessage.objects.filter(pk=message.pk).update(
                    attempts=message.attempts, last_error=error, next_attempt_at=now + backoff(message.attempts))
                stats["retry"] += 1
            continue
        OutboxMessage.objects.filter(pk=message.pk).update(
            state=OutboxMessage.State.SENT, attempts=message.attempts, sent_at=now, last_error="")
        stats["sent"] += 1
    return stats


def retry_failed(message_ids, now: dt.datetime) -> int:
    """Put parked messages back in the queue (admin action)."""
    return OutboxMessage.objects.filter(pk__in=message_ids, state=OutboxMessage.State.FAILED).update(
        state=OutboxMessage.State.PENDING, next_attempt_at=now, attempts=0)
