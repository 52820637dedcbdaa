"""Marks: what the SLA worker owes an escalation (warnings, breaches, breach steps). Pure.

Built on ``clock.evaluate`` (see its module docstring for how elapsed time is counted); the
names here are re-exported by ``tierline.sla.clock``.

Marks
-----
For each target measured in a report (the targets of the snapshot in force at ``as_of``),
thresholds on the target's elapsed business time:

* warning ``pct``: ``target * pct / 100`` (floored to the microsecond), one per entry of
  ``snapshot.warnings``;
* breach: ``target`` itself;
* step ``i`` (``snapshot.steps[i]``, counted over all steps, for steps whose ``target`` is this
  target): ``target + offset + n * repeat_every`` for repeat ``n`` = 0 .. ``max_repeats`` (only
  n = 0 without ``repeat_every``). A negative offset fires before the breach; a threshold <= 0 is
  reached at the start of the window (of the cycle, for update).

Keys are stable strings, ``{target}:c{cycle}:g{generation}:warn{pct}``, ``...:breach`` and
``...:step{i}:r{n}``, with the generation of the snapshot in force at ``as_of`` and the current
cycle (0 except for update). A re-time (a new generation) therefore gives every mark a new key:
the new snapshot's thresholds that elapsed time has already passed are owed again under the new
generation, measured on the elapsed time carried over.

A mark's ``at`` is the instant elapsed time reached its threshold (so <= ``as_of`` when reached);
else, for a running target, the projection ``add_business_time(as_of, threshold - elapsed)``
(> ``as_of``); for a paused target None (not determinable yet). A met target keeps only the
marks whose threshold was strictly below the elapsed time at which it was met (owed before it
was met, perhaps not yet recorded): reaching a threshold exactly when met is being met in time.
After a terminal event (closed, cancelled, merged) there are no marks at all, met targets'
included: a finished escalation owes nothing, and a late step on it would do harm.
Marks are ordered by ``at`` (None last), then target (TARGETS order), kind (warning, breach,
step), threshold, step and repeat.

A mark is done when an SLA_WARNING, SLA_BREACH or SLA_STEP event up to ``as_of`` carries its key in
``data["sla_key"]``. ``due_marks`` = marks with ``at <= as_of`` not done; ``next_due`` = the
earliest ``at > as_of`` among marks not done (what the worker stores as next_deadline), or None.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from tierline.audit.event_types import EventType
from tierline.sla.clock import (
    OPEN_STATUSES,
    ClockReport,
    TargetState,
    _history,
    evaluate,
    evaluate_history,
    history,
    instant,
    parse_policy,
    project,
    split,
    stamped,
    status_change,
    utc,
)
from tierline.sla.policy import TARGETS, Snapshot, Step

MARK_KINDS = ("warning", "breach", "step")
DONE_TYPES = frozenset({int(EventType.SLA_WARNING), int(EventType.SLA_BREACH), int(EventType.SLA_STEP)})
_POLICY = int(EventType.SLA_POLICY_APPLIED)
_US = timedelta(microseconds=1)


@dataclass(frozen=True)
class Mark:
    key: str
    target: str
    kind: str  # warning | breach | step
    at: datetime | None  # UTC; None = not determinable yet (paused before reaching it)
    threshold: timedelta  # elapsed business time at which it fires
    cycle: int
    generation: int
    percent: int | None = None  # warnings
    step_index: int | None = None  # steps: index in snapshot.steps
    repeat: int | None = None  # steps: 0 for the first firing
    step: Step | None = None


def _report(source, as_of) -> ClockReport:
    if isinstance(source, ClockReport):
        if as_of is not None and instant(as_of) != instant(source.as_of):
            raise ValueError("as_of differs from the report's as_of")
        return source
    if as_of is None:
        raise TypeError("as_of is required when marks are computed from events")
    return evaluate(source, as_of)


def _specs(snap: Snapshot, ts: TargetState) -> list[tuple]:
    """(threshold µs, kind, percent, step index, repeat, step, key) of one target."""
    goal = ts.target // _US
    base = f"{ts.name}:c{ts.cycle}:g{snap.generation}"
    out = [(goal * pct // 100, "warning", pct, None, None, None, f"{base}:warn{pct}") for pct in snap.warnings]
    out.append((goal, "breach", None, None, None, None, f"{base}:breach"))
    for i, step in enumerate(snap.steps):
        if step.target != ts.name:
            continue
        first = goal + step.offset // _US
        repeats = step.max_repeats if step.repeat_every else 0
        every = step.repeat_every // _US if step.repeat_every else 0
        out.extend((first + n * every, "step", None, i, n, step, f"{base}:step{i}:r{n}")
                   for n in range(repeats + 1))
    return out


def marks(source: ClockReport | Iterable[dict], as_of: datetime | None = None) -> list[Mark]:
    """Every mark of the measured targets (see the module docstring), from a report or events."""
    report = _report(source, as_of)
    return [_mark(report, spec) for spec in _mark_specs(report)]


def _mark_specs(report: ClockReport) -> list[tuple]:
    """The marks of a report, in order, as (instant µs | None, key, target state, spec) — the
    Mark objects themselves are built (by _mark) only for the marks a caller keeps."""
    snap = report.snapshot
    if snap is None or report.terminal:
        return []
    now = instant(report.as_of)
    found: dict[str, tuple] = {}
    for ts in report.targets.values():
        phase = ts.phase
        elapsed = ts.elapsed // _US
        specs = _specs(snap, ts)
        if phase == "met":
            specs = [s for s in specs if s[0] < elapsed]
        reached = ts.reached(sorted({s[0] for s in specs if s[0] <= elapsed}))
        ahead = sorted({s[0] for s in specs if s[0] > elapsed}) if phase == "running" else []
        projected = dict(zip(ahead, project(report.calendar, now, [thr - elapsed for thr in ahead]), strict=True))
        order = TARGETS.index(ts.name)
        for spec in specs:
            thr, kind, pct, idx, rep, step, key = spec
            if key in found:
                continue  # a warning percentage listed twice
            at = reached[thr] if thr <= elapsed else projected.get(thr)
            sort = (at is None, at or 0, order, MARK_KINDS.index(kind), thr,
                    -1 if idx is None else idx, -1 if rep is None else rep)
            found[key] = (sort, at, key, ts, spec)
    return [item[1:] for item in sorted(found.values(), key=lambda item: item[0])]


def _mark(report: ClockReport, item: tuple) -> Mark:
    at, key, ts, (thr, kind, pct, idx, rep, step, _) = item
    return Mark(key=key, target=ts.name, kind=kind, at=None if at is None else utc(at),
                threshold=timedelta(microseconds=thr), cycle=ts.cycle, generation=report.snapshot.generation,
                percent=pct, step_index=idx, repeat=rep, step=step)


def done_keys(events: Iterable[dict], as_of: datetime | None = None) -> frozenset[str]:
    """The sla_keys recorded by SLA_WARNING / SLA_BREACH / SLA_STEP events (up to as_of)."""
    now = None if as_of is None else instant(as_of)
    return _done_keys(((None if now is None else instant(ev["occurred_at"], "occurred_at"), ev)
                       for ev in events if ev["type"] in DONE_TYPES), now)


def _done_keys(raw: Iterable[tuple[int | None, dict]], now: int | None) -> frozenset[str]:
    keys = set()
    for t, ev in raw:
        if ev["type"] in DONE_TYPES and (now is None or t <= now):
            key = (ev.get("data") or {}).get("sla_key")
            if isinstance(key, str):
                keys.add(key)
    return frozenset(keys)


def _without_generation(key: str) -> str:
    return ":".join(part for part in key.split(":") if not (part[:1] == "g" and part[1:].isdigit()))


def _generation_start(raw: list[tuple[int, dict]], now: int) -> int | None:
    starts = [t for t, ev in raw if ev["type"] == _POLICY and t <= now]
    return max(starts) if starts else None


def schedule(events: Iterable[dict], as_of: datetime) -> tuple[list[Mark], datetime | None]:
    """(due_marks, next_due) from one evaluation.

    Carry-over across generations: a mark of the current generation whose instant came before
    that generation took effect, and whose same warning/breach/step (same target, cycle and
    index) was already recorded under an earlier generation, counts as done. Otherwise a re-time
    or a priority change would replay every past warning, breach and step — and a
    raise-priority step under per-priority policies would cascade to P1 in one sweep.
    """
    due, upcoming, _ = plan(events, as_of)
    return due, upcoming


def plan(events: Iterable[dict], as_of: datetime) -> tuple[list[Mark], datetime | None, ClockReport]:
    """``schedule`` plus the report it was computed from (``evaluate(events, as_of)``), so a
    caller that needs both the marks and the targets' deadlines evaluates the log once."""
    now = instant(as_of)
    raw = stamped(events)  # each event's instant, computed once for all of the below
    report = evaluate_history(_history(raw, now), now)
    done = _done_keys(raw, now)
    started = _generation_start(raw, now)
    done_before = {_without_generation(k) for k in done}
    due, upcoming = [], None
    for item in _mark_specs(report):
        at, key = item[0], item[1]
        if at is None or key in done:
            continue
        if started is not None and at <= started and _without_generation(key) in done_before:
            continue
        if at <= now:
            due.append(_mark(report, item))
        elif upcoming is None or at < upcoming:
            upcoming = at
    return due, None if upcoming is None else utc(upcoming), report


def due_marks(events: Iterable[dict], as_of: datetime) -> list[Mark]:
    """Marks whose instant has come (at <= as_of) and that no event has recorded yet, in order."""
    return schedule(events, as_of)[0]


def next_due(events: Iterable[dict], as_of: datetime) -> datetime | None:
    """The earliest instant after as_of at which a mark not yet recorded falls due, or None."""
    return schedule(events, as_of)[1]


# --- time at each level and team ---------------------------------------------------------------

def time_by_level_and_team(events: Iterable[dict], as_of: datetime) -> dict:
    """Wall-clock and business time spent at each level and each team id while the escalation
    was open (states.OPEN: from creation to resolution or a terminal event, again after a
    reopen), up to as_of. Level and team come from ``data["changes"]["level"|"team"]`` of any
    event (CREATED, ESCALATED, DE_ESCALATED ...). Business time is on the calendar of the
    snapshot in force at as_of; without one it is wall time (``basis`` says which).

    {"levels": {level: {"wall": timedelta, "business": timedelta}}, "teams": {team_id: {...}},
     "basis": "calendar" | "wall"}, keys in order of first appearance.
    """
    now = instant(as_of)
    spans = []
    level = team = status = entry = None
    prev = None
    for t, ev in history(events, now):
        if prev is not None and t > prev and status in OPEN_STATUSES:
            spans.append((prev, t, level, team))
        data = ev.get("data") or {}
        changes = data.get("changes") or {}
        if isinstance(changes.get("level"), list | tuple):
            level = changes["level"][1]
        if isinstance(changes.get("team"), list | tuple):
            team = changes["team"][1]
        change = status_change(data)
        if change is not None:
            status = change[1]
        if ev["type"] == _POLICY:
            entry = parse_policy(data.get("policy"))
        prev = t
    if prev is not None and now > prev and status in OPEN_STATUSES:
        spans.append((prev, now, level, team))
    cal = entry[1] if entry else None
    levels: dict = {}
    teams: dict = {}
    for a, b, lvl, tm in spans:
        wall = b - a
        business = wall if cal is None else sum(piece[3] for piece in split(cal, a, b))
        for table, key in ((levels, lvl), (teams, tm)):
            row = table.setdefault(key, [0, 0])
            row[0] += wall
            row[1] += business

    def out(table):
        return {k: {"wall": timedelta(microseconds=w), "business": timedelta(microseconds=b)}
                for k, (w, b) in table.items()}

    return {"levels": out(levels), "teams": out(teams), "basis": "wall" if cal is None else "calendar"}
