"""Appending to a tenant's chain. Called only from inside an action's transaction."""

from __future__ import annotations

from django.db import connection, transaction

from tierline.audit.chain import GENESIS, event_hash
from tierline.audit.event_types import EventType
from tierline.audit.models import ChainHead, Event
from tierline.core.actors import Actor
from tierline.core.canonical import jsonable


def ensure_chain(tenant) -> None:
    ChainHead.objects.get_or_create(tenant=tenant, defaults={"seq": 0, "hash": GENESIS})


def _advance_head(tenant_id: int, count: int) -> tuple[int, str] | None:
    """Reserve `count` sequence numbers; returns (first seq - 1, previous hash) with the row locked.

    One UPDATE … RETURNING both locks the head (until commit) and reads it, so appends from
    concurrent transactions queue up on this row and never interleave.
    """
    table = ChainHead._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET seq = seq + %s WHERE tenant_id = %s RETURNING seq, hash", [count, tenant_id]
        )
        row = cursor.fetchone()
    return (row[0] - count, row[1]) if row else None


def append_events(escalation, actor: Actor, now, entries: list[tuple[EventType, dict]]) -> list[Event]:
    """Append events for one escalation, in order, to its tenant's chain.

    The chain head row stays locked until the surrounding transaction commits, which serialises
    appends per tenant; actions call this last so the lock is held as briefly as possible.
    """
    if actor is None:
        raise ValueError("an event needs an actor")
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("events are appended inside the action's transaction")
    head = _advance_head(escalation.tenant_id, len(entries))
    if head is None:
        ensure_chain(escalation.tenant)
        head = _advance_head(escalation.tenant_id, len(entries))
    seq, prev = head
    events = []
    for event_type, data in entries:
        seq += 1
        event = Event(
            tenant_id=escalation.tenant_id,
            seq=seq,
            escalation=escalation,
            type=int(event_type),
            occurred_at=now,
            actor_kind=actor.kind,
            actor_user=actor.user if actor.kind in ("user", "api_token") else None,
            actor_token=actor.token,
            actor_customer=actor.customer,
            actor_label=actor.label,
            data=jsonable(data),
            prev_hash=prev,
        )
        event.hash = event_hash(prev, event.chain_payload())
        prev = event.hash
        events.append(event)
    Event.objects.bulk_create(events)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {ChainHead._meta.db_table} SET hash = %s WHERE tenant_id = %s",
                       [prev, escalation.tenant_id])
    return events
