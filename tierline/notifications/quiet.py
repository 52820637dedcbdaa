"""Quiet hours: when a message to a person may go out. Pure (no Django), time injected.

A quiet window is a pair of local wall-clock times in the person's own time zone, e.g. 22:00 →
07:00 (over midnight) or 12:00 → 13:00. A message that comes due inside the window waits until
the window ends, on the wall clock of that zone — so a desk in Sydney and one in New York each
sleep through their own night, and a DST change moves the end with the local clock.
start == end means no quiet hours (an empty window, not a whole day: a whole day of silence is
switching the channel off).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo


def zone_of(name: str | None) -> dt.tzinfo:
    """The named zone; UTC for an empty or unknown name (a bad profile value must not stop mail)."""
    try:
        return zoneinfo.ZoneInfo(name) if name else dt.UTC
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def _in_window(t: dt.time, start: dt.time, end: dt.time) -> bool:
    if start < end:
        return start <= t < end
    return t >= start or t < end  # over midnight


def _local_instant(day: dt.date, at: dt.time, zone: dt.tzinfo) -> dt.datetime:
    """The instant `day at` on the zone's wall clock. In a spring-forward gap the wall time does
    not exist: the window is over when the clocks jump, so that instant is returned."""
    naive = dt.datetime.combine(day, at)
    before = naive.replace(tzinfo=zone, fold=1).astimezone(dt.UTC)  # read with the offset after a jump
    after = naive.replace(tzinfo=zone, fold=0).astimezone(dt.UTC)  # read with the offset before it
    if after.astimezone(zone).replace(tzinfo=None) == naive:
        return after
    lo, hi = min(before, after), max(before, after)
    offset_lo = lo.astimezone(zone).utcoffset()
    while hi - lo > dt.timedelta(microseconds=1):  # bisect to the jump itself
        mid = lo + (hi - lo) / 2
        if mid.astimezone(zone).utcoffset() == offset_lo:
            lo = mid
        else:
            hi = mid
    return hi


def quiet_until(now: dt.datetime, start: dt.time | None, end: dt.time | None, zone_name: str | None) -> dt.datetime | None:
    """None when `now` is outside the window (send now); else the UTC instant the window ends."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if start is None or end is None or start == end:
        return None
    zone = zone_of(zone_name)
    local = now.astimezone(zone)
    if not _in_window(local.time().replace(tzinfo=None), start, end):
        return None
    day = local.date()
    if start > end and local.time().replace(tzinfo=None) >= start:
        day += dt.timedelta(days=1)  # evening part of an overnight window: it ends tomorrow morning
    until = _local_instant(day, end, zone)
    # A fall-back hour can put the wall-clock end "before" now on the instant line; never go back.
    return until if until > now else None


def deferred_to(now: dt.datetime, *, start, end, zone_name, critical: bool) -> dt.datetime:
    """When a message created at `now` should first be attempted. Critical ones never wait."""
    if critical:
        return now
    return quiet_until(now, start, end, zone_name) or now
