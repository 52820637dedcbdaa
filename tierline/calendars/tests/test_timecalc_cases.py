"""Hand-computed cases. Each expected value was worked out on paper from the rules in the
timecalc module docstring; the comment on each case shows the working."""

import time as clock
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tierline.calendars.timecalc import (
    BusinessCalendar,
    CalendarError,
    add_business_time,
    business_time_between,
    is_open,
    next_open,
)

H = timedelta(hours=1)
MIN = timedelta(minutes=1)
WEEKDAYS_5 = range(5)


def cal(tz, per_day, days=WEEKDAYS_5, **kw):
    return BusinessCalendar(tz, {d: per_day for d in days}, **kw)


def at(text):
    return datetime.fromisoformat(text)


PARIS = cal("Europe/Paris", [("09:00", "18:00")], holiday_country="FR")
PARIS_SPLIT = cal("Europe/Paris", [("09:00", "12:30"), ("13:30", "18:00")])
PARIS_XMAS = cal(
    "Europe/Paris",
    [("09:00", "18:00")],
    holiday_country="FR",
    closed={date(2026, 12, 24)},
    special={date(2026, 12, 31): [("09:00", "13:00")]},
)
LONDON_ENG = cal("Europe/London", [("09:00", "17:30")], holiday_country="GB", holiday_subdivision="ENG")
LONDON_SCT = cal("Europe/London", [("09:00", "17:30")], holiday_country="GB", holiday_subdivision="SCT")
NIGHTS = cal("Europe/London", [("22:00", "06:00")], holiday_country="GB", holiday_subdivision="ENG")
NY_OFFICE = cal("America/New_York", [("09:00", "17:00")], days=range(7))
NY_FULL = cal("America/New_York", [("00:00", "24:00")], days=range(7))
LONDON_OFFICE = cal("Europe/London", [("09:00", "17:00")], days=range(7))
LONDON_FULL = cal("Europe/London", [("00:00", "24:00")], days=range(7))
LHI_OFFICE = cal("Australia/Lord_Howe", [("09:00", "17:00")], days=range(7))
LHI_FULL = cal("Australia/Lord_Howe", [("00:00", "24:00")], days=range(7))
KOLKATA = cal("Asia/Kolkata", [("09:30", "18:00")], days=range(6), holiday_country="IN")

ADD_CASES = [
    # Fri 17:30 -> 18:00 is 30 min; Sat/Sun closed; Mon 09:00 + 30 min.
    ("weekend", PARIS, "2026-07-10T17:30+02:00", H, "2026-07-13T09:30:00+02:00"),
    # Mon 17:00-18:00 = 1 h; Tue 14 July Bastille Day closed; Wed 09:00 + 1 h.
    ("bastille day", PARIS, "2026-07-13T17:00+02:00", 2 * H, "2026-07-15T10:00:00+02:00"),
    # A result exactly at an interval's end stays there (Mon 18:00, not Tue 09:00).
    ("ends at close", PARIS, "2026-07-13T17:00+02:00", H, "2026-07-13T18:00:00+02:00"),
    # Start in closed time (Saturday noon): counting starts Mon 09:00.
    ("start closed", PARIS, "2026-07-11T12:00+02:00", H, "2026-07-13T10:00:00+02:00"),
    # Start given in UTC: 15:30Z = 17:30 Paris; result is in the calendar's zone.
    ("utc input", PARIS, "2026-07-10T15:30Z", H, "2026-07-13T09:30:00+02:00"),
    # Fri 17:00-17:30 = 30 min; Mon 3 Aug is Scotland's summer bank holiday, not England's.
    ("ENG 3 Aug open", LONDON_ENG, "2026-07-31T17:00+01:00", 2 * H, "2026-08-03T10:30:00+01:00"),
    ("SCT 3 Aug closed", LONDON_SCT, "2026-07-31T17:00+01:00", 2 * H, "2026-08-04T10:30:00+01:00"),
    # Mon 31 Aug is England's late summer bank holiday, not Scotland's.
    ("ENG 31 Aug closed", LONDON_ENG, "2026-08-28T17:00+01:00", H, "2026-09-01T09:30:00+01:00"),
    ("SCT 31 Aug open", LONDON_SCT, "2026-08-28T17:00+01:00", H, "2026-08-31T09:30:00+01:00"),
    # 11:30-12:30 = 1 h; lunch 12:30-13:30 closed; 13:30 + 1 h.
    ("split shift", PARIS_SPLIT, "2026-03-10T11:30+01:00", 2 * H, "2026-03-10T14:30:00+01:00"),
    ("start at lunch", PARIS_SPLIT, "2026-03-10T12:45+01:00", 30 * MIN, "2026-03-10T14:00:00+01:00"),
    # Tue 22:00 shift: 23:00 + 3 h = Wed 02:00, across midnight.
    ("overnight", NIGHTS, "2026-03-10T23:00Z", 3 * H, "2026-03-11T02:00:00+00:00"),
    # Sat 05:00 is the tail of Friday's shift (until 06:00): 1 h; next shift Mon 22:00 + 1 h.
    ("overnight weekend", NIGHTS, "2026-03-14T05:00Z", 2 * H, "2026-03-16T23:00:00+00:00"),
    # Thu 24 Dec 22:00 shift runs into Christmas Day (it belongs to Thursday): 23:00-06:00 = 7 h.
    # Fri 25 (Christmas) and Mon 28 (Boxing Day observed) shifts are not worked; Tue 29 22:00 + 1 h.
    ("overnight into holiday", NIGHTS, "2026-12-24T23:00Z", 8 * H, "2026-12-29T23:00:00+00:00"),
    # Thu 31 Dec special hours 09:00-13:00: 12:00-13:00 = 1 h; Fri 1 Jan holiday; Mon 4 Jan + 1 h.
    ("special hours", PARIS_XMAS, "2026-12-31T12:00+01:00", 2 * H, "2027-01-04T10:00:00+01:00"),
    # Wed 23 17:00-18:00 = 1 h; Thu 24 closed date; Fri 25 Christmas; Mon 28 09:00 + 1 h.
    ("closed date", PARIS_XMAS, "2026-12-23T17:00+01:00", 2 * H, "2026-12-28T10:00:00+01:00"),
    # Sat 16:00-17:00 EST = 1 h; Sunday 8 March is the spring-forward day, 09:00 EDT + 1 h.
    ("NY spring office", NY_OFFICE, "2026-03-07T16:00-05:00", 2 * H, "2026-03-08T10:00:00-04:00"),
    ("NY fall office", NY_OFFICE, "2026-10-31T16:00-04:00", 2 * H, "2026-11-01T10:00:00-05:00"),
    # On a 00:00-24:00 calendar business time is real time: 05:00Z + 12 h = 17:00Z = 13:00 EDT.
    ("NY spring full", NY_FULL, "2026-03-08T00:00-05:00", 12 * H, "2026-03-08T13:00:00-04:00"),
    # 04:00Z + 12 h = 16:00Z = 11:00 EST.
    ("NY fall full", NY_FULL, "2026-11-01T00:00-04:00", 12 * H, "2026-11-01T11:00:00-05:00"),
    # 00:00Z + 2 h = 02:00Z = 03:00 BST (01:00-02:00 GMT does not exist that morning).
    ("London spring full", LONDON_FULL, "2026-03-29T00:00+00:00", 2 * H, "2026-03-29T03:00:00+01:00"),
    # 23:00Z (00:00 BST) + 3 h = 02:00Z = 02:00 GMT.
    ("London fall full", LONDON_FULL, "2026-10-25T00:00+01:00", 3 * H, "2026-10-25T02:00:00+00:00"),
    ("London spring office", LONDON_OFFICE, "2026-03-28T16:00Z", 2 * H, "2026-03-29T10:00:00+01:00"),
    # Lord Howe falls back 30 min at 02:00 LHDT on 5 April: 13:00Z + 3 h = 16:00Z = 02:30 LHST.
    ("Lord Howe fall full", LHI_FULL, "2026-04-05T00:00+11:00", 3 * H, "2026-04-05T02:30:00+10:30"),
    # Springs forward 30 min at 02:00 LHST on 4 Oct: 13:30Z + 3 h = 16:30Z = 03:30 LHDT.
    ("Lord Howe spring full", LHI_FULL, "2026-10-04T00:00+10:30", 3 * H, "2026-10-04T03:30:00+11:00"),
    ("Lord Howe office", LHI_OFFICE, "2026-04-04T16:00+11:00", 2 * H, "2026-04-05T10:00:00+10:30"),
    # 04:00Z = 09:30 IST; 8.5 h later is 18:00 IST, the end of the day: it stays there.
    ("Kolkata", KOLKATA, "2026-03-09T04:00Z", timedelta(hours=8, minutes=30), "2026-03-09T18:00:00+05:30"),
    # Mon 08:00 IST is before opening: 09:30 + 1 h.
    ("Kolkata early", KOLKATA, "2026-03-09T08:00+05:30", H, "2026-03-09T10:30:00+05:30"),
]


@pytest.mark.parametrize(
    ("name", "calendar", "start", "duration", "expected"), ADD_CASES, ids=[c[0] for c in ADD_CASES]
)
def test_add_business_time(name, calendar, start, duration, expected):
    result = add_business_time(at(start), duration, calendar)
    assert result.isoformat() == expected
    assert result.tzinfo is calendar.zone
    assert business_time_between(at(start), result, calendar) == duration


BETWEEN_CASES = [
    # Whole local days across DST changes: 09:00-17:00 keeps its real 8 h; 00:00-24:00 does not.
    ("NY spring office day", NY_OFFICE, "2026-03-08T00:00-05:00", "2026-03-09T00:00-04:00", 8 * H),
    ("NY fall office day", NY_OFFICE, "2026-11-01T00:00-04:00", "2026-11-02T00:00-05:00", 8 * H),
    ("NY spring full day", NY_FULL, "2026-03-08T00:00-05:00", "2026-03-09T00:00-04:00", 23 * H),
    ("NY fall full day", NY_FULL, "2026-11-01T00:00-04:00", "2026-11-02T00:00-05:00", 25 * H),
    ("London spring office day", LONDON_OFFICE, "2026-03-29T00:00Z", "2026-03-30T00:00+01:00", 8 * H),
    ("London fall office day", LONDON_OFFICE, "2026-10-25T00:00+01:00", "2026-10-26T00:00Z", 8 * H),
    ("London spring full day", LONDON_FULL, "2026-03-29T00:00Z", "2026-03-30T00:00+01:00", 23 * H),
    ("London fall full day", LONDON_FULL, "2026-10-25T00:00+01:00", "2026-10-26T00:00Z", 25 * H),
    ("LHI fall full day", LHI_FULL, "2026-04-05T00:00+11:00", "2026-04-06T00:00+10:30", 24.5 * H),
    ("LHI spring full day", LHI_FULL, "2026-10-04T00:00+10:30", "2026-10-05T00:00+11:00", 23.5 * H),
    ("LHI fall office day", LHI_OFFICE, "2026-04-05T00:00+11:00", "2026-04-06T00:00+10:30", 8 * H),
    # 11:00-12:30 + 13:30-14:00.
    ("split shift", PARIS_SPLIT, "2026-03-10T11:00+01:00", "2026-03-10T14:00+01:00", 2 * H),
    # end < start: the negative of (Fri 17:00-18:00 + Mon 09:00-10:00).
    ("reversed", PARIS, "2026-07-13T10:00+02:00", "2026-07-10T17:00+02:00", -2 * H),
    ("empty", PARIS, "2026-07-13T10:00+02:00", "2026-07-13T10:00+02:00", timedelta(0)),
    # A whole week with Bastille Day: 4 days of 9 h.
    ("week with holiday", PARIS, "2026-07-13T00:00+02:00", "2026-07-20T00:00+02:00", 36 * H),
]


@pytest.mark.parametrize(
    ("name", "calendar", "start", "end", "expected"), BETWEEN_CASES, ids=[c[0] for c in BETWEEN_CASES]
)
def test_business_time_between(name, calendar, start, end, expected):
    assert business_time_between(at(start), at(end), calendar) == expected


def test_overnight_shift_into_holiday_is_open_but_holiday_shift_is_not():
    assert is_open(at("2026-12-25T03:00Z"), NIGHTS)  # Thursday's shift, running into Christmas
    assert not is_open(at("2026-12-25T23:00Z"), NIGHTS)  # Christmas Day's own shift
    assert not is_open(at("2026-12-29T03:00Z"), NIGHTS)  # tail of Boxing Day (observed) shift
    assert next_open(at("2026-12-25T23:00Z"), NIGHTS) == at("2026-12-29T22:00Z")


def test_special_hours_override_a_holiday():
    calendar = cal(
        "Europe/Paris",
        [("09:00", "18:00")],
        holiday_country="FR",
        special={date(2026, 12, 25): [("10:00", "12:00")]},
    )
    # Thu 24: 17:00-18:00 = 1 h; Christmas opens 10:00-12:00 by special hours: 10:00 + 1 h.
    assert add_business_time(at("2026-12-24T17:00+01:00"), 2 * H, calendar) == at("2026-12-25T11:00+01:00")
    # An empty special list closes an ordinary day.
    closed = cal("Europe/Paris", [("09:00", "18:00")], special={date(2026, 7, 15): []})
    assert business_time_between(
        at("2026-07-15T00:00+02:00"), at("2026-07-16T00:00+02:00"), closed
    ) == timedelta(0)


def test_wall_times_in_a_dst_gap_start_at_the_jump():
    # 02:30 does not exist on 8 March in New York: the interval starts at 03:00 EDT, so 1 h.
    calendar = cal("America/New_York", [("02:30", "04:00")], days=range(7))
    day = ("2026-03-08T00:00-05:00", "2026-03-09T00:00-04:00")
    assert business_time_between(at(day[0]), at(day[1]), calendar) == H
    assert next_open(at("2026-03-08T01:00-05:00"), calendar) == at("2026-03-08T03:00-04:00")
    # 01:30-02:30 runs 01:30 EST to the jump at 03:00 EDT: 30 min.
    calendar = cal("America/New_York", [("01:30", "02:30")], days=range(7))
    assert business_time_between(at(day[0]), at(day[1]), calendar) == 30 * MIN
    # An interval wholly inside the gap is empty that day.
    calendar = cal("America/New_York", [("02:00", "02:30")], days=range(7))
    assert business_time_between(at(day[0]), at(day[1]), calendar) == timedelta(0)
    assert next_open(at(day[0]), calendar) == at("2026-03-09T02:00-04:00")


def test_ambiguous_wall_times_start_early_and_end_late():
    # 1 Nov: 01:30 EDT (05:30Z) to 02:30 EST (07:30Z) = 2 h.
    calendar = cal("America/New_York", [("01:30", "02:30")], days=range(7))
    assert (
        business_time_between(at("2026-11-01T00:00-04:00"), at("2026-11-02T00:00-05:00"), calendar) == 2 * H
    )
    # An end at an ambiguous 01:30 is its second showing: 00:00 EDT (04:00Z) to 01:30 EST (06:30Z).
    calendar = cal("America/New_York", [("00:00", "01:30")], days=range(7))
    assert (
        business_time_between(at("2026-11-01T00:00-04:00"), at("2026-11-02T00:00-05:00"), calendar) == 2.5 * H
    )
    due = add_business_time(at("2026-11-01T00:00-04:00"), 2.5 * H, calendar)
    # (Compared as text: PEP 495 makes a fold=1 datetime unequal to every other zone's datetime.)
    assert due.isoformat() == "2026-11-01T01:30:00-05:00" and due.fold == 1
    # London: 01:00-01:59 is shown twice on 25 Oct; 22:00-01:30 runs 21:00Z to 01:30 GMT = 4.5 h.
    calendar = cal("Europe/London", [("22:00", "01:30")], days=range(7))
    assert business_time_between(at("2026-10-24T12:00Z"), at("2026-10-25T12:00Z"), calendar) == 4.5 * H
    # ...and a start there is its first showing: 01:30 BST (00:30Z) to 02:00 GMT (02:00Z) = 1.5 h.
    calendar = cal("Europe/London", [("01:30", "02:00")], days=range(7))
    assert business_time_between(at("2026-10-25T00:00Z"), at("2026-10-25T12:00Z"), calendar) == 1.5 * H
    # Sat 23:00 EDT (03:00Z) to the LATER 01:30 (06:30Z), then Sun from the EARLIER 01:30 (05:30Z)
    # to 03:00 EST (08:00Z). They overlap by an hour, counted once: 03:00Z-08:00Z = 5 h.
    calendar = BusinessCalendar("America/New_York", {5: [("23:00", "01:30")], 6: [("01:30", "03:00")]})
    assert (
        business_time_between(at("2026-10-31T22:00-04:00"), at("2026-11-01T04:00-05:00"), calendar) == 5 * H
    )
    assert add_business_time(at("2026-10-31T23:00-04:00"), 5 * H, calendar) == at("2026-11-01T03:00-05:00")


def test_duration_zero_returns_start_even_when_closed():
    start = at("2026-07-11T12:00Z")  # Saturday
    result = add_business_time(start, timedelta(0), PARIS)
    assert result == start and result.tzinfo is PARIS.zone


def test_negative_duration_is_refused():
    with pytest.raises(ValueError, match="negative"):
        add_business_time(at("2026-07-13T10:00Z"), -MIN, PARIS)


@pytest.mark.parametrize(
    "call",
    [
        lambda naive: add_business_time(naive, H, PARIS),
        lambda naive: business_time_between(naive, at("2026-07-13T10:00Z"), PARIS),
        lambda naive: business_time_between(at("2026-07-13T10:00Z"), naive, PARIS),
        lambda naive: is_open(naive, PARIS),
        lambda naive: next_open(naive, PARIS),
    ],
)
def test_naive_datetimes_are_refused(call):
    with pytest.raises(ValueError, match="time-zone-aware"):
        call(datetime(2026, 7, 13, 10, 0))


def test_is_open_boundaries():
    assert is_open(at("2026-07-13T09:00+02:00"), PARIS)  # start inclusive
    assert not is_open(at("2026-07-13T18:00+02:00"), PARIS)  # end exclusive
    assert is_open(at("2026-07-13T17:59:59.999999+02:00"), PARIS)
    assert next_open(at("2026-07-13T10:00+02:00"), PARIS) == at("2026-07-13T10:00+02:00")
    assert next_open(at("2026-07-13T18:00+02:00"), PARIS) == at("2026-07-15T09:00+02:00")


def test_always_open_is_plain_elapsed_time():
    calendar = BusinessCalendar("Asia/Kolkata", always_open=True)
    start = at("2026-03-08T01:00-05:00")
    assert add_business_time(start, 100 * H, calendar) == start + 100 * H
    # 06:00Z + 1 h = 07:00Z = 12:30 IST
    assert add_business_time(start, H, calendar).isoformat() == "2026-03-08T12:30:00+05:30"
    assert business_time_between(start, start + 7 * H, calendar) == 7 * H
    assert business_time_between(start + 7 * H, start, calendar) == -7 * H
    assert is_open(start, calendar) and next_open(start, calendar) == start


def test_no_working_time_is_refused_at_construction():
    with pytest.raises(CalendarError, match="calendar has no working time"):
        BusinessCalendar("UTC")
    with pytest.raises(ValueError, match="calendar has no working time"):
        BusinessCalendar("UTC", {0: []}, holiday_country="FR")


def test_search_is_bounded_when_open_time_runs_out():
    calendar = BusinessCalendar("UTC", special={date(2026, 1, 5): [("09:00", "10:00")]})
    assert add_business_time(at("2026-01-01T00:00Z"), H, calendar) == at("2026-01-05T10:00Z")
    with pytest.raises(ValueError, match="no open time"):
        add_business_time(at("2026-01-05T09:30Z"), H, calendar)
    with pytest.raises(ValueError, match="no open time"):
        next_open(at("2027-01-01T00:00Z"), calendar)
    # A bounded question has an answer however long the closed stretch is.
    assert business_time_between(at("2020-01-01T00:00Z"), at("2035-01-01T00:00Z"), calendar) == H
    assert not is_open(at("2030-01-01T00:00Z"), calendar)


def test_calendar_is_hashable_and_normalised():
    a = BusinessCalendar("UTC", {0: [("13:00", "17:00"), ("09:00", "12:00")]}, closed=[date(2026, 1, 2)])
    b = BusinessCalendar(
        "UTC", [[(540, 720), (780, 1020)], [], [], [], [], [], []], closed=frozenset({date(2026, 1, 2)})
    )
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1
    assert a.hours[0] == ((540, 720), (780, 1020))
    assert a.zone is ZoneInfo("UTC")


def test_thousand_business_hours_is_fast():
    calendar = cal("Europe/Paris", [("09:00", "12:30"), ("13:30", "18:00")], holiday_country="FR")
    start = datetime(2026, 1, 5, 9, tzinfo=UTC)
    add_business_time(start, 1000 * H, calendar)  # warm the per-day cache
    begin = clock.perf_counter()
    for _ in range(20):
        result = add_business_time(start, 1000 * H, calendar)
    per_call = (clock.perf_counter() - begin) / 20
    assert business_time_between(start, result, calendar) == 1000 * H
    assert per_call < 0.010, f"{per_call * 1000:.2f} ms per call"
