"""The pure parts: no Django import, and properties the figures rely on."""

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tierline.audit.event_types import EventType as E
from tierline.reports import kpi, rollup_math


def test_the_modules_are_pure():
    code = ("import sys; import tierline.reports.kpi, tierline.reports.rollup_math, tierline.reports.schedule_math; "
            "bad = sorted(m for m in sys.modules if m.split('.')[0] == 'django'); assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[3])


@given(st.lists(st.floats(min_value=0, max_value=1e7, allow_nan=False), min_size=1, max_size=60))
def test_summary_orders_and_p90_is_an_observation(values):
    s = kpi.summary(values)
    assert s["count"] == len(values)
    assert min(values) <= s["median"] <= s["p90"] <= max(values)
    assert s["p90"] in values
    assert sum(1 for v in values if v <= s["p90"]) >= 0.9 * len(values)


@pytest.mark.parametrize("values, median, p90", [
    ([1.0], 1.0, 1.0), ([1.0, 3.0], 2.0, 3.0), ([5.0, 1.0, 3.0], 3.0, 5.0),
    ([float(i) for i in range(1, 11)], 5.5, 9.0), ([float(i) for i in range(1, 12)], 6.0, 10.0),
])
def test_summary_table(values, median, p90):
    s = kpi.summary(values)
    assert (s["median"], s["p90"]) == (median, p90)


@pytest.mark.parametrize("path, expected", [
    ([], False), ([1], False), ([1, 2], False), ([1, 2, 3], False), ([1, 2, 1], True), ([1, 2, 3, 2], True),
    ([1, 2, 3, 1], True),
])
def test_ping_pong_table(path, expected):
    f = kpi.EscalationFacts(escalation_id=1, created_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC), team_path=path)
    assert f.ping_pong is expected


T0 = dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC)
TYPES = [E.ACKNOWLEDGED, E.RESOLVED, E.REOPENED, E.SLA_BREACH, E.ASSIGNED, E.CSAT_RECEIVED, E.INTERNAL_NOTE]


@st.composite
def logs(draw):
    events = []
    n_esc = draw(st.integers(1, 4))
    for esc in range(1, n_esc + 1):
        events.append((esc, int(E.CREATED), T0 + dt.timedelta(hours=esc), {"changes": {
            "type": [None, draw(st.sampled_from(["technical", "billing"]))], "level": [None, 1],
            "team": [None, draw(st.sampled_from([7, 8]))], "channel": [None, "phone"], "customer": [None, esc % 2]}}))
    for _ in range(draw(st.integers(0, 30))):
        esc = draw(st.integers(1, n_esc))
        typ = draw(st.sampled_from(TYPES))
        at = T0 + dt.timedelta(hours=esc, minutes=draw(st.integers(0, 5000)))
        data = {"score": draw(st.integers(1, 5))} if typ == E.CSAT_RECEIVED else \
            {"changes": {"owner": [draw(st.sampled_from([None, 3])), 4]}} if typ == E.ASSIGNED else {}
        events.append((esc, int(typ), at, data))
    return events


@given(logs(), st.integers(0, 40))
def test_folding_in_two_parts_equals_folding_at_once(events, cut):
    tiers = {0: "standard", 1: "vip"}
    origins = {e: rollup_math.origin_from_created(d, at, tiers) for e, t, at, d in events if t == E.CREATED}
    whole = rollup_math.fold({}, events, origins)
    parts = rollup_math.fold(rollup_math.fold({}, events[:cut], origins), events[cut:], origins)
    assert parts == whole
    created = sum(r["created"] for r in whole.values())
    assert created == len(origins)
