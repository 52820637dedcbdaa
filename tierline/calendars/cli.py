"""`tierline calendar`: business-time arithmetic from the command line. Pure: no Django.

    tierline calendar due --calendar CAL.json --start 2026-07-10T17:30+02:00 --duration PT4H
    tierline calendar between --calendar CAL.json --start ISO --end ISO

``due`` prints the deadline (ISO 8601 with offset, in the calendar's zone); ``between`` prints
business seconds (an integer, or with decimals when fractional; negative if end < start).
Durations are ISO 8601: PT4H, PT90M, P2DT3H30M, P1W. They are amounts of BUSINESS time: P1D is
24 business hours, not "the next day", and months and years are refused as having no fixed
length. Any bad input gives one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from tierline.calendars.spec import calendar_from_dict
from tierline.calendars.timecalc import add_business_time, business_time_between

_DURATION = re.compile(
    r"P(?:(?P<W>\d+(?:[.,]\d+)?)W)?(?:(?P<D>\d+(?:[.,]\d+)?)D)?"
    r"(?:T(?:(?P<H>\d+(?:[.,]\d+)?)H)?(?:(?P<M>\d+(?:[.,]\d+)?)M)?(?:(?P<S>\d+(?:[.,]\d+)?)S)?)?"
)
_UNIT_SECONDS = {"W": 7 * 86400, "D": 86400, "H": 3600, "M": 60, "S": 1}
_MONTHS_OR_YEARS = re.compile(r"P(?:[\d.,]+[YMWD])*[\d.,]+[YM]")


class UsageError(Exception):
    """Bad input: reported as one line, exit code 2."""


def parse_duration(text: str) -> timedelta:
    """ISO 8601 duration of business time (weeks, days, hours, minutes, seconds)."""
    text = text.strip().upper()
    if text.startswith("-"):
        raise UsageError(f"--duration: {text} is negative; a duration must not be")
    date_part = text.split("T", 1)[0]
    if _MONTHS_OR_YEARS.match(date_part):
        raise UsageError(
            f"--duration: {text}: months and years have no fixed length of business time; "
            "use weeks, days (P1D = 24 business hours), hours or minutes"
        )
    m = _DURATION.fullmatch(text)
    if not m or text in {"P", "PT"} or text.endswith("T") or not any(m.groupdict().values()):
        raise UsageError(
            f'--duration: "{text}" is not an ISO 8601 duration such as PT4H, PT90M, P2DT3H30M or P1W'
        )
    try:
        seconds = sum(Decimal(v.replace(",", ".")) * _UNIT_SECONDS[k] for k, v in m.groupdict().items() if v)
        micro = seconds * 1_000_000
        if micro != micro.to_integral_value():
            raise UsageError(f"--duration: {text} is finer than a microsecond")
        return timedelta(microseconds=int(micro))
    except (InvalidOperation, OverflowError):
        raise UsageError(f"--duration: {text} is too large")


def parse_instant(text: str, option: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f'{option}: "{text}" is not an ISO 8601 date-time such as 2026-07-10T17:30:00+02:00')
    if value.tzinfo is None:
        raise UsageError(f"{option}: {text} has no UTC offset; add one, e.g. {text}+02:00 or {text}Z")
    return value


def format_seconds(delta: timedelta) -> str:
    micro = delta // timedelta(microseconds=1)
    if micro % 1_000_000 == 0:
        return str(micro // 1_000_000)
    return format(Decimal(micro).scaleb(-6).normalize(), "f")


def load_calendar(path: str):
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except OSError as e:
        raise UsageError(f"--calendar: cannot read {path}: {e.strerror or e}")
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise UsageError(f"--calendar: {path} is not valid JSON: {e}")
    try:
        return calendar_from_dict(data)
    except ValueError as e:
        raise UsageError(f"--calendar: {path}: {e}")


class _Parser(argparse.ArgumentParser):
    # argparse prints usage plus the error and exits itself; we want one line and our exit code.
    def error(self, message):
        raise UsageError(message)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="tierline calendar", description="Business-time arithmetic on a calendar file.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    due = sub.add_parser("due", help="deadline after a duration of business time")
    due.add_argument("--calendar", required=True, help="calendar JSON file")
    due.add_argument("--start", required=True, help="aware ISO 8601 date-time")
    due.add_argument("--duration", required=True, help="ISO 8601 duration of business time, e.g. PT4H")
    between = sub.add_parser("between", help="business seconds in [start, end)")
    between.add_argument("--calendar", required=True, help="calendar JSON file")
    between.add_argument("--start", required=True, help="aware ISO 8601 date-time")
    between.add_argument("--end", required=True, help="aware ISO 8601 date-time")
    return parser


def run(argv: list[str]) -> str:
    args = _parser().parse_args(argv)
    if args.command == "due":
        duration = parse_duration(args.duration)
        start = parse_instant(args.start, "--start")
        cal = load_calendar(args.calendar)
        return add_business_time(start, duration, cal).isoformat()
    start = parse_instant(args.start, "--start")
    end = parse_instant(args.end, "--end")
    cal = load_calendar(args.calendar)
    return format_seconds(business_time_between(start, end, cal))


def main(argv: list[str]) -> int:
    try:
        print(run(argv))
    except SystemExit as e:  # --help
        return e.code if isinstance(e.code, int) else 0
    except (UsageError, ValueError, OverflowError) as e:
        message = " ".join(str(e).split())
        print(f"tierline calendar: error: {message}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
