"""Appending to a tenant's chain. Called only from inside an action's transaction."""

from __future__ import annotations

from django.db import transaction

from tierline.audit.chain import GENESIS, event_hash
from tierline.audit.event_types import EventType
from tierline.audit.models import ChainHead, Event
from tierline.core.actors import Actor
from tierline.core.canonical import jsonable


def ensure_chain(tenant) -> None:
    ChainHead.objects.get_or_create(tenant=tenant, defaults={"seq": 0, "hash": GENESIS})


def append_events(escalation, actor: Actor, now, entries: list[tuple[EventType, dict]]) -> list[Event]:
    """Append events for one escalation, in order, to its tenant's chain.

    The chain head row is locked until the surrounding transaction commits, which serialises
    appends per tenant; actions call this last so the lock is held as briefly as possible.
    """
    if actor is None:
        raise ValueError("an event needs an actor")
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("events are appended inside the action's transaction")
    head = ChainHead.objects.select_for_update().filter(tenant_id=escalation.tenant_id).first()
    if head is None:
        ensure_chain(escalation.tenant)
        head = ChainHead.objects.select_for_update().get(tenant_id=escalation.tenant_id)
    seq, prev = head.seq, head.hash
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
    # One INSERT per event keeps Event.save's guards in force.
    for event in events:
        event.save(force_insert=True)
    ChainHead.objects.filter(pk=head.pk).update(seq=seq, hash=prev)
    return events
