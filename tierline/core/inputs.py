"""The one input layer: what an id, an integer, a date or a piece of text may be, checked at the
edge (ninja schemas, Django forms, the API edge middleware) so nothing the database cannot hold or
the calendar cannot offset ever reaches a query.

- Integers fit a 64-bit signed column (PostgreSQL bigint, SQLite INTEGER); ids are 1 … 2**63-1.
  Beyond that SQLite's driver raises OverflowError and PostgreSQL answers "bigint out of range".
- Digits are ASCII digits: str.isdigit() also accepts '²' or '١', which int() refuses or reads
  differently.
- Dates and date-times lie in the years YEAR_MIN … YEAR_MAX. Year 1 or 9999 plus or minus a time
  zone offset or a reporting period leaves the range Python's datetime can hold (OverflowError);
  nothing a support desk records is from before 1900 or after 2200.
- Text carries no NUL (PostgreSQL text cannot hold it) and no lone UTF-16 surrogate (not
  encodable as UTF-8: the driver, hashing and JSON output all fail on it).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any

from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from pydantic import AfterValidator, AwareDatetime, Field

INT_MIN = -(2**63)
INT_MAX = 2**63 - 1
YEAR_MIN = 1900
YEAR_MAX = 2200
MAX_JSON_DEPTH = 32
YEARS = f"{YEAR_MIN}-{YEAR_MAX}"


# -- plain checks ----------------------------------------------------------------------------------
def text_problem(value: str) -> str | None:
    """Why `value` cannot be stored as text, or None."""
    if "\x00" in value:
        return "must not contain NUL characters"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "must not contain unpaired surrogate characters"
    return None


def parse_int(raw, *, lo: int = INT_MIN, hi: int = INT_MAX) -> int | None:
    """`raw` (str or int) as an int within lo … hi, or None: ASCII digits only, one optional '-'."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, str):
        s = raw.strip()
        body = s[1:] if s.startswith("-") else s
        if not (body.isascii() and body.isdigit()) or len(body) > 19:
            return None
        value = int(s)
    else:
        return None
    return value if lo <= value <= hi else None


def parse_id(raw) -> int | None:
    """A primary key from user input, or None."""
    return parse_int(raw, lo=1, hi=INT_MAX)


def date_problem(value: dt.date) -> str | None:
    if not YEAR_MIN <= value.year <= YEAR_MAX:
        return f"the year must be between {YEAR_MIN} and {YEAR_MAX}"
    return None


def parse_day(raw: str) -> dt.date:
    """A YYYY-MM-DD date within the years allowed; ValueError (with the reason) otherwise."""
    day = dt.date.fromisoformat(raw.strip())
    problem = date_problem(day)
    if problem:
        raise ValueError(problem)
    return day


# -- pydantic types (ninja schemas) ----------------------------------------------------------------
def _check_text(value: str) -> str:
    problem = text_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def _check_date(value):
    problem = date_problem(value)
    if problem:
        raise ValueError(problem)
    return value


Id = Annotated[int, Field(ge=1, le=INT_MAX)]
Int64 = Annotated[int, Field(ge=INT_MIN, le=INT_MAX)]
Text = Annotated[str, AfterValidator(_check_text)]
Day = Annotated[dt.date, AfterValidator(_check_date), Field(json_schema_extra={"x-years": YEARS})]
Moment = Annotated[AwareDatetime, AfterValidator(_check_date), Field(json_schema_extra={"x-years": YEARS})]


# -- parsed JSON and query data --------------------------------------------------------------------
class TooDeep(ValueError):
    pass


def scan(value: Any, path: str = "body", depth: int = 0, out: dict | None = None) -> dict:
    """Field → reason for every value in parsed JSON (or form data) that no endpoint may take:
    text with NUL or lone surrogates (keys too), integers outside 64 bits, nesting past
    MAX_JSON_DEPTH."""
    out = {} if out is None else out
    if depth > MAX_JSON_DEPTH:
        out[path] = f"nested deeper than {MAX_JSON_DEPTH} levels"
    elif isinstance(value, str):
        problem = text_problem(value)
        if problem:
            out[path] = problem
    elif isinstance(value, bool):
        pass
    elif isinstance(value, int):
        if not INT_MIN <= value <= INT_MAX:
            out[path] = "integer out of range (64-bit signed)"
    elif isinstance(value, dict):
        for key, item in value.items():
            problem = text_problem(str(key))
            name = str(key) if problem is None else "key"
            if problem:
                out[f"{path}.{name}" if path != "body" else name] = problem
                continue
            scan(item, f"{path}.{name}" if path != "body" else name, depth + 1, out)
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            scan(item, f"{path}.{i}" if path != "body" else str(i), depth + 1, out)
    return out


def _refuse_constant(name):
    raise ValueError(f"{name} is not a JSON number")


def loads(raw: bytes | str):
    """JSON as endpoints may take it: no NaN/Infinity, no huge numbers, bounded nesting.
    Raises ValueError (with a message a client can act on)."""
    try:
        return json.loads(raw, parse_constant=_refuse_constant)
    except RecursionError:
        raise TooDeep(f"nested deeper than {MAX_JSON_DEPTH} levels")
    except UnicodeDecodeError:
        raise ValueError("the body is not UTF-8")
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})")


# -- Django forms ----------------------------------------------------------------------------------
def validate_text(value):
    if isinstance(value, str):
        problem = text_problem(value)
        if problem:
            raise DjangoValidationError(problem, code="invalid_text")


def validate_year(value):
    if value is not None:
        problem = date_problem(value)
        if problem:
            raise DjangoValidationError(problem, code="year_range")


class DayField(forms.DateField):
    default_validators = [validate_year]


class IdField(forms.IntegerField):
    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", INT_MAX)
        super().__init__(**kwargs)
