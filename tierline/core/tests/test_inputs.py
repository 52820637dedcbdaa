"""Properties of the input layer (core/inputs.py): what it accepts the database can hold and the
calendar can offset; what it refuses is refused with a reason, never an exception."""

import datetime as dt
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from tierline.core import inputs

ids = TypeAdapter(inputs.Id)
days = TypeAdapter(inputs.Day)
moments = TypeAdapter(inputs.Moment)
texts = TypeAdapter(inputs.Text)


@given(st.text())
def test_parse_int_accepts_exactly_ascii_digits_in_64_bits(raw):
    value = inputs.parse_int(raw)
    body = raw.strip().removeprefix("-")
    if value is None:
        assert not (body.isascii() and body.isdigit()) or not inputs.INT_MIN <= int(raw) <= inputs.INT_MAX
    else:
        assert body.isascii() and body.isdigit() and value == int(raw)
        assert inputs.INT_MIN <= value <= inputs.INT_MAX


@given(st.integers())
def test_parse_id_takes_what_a_bigint_primary_key_holds(n):
    expected = n if 1 <= n <= inputs.INT_MAX else None
    assert inputs.parse_id(str(n)) == expected
    assert inputs.parse_id(n) == expected
    if expected is None:
        with pytest.raises(ValidationError):
            ids.validate_python(n)
    else:
        assert ids.validate_python(n) == n


@pytest.mark.parametrize("raw", ["²", "١٢", "１２", "3²", "⑦", "", " ", "+1", "1.0", "0x10", "1_000", True])
def test_digits_int_refuses_or_reads_otherwise_are_refused(raw):
    assert inputs.parse_id(raw) is None


@given(st.text())
def test_text_is_accepted_iff_utf8_encodable_without_nul(value):
    problem = inputs.text_problem(value)
    encodable = True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        encodable = False
    assert (problem is None) == (encodable and "\x00" not in value)
    if problem is None:
        assert texts.validate_python(value) == value
    else:
        with pytest.raises(ValidationError):
            texts.validate_python(value)


@given(st.dates())
def test_accepted_dates_survive_any_offset_and_a_year_of_period(day):
    if inputs.date_problem(day) is not None:
        assert not inputs.YEAR_MIN <= day.year <= inputs.YEAR_MAX
        with pytest.raises(ValidationError):
            days.validate_python(day)
        return
    assert days.validate_python(day) == day
    for hours in (-26, 26):
        moment = dt.datetime.combine(day, dt.time(), dt.timezone(dt.timedelta(hours=hours % 24 - 12)))
        moment.astimezone(dt.UTC)
        moment + dt.timedelta(days=400)
        moment - dt.timedelta(days=400)


@given(st.datetimes(timezones=st.timezones()))
def test_accepted_moments_lie_in_the_years(moment):
    try:
        value = moments.validate_python(moment)
    except ValidationError:
        assert not inputs.YEAR_MIN <= moment.year <= inputs.YEAR_MAX
    else:
        assert inputs.YEAR_MIN <= value.year <= inputs.YEAR_MAX


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
                    | st.text(), lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
                    max_leaves=20)


def _depth(value):
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


def _leaves(value):
    if isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from _leaves(v)
    elif isinstance(value, list):
        for v in value:
            yield from _leaves(v)
    else:
        yield value


@given(JSON)
def test_scan_flags_exactly_what_no_endpoint_may_take(value):
    problems = inputs.scan(value)
    bad = [x for x in _leaves(value)
           if (isinstance(x, str) and inputs.text_problem(x))
           or (isinstance(x, int) and not isinstance(x, bool) and not inputs.INT_MIN <= x <= inputs.INT_MAX)]
    assert _depth(value) <= inputs.MAX_JSON_DEPTH  # max_leaves keeps generated values shallow
    assert bool(problems) == bool(bad)
    if not problems:  # what passes round-trips through JSON and UTF-8 unchanged
        assert json.loads(json.dumps(value, ensure_ascii=False).encode("utf-8")) == value


@pytest.mark.parametrize("raw", ["[" * 100_000 + "]" * 100_000, '{"a": NaN}', '{"a": -Infinity}', "{", b"\xff"])
def test_loads_refuses_with_a_value_error(raw):
    with pytest.raises(ValueError):
        inputs.loads(raw)


def test_scan_refuses_nesting_past_the_limit():
    value = 0
    for _ in range(inputs.MAX_JSON_DEPTH + 1):
        value = [value]
    assert inputs.scan(value)
    assert not inputs.scan(value[0])


def test_scan_names_the_field():
    assert inputs.scan({"title": "a\x00", "tags": ["ok", "\udc00"], "team": 2**64}) == {
        "title": "must not contain NUL characters", "tags.1": "must not contain unpaired surrogate characters",
        "team": "integer out of range (64-bit signed)"}
