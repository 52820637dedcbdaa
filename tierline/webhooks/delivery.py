"""Sending one webhook or chat message; called by notifications.delivery for those channels.

Anything but a 2xx answer raises, and the outbox retries with backoff and finally parks the
message (notifications/delivery.py). Every attempt carries the same X-Tierline-Delivery id, so a
receiver that answered 200 but whose answer we never saw can drop the repeat.
"""

from __future__ import annotations

import datetime as dt
import http.client
import socket
import ssl

from tierline.webhooks.models import WebhookSubscription
from tierline.webhooks.payloads import encode
from tierline.webhooks.signing import sign
from tierline.webhooks.ssrf import Target, check_url

# Seconds for the connect and for each read: a slow receiver must not stall the worker's batch.
TIMEOUT = 5.0
# Receivers' answers are not used; read a little so keep-alive servers see a clean close.
MAX_RESPONSE_BYTES = 64 * 1024
USER_AGENT = "Tierline-Webhooks/1"

_tls_context: ssl.SSLContext | None = None


class WebhookError(Exception):
    """The receiver refused the delivery or the subscription can no longer be delivered to."""


def _tls() -> ssl.SSLContext:
    global _tls_context
    if _tls_context is None:
        _tls_context = ssl.create_default_context()
    return _tls_context


def _pinned(addresses: tuple[str, ...]):
    """A create_connection that dials the addresses already checked instead of resolving the
    name again: the Host header and the TLS certificate check still use the name."""
    def create_connection(address, timeout=TIMEOUT, source_address=None, *args, **kwargs):
        error: OSError | None = None
        for ip in addresses:
            try:
                return socket.create_connection((ip, address[1]), timeout, source_address)
            except OSError as exc:
                error = exc
        raise error or OSError("no address to connect to")
    return create_connection


def _connection(target: Target) -> http.client.HTTPConnection:
    if target.scheme == "https":
        conn = http.client.HTTPSConnection(target.host, target.port, timeout=TIMEOUT, context=_tls())
    else:
        conn = http.client.HTTPConnection(target.host, target.port, timeout=TIMEOUT)
    conn._create_connection = _pinned(target.addresses)
    return conn


class Pool:
    """Keep-alive connections for one delivery batch: one per (checked) target, reused while the
    receiver keeps it open. The URL check (SSRF, DNS) is done once per URL per batch — a batch
    lasts seconds, and the connection goes to the addresses that check approved."""

    def __init__(self) -> None:
        self._targets: dict[str, Target] = {}
        self._conns: dict[Target, http.client.HTTPConnection] = {}

    def target(self, url: str) -> Target:
        target = self._targets.get(url)
        if target is None:
            target = self._targets[url] = check_url(url)
        return target

    def take(self, target: Target) -> tuple[http.client.HTTPConnection, bool]:
        conn = self._conns.pop(target, None)
        return (conn, True) if conn is not None else (_connection(target), False)

    def give_back(self, target: Target, conn) -> None:
        self._conns[target] = conn

    def close(self) -> None:
        for conn in self._conns.values():
            conn.close()
        self._conns.clear()


# A kept-alive connection the receiver closed meanwhile fails like this before any answer:
# the request is sent again once, on a fresh connection (the delivery id de-duplicates it).
_STALE = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError, http.client.CannotSendRequest)


def _exchange(conn, target: Target, body: bytes, headers: dict[str, str]) -> tuple[int, bool]:
    conn.request("POST", target.path, body=body,
                 headers={"Content-Type": "application/json", "User-Agent": USER_AGENT, **headers})
    response = conn.getresponse()
    response.read(MAX_RESPONSE_BYTES)
    # Reusable only when the answer was read to its end and the receiver keeps the connection.
    reusable = not response.will_close and response.isclosed()
    return response.status, reusable


def post(url: str, body: bytes, headers: dict[str, str], pool: Pool | None = None) -> int:
    """POST once, without following redirects; return the status or raise."""
    own = pool is None
    pool = pool or Pool()
    try:
        target = pool.target(url)  # again at delivery: the name may resolve elsewhere by now
        conn, reused = pool.take(target)
        try:
            try:
                status, reusable = _exchange(conn, target, body, headers)
            except _STALE:
                if not reused:
                    raise
                conn.close()
                conn = _connection(target)
                status, reusable = _exchange(conn, target, body, headers)
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            # The host only: a chat webhook's path is its credential and last_error is shown in admin.
            raise WebhookError(f"{target.host}: {type(exc).__name__}: {exc}") from None
        if reusable:
            pool.give_back(target, conn)
        else:
            conn.close()
    finally:
        if own:
            pool.close()
    if not 200 <= status < 300:
        raise WebhookError(f"{target.host} answered HTTP {status}")
    return status


def signed_headers(secret: str, delivery_id: str, body: bytes, now: dt.datetime) -> dict[str, str]:
    timestamp = int(now.timestamp())
    return {
        "X-Tierline-Delivery": delivery_id,
        "X-Tierline-Timestamp": str(timestamp),
        "X-Tierline-Signature": sign(secret, timestamp, body),
    }


def send(message, now: dt.datetime, *, pool: Pool | None = None, subscriptions: dict | None = None) -> None:
    """Deliver one message. `subscriptions` caches rows for a batch (keyed by tenant and id)."""
    payload = message.payload or {}
    key = (message.tenant_id, payload.get("subscription"))
    if subscriptions is not None and key in subscriptions:
        subscription = subscriptions[key]
    else:
        subscription = WebhookSubscription.objects.filter(pk=key[1], tenant_id=key[0]).first()
        if subscriptions is not None:
            subscriptions[key] = subscription
    # Raising (not dropping) keeps the message while retries last: a subscription switched off
    # by mistake and back on in time still gets it.
    if subscription is None:
        raise WebhookError("the subscription no longer exists")
    if not subscription.is_active:
        raise WebhookError("the subscription is switched off")
    body = encode(payload["body"])
    post(subscription.url, body, signed_headers(subscription.secret, message.idempotency_key, body, now), pool)
