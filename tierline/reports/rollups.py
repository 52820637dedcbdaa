"""The daily rollup: folded in from new events by a per-tenant cursor on the event seq.

The cursor and the rows it covers move in one transaction, so a crash repeats or loses nothing;
the rows equal ``recompute(tenant)`` (tested) because both go through rollup_math.fold.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import F

from tierline.audit.event_types import EventType
from tierline.audit.models import Event
from tierline.reports import rollup_math
from tierline.reports.models import DailyRollup, RollupCursor
from tierline.tenancy.models import Customer, Tenant

BATCH = 5000


def _origins(tenant_id: int, esc_ids, tiers: dict) -> dict[int, rollup_math.Origin]:
    rows = Event.objects.filter(escalation_id__in=list(esc_ids), type=EventType.CREATED).values_list(
        "escalation_id", "occurred_at", "data")
    return {e: rollup_math.origin_from_created(d, t, tiers) for e, t, d in rows}


def _write(tenant_id: int, rows: dict) -> None:
    for (day, team, typ, level, tier, channel), measures in rows.items():
        lookup = dict(tenant_id=tenant_id, day=day, team_ref=team or 0, type=typ or "", level=level or 0,
                      tier=tier or "", channel=channel or "")
        changed = DailyRollup.objects.filter(**lookup).update(**{m: F(m) + v for m, v in measures.items() if v})
        if not changed:
            DailyRollup.objects.create(**lookup, **measures)


def fold_tenant(tenant_id: int, now: dt.datetime, batch: int = BATCH) -> int:
    """Fold the next batch of the tenant's new events in; returns how many events were read."""
    with transaction.atomic():
        cursor, _ = RollupCursor.objects.select_for_update().get_or_create(tenant_id=tenant_id)
        events = list(Event.objects.filter(tenant_id=tenant_id, seq__gt=cursor.last_seq).order_by("seq")
                      .values_list("seq", "escalation_id", "type", "occurred_at", "data")[:batch])
        if not events:
            return 0
        tiers = dict(Customer.objects.filter(tenant_id=tenant_id).values_list("id", "tier"))
        origins = _origins(tenant_id, {e[1] for e in events}, tiers)
        rows = rollup_math.fold({}, ((e, t, at, d) for _, e, t, at, d in events), origins)
        _write(tenant_id, rows)
        cursor.last_seq = events[-1][0]
        cursor.updated_at = now
        cursor.save(update_fields=["last_seq", "updated_at"])
    return len(events)


def update_all(now: dt.datetime, batch: int = BATCH) -> dict[str, int]:
    """One worker pass: a batch per tenant with new events."""
    read = 0
    for tenant_id in Tenant.objects.order_by("id").values_list("id", flat=True):
        read += fold_tenant(tenant_id, now, batch)
    return {"rollup_events": read}


def recompute(tenant_id: int) -> dict:
    """The rollup rows from scratch (not stored), for checking: {key: measures}."""
    tiers = dict(Customer.objects.filter(tenant_id=tenant_id).values_list("id", "tier"))
    cursor = RollupCursor.objects.filter(tenant_id=tenant_id).values_list("last_seq", flat=True).first() or 0
    events = list(Event.objects.filter(tenant_id=tenant_id, seq__lte=cursor).order_by("seq")
                  .values_list("escalation_id", "type", "occurred_at", "data").iterator(chunk_size=2000))
    origins = _origins(tenant_id, {e[0] for e in events}, tiers)
    rows = rollup_math.fold({}, events, origins)
    return {(day, team or 0, typ or "", level or 0, tier or "", ch or ""): m
            for (day, team, typ, level, tier, ch), m in rows.items()}


def stored(tenant_id: int) -> dict:
    out = {}
    for r in DailyRollup.objects.filter(tenant_id=tenant_id):
        out[(r.day, r.team_ref, r.type, r.level, r.tier, r.channel)] = {m: getattr(r, m)
                                                                        for m in rollup_math.MEASURES}
    return out
