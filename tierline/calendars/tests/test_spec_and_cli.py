"""The JSON calendar form (errors name the field; round trip) and the `tierline calendar` CLI,
run as the real console entry point in a subprocess."""

import json
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from tierline.calendars.cli import format_seconds, parse_duration
from tierline.calendars.spec import CalendarError, calendar_from_dict, calendar_to_dict
from tierline.calendars.timecalc import BusinessCalendar

ROOT = Path(__file__).resolve().parents[3]
WEEKDAY_HOURS = [["09:00", "12:30"], ["13:30", "18:00"]]
EXAMPLE = {
    "timezone": "Europe/Paris",
    "hours": {day: WEEKDAY_HOURS for day in ("mon", "tue", "wed", "thu", "fri")} | {"sun": []},
    "holidays": {"country": "FR", "subdivision": None},
    "closed": ["2026-12-24"],
    "special": {"2026-12-31": [["09:00", "13:00"]]},
}
OFFICE = {"mon": [["09:00", "17:00"]]}


def with_(**changes):
    return {"timezone": "UTC", "hours": OFFICE, **changes}


ERRORS = [
    ({"timezone": "Mars/Olympus", "hours": OFFICE}, 'timezone: unknown time zone "Mars/Olympus"'),
    ({"timezone": "localtime", "hours": OFFICE}, 'timezone: unknown time zone "localtime"'),
    ({"hours": OFFICE}, "timezone: required"),
    ({"timezone": 3, "hours": OFFICE}, "timezone: 3 is not a time zone name"),
    (
        with_(hours={"mon": [["09:00", "12:00"], ["25:00", "26:00"]]}),
        'hours.mon[1][0]: "25:00" is not a time (HH:MM)',
    ),
    (with_(hours={"tue": [["9:00", "17:00"]]}), 'hours.tue[0][0]: "9:00" is not a time (HH:MM)'),
    (with_(hours={"mon": [["09:00", "17:60"]]}), 'hours.mon[0][1]: "17:60" is not a time (HH:MM)'),
    (with_(hours={"mon": [["09:00", 1700]]}), "hours.mon[0][1]: 1700 is not a time (HH:MM)"),
    (with_(hours={"mon": [["24:00", "06:00"]]}), 'hours.mon[0][0]: "24:00" is only allowed as the end'),
    (with_(hours={"mon": [["09:00"]]}), 'hours.mon[0]: an interval is ["HH:MM", "HH:MM"]'),
    (with_(hours={"mon": "09:00-17:00"}), "hours.mon: a list of"),
    (with_(hours={"funday": []}), "hours.funday: unknown weekday"),
    (with_(hours=[]), "hours: an object"),
    (with_(hours={"mon": [["09:00", "09:00"]]}), 'hours.mon[0]: zero-length interval ["09:00", "09:00"]'),
    (
        with_(hours={"wed": [["09:00", "12:00"], ["11:00", "13:00"]]}),
        'hours.wed[1]: ["11:00", "13:00"] overlaps hours.wed[0] ["09:00", "12:00"]',
    ),
    (
        with_(hours={"sun": [["22:00", "06:00"]], "mon": [["05:00", "09:00"]]}),
        'hours.mon[0]: ["05:00", "09:00"] overlaps the overnight interval hours.sun[0] ["22:00", "06:00"]',
    ),
    (
        with_(
            hours={"mon": [["09:00", "17:00"]], "tue": [["09:00", "17:00"]]},
            special={"2026-12-28": [["20:00", "10:00"]]},
        ),
        'hours.tue[0]: ["09:00", "17:00"] overlaps the overnight interval special.2026-12-28[0] ["20:00", "10:00"]',
    ),
    (with_(hours={}), "hours: calendar has no working time"),
    (with_(holidays={"country": "XX"}), 'holidays.country: "XX" is not a country the holidays package knows'),
    (
        with_(holidays={"country": "GB", "subdivision": "ZZZ"}),
        'holidays.subdivision: "ZZZ" is not a subdivision of GB',
    ),
    (with_(holidays={"subdivision": "ENG"}), "holidays.country: a country code"),
    (with_(holidays={"country": "GB", "region": "ENG"}), "holidays.region: unknown field"),
    (with_(holidays="FR"), "holidays: an object"),
    (with_(closed=["2026-13-01"]), 'closed[0]: "2026-13-01" is not a date (YYYY-MM-DD)'),
    (with_(closed=["2026-12-24", "24/12/2026"]), 'closed[1]: "24/12/2026" is not a date (YYYY-MM-DD)'),
    (with_(closed=["2026-12-24", 20261224]), "closed[1]: 20261224 is not a date (YYYY-MM-DD)"),
    (with_(closed="2026-12-24"), "closed: a list of dates"),
    (with_(special={"2026-02-30": []}), 'special: "2026-02-30" is not a date (YYYY-MM-DD)'),
    (
        with_(special={"2026-12-31": [["13:00", "25:00"]]}),
        'special.2026-12-31[0][1]: "25:00" is not a time (HH:MM)',
    ),
    (
        with_(special={"2026-12-24": []}, closed=["2026-12-24"]),
        "special.2026-12-24: the date is also listed in closed",
    ),
    (with_(timezon="UTC"), "timezon: unknown field (expected one of timezone, hours"),
    ({"timezone": "UTC", "always_open": "yes"}, "always_open: true or false is required"),
    ({"timezone": "UTC", "always_open": True, "hours": OFFICE}, "hours: not allowed with always_open"),
    ({"timezone": "UTC", "always_open": True, "closed": []}, "closed: not allowed with always_open"),
    (["UTC"], "calendar: a JSON object is required"),
]


@pytest.mark.parametrize(
    ("data", "message"), ERRORS, ids=[m.split(":")[0] + "-" + str(i) for i, (_, m) in enumerate(ERRORS)]
)
def test_errors_name_the_field(data, message):
    with pytest.raises(CalendarError) as info:
        calendar_from_dict(data)
    assert str(info.value).startswith(message)
    assert isinstance(info.value, ValueError)


def test_example_parses():
    cal = calendar_from_dict(EXAMPLE)
    assert cal.timezone == "Europe/Paris" and cal.holiday_country == "FR"
    assert cal.hours[0] == ((540, 750), (810, 1080)) and cal.hours[5] == cal.hours[6] == ()
    assert cal.closed == {date(2026, 12, 24)}
    assert cal.special == ((date(2026, 12, 31), ((540, 780),)),)


ROUND_TRIPS = [
    {"timezone": "UTC", "always_open": True},
    {
        "timezone": "Europe/London",
        "hours": {
            "mon": [["22:00", "06:00"]],
            "tue": [["06:00", "24:00"]],
            "wed": [["07:00", "11:00"], ["15:00", "19:30"]],
            "thu": [["23:00", "00:00"]],
            "fri": [],
            "sat": [["10:00", "14:00"]],
            "sun": [],
        },
        "holidays": {"country": "GB", "subdivision": "SCT"},
        "closed": ["2026-12-24", "2027-01-02"],
        "special": {"2026-12-31": [["09:00", "13:00"]], "2027-01-04": []},
    },
    {
        "timezone": "Asia/Kolkata",
        "hours": {d: [["09:30", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
        "holidays": None,
        "closed": [],
        "special": {},
    },
]


@pytest.mark.parametrize("data", ROUND_TRIPS)
def test_round_trip(data):
    cal = calendar_from_dict(data)
    assert calendar_to_dict(cal) == data
    assert calendar_from_dict(json.loads(json.dumps(calendar_to_dict(cal)))) == cal


def test_to_dict_is_canonical():
    # Unsorted intervals and missing weekdays come back sorted and complete; equal calendars.
    cal = calendar_from_dict({"timezone": "UTC", "hours": {"fri": [["13:00", "17:00"], ["09:00", "12:00"]]}})
    out = calendar_to_dict(cal)
    assert out["hours"]["fri"] == [["09:00", "12:00"], ["13:00", "17:00"]] and out["hours"]["mon"] == []
    assert out["holidays"] is None and calendar_from_dict(out) == cal
    built = BusinessCalendar("UTC", {4: [(540, 720), (780, 1020)]})
    assert built == cal and hash(built) == hash(cal)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PT4H", timedelta(hours=4)),
        ("PT90M", timedelta(minutes=90)),
        ("P2DT3H30M", timedelta(days=2, hours=3, minutes=30)),
        ("P1W", timedelta(weeks=1)),
        ("P1D", timedelta(hours=24)),
        ("PT0.5H", timedelta(minutes=30)),
        ("PT1,5S", timedelta(seconds=1.5)),
        ("pt45s", timedelta(seconds=45)),
        ("PT0S", timedelta(0)),
    ],
)
def test_parse_duration(text, expected):
    assert parse_duration(text) == expected


def test_format_seconds():
    assert format_seconds(timedelta(hours=1)) == "3600"
    assert format_seconds(timedelta(seconds=-5400)) == "-5400"
    assert format_seconds(timedelta(seconds=1, microseconds=500000)) == "1.5"
    assert format_seconds(timedelta(microseconds=-1)) == "-0.000001"


# --- the real console script ---------------------------------------------------------------------


def run_cli(*args, cwd):
    env = dict(os.environ, TIERLINE_DEV="1")
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(
        [sys.executable, "-m", "tierline.cli", "calendar", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=60,
    )


@pytest.fixture
def cal_file(tmp_path):
    path = tmp_path / "CAL.json"
    path.write_text(json.dumps(EXAMPLE))
    return path


@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        # Fri 17:30-18:00 = 30 min; Mon 09:00-12:30 = 3.5 h: due exactly at the lunch break.
        ("2026-07-10T17:30:00+02:00", "PT4H", "2026-07-13T12:30:00+02:00"),
        # Mon 17:00-18:00 = 1 h; Tue 14 July closed; Wed 09:00 + 1 h.
        ("2026-07-13T15:00:00Z", "PT2H", "2026-07-15T10:00:00+02:00"),
        # Wed 23 Dec 17:00-18:00; 24 closed; 25 Christmas; Mon 28 from 09:00: 3.5 h + 1 h lunch +
        # 30 min -> 14:00.
        ("2026-12-23T17:00:00+01:00", "PT5H", "2026-12-28T14:00:00+01:00"),
        # Thu 31 Dec special 09:00-13:00: 12:00-13:00; 1 Jan holiday; Mon 4 Jan 09:00 + 30 min.
        ("2026-12-31T12:00:00+01:00", "PT90M", "2027-01-04T09:30:00+01:00"),
        # P1D is 24 business hours = 3 days of 8 h: Mon 09:00 -> Wed 18:00.
        ("2026-07-06T09:00:00+02:00", "P1D", "2026-07-08T18:00:00+02:00"),
    ],
)
def test_cli_due(cal_file, tmp_path, start, duration, expected):
    result = run_cli(
        "due", "--calendar", str(cal_file), "--start", start, "--duration", duration, cwd=tmp_path
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, expected + "\n", "")


def test_cli_between(cal_file, tmp_path):
    args = ["between", "--calendar", str(cal_file)]
    # Fri 17:30-18:00 and Mon 09:00-12:00 (+ half a second) = 3.5 h.
    result = run_cli(
        *args, "--start", "2026-07-10T17:30+02:00", "--end", "2026-07-13T12:00:00.5+02:00", cwd=tmp_path
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "12600.5\n", "")
    result = run_cli(
        *args, "--start", "2026-07-13T12:00+02:00", "--end", "2026-07-10T17:30+02:00", cwd=tmp_path
    )
    assert (result.returncode, result.stdout) == (0, "-12600\n")


BAD_INPUT = [
    (
        ["due", "--calendar", "missing.json", "--start", "2026-07-10T17:30Z", "--duration", "PT1H"],
        "cannot read missing.json",
    ),
    (
        ["due", "--calendar", "{bad}", "--start", "2026-07-10T17:30Z", "--duration", "PT1H"],
        "is not valid JSON",
    ),
    (
        ["due", "--calendar", "{mars}", "--start", "2026-07-10T17:30Z", "--duration", "PT1H"],
        'timezone: unknown time zone "Mars/Olympus"',
    ),
    (
        ["due", "--calendar", "{cal}", "--start", "2026-07-10T17:30", "--duration", "PT1H"],
        "--start: 2026-07-10T17:30 has no UTC offset",
    ),
    (
        ["due", "--calendar", "{cal}", "--start", "next friday", "--duration", "PT1H"],
        '--start: "next friday" is not an ISO 8601',
    ),
    (
        ["due", "--calendar", "{cal}", "--start", "2026-07-10T17:30Z", "--duration", "P1M"],
        "months and years have no fixed length",
    ),
    (
        ["due", "--calendar", "{cal}", "--start", "2026-07-10T17:30Z", "--duration", "P1Y2D"],
        "months and years have no fixed length",
    ),
    (
        ["due", "--calendar", "{cal}", "--start", "2026-07-10T17:30Z", "--duration", "4 hours"],
        "is not an ISO 8601 duration",
    ),
    (
        ["due", "--calendar", "{cal}", "--start", "2026-07-10T17:30Z", "--duration", "PT"],
        "is not an ISO 8601 duration",
    ),
    (["due", "--calendar", "{cal}", "--start", "2026-07-10T17:30Z", "--duration=-PT1H"], "negative"),
    (["due", "--calendar", "{cal}", "--start", "2026-07-10T17:30Z"], "required: --duration"),
    (
        ["between", "--calendar", "{cal}", "--start", "2026-07-10T17:30Z", "--end", "2026-07-11"],
        "--end: 2026-07-11 has no UTC offset",
    ),
    (["frobnicate"], "invalid choice"),
    ([], "required: command"),
]


@pytest.mark.parametrize(("args", "message"), BAD_INPUT, ids=[m for _, m in BAD_INPUT])
def test_cli_bad_input_is_one_line_and_exit_2(cal_file, tmp_path, args, message):
    (tmp_path / "bad.json").write_text('{"timezone": "UTC", "hours": ')
    (tmp_path / "mars.json").write_text(json.dumps({"timezone": "Mars/Olympus", "hours": OFFICE}))
    files = {
        "{cal}": str(cal_file),
        "{bad}": str(tmp_path / "bad.json"),
        "{mars}": str(tmp_path / "mars.json"),
    }
    result = run_cli(*[files.get(a, a) for a in args], cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("tierline calendar: error: ")
    assert message in result.stderr


def test_cli_dispatch_needs_no_django_settings(cal_file, tmp_path):
    # Without TIERLINE_DEV or SECRET_KEY Django settings cannot load: the calendar command must not
    # touch them.
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"TIERLINE_DEV", "SECRET_KEY", "DJANGO_SETTINGS_MODULE"}
    }
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "tierline.cli",
            "calendar",
            "due",
            "--calendar",
            str(cal_file),
            "--start",
            "2026-07-10T17:30:00+02:00",
            "--duration",
            "PT30M",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=60,
    )
    # 17:30 + 30 min ends exactly at Friday's close and stays there.
    assert (result.returncode, result.stdout) == (0, "2026-07-10T18:00:00+02:00\n"), result.stderr
