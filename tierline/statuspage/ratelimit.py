"""Fixed-window request counters for the anonymous status page, kept in the database
(tierline/security/counters.py), so every web process counts against the same limit."""

from __future__ import annotations

import time

from django.conf import settings

from tierline.security import counters
from tierline.security.counters import client_ip

# method -> (requests allowed, window in seconds), per token and per client IP alike.
DEFAULT_LIMITS = {"GET": (120, 60), "POST": (30, 600)}
_clock = time.time  # replaced by tests that must not straddle a window boundary


def limits() -> dict[str, tuple[int, int]]:
    configured = getattr(settings, "TIERLINE", {}).get("STATUS_PAGE_LIMITS") or {}
    return {**DEFAULT_LIMITS, **configured}


def hit(request, token: str) -> int | None:
    """Count this request; None if allowed, else the seconds until the caller may retry."""
    method = "POST" if request.method == "POST" else "GET"
    allowed, window = limits()[method]
    now = _clock()
    retry = None
    for kind, ident in (("ip", client_ip(request)), ("token", token)):
        count = counters.bump(f"status:{kind}:{method}", ident, window_seconds=window, now=now)
        if count > allowed:
            retry = max(retry or 0, int(window - now % window) + 1)
    return retry
