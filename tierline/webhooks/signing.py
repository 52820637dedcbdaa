"""Request signing. Pure (no Django): receivers may copy this file as it is.

The signature covers "<timestamp>.<raw body>", so a captured request cannot be replayed later
with a fresh timestamp, and receivers that check the timestamp window reject stale replays.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

PREFIX = "sha256="


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def _bytes(value: str | bytes) -> bytes:
    return value.encode() if isinstance(value, str) else value


def sign(secret: str, timestamp: int | str, body: bytes | str) -> str:
    """The X-Tierline-Signature header value."""
    mac = hmac.new(_bytes(secret), _bytes(str(timestamp)) + b"." + _bytes(body), hashlib.sha256)
    return PREFIX + mac.hexdigest()


def verify_signature(secret: str, timestamp: int | str, body: bytes | str, signature: str, *,
                     now: dt.datetime | float, tolerance: int = 300) -> bool:
    """True if `signature` (X-Tierline-Signature) is ours for this timestamp and exact body, and
    the timestamp (X-Tierline-Timestamp) is within `tolerance` seconds of `now` either way.

    `body` must be the raw bytes received, before any JSON parsing: re-serialising changes them.
    """
    try:
        sent = int(str(timestamp).strip())
    except (TypeError, ValueError):
        return False
    current = now.timestamp() if isinstance(now, dt.datetime) else float(now)
    if abs(current - sent) > tolerance:
        return False
    if not isinstance(signature, str) or not signature.startswith(PREFIX):
        return False
    # compare_digest takes the same time whatever the first differing byte is.
    return hmac.compare_digest(sign(secret, sent, body).encode(), signature.strip().encode())
