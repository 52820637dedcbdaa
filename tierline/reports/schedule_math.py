"""When a scheduled report runs and which period it covers. Pure: no Django.

Weekly reports run on Monday at 07:00 in the recipient's time zone and cover the week before
(Monday 00:00 to Monday 00:00, local); monthly ones run on the 1st at 07:00 and cover the month
before. A run is identified by its period's start, so running it twice is recognisable.
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from zoneinfo import ZoneInfo

SEND_AT = dt.time(7, 0)
FREQUENCIES = ("weekly", "monthly")


@functools.cache
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def is_time_zone(name: str) -> bool:
    """An IANA zone name this machine knows (ZoneInfo alone also opens stray files, such as
    "localtime", which a schedule must not depend on)."""
    return name in _zones()


def _period_end_on_or_before(day: dt.date, frequency: str) -> dt.date:
    if frequency == "weekly":
        return day - dt.timedelta(days=day.weekday())
    if frequency == "monthly":
        return day.replace(day=1)
    raise ValueError(f"unknown frequency {frequency!r}")


def _previous_start(end: dt.date, frequency: str) -> dt.date:
    if frequency == "weekly":
        return end - dt.timedelta(days=7)
    return (end - dt.timedelta(days=1)).replace(day=1)


def _next_end(end: dt.date, frequency: str) -> dt.date:
    if frequency == "weekly":
        return end + dt.timedelta(days=7)
    return (end + dt.timedelta(days=32)).replace(day=1)


def run_at(end: dt.date, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(end, SEND_AT, zone).astimezone(dt.UTC)


def next_run(after: dt.datetime, frequency: str, zone: ZoneInfo) -> dt.datetime:
    """The first send moment strictly after ``after``."""
    end = _period_end_on_or_before(after.astimezone(zone).date(), frequency)
    while run_at(end, zone) <= after:
        end = _next_end(end, frequency)
    return run_at(end, zone)


def period_for_run(run: dt.datetime, frequency: str, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) (aware, in ``zone``) of the period the run at ``run`` reports on."""
    end = _period_end_on_or_before(run.astimezone(zone).date(), frequency)
    start = _previous_start(end, frequency)
    return dt.datetime.combine(start, dt.time(), zone), dt.datetime.combine(end, dt.time(), zone)
