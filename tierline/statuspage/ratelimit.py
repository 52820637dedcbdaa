"""Fixed-window request counters for the anonymous status page, kept in Django's cache.

With the default LocMemCache each process counts alone, so N gunicorn workers allow up to N
times the limit; configure a shared cache (CACHES) to make the limit exact. Counting is
best-effort by design: a cache miss lets a request through rather than failing it.
"""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.core.cache import cache

# method -> (requests allowed, window in seconds), per token and per client IP alike.
DEFAULT_LIMITS = {"GET": (120, 60), "POST": (30, 600)}
_clock = time.time  # replaced by tests that must not straddle a window boundary


def limits() -> dict[str, tuple[int, int]]:
    configured = getattr(settings, "TIERLINE", {}).get("STATUS_PAGE_LIMITS") or {}
    return {**DEFAULT_LIMITS, **configured}


def client_ip(request) -> str:
    # Behind the documented reverse proxy the peer is the proxy; the proxy appends the client.
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _key(kind: str, method: str, ident: str, window: int, now: float) -> str:
    # Hashed: the token must not sit in cache keys (a shared cache is readable by other apps).
    digest = hashlib.sha256(ident.encode()).hexdigest()[:32]
    return f"tierline:statuspage:{kind}:{method}:{digest}:{int(now // window)}"


def hit(request, token: str) -> int | None:
    """Count this request; None if allowed, else the seconds until the caller may retry."""
    method = "POST" if request.method == "POST" else "GET"
    allowed, window = limits()[method]
    now = _clock()
    retry = None
    for kind, ident in (("ip", client_ip(request)), ("token", token)):
        key = _key(kind, method, ident, window, now)
        if cache.add(key, 1, timeout=window + 1):
            count = 1
        else:
            try:
                count = cache.incr(key)
            except ValueError:  # expired between add and incr: this is the window's first request
                cache.set(key, 1, timeout=window + 1)
                count = 1
        if count > allowed:
            retry = max(retry or 0, int(window - now % window) + 1)
    return retry
