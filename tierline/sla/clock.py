"""The SLA clock: what an escalation's event log says about its SLA targets at an instant. Pure.

No Django, no database, no clock reads. ``evaluate(events, as_of)`` is a function of its arguments
only, so the figure the worker acts on live, a replay for a report and the figure argued over in
a contract dispute are the same figure. Marks (warnings, breaches, steps) are in ``clock_marks``
and re-exported here.

Input
-----
``events``: one escalation's events as plain dicts ``{"seq", "type" (EventType code),
"occurred_at" (aware datetime), "data"}``, processed in ``seq`` order. Events with ``occurred_at``
after ``as_of`` are ignored; an event stamped earlier than its predecessor is taken at the
predecessor's time (the log's order wins). The status is ``data["changes"]["status"][1]`` of the
latest event carrying it (CREATED carries ``[None, "new"]``). The snapshot in force is the
``data["policy"]`` of the latest SLA_POLICY_APPLIED (none before the first, none after one whose
policy is null); a new snapshot replaces the old from its ``occurred_at`` on, elapsed time carries
over, and only the generation in the mark keys changes.

Segments and counting
---------------------
The history is split at every event time into segments of constant (status, snapshot, windows).
During a segment a target's elapsed time grows by the business time of the segment's snapshot's
calendar when all of these hold: the target's window is open; a snapshot is in force; the status
is open (``states.OPEN``) and not in that snapshot's ``pause_statuses``. Resolved, closed and
cancelled never count.

Windows (all open at the first event, normally CREATED):

* acknowledgement: met at the first ACKNOWLEDGED.
* first_response: met at the first PUBLIC_REPLY or CUSTOMER_CONTACTED from us (a PUBLIC_REPLY with
  ``data["from"] == "customer"`` is the customer writing, and meets nothing).
* resolution: met at RESOLVED (or a status change to resolved). REOPENED (or a change from
  resolved back to an open status) reopens it and counting resumes from the elapsed time already
  accumulated: same cycle, same keys.
* update (cadence): cycle 0 opens at creation. A PUBLIC_REPLY / CUSTOMER_CONTACTED while the
  window is open meets the cycle and opens the next one at the same instant with elapsed 0;
  RESOLVED meets the cycle (the resolution is the update) and REOPENED opens a new one. ``cycle``
  counts these restarts; only the current cycle is reported and produces marks.
* CLOSED, CANCELLED, MERGED_INTO (or a status change to closed / cancelled) stop every open
  window for good; later events change nothing.

The targets measured are those of the snapshot in force at ``as_of`` (none without one). A
target's elapsed time covers its whole window whatever snapshots were in force, each segment on
its own snapshot's calendar and pauses, so a re-time that adds a target measures it from the
window's start.

Target states
-------------
``state`` is the phase, prefixed ``breached_`` once breached (``STATES``):

* running: counting now (possibly outside business hours at this very instant: the deadline
  projects through the calendar);
* paused: window open, not counting now (pause status, or resolved);
* met: the window was closed by its event (``met_at``);
* stopped: a terminal event ended it before it was met.

Breached means elapsed >= target, i.e. from the deadline instant on; a target met exactly at its
deadline (elapsed == target when met) is met in time. ``deadline``: if breached, the exact instant
elapsed reached the target; else if running ``add_business_time(as_of, remaining)``; if met,
``met_at``; else (paused, stopped) None. ``remaining`` = target - elapsed (negative once
breached); ``percent`` = 100 * elapsed / target. ``segments`` explains the elapsed time of the
current cycle's window: ``counted`` (inside the calendar's hours, business == wall time),
``outside_hours`` (counting status but outside the calendar's hours) and ``paused`` (not counting:
pause status, resolved, no snapshot), adjacent ones of a kind merged; the counted business time
sums exactly to ``elapsed``.

Every datetime returned is in UTC, so results compare and subtract as real instants (see the
timecalc docstring on zone-local datetimes).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from tierline.audit.event_types import EventType
from tierline.calendars import timecalc
from tierline.calendars.spec import calendar_from_dict
from tierline.calendars.timecalc import BusinessCalendar
from tierline.escalations.states import OPEN, TERMINAL
from tierline.sla.policy import TARGETS, Snapshot, snapshot_from_dict

OPEN_STATUSES = frozenset(s.value for s in OPEN)
TERMINAL_STATUSES = frozenset(s.value for s in TERMINAL)
PHASES = ("running", "paused", "met", "stopped")
STATES = PHASES + tuple(f"breached_{p}" for p in PHASES)
KINDS = ("counted", "paused", "outside_hours")
COUNTED, PAUSED, OUTSIDE = 0, 1, 2

_CREATED = int(EventType.CREATED)
_ACK = int(EventType.ACKNOWLEDGED)
_POLICY = int(EventType.SLA_POLICY_APPLIED)
_RESOLVED = int(EventType.RESOLVED)
_REOPENED = int(EventType.REOPENED)
_REPLIES = frozenset({int(EventType.PUBLIC_REPLY), int(EventType.CUSTOMER_CONTACTED)})
_ENDS = frozenset({int(EventType.CLOSED), int(EventType.CANCELLED), int(EventType.MERGED_INTO)})

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)


# --- instants and calendars -------------------------------------------------------------------

def instant(value, name: str = "as_of") -> int:
    """Microseconds since the epoch (UTC) of an aware datetime; naive ones are a ValueError."""
    if value.__class__ is datetime and value.tzinfo is UTC:  # what the database gives: no checks needed
        return (value - _EPOCH) // _US
    if not isinstance(value, datetime):
        raise TypeError(f"{name}: a datetime is required, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name}: a time-zone-aware datetime is required, got naive {value.isoformat()}")
    return (value - _EPOCH) // _US


def utc(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


def _canonical(obj) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))


@lru_cache(maxsize=256)
def _calendar(text: str) -> BusinessCalendar:
    return calendar_from_dict(json.loads(text))


@lru_cache(maxsize=256)
def _policy(text: str) -> tuple[Snapshot, BusinessCalendar]:
    snap = snapshot_from_dict(json.loads(text))
    return snap, _calendar(_canonical(snap.calendar))


def parse_policy(policy: dict | None) -> tuple[Snapshot, BusinessCalendar] | None:
    """(snapshot, calendar) of a policy dict, cached on its canonical JSON. Treat as read-only."""
    return None if policy is None else _policy(_canonical(policy))


@lru_cache(maxsize=8192)
def split(cal: BusinessCalendar, a: int, b: int) -> tuple[tuple[int, int, int, int], ...]:
    """[a, b) (µs) cut at the calendar's interval boundaries: (start, end, COUNTED | OUTSIDE,
    business µs). Uses timecalc's span iterator, the one business_time_between sums."""
    if cal.always_open:
        return ((a, b, COUNTED, b - a),)
    out, cursor = [], a
    for s, e in timecalc._open_spans(cal, a, stop=b):
        if s >= b:
            break
        if s > cursor:
            out.append((cursor, s, OUTSIDE, 0))
        e = min(e, b)
        out.append((s, e, COUNTED, e - s))
        cursor = e
        if cursor >= b:
            break
    if cursor < b:
        out.append((cursor, b, OUTSIDE, 0))
    return tuple(out)


def project(cal: BusinessCalendar, start: int, amounts: list[int]) -> list[int]:
    """add_business_time(start, amount) for each of the ascending positive ``amounts`` (µs), in
    one walk over the calendar."""
    if cal.always_open:
        return [start + r for r in amounts]
    out, done, i, n = [], 0, 0, len(amounts)
    if not n:
        return out
    for s, e in timecalc._open_spans(cal, start):
        length = e - s
        while i < n and amounts[i] - done <= length:
            out.append(s + amounts[i] - done)
            i += 1
        if i == n:
            return out
        done += length
    raise AssertionError("unreachable: _open_spans is endless without a stop")


def history(events: Iterable[dict], now: int) -> list[tuple[int, dict]]:
    """(time µs, event) in seq order up to ``now``; a time earlier than its predecessor's is
    raised to it."""
    return _history(stamped(events), now)


def stamped(events: Iterable[dict]) -> list[tuple[int, dict]]:
    """(occurred_at µs, event) of each event, in the given order: each instant computed once."""
    return [(instant(ev["occurred_at"], "occurred_at"), ev) for ev in events]


def _history(raw: list[tuple[int, dict]], now: int) -> list[tuple[int, dict]]:
    out, last = [], None
    for t, ev in sorted(raw, key=lambda item: item[1]["seq"]):
        if t > now:
            continue
        if last is not None and t < last:
            t = last
        last = t
        out.append((t, ev))
    return out


def status_change(data: dict) -> tuple[object, object] | None:
    ch = (data.get("changes") or {}).get("status")
    if isinstance(ch, list | tuple) and len(ch) == 2:
        return ch[0], ch[1]
    return None


# --- results ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Segment:
    start: datetime
    end: datetime
    kind: str  # counted | paused | outside_hours
    business: timedelta  # zero unless counted

    @property
    def business_seconds(self) -> float:
        return self.business.total_seconds()

    @property
    def wall(self) -> timedelta:
        return self.end - self.start


@dataclass(frozen=True)
class TargetState:
    name: str
    target: timedelta
    elapsed: timedelta
    state: str
    deadline: datetime | None
    remaining: timedelta
    percent: float
    cycle: int
    started_at: datetime
    met_at: datetime | None
    stopped_at: datetime | None
    segments: tuple[Segment, ...]
    # (start µs, business µs) of the counted segments: the reach/threshold arithmetic of marks.
    runs: tuple[tuple[int, int], ...] = field(default=(), repr=False, compare=False)
    start_us: int | None = field(default=None, repr=False, compare=False)  # started_at in µs

    @property
    def breached(self) -> bool:
        return self.state.startswith("breached_")

    @property
    def phase(self) -> str:
        return self.state.removeprefix("breached_")

    def reached(self, thresholds: list[int]) -> dict[int, int]:
        """{threshold µs: instant µs elapsed first reached it} for the ascending ``thresholds``
        reached within the recorded history; one <= 0 is reached at the window's start."""
        out, cum, i, n = {}, 0, 0, len(thresholds)
        start = instant(self.started_at) if self.start_us is None else self.start_us
        while i < n and thresholds[i] <= 0:
            out[thresholds[i]] = start
            i += 1
        for a, bus in self.runs:
            while i < n and thresholds[i] <= cum + bus:
                out[thresholds[i]] = a + thresholds[i] - cum
                i += 1
            if i == n:
                break
            cum += bus
        return out

    def reached_at(self, threshold: timedelta) -> datetime | None:
        us = threshold // _US
        got = self.reached([us]).get(us)
        return None if got is None else utc(got)


@dataclass(frozen=True)
class ClockReport:
    as_of: datetime  # UTC
    status: str | None
    snapshot: Snapshot | None
    calendar: BusinessCalendar | None
    counting: bool  # the status counts under the snapshot now
    terminal: bool
    targets: dict[str, TargetState]

    @property
    def generation(self) -> int | None:
        return self.snapshot.generation if self.snapshot else None


# --- evaluation -------------------------------------------------------------------------------

class _Track:
    __slots__ = ("name", "cycle", "start", "active", "met_at", "stopped_at", "elapsed", "pieces")

    def __init__(self, name: str, t: int):
        self.name, self.cycle, self.start, self.active = name, 0, t, True
        self.met_at = self.stopped_at = None
        self.elapsed = 0
        self.pieces: list[list[int]] = []

    def begin_cycle(self, t: int) -> None:
        if self.stopped_at is None:
            self.cycle += 1
            self.start, self.active, self.met_at, self.elapsed, self.pieces = t, True, None, 0, []

    def meet(self, t: int) -> None:
        if self.active:
            self.active, self.met_at = False, t

    def resume(self, t: int) -> None:
        """Reopened: counting goes on from the elapsed time so far; the time it was met for is
        shown as paused, so the segments still cover the whole window."""
        if self.met_at is not None:
            if t > self.met_at:
                self.add(((self.met_at, t, PAUSED, 0),))
            self.active, self.met_at = True, None

    def stop(self, t: int) -> None:
        if self.active:
            self.active, self.stopped_at = False, t

    def add(self, pieces) -> None:
        own = self.pieces
        for a, b, kind, bus in pieces:
            if own and own[-1][2] == kind and own[-1][1] == a:
                own[-1][1] = b
                own[-1][3] += bus
            else:
                own.append([a, b, kind, bus])
            self.elapsed += bus


def _counts(status, entry) -> bool:
    return entry is not None and status in OPEN_STATUSES and status not in entry[0].pause_statuses


def _advance(tracks: dict[str, _Track], a: int, b: int, status, entry) -> None:
    active = [tr for tr in tracks.values() if tr.active]
    if not active:
        return
    pieces = split(entry[1], a, b) if _counts(status, entry) else ((a, b, PAUSED, 0),)
    for tr in active:
        tr.add(pieces)


def _apply(ev: dict, t: int, tracks: dict[str, _Track], state: list) -> None:
    """One event: state = [status, entry, ended]."""
    typ = ev["type"]
    data = ev.get("data") or {}
    before = state[0]
    change = status_change(data)
    if change is not None:
        state[0] = change[1]
    if typ == _POLICY:
        state[1] = parse_policy(data.get("policy"))
    if state[2]:
        return
    after = state[0]
    if typ == _ACK:
        tracks["acknowledgement"].meet(t)
    if typ in _REPLIES and data.get("from") != "customer":  # the customer writing to us is not our reply
        tracks["first_response"].meet(t)
        if tracks["update"].active:
            tracks["update"].begin_cycle(t)
    if typ == _RESOLVED or (after == "resolved" and before != "resolved"):
        tracks["resolution"].meet(t)
        tracks["update"].meet(t)
    if typ == _REOPENED or (before == "resolved" and after in OPEN_STATUSES):
        tracks["resolution"].resume(t)
        tracks["update"].begin_cycle(t)
    if typ in _ENDS or after in TERMINAL_STATUSES:
        for tr in tracks.values():
            tr.stop(t)
        state[2] = True


def evaluate(events: Iterable[dict], as_of: datetime) -> ClockReport:
    """The SLA figures of one escalation as of ``as_of`` (see the module docstring)."""
    now = instant(as_of)
    return evaluate_history(history(events, now), now)


def evaluate_history(hist: list[tuple[int, dict]], now: int) -> ClockReport:
    """``evaluate`` on ``history(events, now)`` already computed (``now`` in µs)."""
    tracks: dict[str, _Track] | None = None
    state: list = [None, None, False]  # status, (snapshot, calendar) | None, ended
    prev = now
    for t, ev in hist:
        if tracks is None:
            tracks = {name: _Track(name, t) for name in TARGETS}
        elif t > prev:
            _advance(tracks, prev, t, state[0], state[1])
        _apply(ev, t, tracks, state)
        prev = t
    status, entry, ended = state
    if tracks is not None and now > prev:
        _advance(tracks, prev, now, status, entry)
    counting = _counts(status, entry)
    targets: dict[str, TargetState] = {}
    if entry is not None and tracks is not None:
        snap, cal = entry
        goals = {name: goal // _US for name, goal in snap.targets}
        rows = {}
        for name in TARGETS:
            if name not in goals:
                continue
            tr, goal = tracks[name], goals[name]
            if tr.met_at is not None:
                phase, breached = "met", tr.elapsed > goal
            else:
                phase = "stopped" if tr.stopped_at is not None else "running" if counting else "paused"
                breached = tr.elapsed >= goal
            rows[name] = (tr, goal, phase, breached)
        # Deadlines of the running targets not yet breached: one projection from now.
        ahead = sorted((goal - tr.elapsed, name) for name, (tr, goal, phase, breached) in rows.items()
                       if phase == "running" and not breached)
        projected = dict(zip([n for _, n in ahead], project(cal, now, [r for r, _ in ahead]), strict=True))
        for name, (tr, goal, phase, breached) in rows.items():
            if breached:
                deadline = utc(_reach(tr, goal))
            elif phase == "met":
                deadline = utc(tr.met_at)
            else:
                deadline = utc(projected[name]) if name in projected else None
            targets[name] = _target_state(tr, goal, phase, breached, deadline)
    return ClockReport(as_of=utc(now), status=status, snapshot=entry[0] if entry else None,
                       calendar=entry[1] if entry else None, counting=counting, terminal=ended,
                       targets=targets)


def _reach(tr: _Track, goal: int) -> int:
    """The instant (µs) the track's elapsed time reached ``goal`` (> 0 and <= elapsed); a goal
    <= 0 is reached at the window's start (TargetState.reached, on the track)."""
    if goal <= 0:
        return tr.start
    cum = 0
    for a, _, kind, bus in tr.pieces:
        if kind == COUNTED:
            if goal <= cum + bus:
                return a + goal - cum
            cum += bus
    raise AssertionError("unreachable: a breached target has reached its goal")


def _target_state(tr: _Track, goal: int, phase: str, breached: bool, deadline: datetime | None) -> TargetState:
    segments = tuple(Segment(utc(a), utc(b), KINDS[kind], timedelta(microseconds=bus))
                     for a, b, kind, bus in tr.pieces)
    return TargetState(
        name=tr.name, target=timedelta(microseconds=goal), elapsed=timedelta(microseconds=tr.elapsed),
        state=f"breached_{phase}" if breached else phase, deadline=deadline,
        remaining=timedelta(microseconds=goal - tr.elapsed), percent=100.0 * tr.elapsed / goal,
        cycle=tr.cycle, started_at=utc(tr.start), met_at=None if tr.met_at is None else utc(tr.met_at),
        stopped_at=None if tr.stopped_at is None else utc(tr.stopped_at), segments=segments,
        runs=tuple((a, bus) for a, _, kind, bus in tr.pieces if kind == COUNTED), start_us=tr.start,
    )


__all__ = ["KINDS", "PHASES", "STATES", "ClockReport", "Segment", "TargetState", "evaluate"]
