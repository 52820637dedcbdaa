"""Properties of the SLA clock over random histories: status moves from the real state machine
(including pauses, resolve / reopen, terminal moves), replies, escalations, re-times and worker
ticks, separated by random gaps (zero, minutes, days), on office hours and on 24x7."""

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tierline.audit.event_types import EventType as E
from tierline.calendars.spec import calendar_from_dict
from tierline.calendars.timecalc import add_business_time, business_time_between, is_open
from tierline.escalations import states
from tierline.sla.clock import COUNTED, evaluate, project, split, utc
from tierline.sla.clock_marks import done_keys, due_marks, marks, next_due, schedule

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
OFFICE = {"timezone": "Europe/London",
          "hours": {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
          "holidays": {"country": "GB", "subdivision": "ENG"}}
ALWAYS = {"timezone": "UTC", "always_open": True}
CALENDARS = {"office": OFFICE, "always": ALWAYS}
START = datetime(2026, 3, 20, 7, 0, tzinfo=UTC)  # runs across the UK clock change (29 March) and Easter
STEPS = [{"target": "resolution", "offset": -1800, "action": "notify", "whom": "owner"},
         {"target": "resolution", "offset": 0, "action": "escalate_level"},
         {"target": "resolution", "offset": 3600, "action": "raise_priority", "repeat_every": 1800,
          "max_repeats": 2},
         {"target": "update", "offset": -600, "action": "notify", "whom": "owner"},
         {"target": "acknowledgement", "offset": -3600, "action": "notify", "whom": "team"}]
MOVE_EVENTS = {"acknowledge": E.ACKNOWLEDGED, "resolve": E.RESOLVED, "close": E.CLOSED, "reopen": E.REOPENED,
               "cancel": E.CANCELLED, "merge_close": E.MERGED_INTO}


def policy(calendar: dict, generation: int) -> dict:
    targets = ({"acknowledgement": 1800, "first_response": 7200, "update": 10800, "resolution": 28800}
               if generation % 2 else {"first_response": 3600, "update": 14400, "resolution": 21600})
    return {"policy_id": 1, "version": generation, "name": "p", "generation": generation, "calendar": calendar,
            "targets": targets, "pause_statuses": ["pending_customer"], "warnings": [50, 90], "steps": STEPS}


def at_us(moment: datetime) -> int:
    return (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)


gaps = st.one_of(st.just(0), st.integers(1, 3 * 3600), st.integers(3 * 3600, 4 * 24 * 3600))
plans = st.lists(st.tuples(gaps, st.integers(0, 10_000)), max_size=18)


def build(calendar: str, plan: list[tuple[int, int]], ticks: bool = True) -> list[dict]:
    """Interpret the plan: each step waits its gap then takes the choice-th available action."""
    cal = CALENDARS[calendar]
    events: list[dict] = []
    status, generation, level = "new", 1, 1

    def add(type_, when, **data):
        events.append({"seq": len(events) + 1, "type": int(type_), "occurred_at": when, "data": data})

    add(E.CREATED, START, changes={"status": [None, "new"], "level": [None, 1], "team": [None, 10]})
    add(E.SLA_POLICY_APPLIED, START, policy=policy(cal, 1))
    t = START
    for gap, choice in plan:
        if status in states.TERMINAL:
            break
        t += timedelta(seconds=gap)
        # Cancel and merge end the history: offered one step in six, so most histories run on.
        options = [("move", m) for m in states.allowed_moves(status)
                   if m not in ("cancel", "merge_close") or choice % 6 == 0] + [("note", None)]
        if status in states.OPEN:
            options += [("reply", E.PUBLIC_REPLY), ("reply", E.CUSTOMER_CONTACTED), ("escalate", None),
                        ("retime", None)]
        if ticks:
            options.append(("tick", None))
        kind, arg = options[choice % len(options)]
        if kind == "move":
            after = states.next_status(status, arg).value
            add(MOVE_EVENTS.get(arg, E.STATUS_CHANGED), t, changes={"status": [status, after]})
            status = after
        elif kind == "reply":
            add(arg, t, body="hello")
        elif kind == "escalate":
            add(E.ESCALATED, t, changes={"level": [level, level + 1], "team": [10 * level, 10 * level + 10]})
            level += 1
        elif kind == "retime":
            generation += 1
            add(E.SLA_POLICY_APPLIED, t, policy=policy(CALENDARS[("office", "always")[choice % 2]], generation))
        elif kind == "tick":  # the worker records what is due now
            for mark in due_marks(events, t):
                add({"warning": E.SLA_WARNING, "breach": E.SLA_BREACH, "step": E.SLA_STEP}[mark.kind], t,
                    sla_key=mark.key)
        else:
            add(E.INTERNAL_NOTE, t, body="note")
    return events


histories = st.tuples(st.sampled_from(sorted(CALENDARS)), plans)
later = st.integers(0, 5 * 24 * 3600)


def sample_times(events: list[dict], extra: int) -> list[datetime]:
    times = sorted({e["occurred_at"] for e in events})
    mids = [a + (b - a) / 2 for a, b in zip(times, times[1:], strict=False) if b > a]
    return sorted(set(times + mids + [times[-1] + timedelta(seconds=extra)]))


# --- (1) a pause never brings a deadline forward ------------------------------------------------

@SETTINGS
@given(histories, st.integers(0, 100), st.floats(0, 1), st.floats(0, 1), later)
def test_adding_a_pause_never_moves_a_deadline_earlier(history, which, f1, f2, extra):
    calendar, plan = history
    events = build(calendar, plan, ticks=False)
    end = events[-1]["occurred_at"] + timedelta(seconds=extra + 3600)
    # Gaps after an event whose status counts (open, not already pending_customer).
    status, gaps_ok = None, []
    for i, ev in enumerate(events):
        change = ev["data"].get("changes", {}).get("status")
        status = change[1] if change else status
        until = events[i + 1]["occurred_at"] if i + 1 < len(events) else end
        if status in states.OPEN and status != "pending_customer" and until - ev["occurred_at"] > timedelta(seconds=2):
            gaps_ok.append((i, status, ev["occurred_at"], until))
    if not gaps_ok:
        return
    i, status, a, b = gaps_ok[which % len(gaps_ok)]
    lo, hi = sorted((f1, f2))
    p1, p2 = a + (b - a) * lo, a + (b - a) * hi
    if not a < p1 < p2 < b:
        return
    pause = [{"seq": 0, "type": int(E.STATUS_CHANGED), "occurred_at": p1,
              "data": {"changes": {"status": [status, "pending_customer"]}}},
             {"seq": 0, "type": int(E.STATUS_CHANGED), "occurred_at": p2,
              "data": {"changes": {"status": ["pending_customer", status]}}}]
    paused = events[: i + 1] + pause + events[i + 1:]
    paused = [dict(e, seq=n + 1) for n, e in enumerate(paused)]
    for as_of in (p1 + (p2 - p1) / 2, p2, b, end):
        plain, with_pause = evaluate(events, as_of), evaluate(paused, as_of)
        for name, t in plain.targets.items():
            p = with_pause.targets[name]
            assert p.cycle == t.cycle
            assert p.elapsed <= t.elapsed
            if t.deadline is not None and p.deadline is not None:
                assert p.deadline >= t.deadline, name
        before = {m.key: m.at for m in marks(plain)}
        for m in marks(with_pause):
            if m.at is not None and before.get(m.key) is not None:
                assert m.at >= before[m.key], m.key


# --- (2) replay as of T is the live value at T; elapsed never goes back -------------------------

@SETTINGS
@given(histories, later)
def test_replay_equals_live_and_elapsed_is_monotonic(history, extra):
    events = build(*history)
    previous = None
    for as_of in sample_times(events, extra):
        report = evaluate(events, as_of)
        seen = [e for e in events if e["occurred_at"] <= as_of]
        assert report == evaluate(seen, as_of)
        assert marks(report) == marks(seen, as_of)
        assert schedule(events, as_of) == schedule(seen, as_of)
        if previous is not None:
            for name, t in report.targets.items():
                old = previous.targets.get(name)
                if old is not None and old.cycle == t.cycle:
                    assert old.elapsed <= t.elapsed, name
            # Nothing happened in between: every projection made then has come true now.
            if not any(previous.as_of < e["occurred_at"] <= as_of for e in events):
                assert {n: t.deadline for n, t in previous.targets.items()} == \
                    {n: t.deadline for n, t in report.targets.items()}
                assert [(m.key, m.at) for m in marks(previous)] == [(m.key, m.at) for m in marks(report)]
        previous = report


# --- (3) segments explain elapsed ---------------------------------------------------------------

@SETTINGS
@given(histories, later)
def test_counted_segments_sum_to_elapsed(history, extra):
    events = build(*history)
    for as_of in sample_times(events, extra)[-3:]:
        report = evaluate(events, as_of)
        for t in report.targets.values():
            counted = [s for s in t.segments if s.kind == "counted"]
            assert sum((s.business for s in counted), timedelta(0)) == t.elapsed
            assert all(s.business == s.end - s.start > timedelta(0) for s in counted)
            assert all(s.business == timedelta(0) for s in t.segments if s.kind != "counted")
            if t.segments:
                assert t.segments[0].start == t.started_at
                assert t.segments[-1].end == (t.met_at or t.stopped_at or report.as_of)
                assert all(x.end == y.start and x.kind != y.kind for x, y in zip(t.segments, t.segments[1:],
                                                                                 strict=False))
            assert t.remaining == t.target - t.elapsed
            assert t.breached == (t.elapsed > t.target if t.phase == "met" else t.elapsed >= t.target)
            if t.breached:
                assert t.deadline == t.reached_at(t.target)


# --- (4) due marks and the next deadline --------------------------------------------------------

@SETTINGS
@given(histories, later)
def test_due_marks_are_the_reached_marks_not_done(history, extra):
    events = build(*history)
    for as_of in sample_times(events, extra)[-2:]:
        report = evaluate(events, as_of)
        done = done_keys(events, as_of)
        every = marks(report)
        assert len({m.key for m in every}) == len(every)
        now = at_us(as_of)
        due = due_marks(events, as_of)
        # Carry-over: a mark already given under an earlier generation, whose instant precedes the
        # current generation, is not given again.
        starts = [at_us(e["occurred_at"]) for e in events
                  if e["type"] == int(E.SLA_POLICY_APPLIED) and at_us(e["occurred_at"]) <= now]
        started = max(starts, default=None)

        def base(key):
            return ":".join(p for p in key.split(":") if not (p[:1] == "g" and p[1:].isdigit()))

        given = {base(k) for k in done}

        def carried(m, started=started, given=given):
            return started is not None and at_us(m.at) <= started and base(m.key) in given

        assert due == [m for m in every
                       if m.at is not None and at_us(m.at) <= now and m.key not in done and not carried(m)]
        for m in every:
            reached = m.threshold <= report.targets[m.target].elapsed
            if reached:
                assert m.at is not None and at_us(m.at) <= now
            elif m.at is not None:
                assert at_us(m.at) > now and report.targets[m.target].phase == "running"
        ahead = [m.at for m in every if m.at is not None and at_us(m.at) > now and m.key not in done
                 and not carried(m)]
        assert next_due(events, as_of) == min(ahead, default=None)
        # The worker records them: nothing is due any more, and the next deadline is ahead.
        recorded = events + [{"seq": len(events) + n + 1, "type": int(E.SLA_STEP), "occurred_at": as_of,
                              "data": {"sla_key": m.key}} for n, m in enumerate(due)]
        assert due_marks(recorded, as_of) == []
        following = next_due(recorded, as_of)
        assert following is None or at_us(following) > now
        assert evaluate(recorded, as_of) == report  # recording marks does not move the clock


# --- the clock's calendar walks agree with timecalc's public arithmetic --------------------------

@SETTINGS
@given(st.sampled_from(sorted(CALENDARS)), st.integers(0, 60 * 24 * 3600 * 10**6),
       st.lists(st.integers(1, 30 * 24 * 3600 * 10**6), min_size=1, max_size=6))
def test_split_and_project_agree_with_timecalc(calendar, offset, amounts):
    cal = calendar_from_dict(CALENDARS[calendar])
    start = START + timedelta(microseconds=offset)
    a = at_us(start)
    amounts = sorted(amounts)
    expected = [at_us(add_business_time(start, timedelta(microseconds=r), cal)) for r in amounts]
    assert project(cal, a, amounts) == expected
    b = a + amounts[-1]
    pieces = split(cal, a, b)
    assert pieces[0][0] == a and pieces[-1][1] == b
    assert all(x[1] == y[0] for x, y in zip(pieces, pieces[1:], strict=False))
    total = sum(p[3] for p in pieces)
    assert timedelta(microseconds=total) == business_time_between(start, utc(b), cal)
    assert all(is_open(utc(s), cal) == (kind == COUNTED) for s, _, kind, _ in pieces)
