"""Delivering outbox messages: claim with a lease, send, then mark — never lose, never repeat.

A message is claimed by moving its next_attempt_at forward by a lease inside a short
transaction (SKIP LOCKED on PostgreSQL, so several workers share the queue). If the worker
dies mid-send the lease simply expires and another worker retries; receivers de-duplicate by the
idempotency key (Notification.source is unique; email carries it as Message-ID; webhooks as
X-Tierline-Delivery).

Throughput: a batch shares one SMTP connection and keep-alive HTTP connections per webhook
target (a `Session`), caches webhook subscriptions, and marks each message with one precompiled
UPDATE right after its send — per message, not per batch, so a crash repeats at most the message
in flight. A batch stops early (and hands its unsent rest back to the queue) before its lease
could run out under slow receivers, so no other worker ever claims a message this one still holds.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
import smtplib
import time

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection, transaction

from tierline.notifications.customer_mail import TemplateProblem, render_message
from tierline.notifications.models import Notification, OutboxMessage
from tierline.notifications.services import reset
from tierline.webhooks.delivery import Pool, send

log = logging.getLogger(__name__)
MAX_BACKOFF = dt.timedelta(hours=1)
BATCH = 200


def lease() -> dt.timedelta:
    return dt.timedelta(seconds=settings.TIERLINE.get("OUTBOX_LEASE_SECONDS", 120))


def backoff(attempts: int) -> dt.timedelta:
    return min(dt.timedelta(seconds=30 * 2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def claim(now: dt.datetime, batch: int = BATCH) -> list[OutboxMessage]:
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # This commit waits for the WAL flush whatever the session says: the SLA ticks that
            # wrote these messages commit without waiting (actions/sweep.py), and this flush is what
            # makes them durable before anything leaves the building.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = on")
        rows = list(
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(state=OutboxMessage.State.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "id")[:batch]
        )
        ids = [m.pk for m in rows]
        if ids:
            OutboxMessage.objects.filter(pk__in=ids).update(next_attempt_at=now + lease())
    for m in rows:
        m.attempts += 1
    return rows


class Session:
    """Connections shared by one batch: one SMTP connection (opened on the first email), and the
    webhook pool. A broken SMTP connection is dropped and the next email opens a new one."""

    def __init__(self) -> None:

        self._smtp = None
        self.pool = Pool()
        self.subscriptions: dict = {}

    def send_email(self, email: EmailMultiAlternatives) -> None:
        fresh = self._smtp is None
        if fresh:
            self._smtp = get_connection(fail_silently=False)
            self._smtp.open()
        try:
            self._smtp.send_messages([email])
        except smtplib.SMTPServerDisconnected:
            # The server hung up on an idle, reused connection: nothing was accepted, try a new one.
            self.drop_smtp()
            if fresh:
                raise
            self.send_email(email)
        except Exception:
            self.drop_smtp()  # its state is unknown after an error: never reuse it
            raise

    def drop_smtp(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.close()
            except Exception:  # closing a broken connection may fail too; it is gone either way
                pass
            self._smtp = None

    def close(self) -> None:
        self.drop_smtp()
        self.pool.close()


def _email(message: OutboxMessage) -> EmailMultiAlternatives:
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
    return email


class Unrenderable(Exception):
    """The message's template cannot be rendered: retrying the same pinned text cannot help, so
    the message is parked as failed at once (a retry from the admin re-renders from the template
    in force)."""


def _render(message: OutboxMessage) -> None:
    """A customer email enqueued with its template and context: rendered now, in place."""
    try:
        rendered = render_message(message)
    except TemplateProblem as problem:
        raise Unrenderable(f"template {message.template_kind}: {problem}") from None
    message.subject, message.body = rendered.subject, rendered.text
    message.payload = {**(message.payload or {}), "html": rendered.html}
    message.rendered_here = True


def _send(message: OutboxMessage, now: dt.datetime, session: Session) -> None:
    if message.channel == OutboxMessage.Channel.IN_APP:
        # One INSERT … ON CONFLICT DO NOTHING: the unique source makes a redelivery (a concurrent
        # worker, or a retry after a crash) a no-op.
        Notification.objects.bulk_create([Notification(
            source_id=message.pk, tenant_id=message.tenant_id, user_id=message.recipient_user_id,
            escalation_id=message.escalation_id, text=message.subject[:300], created_at=now)],
            ignore_conflicts=True)
    elif message.channel == OutboxMessage.Channel.EMAIL:
        if message.render_context is not None:
            _render(message)
        session.send_email(_email(message))
    elif message.channel in (OutboxMessage.Channel.WEBHOOK, OutboxMessage.Channel.CHAT):

        send(message, now, pool=session.pool, subscriptions=session.subscriptions)
    else:
        raise ValueError(f"unknown channel {message.channel}")


_SET = {
    "sent": ("state", "attempts", "sent_at", "last_error", "last_attempt_at"),
    # A message rendered at delivery keeps what was sent, as one rendered at enqueue always did.
    "sent_rendered": ("state", "attempts", "sent_at", "last_error", "last_attempt_at", "subject", "body", "payload"),
    "retry": ("attempts", "last_error", "next_attempt_at", "last_attempt_at"),
    "failed": ("state", "attempts", "last_error", "last_attempt_at"),
    "release": ("next_attempt_at",),
}
_sql: dict[tuple[str, str], str] = {}


def _mark(outcome: str, pk: int, **values) -> None:
    """One UPDATE by primary key, its SQL built once per connection vendor (compiling a queryset
    update costs more than running it, and this runs once per message)."""
    opts, quote = OutboxMessage._meta, connection.ops.quote_name
    names = _SET[outcome]
    key = (connection.vendor, outcome)
    sql = _sql.get(key)
    if sql is None:
        sql = _sql[key] = (f"UPDATE {quote(opts.db_table)} SET "
                           + ", ".join(f"{quote(opts.get_field(n).column)} = %s" for n in names)
                           + f" WHERE {quote(opts.pk.column)} = %s")
    params = [opts.get_field(n).get_db_prep_save(values[n], connection) for n in names]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, pk])


def deliver_due(now: dt.datetime, batch: int = BATCH) -> dict[str, int]:
    """One pass: claim due messages and deliver them. Returns counts for the worker's log."""
    stats = {"sent": 0, "retry": 0, "failed": 0}
    max_attempts = settings.TIERLINE["OUTBOX_MAX_ATTEMPTS"]
    messages = claim(now, batch)
    if not messages:
        return stats
    session = Session()
    started = time.monotonic()
    # Stop starting new sends once half the lease is gone (one send may take ~10 s at worst).
    budget = lease().total_seconds() / 2
    try:
        for index, message in enumerate(messages):
            if time.monotonic() - started > budget:
                for rest in messages[index:]:  # unsent and unattempted: due again at once
                    _mark("release", rest.pk, next_attempt_at=now)
                break
            try:
                _send(message, now, session)
            except Exception as exc:  # any delivery failure is retried, then parked as failed
                error = (str(exc) if isinstance(exc, Unrenderable) else f"{type(exc).__name__}: {exc}")[:2000]
                if message.attempts >= max_attempts or isinstance(exc, Unrenderable):
                    _mark("failed", message.pk, state=OutboxMessage.State.FAILED, attempts=message.attempts,
                          last_error=error, last_attempt_at=now)
                    stats["failed"] += 1
                    log.warning("outbox %s gave up after %s attempts: %s", message.pk, message.attempts, error)
                else:
                    _mark("retry", message.pk, attempts=message.attempts, last_error=error,
                          next_attempt_at=now + backoff(message.attempts), last_attempt_at=now)
                    stats["retry"] += 1
                continue
            if getattr(message, "rendered_here", False):
                _mark("sent_rendered", message.pk, state=OutboxMessage.State.SENT, attempts=message.attempts,
                      sent_at=now, last_error="", last_attempt_at=now, subject=message.subject[:300],
                      body=message.body, payload=message.payload)
            else:
                _mark("sent", message.pk, state=OutboxMessage.State.SENT, attempts=message.attempts, sent_at=now,
                      last_error="", last_attempt_at=now)
            stats["sent"] += 1
    finally:
        session.close()
    return stats


def retry_failed(message_ids, now: dt.datetime) -> int:
    """Put parked messages back in the queue (kept for callers of the old name)."""

    return reset(message_ids, now)
