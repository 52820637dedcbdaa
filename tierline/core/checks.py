"""Argument checks every writer shares (the actions layer, the configuration services): the
domain error they raise carries the field name, so the API and the forms can point at it."""

from __future__ import annotations

import datetime as dt

from tierline.core.errors import InvalidInput


def require_aware(now: dt.datetime) -> None:
    if not isinstance(now, dt.datetime) or now.tzinfo is None or now.utcoffset() is None:
        raise InvalidInput("`now` must be a time-zone aware datetime", code="naive_datetime")


def text(value: str | None, field: str, *, required: bool = True, max_length: int = 20000) -> str:
    value = (value or "").strip()
    if required and not value:
        raise InvalidInput(f"{field} is required", fields={field: "required"})
    if len(value) > max_length:
        raise InvalidInput(f"{field} is too long (max {max_length} characters)",
                           fields={field: f"at most {max_length} characters"})
    return value


def choice(value: str, choices, field: str) -> str:
    valid = [c for c, _ in choices.choices]
    if value not in valid:
        raise InvalidInput(f"{field} must be one of: {', '.join(valid)}", fields={field: "invalid choice"})
    return value
