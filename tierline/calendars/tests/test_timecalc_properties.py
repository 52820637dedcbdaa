"""Properties of the business-time arithmetic over many calendars, zones and instants (with
extra weight on DST transition days), plus an independent wall-clock oracle for is_open and
business_time_between."""

from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import holidays
from hypothesis import given, settings
from hypothesis import strategies as st

from tierline.calendars.timecalc import (
    BusinessCalendar,
    add_business_time,
    business_time_between,
    is_open,
    next_open,
)

SETTINGS = settings(max_examples=200, deadline=None)
US = timedelta(microseconds=1)


def utc(moment: datetime) -> datetime:
    # Python compares and subtracts datetimes that share a tzinfo by wall clock, ignoring fold
    # and DST; in UTC every comparison and difference is between real instants.
    return moment.astimezone(UTC)


ZONES = {
    "America/New_York": ("US", "NY"),
    "Europe/London": ("GB", "ENG"),
    "Australia/Lord_Howe": ("AU", "NSW"),
    "Asia/Kolkata": ("IN", None),
}
WEEK = range(7)
SHAPES = {
    "office_lunch": {d: [("09:00", "12:30"), ("13:30", "18:00")] for d in range(5)},
    "overnight": {d: [("22:00", "06:00")] for d in range(5)},
    "split": {**{d: [("07:00", "11:00"), ("15:00", "19:30")] for d in range(6)}, 6: [("10:00", "14:00")]},
    "until_midnight": {d: [("08:00", "24:00")] for d in WEEK},
    "full_days": {d: [("00:00", "24:00")] for d in WEEK},
    # Boundaries inside the DST hour in New York, London and Lord Howe, and an overnight end
    # touching the next start at an ambiguous 01:30: the awkward cases for the UTC conversion.
    "dst_edge": {d: [("01:30", "02:30"), ("23:00", "01:30")] for d in WEEK},
}
# Shapes with no boundary within a DST change window, where wall-clock membership is exact.
ORACLE_SHAPES = ("office_lunch", "overnight", "split", "until_midnight", "full_days")
EXTRA_CLOSED = frozenset({date(2025, 12, 24), date(2026, 12, 24), date(2027, 12, 24), date(2028, 5, 2)})
EXTRA_SPECIAL = {
    date(2026, 3, 8): [("12:00", "13:00")],  # US spring-forward day
    date(2026, 10, 25): [("12:00", "13:00"), ("14:00", "15:00")],  # UK fall-back day
    date(2027, 4, 4): [("12:00", "13:00")],  # Lord Howe fall-back day
    date(2027, 1, 1): [("10:00", "11:00")],  # a public holiday almost everywhere, opened
    date(2028, 1, 26): [],  # Australia Day / Republic Day area, closed either way
}


def _calendar(zone, shape, variant):
    country, subdivision = ZONES[zone] if variant != "plain" else (None, None)
    extras = variant == "extras"
    return BusinessCalendar(
        zone,
        SHAPES[shape],
        holiday_country=country,
        holiday_subdivision=subdivision,
        closed=EXTRA_CLOSED if extras else frozenset(),
        special=EXTRA_SPECIAL if extras else {},
    )


CALENDARS = {
    (zone, shape, variant): _calendar(zone, shape, variant)
    for zone in ZONES
    for shape in SHAPES
    for variant in ("plain", "holidays", "extras")
}
ALWAYS_OPEN = [BusinessCalendar(zone, always_open=True) for zone in ZONES]
PLAIN_FULL_DAYS = [cal for (z, s, v), cal in CALENDARS.items() if s == "full_days" and v == "plain"]

LOW = datetime(2025, 1, 1, tzinfo=UTC)
HIGH = datetime(2029, 1, 1, tzinfo=UTC)


@cache
def transitions(zone: str) -> tuple[datetime, ...]:
    zi, out, t = ZoneInfo(zone), [], LOW
    previous = t.astimezone(zi).utcoffset()
    while t < HIGH:
        offset = t.astimezone(zi).utcoffset()
        if offset != previous:
            out.append(t)
            previous = offset
        t += timedelta(minutes=30)
    return tuple(out)


def instants(zone: str):
    """Uniform over 2025-2028, near DST changes, or exactly on a local boundary-ish wall time."""
    zi = ZoneInfo(zone)
    uniform = st.integers(0, int((HIGH - LOW).total_seconds())).map(lambda s: LOW + timedelta(seconds=s))
    strategies = [uniform]
    if transitions(zone):
        strategies.append(
            st.tuples(st.sampled_from(transitions(zone)), st.integers(-48 * 3600, 48 * 3600)).map(
                lambda p: p[0] + timedelta(seconds=p[1])
            )
        )
        days = st.sampled_from(transitions(zone)).flatmap(
            lambda t: st.integers(-1, 1).map(lambda k: t.astimezone(zi).date() + timedelta(days=k))
        )
    else:
        days = st.dates(date(2025, 1, 1), date(2028, 12, 31))
    minutes = st.sampled_from(
        [0, 60, 90, 120, 150, 180, 360, 420, 480, 540, 750, 810, 1080, 1170, 1320, 1380]
    )
    strategies.append(
        st.tuples(days, minutes, st.integers(0, 1)).map(
            lambda p: (datetime.combine(p[0], time(), zi) + timedelta(minutes=p[1])).replace(fold=p[2])
        )
    )
    base = st.one_of(strategies)
    # Any presentation zone and sub-second offsets: only the instant may matter.
    shown_in = st.sampled_from([UTC, zi, ZoneInfo("Asia/Tokyo")])
    jitter = st.one_of(st.just(0), st.integers(0, 999_999))
    return st.tuples(base, shown_in, jitter).map(lambda p: (p[0] + p[2] * US).astimezone(p[1]))


durations = st.one_of(
    st.integers(0, 2000 * 3600).map(lambda s: timedelta(seconds=s)),
    st.integers(0, 3 * 24 * 3600 * 10**6).map(lambda u: timedelta(microseconds=u)),
    st.sampled_from([0, 1, 4, 8, 9, 24, 40, 168]).map(lambda h: timedelta(hours=h)),
)


@st.composite
def calendar_and_instants(draw, calendars=None, n=1):
    cal = draw(st.sampled_from(calendars or list(CALENDARS.values())))
    return (cal, *[draw(instants(cal.timezone)) for _ in range(n)])


@SETTINGS
@given(calendar_and_instants(), durations)
def test_round_trip(case, duration):
    cal, start = case
    due = add_business_time(start, duration, cal)
    assert due.tzinfo is cal.zone
    assert business_time_between(start, due, cal) == duration
    # Only the instant of the input matters, not the zone it is written in.
    assert utc(add_business_time(utc(start), duration, cal)) == utc(due)


@SETTINGS
@given(calendar_and_instants(), durations, durations)
def test_additive_in_duration_and_monotone(case, a, b):
    cal, start = case
    first = add_business_time(start, a, cal)
    assert utc(add_business_time(first, b, cal)) == utc(add_business_time(start, a + b, cal))
    assert utc(add_business_time(start, min(a, b), cal)) <= utc(add_business_time(start, max(a, b), cal))


@SETTINGS
@given(calendar_and_instants(n=2), durations)
def test_monotone_in_start(case, duration):
    cal, s1, s2 = case
    s1, s2 = sorted([s1, s2], key=utc)
    assert utc(add_business_time(s1, duration, cal)) <= utc(add_business_time(s2, duration, cal))


@SETTINGS
@given(calendar_and_instants(), durations)
def test_deadline_is_never_inside_closed_time(case, duration):
    cal, start = case
    due = utc(add_business_time(start, duration, cal))
    if duration:
        assert due > utc(start)
        # The instant just before the deadline is open: the deadline is in open time or at the
        # very end of an interval, never out in closed time.
        assert is_open(due - US, cal)
        assert due >= utc(next_open(start, cal))
    else:
        assert due == utc(start)


@SETTINGS
@given(calendar_and_instants(n=3))
def test_between_is_additive_over_any_split_point(case):
    cal, a, b, c = case
    ab, bc, ac = (business_time_between(x, y, cal) for x, y in ((a, b), (b, c), (a, c)))
    assert ab + bc == ac
    assert business_time_between(b, a, cal) == -ab
    assert abs(ab) <= abs(utc(b) - utc(a))


@SETTINGS
@given(calendar_and_instants())
def test_next_open_and_is_open_agree(case):
    cal, t = case
    nxt = next_open(t, cal)
    assert utc(nxt) >= utc(t) and is_open(nxt, cal)
    assert business_time_between(t, nxt, cal) == timedelta(0)
    assert (utc(nxt) == utc(t)) == is_open(t, cal)
    assert business_time_between(t, utc(t) + US, cal) == (US if is_open(t, cal) else timedelta(0))


@SETTINGS
@given(calendar_and_instants(ALWAYS_OPEN + PLAIN_FULL_DAYS, n=2), durations)
def test_24x7_is_plain_utc_arithmetic(case, duration):
    # 00:00-24:00 every day with no holidays must match always_open exactly, DST days included.
    cal, start, other = case
    assert utc(add_business_time(start, duration, cal)) == utc(start) + duration
    assert business_time_between(start, other, cal) == utc(other) - utc(start)
    assert is_open(start, cal)


# --- independent oracle ----------------------------------------------------------------------


@cache
def _holidays(country, subdivision, year):
    return set(holidays.country_holidays(country, subdiv=subdivision, years=year))


def _rules(cal: BusinessCalendar, shape: str, variant: str, day: date):
    """The intervals that start on ``day``, straight from the definitions above."""
    if variant == "extras":
        if day in EXTRA_SPECIAL:
            return EXTRA_SPECIAL[day]
        if day in EXTRA_CLOSED:
            return []
    if variant != "plain" and day in _holidays(*ZONES[cal.timezone], day.year):
        return []
    return SHAPES[shape].get(day.weekday(), [])


def _seconds(hhmm: str) -> int:
    return int(hhmm[:2]) * 3600 + int(hhmm[3:]) * 60


def oracle_is_open(t: datetime, key) -> bool:
    """Membership by reading the wall clock: exact when no interval boundary is in a DST window."""
    cal = CALENDARS[key]
    wall = t.astimezone(cal.zone)
    now = wall.hour * 3600 + wall.minute * 60 + wall.second + wall.microsecond / 1e6
    for start, end in _rules(cal, key[1], key[2], wall.date()):
        s, e = _seconds(start), _seconds(end)
        if s <= now < (e if e > s else 86400):
            return True
    for start, end in _rules(cal, key[1], key[2], wall.date() - timedelta(days=1)):
        s, e = _seconds(start), _seconds(end)
        if e <= s and now < e:  # the tail of yesterday's overnight shift
            return True
    return False


ORACLE_KEYS = [k for k in CALENDARS if k[1] in ORACLE_SHAPES]


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(ORACLE_KEYS).flatmap(lambda k: st.tuples(st.just(k), instants(k[0]))))
def test_is_open_matches_the_wall_clock_oracle(case):
    key, t = case
    assert is_open(t, CALENDARS[key]) == oracle_is_open(t, key)


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(ORACLE_KEYS).flatmap(lambda k: st.tuples(st.just(k), instants(k[0]))),
    st.integers(0, 3 * 24 * 60),
)
def test_between_matches_the_oracle_minute_by_minute(case, minutes):
    # Every boundary of these calendars is on a whole UTC minute (all offsets are whole minutes),
    # so on minute-aligned windows business time is 60 s per open minute.
    key, t = case
    cal = CALENDARS[key]
    start = t.astimezone(UTC).replace(second=0, microsecond=0)
    end = start + timedelta(minutes=minutes)
    open_minutes = sum(oracle_is_open(start + timedelta(minutes=k), key) for k in range(minutes))
    assert business_time_between(start, end, cal) == timedelta(minutes=open_minutes)
    if open_minutes:
        due = add_business_time(start, timedelta(minutes=open_minutes), cal)
        assert start < utc(due) <= end
