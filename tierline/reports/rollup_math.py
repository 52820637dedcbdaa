"""What each event adds to the daily rollup. Pure: no Django.

A rollup row is keyed by (UTC day of the event, team, type, level, customer tier, channel), the
dimensions being those the escalation was created with (the same attribution as kpi.facts), so
a row only ever grows as new events arrive and the worker can fold events in by their sequence
number. ``contributions`` is the single definition the incremental worker and the from-scratch
recomputation share.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from tierline.audit.event_types import EventType

MEASURES = ("created", "acknowledged", "ack_wall_s", "resolved", "resolve_wall_s", "reopened",
            "breaches", "reassignments", "csat_responses", "csat_sum", "promoters", "detractors")
# The event types that add to some measure (the others are skipped when reading the log).
COUNTED_TYPES = tuple(int(t) for t in (EventType.CREATED, EventType.ACKNOWLEDGED, EventType.RESOLVED,
                                       EventType.REOPENED, EventType.SLA_BREACH, EventType.ASSIGNED,
                                       EventType.CSAT_RECEIVED))


@dataclass(frozen=True)
class Origin:
    """An escalation as it was created: from its CREATED event (and the customer's tier)."""

    created_at: datetime
    team: int | None
    type: str
    level: int
    tier: str
    channel: str


def origin_from_created(data: dict, occurred_at: datetime, tiers: dict) -> Origin:
    changes = data.get("changes") or {}

    def after(name, default=None):
        ch = changes.get(name)
        return ch[1] if isinstance(ch, list | tuple) and len(ch) == 2 else default

    customer = after("customer")
    return Origin(created_at=occurred_at, team=after("team"), type=after("type", ""), level=after("level", 0),
                  tier=tiers.get(customer, "") if customer is not None else "", channel=after("channel", ""))


def key(day: date, o: Origin) -> tuple:
    return (day, o.team, o.type, o.level, o.tier, o.channel)


def contributions(event_type: int, occurred_at: datetime, data: dict, o: Origin) -> dict[str, int]:
    """The measures one event adds to its day's row (empty: it adds nothing)."""
    out: dict[str, int] = {}
    if event_type == EventType.CREATED:
        out["created"] = 1
    elif event_type == EventType.ACKNOWLEDGED:
        out["acknowledged"] = 1
        out["ack_wall_s"] = int((occurred_at - o.created_at).total_seconds())
    elif event_type == EventType.RESOLVED:
        out["resolved"] = 1
        out["resolve_wall_s"] = int((occurred_at - o.created_at).total_seconds())
    elif event_type == EventType.REOPENED:
        out["reopened"] = 1
    elif event_type == EventType.SLA_BREACH:
        out["breaches"] = 1
    elif event_type == EventType.ASSIGNED:
        owner = (data.get("changes") or {}).get("owner")
        if isinstance(owner, list | tuple) and owner[0] is not None:
            out["reassignments"] = 1
    elif event_type == EventType.CSAT_RECEIVED and data.get("score") is not None:
        score = int(data["score"])
        out.update(csat_responses=1, csat_sum=score, promoters=int(score >= 5), detractors=int(score <= 3))
    return out


def day_of(t: datetime) -> date:
    return t.astimezone(UTC).date()


def fold(rows: dict, events, origins: dict) -> dict:
    """Add ``events`` — (escalation id, type, occurred_at, data) — into ``rows`` {key: {measure: n}}."""
    for esc_id, event_type, occurred_at, data in events:
        o = origins.get(esc_id)
        if o is None:
            continue
        add = contributions(event_type, occurred_at, data, o)
        if not add:
            continue
        row = rows.setdefault(key(day_of(occurred_at), o), dict.fromkeys(MEASURES, 0))
        for m, v in add.items():
            row[m] += v
    return rows
