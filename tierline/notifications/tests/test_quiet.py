"""Quiet hours, as a pure function of the instant, the window and the person's time zone."""

import datetime as dt
import zoneinfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tierline.notifications.quiet import deferred_to, quiet_until

T = dt.time
U = dt.UTC


@pytest.mark.parametrize("now, start, end, zone, expected", [
    # Paris, 22:00–07:00: 00:00 local (23:00 UTC) waits until 07:00 local = 06:00 UTC.
    (dt.datetime(2026, 3, 2, 23, 0, tzinfo=U), T(22), T(7), "Europe/Paris", dt.datetime(2026, 3, 3, 6, 0, tzinfo=U)),
    # The same instant is 10:00 in Sydney: not quiet there.
    (dt.datetime(2026, 3, 2, 23, 0, tzinfo=U), T(22), T(7), "Australia/Sydney", None),
    # 12:00 UTC is 23:00 in Sydney (UTC+11 in March): quiet until 07:00 local = 20:00 UTC.
    (dt.datetime(2026, 3, 2, 12, 0, tzinfo=U), T(22), T(7), "Australia/Sydney", dt.datetime(2026, 3, 2, 20, 0, tzinfo=U)),
    # New York (UTC-5): 03:00 UTC is 22:00 local, the first quiet minute.
    (dt.datetime(2026, 3, 3, 3, 0, tzinfo=U), T(22), T(7), "America/New_York", dt.datetime(2026, 3, 3, 12, 0, tzinfo=U)),
    # ... and 12:00 UTC is 07:00 local: the window is over (end excluded).
    (dt.datetime(2026, 3, 3, 12, 0, tzinfo=U), T(22), T(7), "America/New_York", None),
    # A daytime window (lunch) in Tokyo.
    (dt.datetime(2026, 3, 3, 3, 30, tzinfo=U), T(12), T(13), "Asia/Tokyo", dt.datetime(2026, 3, 3, 4, 0, tzinfo=U)),
    # Spring forward in New York (2026-03-08, 02:00 → 03:00): a window ending 02:30 ends at the jump.
    (dt.datetime(2026, 3, 8, 5, 0, tzinfo=U), T(22), T(2, 30), "America/New_York", dt.datetime(2026, 3, 8, 7, 0, tzinfo=U)),
    # The night the clocks go forward, 07:00 local is 11:00 UTC (EDT), not 12:00.
    (dt.datetime(2026, 3, 8, 5, 0, tzinfo=U), T(22), T(7), "America/New_York", dt.datetime(2026, 3, 8, 11, 0, tzinfo=U)),
    # No window, an empty window, an unknown zone (UTC).
    (dt.datetime(2026, 3, 3, 23, 0, tzinfo=U), None, None, "Europe/Paris", None),
    (dt.datetime(2026, 3, 3, 23, 0, tzinfo=U), T(8), T(8), "Europe/Paris", None),
    (dt.datetime(2026, 3, 3, 23, 0, tzinfo=U), T(22), T(7), "Mars/Olympus", dt.datetime(2026, 3, 4, 7, 0, tzinfo=U)),
])
def test_quiet_until(now, start, end, zone, expected):
    assert quiet_until(now, start, end, zone) == expected


def test_critical_messages_never_wait():
    night = dt.datetime(2026, 3, 2, 23, 0, tzinfo=U)
    assert deferred_to(night, start=T(22), end=T(7), zone_name="Europe/Paris", critical=True) == night
    assert deferred_to(night, start=T(22), end=T(7), zone_name="Europe/Paris", critical=False) == \
        dt.datetime(2026, 3, 3, 6, 0, tzinfo=U)


def test_naive_now_is_refused():
    with pytest.raises(ValueError):
        quiet_until(dt.datetime(2026, 3, 2, 23, 0), T(22), T(7), "UTC")


ZONES = ["UTC", "Europe/Paris", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "Pacific/Chatham",
         "America/Sao_Paulo", "Europe/London"]
times = st.times().map(lambda t: t.replace(second=0, microsecond=0))


@settings(max_examples=400, deadline=None)
@given(now=st.datetimes(min_value=dt.datetime(2024, 1, 1), max_value=dt.datetime(2030, 1, 1), timezones=st.just(U)),
       start=times, end=times, zone=st.sampled_from(ZONES))
def test_properties(now, start, end, zone):
    until = quiet_until(now, start, end, zone)
    local = now.astimezone(zoneinfo.ZoneInfo(zone)).time().replace(tzinfo=None)
    inside = start != end and ((start <= local < end) if start < end else (local >= start or local < end))
    if until is None:
        # Outside the window — or inside it on the repeated hour of a fall-back night, when the
        # wall-clock end has already passed once: sending then is right.
        if inside:
            zone_info = zoneinfo.ZoneInfo(zone)
            offsets = {(now + dt.timedelta(hours=h)).astimezone(zone_info).utcoffset() for h in (-26, 0, 26)}
            assert len(offsets) > 1, "inside the window but told to send"
        return
    assert inside
    assert now < until <= now + dt.timedelta(hours=26)  # never back in time, at most a day (+DST)
    end_local = until.astimezone(zoneinfo.ZoneInfo(zone)).replace(tzinfo=None)
    # The window ends at its wall-clock end, or at a DST jump that skipped over it.
    assert end_local.time() == end or until.astimezone(zoneinfo.ZoneInfo(zone)).utcoffset() != \
        (until - dt.timedelta(hours=1)).astimezone(zoneinfo.ZoneInfo(zone)).utcoffset()
