"""The KPIs, computed from escalations' event logs. Pure: no Django, no database, no clock.

``facts(events, as_of)`` folds one escalation's events (the dicts the SLA clock takes: ``seq``,
``type``, ``occurred_at``, ``data``) up to ``as_of`` into an ``EscalationFacts``; ``compute(facts,
start, end, contacts)`` turns many of them into the figures of the period [start, end). Events
after ``as_of`` are ignored, so a past period (as_of = its end) always gives the same numbers.
Every definition is written out in docs/metrics.md; keep the two in step.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from tierline.audit.event_types import EventType
from tierline.calendars.timecalc import business_time_between
from tierline.sla.clock import evaluate, history, instant, parse_policy, status_change, utc
from tierline.sla.clock_marks import time_by_level_and_team
from tierline.sla.policy import TARGETS

OPEN = frozenset({"new", "acknowledged", "in_progress", "pending_customer", "pending_third_party", "reopened"})
AGEING_BUCKETS = (("< 1 day", 1), ("1–3 days", 3), ("3–7 days", 7), ("7–14 days", 14), ("14–30 days", 30),
                  ("30+ days", None))
PROMOTER, DETRACTOR_MAX = 5, 3  # NPS derived from the 1–5 CSAT score (docs/metrics.md)

_T = EventType


@dataclass
class EscalationFacts:
    escalation_id: int
    created_at: datetime
    # Dimensions as the escalation was created (reclassifying later never moves past figures).
    type: str | None = None
    channel: str | None = None
    customer: int | None = None
    team: int | None = None
    level: int | None = None
    tier: str | None = None
    owner: int | None = None  # as of as_of
    status: str | None = None  # as of as_of
    acknowledged_at: datetime | None = None
    resolutions: list[datetime] = field(default_factory=list)
    reopens: list[datetime] = field(default_factory=list)
    resolved_at: datetime | None = None  # the resolution in force at as_of
    resolved_level: int | None = None
    max_level: int | None = None
    ended_at: datetime | None = None  # closed / cancelled / merged
    reassignments: list[datetime] = field(default_factory=list)
    team_path: list[int] = field(default_factory=list)
    breaches: list[tuple[datetime, str]] = field(default_factory=list)
    sla: dict[str, str] = field(default_factory=dict)  # target -> met | breached | open
    csat: tuple[datetime, int] | None = None
    compensation: tuple[Decimal, str] | None = None  # at the resolution in force
    ack_business: timedelta | None = None
    resolve_business: timedelta | None = None
    level_time: dict = field(default_factory=dict)  # level -> {"wall", "business"}

    @property
    def ping_pong(self) -> bool:
        """Came back to a team it had already left (A → B → A)."""
        return any(self.team_path[i] in self.team_path[:i - 1] for i in range(2, len(self.team_path)))

    def is_open_at(self, at: datetime) -> bool:
        """Open at ``at`` (≤ as_of): created, not resolved (or reopened since), not ended."""
        if self.created_at > at or (self.ended_at is not None and self.ended_at <= at):
            return False
        last_res = max((r for r in self.resolutions if r <= at), default=None)
        if last_res is None:
            return True
        return any(last_res < r <= at for r in self.reopens)


def _after(data: dict, name: str):
    ch = (data.get("changes") or {}).get(name)
    return ch[1] if isinstance(ch, list | tuple) and len(ch) == 2 else None


def _before(data: dict, name: str):
    ch = (data.get("changes") or {}).get(name)
    return ch[0] if isinstance(ch, list | tuple) and len(ch) == 2 else None


def _has(data: dict, name: str) -> bool:
    return name in (data.get("changes") or {})


def facts(escalation_id: int, events: Iterable[dict], as_of: datetime, *, tiers: dict | None = None,
          period: tuple[datetime, datetime] | None = None) -> EscalationFacts | None:
    """One escalation's facts as of ``as_of``; None if it did not exist yet. With ``period``, the
    costly parts (SLA clock, time per level, business times) are worked out only where ``compute``
    uses them for that period: a report over a big tenant has many open escalations that only
    count in the backlog."""
    events = list(events)
    now = instant(as_of)
    hist = history(events, now)
    if not hist:
        return None

    f = EscalationFacts(escalation_id=escalation_id, created_at=utc(hist[0][0]))
    entry = None
    level = team = None
    amount = currency = None
    for t_us, ev in hist:
        t = utc(t_us)
        typ, data = ev["type"], ev.get("data") or {}
        if typ == _T.CREATED:
            f.type, f.channel, f.customer = _after(data, "type"), _after(data, "channel"), _after(data, "customer")
            f.team, f.level = _after(data, "team"), _after(data, "level")
        if _has(data, "level"):
            level = _after(data, "level")
            f.max_level = level if f.max_level is None else max(f.max_level, level)
        if _has(data, "team"):
            team = _after(data, "team")
            if team is not None and (not f.team_path or f.team_path[-1] != team):
                f.team_path.append(team)
        if _has(data, "owner"):
            f.owner = _after(data, "owner")
        if _has(data, "compensation_amount"):
            amount = _after(data, "compensation_amount")
        if _has(data, "compensation_currency"):
            currency = _after(data, "compensation_currency")
        change = status_change(data)
        if change is not None:
            f.status = change[1]
        if typ == _T.SLA_POLICY_APPLIED and data.get("policy") is not None:
            entry = parse_policy(data["policy"])
        if typ == _T.ACKNOWLEDGED and f.acknowledged_at is None:
            f.acknowledged_at = t
        elif typ == _T.RESOLVED:
            f.resolutions.append(t)
            f.resolved_at, f.resolved_level = t, level
        elif typ == _T.REOPENED:
            f.reopens.append(t)
            f.resolved_at = f.resolved_level = None
        elif typ in (_T.CLOSED, _T.CANCELLED, _T.MERGED_INTO) and f.ended_at is None:
            f.ended_at = t
        elif typ == _T.ASSIGNED and _before(data, "owner") is not None:
            f.reassignments.append(t)
        elif typ == _T.SLA_BREACH:
            f.breaches.append((t, data.get("target")))
        elif typ == _T.CSAT_RECEIVED and data.get("score") is not None:
            f.csat = (t, int(data["score"]))
    if f.customer is not None and tiers is not None:
        f.tier = tiers.get(f.customer)
    if f.resolved_at is not None and amount not in (None, "", "0", "0.00"):
        f.compensation = (Decimal(str(amount)), currency or "")
    def wanted(t):
        return period is None or (t is not None and period[0] <= t < period[1])

    cal = entry[1] if entry else None
    if cal is not None:
        if f.acknowledged_at is not None and wanted(f.acknowledged_at):
            f.ack_business = business_time_between(f.created_at, f.acknowledged_at, cal)
        if f.resolved_at is not None and wanted(f.resolved_at):
            f.resolve_business = business_time_between(f.created_at, f.resolved_at, cal)
    if not wanted(f.created_at):
        f.sla = {}  # compliance counts escalations created in the period only
        if wanted(f.resolved_at):
            f.level_time = time_by_level_and_team(events, as_of)["levels"]
        return f
    # SLA per target: breached if the worker recorded a breach or the clock says so (a breach the
    # worker has not yet recorded); met once the target's window closed in time; open otherwise.
    report = evaluate(events, as_of)
    breached_targets = {target for _, target in f.breaches}
    for name, ts in report.targets.items():
        if ts.breached or name in breached_targets:
            f.sla[name] = "breached"
        elif ts.phase in ("met", "stopped") and (name != "update" or f.resolved_at is not None or ts.phase == "met"):
            f.sla[name] = "met"
        else:
            f.sla[name] = "open"
    for name in breached_targets - set(f.sla):
        f.sla[name] = "breached"
    f.level_time = time_by_level_and_team(events, as_of)["levels"]
    return f


# --- aggregation ------------------------------------------------------------------------------

def _in(t: datetime | None, start: datetime, end: datetime) -> bool:
    return t is not None and start <= t < end


def summary(values: list[float]) -> dict:
    """count, mean, median and p90 (nearest-rank) of seconds; None when empty."""
    if not values:
        return {"count": 0, "mean": None, "median": None, "p90": None}
    ordered = sorted(values)
    rank = max(1, -(-9 * len(ordered) // 10))  # ceil(0.9 n), nearest-rank p90
    return {"count": len(ordered), "mean": sum(ordered) / len(ordered), "median": statistics.median(ordered),
            "p90": ordered[rank - 1]}


def bucket_start(t: datetime, grain: str) -> datetime:
    t = t.astimezone(UTC)
    day = t.replace(hour=0, minute=0, second=0, microsecond=0)
    if grain == "day":
        return day
    if grain == "week":
        return day - timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    raise ValueError(f"unknown grain {grain!r}")


def ageing(facts_list: Iterable[EscalationFacts], at: datetime) -> dict[str, int]:
    out = {label: 0 for label, _ in AGEING_BUCKETS}
    for f in facts_list:
        if not f.is_open_at(at):
            continue
        days = (at - f.created_at) / timedelta(days=1)
        for label, limit in AGEING_BUCKETS:
            if limit is None or days < limit:
                out[label] += 1
                break
    return out


def compute(facts_list: Iterable[EscalationFacts], start: datetime, end: datetime, *, contacts: int | None = None,
            grain: str = "week", top: int = 10) -> dict:
    """Every KPI for the period [start, end) from facts computed as of min(end, now)."""
    fl = list(facts_list)
    created = [f for f in fl if _in(f.created_at, start, end)]
    acked = [f for f in fl if _in(f.acknowledged_at, start, end)]
    resolved = [f for f in fl if _in(f.resolved_at, start, end)]
    resolved_any = [f for f in fl if any(_in(r, start, end) for r in f.resolutions)]

    trend: dict[str, int] = defaultdict(int)
    for f in created:
        trend[bucket_start(f.created_at, grain).date().isoformat()] += 1

    sla = {}
    for target in TARGETS:
        decided = [f.sla[target] for f in created if f.sla.get(target) in ("met", "breached")]
        met = decided.count("met")
        sla[target] = {"decided": len(decided), "met": met,
                       "compliance_pct": None if not decided else 100.0 * met / len(decided)}
    breaches = Counter(target for f in fl for t, target in f.breaches if _in(t, start, end))

    ratings = [f.csat[1] for f in fl if f.csat is not None and _in(f.csat[0], start, end)]
    promoters = sum(1 for s in ratings if s >= PROMOTER)
    detractors = sum(1 for s in ratings if s <= DETRACTOR_MAX)

    compensation: dict[str, Decimal] = defaultdict(Decimal)
    for f in resolved:
        if f.compensation is not None:
            compensation[f.compensation[1]] += f.compensation[0]

    level_time: dict[int, dict[str, float]] = {}
    for f in resolved:
        for lvl, spent in f.level_time.items():
            row = level_time.setdefault(lvl, {"escalations": 0, "wall": 0.0, "business": 0.0})
            row["escalations"] += 1
            row["wall"] += spent["wall"].total_seconds()
            row["business"] += spent["business"].total_seconds()
    for row in level_time.values():
        row["mean_wall"] = row["wall"] / row["escalations"]
        row["mean_business"] = row["business"] / row["escalations"]

    by_customer = Counter(f.customer for f in created if f.customer is not None)
    repeat = sorted(((c, n) for c, n in by_customer.items() if n >= 2), key=lambda cn: (-cn[1], cn[0]))[:top]

    at = end
    backlog_open = [f for f in fl if f.is_open_at(at - timedelta(microseconds=1))]
    first_level = [f for f in resolved if f.resolved_level == 1 and (f.max_level or 1) == 1]
    return {
        "period": {"start": start, "end": end},
        "escalations": len(created),
        "contacts": contacts,
        "escalation_rate_pct": (100.0 * len(created) / contacts) if contacts else None,
        "trend": dict(sorted(trend.items())),
        "time_to_acknowledge": {
            "wall": summary([(f.acknowledged_at - f.created_at).total_seconds() for f in acked]),
            "business": summary([f.ack_business.total_seconds() for f in acked if f.ack_business is not None]),
        },
        "time_to_resolve": {
            "wall": summary([(f.resolved_at - f.created_at).total_seconds() for f in resolved]),
            "business": summary([f.resolve_business.total_seconds() for f in resolved
                                 if f.resolve_business is not None]),
        },
        "sla": sla,
        "breaches": dict(sorted(breaches.items(), key=lambda kv: str(kv[0]))),
        "breaches_total": sum(breaches.values()),
        "resolved": len(resolved),
        "first_level_resolution_pct": (100.0 * len(first_level) / len(resolved)) if resolved else None,
        "time_per_level": dict(sorted(level_time.items(), key=lambda kv: (kv[0] is None, kv[0] or 0))),
        "reassignments": {
            "total": sum(1 for f in fl for t in f.reassignments if _in(t, start, end)),
            "per_escalation": (sum(len(f.reassignments) for f in resolved) / len(resolved)) if resolved else None,
            "ping_pong": sum(1 for f in resolved if f.ping_pong),
        },
        "reopen_rate_pct": (100.0 * sum(1 for f in resolved_any if f.reopens) / len(resolved_any))
        if resolved_any else None,
        "reopened": sum(1 for f in fl for t in f.reopens if _in(t, start, end)),
        "backlog": len(backlog_open),
        "ageing": ageing(fl, at - timedelta(microseconds=1)),
        "csat": {"responses": len(ratings), "average": (sum(ratings) / len(ratings)) if ratings else None,
                 "promoters": promoters, "detractors": detractors,
                 "nps": (100.0 * (promoters - detractors) / len(ratings)) if ratings else None},
        "compensation": {cur: str(total) for cur, total in sorted(compensation.items())},
        "top_repeat_customers": repeat,
    }
