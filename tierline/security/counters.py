"""Fixed-window counting in the database, atomic across processes on SQLite and PostgreSQL.

One upsert per hit: INSERT … ON CONFLICT DO UPDATE … RETURNING (SQLite ≥ 3.35, PostgreSQL ≥ 9.5)
counts and resets in one statement, so two processes never lose a count between a read and a
write.
"""

from __future__ import annotations

import hashlib
import math

from django.conf import settings
from django.db import connection

from tierline.security.models import RateCounter

_TABLE = RateCounter._meta.db_table
_SQL = (
    f"INSERT INTO {_TABLE} (bucket_key, window_start, hits) VALUES (%s, %s, 1) "
    f"ON CONFLICT (bucket_key) DO UPDATE SET "
    f"hits = CASE WHEN {_TABLE}.window_start = excluded.window_start THEN {_TABLE}.hits + 1 ELSE 1 END, "
    f"window_start = excluded.window_start RETURNING hits"
)


def key_for(bucket: str, ident: str) -> str:
    # Hashed: addresses and token prefixes do not sit in the table in clear.
    return f"{bucket}:{hashlib.sha256(ident.encode()).hexdigest()[:40]}"


def bump(bucket: str, ident: str, *, window_seconds: int, now: float) -> int:
    """Count one hit in the current window and return the window's count so far."""
    window = math.floor(now / window_seconds) * window_seconds  # the window's start, epoch seconds
    with connection.cursor() as cursor:
        cursor.execute(_SQL, [key_for(bucket, ident), window])
        return cursor.fetchone()[0]


def retry_after(window_seconds: int, now: float) -> int:
    return int(window_seconds - now % window_seconds) + 1


def hit(bucket: str, ident: str, *, limit: int, window_seconds: int, now: float) -> int | None:
    """None if allowed; else the seconds until the caller may retry."""
    if bump(bucket, ident, window_seconds=window_seconds, now=now) > limit:
        return retry_after(window_seconds, now)
    return None


def prune(now: float, older_than_seconds: int = 86400) -> int:
    """Drop counters whose window started long ago."""
    return RateCounter.objects.filter(window_start__lt=now - older_than_seconds).delete()[0]


_last_prune = {"at": 0.0}
PRUNE_EVERY_SECONDS = 3600


def prune_if_due(now: float) -> int:
    """The worker's hourly clean-up (per worker process; a second pruner finds nothing to do)."""
    if now - _last_prune["at"] < PRUNE_EVERY_SECONDS:
        return 0
    _last_prune["at"] = now
    return prune(now)


def client_ip(request) -> str:
    # Behind the documented reverse proxy the peer is the proxy; the proxy appends the client.
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "") or "unknown"
