"""The JSON form of a business calendar (stored with SLA policies, read by the CLI). Pure.

    {"timezone": "Europe/Paris",
     "hours": {"mon": [["09:00", "12:30"], ["13:30", "18:00"]], "tue": [...], "sun": []},
     "holidays": {"country": "FR", "subdivision": null},
     "closed": ["2026-12-24"],
     "special": {"2026-12-31": [["09:00", "13:00"]]}}

or ``{"timezone": "UTC", "always_open": true}``. Missing weekdays are closed; ``holidays``,
``closed`` and ``special`` are optional. This module checks the JSON shape (keys, types, dates);
the meaning (times, overlaps, known zones and holiday countries) is checked by BusinessCalendar
itself, so a calendar built in Python is held to the same rules. Every error is a CalendarError
whose message starts with the path of the offending field, e.g. ``hours.mon[1][0]: ...``.
"""

from __future__ import annotations

import re
from datetime import date

from tierline.calendars.timecalc import WEEKDAYS, BusinessCalendar, CalendarError, format_clock

__all__ = ["CalendarError", "calendar_from_dict", "calendar_to_dict"]

TOP_LEVEL = ("timezone", "hours", "holidays", "closed", "special", "always_open")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _parse_date(value, path: str) -> date:
    if isinstance(value, str) and _DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    shown = f'"{value}"' if isinstance(value, str) else repr(value)
    raise CalendarError(f"{path}: {shown} is not a date (YYYY-MM-DD)")


def _intervals(value, path: str) -> list:
    if not isinstance(value, list):
        raise CalendarError(f'{path}: a list of ["HH:MM", "HH:MM"] intervals is required')
    for i, pair in enumerate(value):
        if not isinstance(pair, list) or len(pair) != 2:
            raise CalendarError(f'{path}[{i}]: an interval is ["HH:MM", "HH:MM"]')
        for j, clock in enumerate(pair):
            if not isinstance(clock, str):
                raise CalendarError(f"{path}[{i}][{j}]: {clock!r} is not a time (HH:MM)")
    return value


def _check_keys(d: dict, allowed, prefix: str):
    for key in d:
        if key not in allowed:
            where = f"{prefix}{key}" if prefix else str(key)
            raise CalendarError(f"{where}: unknown field (expected one of {', '.join(allowed)})")


def calendar_from_dict(d: dict) -> BusinessCalendar:
    if not isinstance(d, dict):
        raise CalendarError("calendar: a JSON object is required")
    _check_keys(d, TOP_LEVEL, "")
    if "timezone" not in d:
        raise CalendarError('timezone: required (an IANA name such as "Europe/Paris" or "UTC")')
    timezone = d["timezone"]
    if not isinstance(timezone, str):
        raise CalendarError(f"timezone: {timezone!r} is not a time zone name")

    always_open = d.get("always_open", False)
    if not isinstance(always_open, bool):
        raise CalendarError(f"always_open: true or false is required, got {always_open!r}")
    if always_open:
        for key in ("hours", "holidays", "closed", "special"):
            if key in d:
                raise CalendarError(
                    f"{key}: not allowed with always_open (a 24x7 calendar has no closed time; for a "
                    "24x7 desk that closes on holidays use hours 00:00-24:00 every day)"
                )

    raw_hours = d.get("hours", {})
    if not isinstance(raw_hours, dict):
        raise CalendarError('hours: an object such as {"mon": [["09:00", "17:00"]]} is required')
    for key in raw_hours:
        if key not in WEEKDAYS:
            raise CalendarError(f"hours.{key}: unknown weekday (expected {', '.join(WEEKDAYS)})")
    hours = tuple(
        _intervals(raw_hours[name], f"hours.{name}") if name in raw_hours else [] for name in WEEKDAYS
    )

    country = subdivision = None
    raw_holidays = d.get("holidays")
    if raw_holidays is not None:
        if not isinstance(raw_holidays, dict):
            raise CalendarError(
                'holidays: an object {"country": "FR", "subdivision": null} or null is required'
            )
        _check_keys(raw_holidays, ("country", "subdivision"), "holidays.")
        country = raw_holidays.get("country")
        subdivision = raw_holidays.get("subdivision")
        if not isinstance(country, str):
            raise CalendarError(f'holidays.country: a country code such as "FR" is required, got {country!r}')
        if subdivision is not None and not isinstance(subdivision, str):
            raise CalendarError(
                f"holidays.subdivision: a subdivision code or null is required, got {subdivision!r}"
            )

    raw_closed = d.get("closed", [])
    if not isinstance(raw_closed, list):
        raise CalendarError('closed: a list of dates ["YYYY-MM-DD", ...] is required')
    closed = frozenset(_parse_date(v, f"closed[{i}]") for i, v in enumerate(raw_closed))

    raw_special = d.get("special", {})
    if not isinstance(raw_special, dict):
        raise CalendarError('special: an object {"YYYY-MM-DD": [["HH:MM", "HH:MM"], ...]} is required')
    special = {}
    for key, value in raw_special.items():
        day = _parse_date(key, "special")
        special[day] = _intervals(value, f"special.{key}")

    return BusinessCalendar(
        timezone=timezone,
        hours=hours,
        holiday_country=country,
        holiday_subdivision=subdivision,
        closed=closed,
        special=tuple(special.items()),
        always_open=always_open,
    )


def _intervals_out(intervals) -> list[list[str]]:
    return [[format_clock(s), format_clock(e)] for s, e in intervals]


def calendar_to_dict(cal: BusinessCalendar) -> dict:
    """The canonical JSON form: all seven weekdays, sorted dates. calendar_from_dict reads it
    back to an equal calendar."""
    if cal.always_open:
        return {"timezone": cal.timezone, "always_open": True}
    return {
        "timezone": cal.timezone,
        "hours": {name: _intervals_out(cal.hours[k]) for k, name in enumerate(WEEKDAYS)},
        "holidays": (
            {"country": cal.holiday_country, "subdivision": cal.holiday_subdivision}
            if cal.holiday_country
            else None
        ),
        "closed": sorted(d.isoformat() for d in cal.closed),
        "special": {d.isoformat(): _intervals_out(ivs) for d, ivs in cal.special},
    }
