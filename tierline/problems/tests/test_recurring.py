"""The recurring-issues grouping on fixed text (table-driven), its invariants (properties), and a
check on real complaints: groups found by wording alone mostly share the complaint's product."""

from __future__ import annotations

import collections
import csv
import datetime as dt
import gzip
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tierline.problems.recurring import Item, group, period_range, period_start, timeline

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)  # a Monday


def item(i, title, desc="", days=0, type="technical", cause=""):
    return Item(id=i, created_at=T0 + dt.timedelta(days=days), title=title, description=desc, type=type,
                root_cause=cause)


ROUTER = [
    item(1, "Router keeps rebooting", "The home router restarts every hour, internet drops"),
    item(2, "Router reboots every hour", "Customer says the router restarts and the internet drops", days=3),
    item(3, "Router restarting, internet dropping", "Router restarts each hour since the firmware update", days=8),
]
BILLING = [
    item(4, "Charged twice for March invoice", "Duplicate charge on the credit card", type="billing"),
    item(5, "Double charge on invoice", "The March invoice was charged twice to the card", type="billing", days=9),
]
LONERS = [item(6, "Cannot change the account password", "Password reset email never arrives"),
          item(7, "Technician missed the appointment", "Nobody came for the installation on Friday")]


def groups_of(items, **kw):
    return sorted(sorted(g.ids) for g in group(items, **kw))


@pytest.mark.parametrize(("items", "kw", "expected"), [
    (ROUTER + BILLING + LONERS, {}, [[1, 2, 3], [4, 5]]),
    (ROUTER + BILLING + LONERS, {"min_size": 3}, [[1, 2, 3]]),
    (ROUTER + LONERS, {"min_size": 1}, [[1, 2, 3], [6], [7]]),
    # A very strict threshold keeps only near-identical wording together.
    (ROUTER + BILLING, {"threshold": 0.05}, []),
    # Same words, different types: never one group while grouping by type …
    ([item(1, "Router keeps rebooting"), item(2, "Router keeps rebooting", type="billing")], {}, []),
    # … unless the report is told to ignore the type.
    ([item(1, "Router keeps rebooting"), item(2, "Router keeps rebooting", type="billing")], {"by_type": False},
     [[1, 2]]),
    # Same words, different root causes stay apart.
    ([item(1, "Router keeps rebooting", cause="Hardware"), item(2, "Router keeps rebooting", cause="Firmware")],
     {}, []),
    ([], {}, []),
    ([item(1, "the and of"), item(2, "12345")], {}, []),
])
def test_grouping_on_fixed_text(items, kw, expected):
    assert groups_of(items, **kw) == expected


def test_a_group_says_what_it_is_about_and_when():
    router = group(ROUTER + BILLING + LONERS, period="week")[0]
    assert router.ids == (1, 2, 3)
    assert "router" in router.label
    assert (router.first_seen, router.last_seen) == (T0, T0 + dt.timedelta(days=8))
    assert router.counts == {dt.date(2026, 3, 2): 2, dt.date(2026, 3, 9): 1}
    monthly = group(ROUTER + BILLING + LONERS, period="month")[0]
    assert monthly.counts == {dt.date(2026, 3, 1): 3}


def test_timeline_fills_empty_periods_with_zero():
    groups = group(ROUTER + BILLING)
    axis, series = timeline(groups, "week")
    assert axis == [dt.date(2026, 3, 2), dt.date(2026, 3, 9)]
    assert series == [[2, 1], [1, 1]]
    assert timeline([], "week") == ([], [])


@pytest.mark.parametrize(("day", "period", "start"), [
    (dt.date(2026, 3, 2), "week", dt.date(2026, 3, 2)),
    (dt.date(2026, 3, 8), "week", dt.date(2026, 3, 2)),
    (dt.date(2026, 1, 1), "week", dt.date(2025, 12, 29)),
    (dt.date(2026, 2, 28), "month", dt.date(2026, 2, 1)),
    (dt.date(2024, 12, 31), "month", dt.date(2024, 12, 1)),
])
def test_period_start(day, period, start):
    assert period_start(day, period) == start


def test_period_range_crosses_years():
    assert period_range(dt.date(2025, 11, 15), dt.date(2026, 2, 3), "month") == [
        dt.date(2025, 11, 1), dt.date(2025, 12, 1), dt.date(2026, 1, 1), dt.date(2026, 2, 1)]
    assert len(period_range(dt.date(2026, 1, 1), dt.date(2026, 12, 31), "week")) == 53


@pytest.mark.parametrize("kw", [{"threshold": 0}, {"threshold": 1}, {"min_size": 0}, {"period": "day"}])
def test_bad_parameters_are_refused(kw):
    with pytest.raises(ValueError):
        group(ROUTER, **kw)


WORDS = ["router", "invoice", "password", "refund", "delivery", "late", "broken", "charged", "twice", "reset"]
texts = st.lists(st.sampled_from(WORDS), min_size=1, max_size=5).map(" ".join)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(texts, st.sampled_from(["technical", "billing"]), st.sampled_from(["", "A", "B"]),
                          st.integers(0, 60)), min_size=0, max_size=25),
       st.floats(0.1, 0.9), st.integers(1, 4), st.randoms(use_true_random=False))
def test_grouping_invariants(rows, threshold, min_size, rnd):
    items = [item(i, t, type=k, cause=c, days=d) for i, (t, k, c, d) in enumerate(rows, start=1)]
    groups = group(items, threshold=threshold, min_size=min_size)
    seen = [i for g in groups for i in g.ids]
    assert len(seen) == len(set(seen))  # nobody in two groups
    by_id = {i.id: i for i in items}
    for g in groups:
        assert g.size >= min_size and sum(g.counts.values()) == g.size
        assert {(by_id[i].type, by_id[i].root_cause) for i in g.ids} == {(g.type, g.root_cause)}
    assert [g.size for g in groups] == sorted((g.size for g in groups), reverse=True)
    if min_size == 1:
        assert sorted(seen) == sorted(by_id)
    shuffled = list(items)
    rnd.shuffle(shuffled)
    assert [g.ids for g in group(shuffled, threshold=threshold, min_size=min_size)] == [g.ids for g in groups]


CFPB = Path(__file__).resolve().parents[4] / "shared" / "data" / "cfpb_complaints_sample_2015-2020.csv.gz"


def cfpb_sample(n: int) -> tuple[list[Item], dict[int, str]]:
    rows = []
    with gzip.open(CFPB, "rt", encoding="utf-8") as fh:
        for i, r in enumerate(csv.DictReader(fh)):
            text = r["Consumer complaint narrative"].strip()
            if text:
                y, m, d = map(int, r["Date received"].split("/"))
                rows.append((Item(id=i, created_at=dt.datetime(y, m, d, tzinfo=dt.UTC),
                                  title=f"{r['Issue']} {r['Sub-issue']}".strip(), description=text), r["Product"]))
    random.Random(7).shuffle(rows)
    rows = rows[:n]
    return [i for i, _ in rows], {i.id: p for i, p in rows}


@pytest.mark.skipif(not CFPB.exists(), reason=f"real complaint data not present at {CFPB}")
def test_on_real_complaints_groups_share_their_product():
    items, product = cfpb_sample(600)
    groups = group(items, threshold=0.7, period="month", by_type=False)
    grouped = sum(g.size for g in groups)
    assert len(groups) >= 10 and grouped >= 60
    agree = sum(collections.Counter(product[i] for i in g.ids).most_common(1)[0][1] for g in groups)
    # Wording alone, never told the product, puts complaints about the same product together.
    assert agree / grouped >= 0.9, agree / grouped
