"""The daily rollup: folded in from new events by a per-tenant cursor on the event seq.

The cursor and the rows it covers move in one transaction, so a crash repeats or loses nothing;
the rows equal ``recompute(tenant)`` (tested) because both go through rollup_math.fold.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection, transaction

from tierline.audit.event_types import EventType
from tierline.audit.models import ChainHead, Event
from tierline.reports import rollup_math
from tierline.reports.models import DailyRollup, DailyTotal, RollupCursor
from tierline.runtime import health
from tierline.tenancy.models import Customer

BATCH = 5000
TENANT = "rollup_tenant"  # parked-item kind


def _origins(tenant_id: int, esc_ids, tiers: dict) -> dict[int, rollup_math.Origin]:
    rows = Event.objects.filter(escalation_id__in=list(esc_ids), type=EventType.CREATED).values_list(
        "escalation_id", "occurred_at", "data")
    return {e: rollup_math.origin_from_created(d, t, tiers) for e, t, d in rows}


_KEY = ("tenant_id", "day", "team_ref", "type", "level", "tier", "channel")


def _upsert(table: str, key: tuple[str, ...], params: list[tuple]) -> None:
    measures = rollup_math.MEASURES
    cols = ", ".join(key + measures)
    marks = ", ".join(["%s"] * (len(key) + len(measures)))
    updates = ", ".join(f"{m} = {table}.{m} + excluded.{m}" for m in measures)
    sql = (f"INSERT INTO {table} ({cols}) VALUES ({marks}) "
           f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates}")
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def _write(tenant_id: int, rows: dict) -> None:
    """Add the measures into their rows, and into the day's total: multi-row upserts (ON CONFLICT
    … DO UPDATE, both on SQLite and PostgreSQL), since a batch touches hundreds of keys."""
    if not rows:
        return
    measures = rollup_math.MEASURES
    _upsert(DailyRollup._meta.db_table, _KEY, [
        (tenant_id, day, team or 0, typ or "", level or 0, tier or "", channel or "", *(m[n] for n in measures))
        for (day, team, typ, level, tier, channel), m in rows.items()])
    _upsert(DailyTotal._meta.db_table, ("tenant_id", "day"), [
        (tenant_id, day, *(m[n] for n in measures)) for day, m in totals(rows).items()])


def totals(rows: dict) -> dict:
    """{day: measures} summed over the dimensions of ``rows`` ({key: measures}, day first)."""
    out: dict = {}
    for key, m in rows.items():
        row = out.setdefault(key[0], dict.fromkeys(rollup_math.MEASURES, 0))
        for name, v in m.items():
            row[name] += v
    return out


def fold_tenant(tenant_id: int, now: dt.datetime, batch: int = BATCH) -> int:
    """Fold the next window of the tenant's new events in; returns how many seqs it covered.

    Seqs are gapless per tenant and the chain head only ever shows committed appends, so the
    window (cursor, min(cursor + batch, head)] is complete; only the event types that add to a
    measure are read from it."""
    with transaction.atomic():
        cursor, _ = RollupCursor.objects.select_for_update().get_or_create(tenant_id=tenant_id)
        head = ChainHead.objects.filter(tenant_id=tenant_id).values_list("seq", flat=True).first() or 0
        upto = min(cursor.last_seq + batch, head)
        if upto <= cursor.last_seq:
            return 0
        events = list(Event.objects.filter(tenant_id=tenant_id, seq__gt=cursor.last_seq, seq__lte=upto,
                                           type__in=rollup_math.COUNTED_TYPES).order_by("seq")
                      .values_list("escalation_id", "type", "occurred_at", "data"))
        if events:
            tiers = dict(Customer.objects.filter(tenant_id=tenant_id).values_list("id", "tier"))
            origins = {e: rollup_math.origin_from_created(d, at, tiers) for e, t, at, d in events
                       if t == EventType.CREATED}
            origins.update(_origins(tenant_id, {e[0] for e in events} - set(origins), tiers))
            _write(tenant_id, rollup_math.fold({}, events, origins))
        covered = upto - cursor.last_seq
        cursor.last_seq = upto
        cursor.updated_at = now
        cursor.save(update_fields=["last_seq", "updated_at"])
    return covered


def update_all(now: dt.datetime, batch: int = BATCH) -> dict[str, int]:
    """One worker pass: a window per tenant whose chain has moved past its cursor (two small
    queries when nothing is new, however many tenants there are)."""

    heads = dict(ChainHead.objects.values_list("tenant_id", "seq"))
    done = dict(RollupCursor.objects.values_list("tenant_id", "last_seq"))
    behind = sorted(t for t, seq in heads.items() if seq > done.get(t, 0))
    if not behind:
        return {"rollup_events": 0, "rollup_parked": 0}
    # A tenant whose fold raised is left out until its retry time; the others go on.
    hold, retry = health.parked_sets(TENANT, now)
    read = parked = 0
    for tenant_id in behind:
        if tenant_id in hold:
            continue
        try:
            read += fold_tenant(tenant_id, now, batch)
        except Exception as exc:
            health.park("rollup", TENANT, tenant_id, exc, now, tenant_id=tenant_id)
            parked += 1
            continue
        if tenant_id in retry:
            health.unpark(TENANT, tenant_id)
    return {"rollup_events": read, "rollup_parked": parked}


def recompute(tenant_id: int) -> dict:
    """The rollup rows from scratch (not stored), for checking: {key: measures}."""
    tiers = dict(Customer.objects.filter(tenant_id=tenant_id).values_list("id", "tier"))
    cursor = RollupCursor.objects.filter(tenant_id=tenant_id).values_list("last_seq", flat=True).first() or 0
    events = list(Event.objects.filter(tenant_id=tenant_id, seq__lte=cursor).order_by("seq")  # every type
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


def stored_totals(tenant_id: int) -> dict:
    return {r.day: {m: getattr(r, m) for m in rollup_math.MEASURES} for r in DailyTotal.objects.filter(tenant_id=tenant_id)}
