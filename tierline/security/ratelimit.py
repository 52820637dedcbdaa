"""Rate limits on the API and the login form, counted in the database (see counters.py).

The status page counts its own (per link and per address, statuspage/ratelimit.py) with the same
counters. A refusal is 429 with `Retry-After` and the API's error body, code `rate_limited`.
"""

from __future__ import annotations

import json
import time

from django.conf import settings
from django.http import HttpResponse

from tierline.core.middleware import database_unavailable
from tierline.security import counters
from tierline.security.counters import client_ip

# bucket -> (requests allowed, window seconds); TIERLINE["RATE_LIMITS"] overrides any of them.
DEFAULT_LIMITS = {
    "api": (600, 60),        # per API token (or per address without one)
    "login": (30, 300),      # password and code submissions per address; axes locks per account
}
_clock = time.time  # replaced by tests that must not straddle a window boundary


def limits() -> dict[str, tuple[int, int]]:
    return {**DEFAULT_LIMITS, **(settings.TIERLINE.get("RATE_LIMITS") or {})}


def too_many(retry: int, message: str = "too many requests; retry later") -> HttpResponse:
    body = {"error": {"code": "rate_limited", "message": message, "fields": {}, "retry_after": retry}}
    response = HttpResponse(json.dumps(body), status=429, content_type="application/json")
    response["Retry-After"] = str(retry)
    return response


def _bucket(request) -> tuple[str, str] | None:
    path = request.path_info
    if path.startswith("/api/v1/"):
        auth = request.META.get("HTTP_AUTHORIZATION", "")
        parts = auth.split("_", 2) if auth.startswith("Bearer ") else []
        # The token's public prefix: a forged secret still counts against that token's budget.
        ident = f"token:{parts[1]}" if len(parts) == 3 else f"ip:{client_ip(request)}"
        return "api", ident
    if request.method == "POST" and path in ("/login/", "/login/code/", "/admin/login/"):
        return "login", client_ip(request)
    return None


class RateLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        bucket = _bucket(request)
        if bucket is not None:
            allowed, window = limits()[bucket[0]]
            try:
                retry = counters.hit(bucket[0], bucket[1], limit=allowed, window_seconds=window, now=_clock())
            except Exception as exc:  # the counter lives in the database: a lost connection is a 503

                response = database_unavailable(request, exc)
                if response is None:
                    raise
                return response
            if retry is not None:
                return too_many(retry)
        return self.get_response(request)
