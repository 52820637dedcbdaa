"""Business-time arithmetic for SLA clocks. Pure: no Django, no database.

A BPO's SLA figures are argued over in contract disputes, so every rule below is deliberate and
covered by tests (tierline/calendars/tests). All arithmetic is exact to the microsecond: instants
are handled internally as integer microseconds since the Unix epoch (UTC).

Calendar model
--------------
* Weekly hours: for each weekday (0=Mon ... 6=Sun) a set of intervals, in minutes from local
  midnight. Several intervals a day are split shifts. An interval whose end is before its start
  (or whose end is 00:00) is an overnight shift that runs into the next calendar day. 24:00
  (1440) is allowed as an end only.
* An overnight interval belongs to the day it STARTS on. That day's status (holiday, closed,
  special hours) decides whether the whole shift happens; the status of the day it runs into does
  not matter. So Thu 22:00-06:00 is worked in full even if Friday is a public holiday, and the
  Friday 22:00 shift is not worked. This is how shift-based contact centres count.
* Public holidays come from the ``holidays`` package for a country and optional subdivision,
  resolved lazily per year and cached. A holiday closes that date's own intervals. Note that the
  holiday tables are data in that package: the pinned version (constraints.txt) is part of how an
  SLA figure was computed.
* Closed dates work like holidays.
* Special hours replace the weekday's intervals for that date (an empty list closes the date)
  and override a public holiday on that date. A date cannot be both closed and special.
* ``always_open``: 24x7, no closed time at all; arithmetic is plain elapsed time. It cannot be
  combined with hours, holidays, closed or special dates (a 24x7 desk that closes on holidays is
  hours 00:00-24:00 on every day plus holidays).

Time zones and DST
------------------
Intervals are wall-clock times in the calendar's zone, converted to real instants with zoneinfo:

* A start runs from the FIRST instant the clock shows that wall time (fold=0 when it is shown
  twice at a fall-back); an end is the LATER instant the clock shows it (fold=1). So 09:00-17:00
  always lasts as long as it really lasted, and 00:00-24:00 lasts 23 h on a spring-forward day and
  25 h on a fall-back day (24.5 h / 23.5 h at Lord Howe's 30-minute shift).
* A wall time that does not exist (in the spring-forward gap) is taken as the first real instant
  after it, i.e. the moment of the jump. An interval lying wholly inside a gap is empty that day.
* Overlaps this creates (an end at the later 01:30 and the next start at the earlier 01:30) are
  merged: an instant is open if any interval covers it, and is never counted twice.

Arithmetic
----------
* ``is_open(at)``: interval starts are inclusive, ends exclusive.
* ``next_open(at)``: ``at`` itself if open, else the start of the next open interval.
* ``add_business_time(start, d)``: the instant when ``d`` of business time has elapsed after
  ``start``; counting begins at ``next_open(start)``. ``d == 0`` returns ``start`` itself (the same
  instant, not rolled forward to the next opening). A result that falls exactly on the end of an
  interval stays there: the end of an interval is the last open instant, so deadlines never lie
  inside closed time. Negative ``d`` is a ValueError.
* ``business_time_between(start, end)``: business time in [start, end). If ``end < start`` the
  result is the negative of ``business_time_between(end, start)``, so "time left until the
  deadline" goes negative once the deadline has passed, and the function is additive over any
  split point in any order.
* Inputs must be aware datetimes (naive ones are a ValueError: their instant is unknowable);
  results are aware datetimes in the calendar's zone. Callers beware of two Python rules: two
  datetimes that share a tzinfo are compared and subtracted by WALL CLOCK (ignoring DST and
  fold), and a result in a fall-back's repeated hour (fold=1) compares unequal to any datetime in
  another zone (PEP 495). Compare and subtract results after ``.astimezone(UTC)``, or use
  business_time_between.
* A search that finds no open time within about three years raises ValueError rather than
  looping; a calendar with no working time at all is refused when constructed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_MINUTES = 1440
# Long enough for any real calendar's closure (e.g. a fortnight's shutdown), short enough that a
# calendar with no reachable working time fails fast instead of scanning to year 9999.
MAX_CLOSED_DAYS = 3 * 366

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NAIVE_EPOCH = datetime(1970, 1, 1)
_US = timedelta(microseconds=1)
_ONE_DAY = timedelta(days=1)
_CLOCK = re.compile(r"([01]\d|2[0-3]):([0-5]\d)|24:00")

Interval = tuple[int, int]


class CalendarError(ValueError):
    """A calendar definition that cannot be used; the message starts with the field path."""


def parse_clock(value, path: str, *, is_end: bool) -> int:
    """'HH:MM' (or minutes as an int) -> minutes from midnight. '24:00' only as an end."""
    if isinstance(value, bool):
        raise CalendarError(f"{path}: {value!r} is not a time (HH:MM)")
    if isinstance(value, int):
        if not 0 <= value <= DAY_MINUTES:
            raise CalendarError(f"{path}: {value} minutes is not a time of day")
        minutes, shown = value, format_clock(value)
    elif isinstance(value, str) and _CLOCK.fullmatch(value):
        hh, mm = value.split(":")
        minutes, shown = int(hh) * 60 + int(mm), value
    else:
        raise CalendarError(f'{path}: "{value}" is not a time (HH:MM)')
    if minutes == DAY_MINUTES and not is_end:
        raise CalendarError(f'{path}: "{shown}" is only allowed as the end of an interval')
    return minutes


def format_clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _span(iv: Interval) -> tuple[int, int]:
    """Minutes from the owning day's midnight; the end may pass into the next day."""
    s, e = iv
    return s, (e if e > s else e + DAY_MINUTES)


def _show(iv: Interval) -> str:
    return f'["{format_clock(iv[0])}", "{format_clock(iv[1])}"]'


def _normalize_day(raw, path: str) -> tuple[Interval, ...]:
    if isinstance(raw, str | bytes) or not hasattr(raw, "__iter__"):
        raise CalendarError(f"{path}: a list of [start, end] intervals is required")
    items: list[tuple[Interval, int]] = []
    for i, pair in enumerate(raw):
        p = f"{path}[{i}]"
        if isinstance(pair, str | bytes) or not hasattr(pair, "__len__") or len(pair) != 2:
            raise CalendarError(f'{p}: an interval is ["HH:MM", "HH:MM"]')
        s = parse_clock(pair[0], f"{p}[0]", is_end=False)
        e = parse_clock(pair[1], f"{p}[1]", is_end=True)
        if s == e:
            raise CalendarError(f"{p}: zero-length interval {_show((s, e))}")
        items.append(((s, e), i))
    items.sort(key=lambda x: _span(x[0]))
    for (a, ia), (b, ib) in zip(items, items[1:], strict=False):
        if _span(b)[0] < _span(a)[1]:
            first, second = sorted([(ia, a), (ib, b)])
            raise CalendarError(
                f"{path}[{second[0]}]: {_show(second[1])} overlaps {path}[{first[0]}] {_show(first[1])}"
            )
    return tuple(iv for iv, _ in items)


def _check_spill(prev: tuple[Interval, ...], prev_path: str, nxt: tuple[Interval, ...], nxt_path: str):
    """An overnight interval's tail must not overlap the next day's own intervals."""
    for i, iv in enumerate(prev):
        tail_end = _span(iv)[1] - DAY_MINUTES
        if tail_end <= 0:
            continue
        for j, other in enumerate(nxt):
            if other[0] < tail_end:
                raise CalendarError(
                    f"{nxt_path}[{j}]: {_show(other)} overlaps the overnight interval "
                    f"{prev_path}[{i}] {_show(iv)}"
                )


@lru_cache(maxsize=1)
def _supported_countries() -> dict[str, list[str]]:
    import holidays

    return holidays.list_supported_countries()


def _check_holidays(country, subdivision):
    if country is None:
        if subdivision is not None:
            raise CalendarError("holidays.subdivision: needs holidays.country")
        return
    if not isinstance(country, str) or country not in _supported_countries():
        raise CalendarError(f'holidays.country: "{country}" is not a country the holidays package knows')
    if subdivision is None:
        return
    import holidays

    known = _supported_countries()[country]
    try:
        if not isinstance(subdivision, str):
            raise NotImplementedError
        holidays.country_holidays(country, subdiv=subdivision)
    except NotImplementedError:
        listed = ", ".join(known[:30]) + (", ..." if len(known) > 30 else "") if known else "none"
        raise CalendarError(
            f'holidays.subdivision: "{subdivision}" is not a subdivision of {country} '
            f"the holidays package knows (known: {listed})"
        )


@lru_cache(maxsize=512)
def holiday_dates(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    """Public holidays of one year. Neighbouring years are generated too because some observed
    days cross New Year (US New Year's Day 2022 was observed on Friday 2021-12-31)."""
    import holidays

    table = holidays.country_holidays(country, subdiv=subdivision, years=range(year - 1, year + 2))
    return frozenset(d for d in table if d.year == year)


def _zone(name) -> ZoneInfo:
    # "localtime" is whatever the host is configured to: not something a contract can refer to.
    if not isinstance(name, str) or not name or name == "localtime":
        raise CalendarError(f'timezone: unknown time zone "{name}"')
    try:
        return ZoneInfo(name)
    except Exception:  # ZoneInfoNotFoundError, ValueError for malformed keys, OSError for dirs
        raise CalendarError(f'timezone: unknown time zone "{name}"')


@dataclass(frozen=True)
class BusinessCalendar:
    """Working time of a desk. See the module docstring for the exact semantics.

    ``hours``: seven tuples (Mon..Sun) of (start, end) intervals; a mapping {weekday: intervals}
    is accepted too. Times are minutes from midnight or "HH:MM" strings; they are normalised to
    sorted minute tuples. ``special``: {date: intervals}, stored as a sorted tuple of pairs.
    """

    timezone: str = "UTC"
    hours: tuple[tuple[Interval, ...], ...] = ((),) * 7
    holiday_country: str | None = None
    holiday_subdivision: str | None = None
    closed: frozenset[date] = frozenset()
    special: tuple[tuple[date, tuple[Interval, ...]], ...] = ()
    always_open: bool = False
    zone: ZoneInfo = field(init=False, repr=False, compare=False)
    _special: dict = field(init=False, repr=False, compare=False)
    _spans: tuple = field(init=False, repr=False, compare=False)
    _hash: int = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        put = object.__setattr__
        put(self, "zone", _zone(self.timezone))
        if not isinstance(self.always_open, bool):
            raise CalendarError("always_open: true or false is required")

        raw_hours = self.hours
        if isinstance(raw_hours, Mapping):
            bad = [k for k in raw_hours if k not in range(7)]
            if bad:
                raise CalendarError(f"hours: weekday keys are 0 (Mon) to 6 (Sun), got {bad[0]!r}")
            raw_hours = [raw_hours.get(k, ()) for k in range(7)]
        raw_hours = tuple(raw_hours)
        if len(raw_hours) != 7:
            raise CalendarError("hours: seven weekdays (Mon..Sun) are required")
        hours = tuple(_normalize_day(day, f"hours.{WEEKDAYS[k]}") for k, day in enumerate(raw_hours))
        for k in range(7):
            n = (k + 1) % 7
            _check_spill(hours[k], f"hours.{WEEKDAYS[k]}", hours[n], f"hours.{WEEKDAYS[n]}")
        put(self, "hours", hours)

        closed = self.closed
        if isinstance(closed, str | bytes) or not hasattr(closed, "__iter__"):
            raise CalendarError("closed: a list of dates is required")
        closed = frozenset(closed)
        for d in closed:
            if not isinstance(d, date) or isinstance(d, datetime):
                raise CalendarError(f"closed: {d!r} is not a date")
        put(self, "closed", closed)

        raw_special = dict(self.special)
        special = {}
        for d in sorted(raw_special, key=lambda x: (not isinstance(x, date), str(x))):
            if not isinstance(d, date) or isinstance(d, datetime):
                raise CalendarError(f"special: {d!r} is not a date")
            if d in closed:
                raise CalendarError(f"special.{d}: the date is also listed in closed")
            special[d] = _normalize_day(raw_special[d], f"special.{d}")

        def day_hours(d: date) -> tuple[tuple[Interval, ...], str]:
            if d in special:
                return special[d], f"special.{d}"
            return hours[d.weekday()], f"hours.{WEEKDAYS[d.weekday()]}"

        for d in special:
            _check_spill(*day_hours(d - _ONE_DAY), special[d], f"special.{d}")
            _check_spill(special[d], f"special.{d}", *day_hours(d + _ONE_DAY))
        put(self, "special", tuple(special.items()))
        put(self, "_special", {d: tuple(_span(iv) for iv in ivs) for d, ivs in special.items()})

        _check_holidays(self.holiday_country, self.holiday_subdivision)
        has_rules = any(hours) or special or closed or self.holiday_country
        if self.always_open and has_rules:
            raise CalendarError(
                "always_open: cannot be combined with hours, holidays, closed or special dates "
                "(for a 24x7 desk that closes on holidays use hours 00:00-24:00 every day)"
            )
        if not self.always_open and not any(hours) and not any(special.values()):
            raise CalendarError("hours: calendar has no working time (no intervals and not always_open)")
        put(self, "_spans", tuple(tuple(_span(iv) for iv in day) for day in hours))
        put(
            self,
            "_hash",
            hash(
                (
                    self.timezone,
                    hours,
                    self.holiday_country,
                    self.holiday_subdivision,
                    closed,
                    self.special,
                    self.always_open,
                )
            ),
        )

    def __hash__(self):
        # Cached: the calendar is a cache key on every day lookup of the SLA sweep.
        return self._hash

    def is_holiday(self, d: date) -> bool:
        return self.holiday_country is not None and d in holiday_dates(
            self.holiday_country, self.holiday_subdivision, d.year
        )

    def spans_on(self, d: date) -> tuple[tuple[int, int], ...]:
        """Intervals that START on local date ``d``, as minutes from its midnight (end may be
        past 1440 for an overnight shift)."""
        if d in self._special:
            return self._special[d]
        if d in self.closed or self.is_holiday(d):
            return ()
        return self._spans[d.weekday()]


# --- instants -----------------------------------------------------------------------------------


def _us(moment: datetime) -> int:
    return (moment - _EPOCH) // _US


def _from_us(us: int, zone: ZoneInfo) -> datetime:
    return (_EPOCH + timedelta(microseconds=us)).astimezone(zone)


def _instant(value, name: str) -> int:
    if not isinstance(value, datetime):
        raise TypeError(f"{name}: a datetime is required, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name}: a time-zone-aware datetime is required, got naive {value.isoformat()}")
    return _us(value)


def _wall_to_us(wall: datetime, zone: ZoneInfo, *, end: bool) -> int:
    """Real instant of a naive local wall time: see "Time zones and DST" in the module docstring."""
    early = wall.replace(tzinfo=zone).utcoffset()
    late = wall.replace(tzinfo=zone, fold=1).utcoffset()
    naive_us = (wall - _NAIVE_EPOCH) // _US
    if early == late:
        return naive_us - early // _US
    if early > late:  # shown twice (fall back): fold=0 is the first showing, fold=1 the second
        return naive_us - (late if end else early) // _US
    # In a spring-forward gap: the jump lies between the two readings. Find the first second
    # whose wall time is at or after `wall` (transitions fall on whole seconds).
    lo, hi = (naive_us - late // _US) // 1_000_000, (naive_us - early // _US) // 1_000_000
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _from_us(mid * 1_000_000, zone).replace(tzinfo=None) >= wall:
            hi = mid
        else:
            lo = mid
    return hi * 1_000_000


@lru_cache(maxsize=1 << 16)
def _day_intervals(cal: BusinessCalendar, d: date) -> tuple[tuple[int, int], ...]:
    """UTC microsecond intervals that start on local date ``d``, sorted, possibly empty."""
    out = []
    midnight = datetime.combine(d, time())
    for s, e in cal.spans_on(d):
        a = _wall_to_us(midnight + timedelta(minutes=s), cal.zone, end=False)
        b = _wall_to_us(midnight + timedelta(minutes=e), cal.zone, end=True)
        if b > a:
            out.append((a, b))
    return tuple(out)


def _local_date(us: int, zone: ZoneInfo) -> date:
    return _from_us(us, zone).date()


def _open_spans(cal: BusinessCalendar, t: int, stop: int | None = None) -> Iterator[tuple[int, int]]:
    """Disjoint, ascending open spans (µs) after instant ``t``; the first is clipped to ``t``.

    Interval starts are ascending across days (starts map wall->UTC monotonically), so clipping
    each start to the furthest end seen so far yields the union without double counting.
    Iteration begins two days back: a shift that started then may still be running at ``t``.
    """
    day = _local_date(t, cal.zone) - 2 * _ONE_DAY
    last_day = None if stop is None else _local_date(stop, cal.zone) + _ONE_DAY
    cursor = t
    idle = 0
    while last_day is None or day <= last_day:
        found = False
        for s, e in _day_intervals(cal, day):
            if s < cursor:
                s = cursor
            if e > s:
                found = True
                yield s, e
                cursor = e
        if found:
            idle = 0
        else:
            idle += 1
            if stop is None and idle > MAX_CLOSED_DAYS:
                raise ValueError(
                    f"no open time within {MAX_CLOSED_DAYS} days after {_from_us(t, cal.zone).isoformat()}"
                )
        day += _ONE_DAY


# --- public API ---------------------------------------------------------------------------------


def is_open(at: datetime, cal: BusinessCalendar) -> bool:
    t = _instant(at, "at")
    if cal.always_open:
        return True
    day = _local_date(t, cal.zone)
    for offset in (-2, -1, 0, 1):
        for s, e in _day_intervals(cal, day + offset * _ONE_DAY):
            if s <= t < e:
                return True
    return False


def next_open(at: datetime, cal: BusinessCalendar) -> datetime:
    t = _instant(at, "at")
    if cal.always_open:
        return _from_us(t, cal.zone)
    s, _ = next(_open_spans(cal, t))
    return _from_us(s, cal.zone)


def add_business_time(start: datetime, duration: timedelta, cal: BusinessCalendar) -> datetime:
    t = _instant(start, "start")
    if not isinstance(duration, timedelta):
        raise TypeError(f"duration: a timedelta is required, got {type(duration).__name__}")
    if duration < timedelta(0):
        raise ValueError(f"duration: must not be negative, got {duration}")
    remaining = duration // _US
    if remaining == 0 or cal.always_open:
        return _from_us(t + remaining, cal.zone)
    for s, e in _open_spans(cal, t):
        if e - s >= remaining:
            return _from_us(s + remaining, cal.zone)
        remaining -= e - s
    raise AssertionError("unreachable: _open_spans is endless without a stop")


def business_time_between(start: datetime, end: datetime, cal: BusinessCalendar) -> timedelta:
    a = _instant(start, "start")
    b = _instant(end, "end")
    return timedelta(microseconds=_between(a, b, cal))


def _between(a: int, b: int, cal: BusinessCalendar) -> int:
    if b < a:
        return -_between(b, a, cal)
    if cal.always_open:
        return b - a
    total = 0
    for s, e in _open_spans(cal, a, stop=b):
        if s >= b:
            break
        total += min(e, b) - s
    return total
