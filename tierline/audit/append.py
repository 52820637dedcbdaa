"""Appending to a tenant's chain. Called only from inside an action's transaction."""

from __future__ import annotations

import hashlib
import json

from django.db import connection, models, transaction

from tierline.audit.chain import GENESIS, event_hash
from tierline.audit.event_types import EventType
from tierline.audit.models import ChainHead, Event
from tierline.core.actors import Actor
from tierline.core.canonical import jsonable
from tierline.core.writepath import require_write_path
from tierline.privacy.keys import seal_for

# The escalation instance may carry an in-memory copy of its event log (the SLA tick keeps one
# while it holds the row lock; see tierline.sla.deadlines.LOG_ATTR): every event
# appended here for that instance is added to it, so the copy stays the log.
LOG_ATTR = "_sla_log"


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


_INSERT_FIELDS = [f for f in Event._meta.concrete_fields if not f.primary_key]
# Integer, text and foreign-key columns take an int / str / None unchanged (get_db_prep_save is
# the identity on those); the others (time, JSON) go through get_db_prep_save.
_INSERT_FIELDS_PLAIN = [(f, isinstance(f, models.IntegerField | models.CharField | models.ForeignKey))
                        for f in _INSERT_FIELDS]
_PLAIN_TYPES = (int, str, type(None))
_ESCALATION, _USER, _TOKEN, _CUSTOMER = (Event._meta.get_field(name) for name in
                                         ("escalation", "actor_user", "actor_token", "actor_customer"))
_insert_sql: dict[tuple[str, int], str] = {}


def _insert(events: list[Event], tenant_id: int, head_hash: str) -> None:
    """INSERT the events and set their ids (what bulk_create does, without compiling a query per
    call: the SQL text is built once per row count), and store the chain head's new hash. On
    PostgreSQL both go in one statement (the head's UPDATE as a data-modifying WITH), one round
    trip fewer; elsewhere they are two."""
    conn = transaction.get_connection()
    head_sql = f"UPDATE {ChainHead._meta.db_table} SET hash = %s WHERE tenant_id = %s"
    if not conn.features.can_return_rows_from_bulk_insert:
        Event.objects.bulk_create(events)
        with conn.cursor() as cursor:
            cursor.execute(head_sql, [head_hash, tenant_id])
        return
    require_write_path("Event")
    combined = conn.vendor == "postgresql"
    key = (conn.vendor, len(events))
    sql = _insert_sql.get(key)
    if sql is None:
        quote = conn.ops.quote_name
        row = "(" + ", ".join(["%s"] * len(_INSERT_FIELDS)) + ")"
        sql = _insert_sql[key] = (
            (f"WITH head AS ({head_sql}) " if combined else "")
            + f"INSERT INTO {quote(Event._meta.db_table)} ({', '.join(quote(f.column) for f in _INSERT_FIELDS)}) "
            f"VALUES {', '.join([row] * len(events))} "
            f"RETURNING {quote(Event._meta.pk.column)}, {quote(Event._meta.get_field('seq').column)}"
        )
    params, last = ([head_hash, tenant_id] if combined else []), {}
    for event in events:
        for f, plain in _INSERT_FIELDS_PLAIN:
            value = getattr(event, f.attname)
            if plain and value.__class__ in _PLAIN_TYPES:  # an int or a str stored as it is
                params.append(value)
                continue
            seen = last.get(f)
            if seen is None or seen[0] is not value:  # the events share their time: prepared once
                seen = last[f] = (value, f.get_db_prep_save(value, conn))
            params.append(seen[1])
    with conn.cursor() as cursor:
        cursor.execute(sql, params)
        ids = {seq: pk for pk, seq in cursor.fetchall()}
        if not combined:
            cursor.execute(head_sql, [head_hash, tenant_id])
    for event in events:
        event.pk = ids[event.seq]
        event._state.adding = False
        event._state.db = conn.alias


_hash_checked = False


def _event_hash(prev: str, event: Event, occurred_at: str) -> str:
    """chain.event_hash(prev, event.chain_payload()) for an event whose data is already canonical
    (jsonable) and whose occurred_at is given in canonical form: the canonical JSON of the payload
    is then plain sorted-key JSON, without walking the data through jsonable a second time. The
    first hash of each process is checked against chain.event_hash, so the two cannot drift."""
    global _hash_checked
    payload = event.chain_payload()
    payload["occurred_at"] = occurred_at
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    digest = hashlib.sha256((prev + text).encode()).hexdigest()
    if not _hash_checked:
        if digest != event_hash(prev, event.chain_payload()):
            raise AssertionError("append: the event hash differs from chain.event_hash")
        _hash_checked = True
    return digest


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
    # Foreign keys by id, with the related objects put in the instance cache (what assigning the
    # objects does, for a fraction of the cost).
    user = actor.user if actor.kind in ("user", "api_token") else None
    related = [(f, obj) for f, obj in ((_ESCALATION, escalation), (_USER, user), (_TOKEN, actor.token),
                                       (_CUSTOMER, actor.customer)) if obj is not None]
    label = actor.label
    at = jsonable(now)
    # Personal text is sealed before it is hashed with the key of the escalation's stint with its
    # customer (tierline/privacy): destroying keys later erases the text and leaves the chain
    # verifiable.
    plain = [jsonable(data) for _, data in entries]
    sealed = seal_for(escalation.tenant_id, escalation.pk, escalation.customer_id,
                      [(t, d) for (t, _), d in zip(entries, plain, strict=True)], now)
    for event_type, data in sealed:
        seq += 1
        event = Event(
            tenant_id=escalation.tenant_id,
            seq=seq,
            escalation_id=escalation.pk,
            type=int(event_type),
            occurred_at=now,
            actor_kind=actor.kind,
            actor_user_id=None if user is None else user.pk,
            actor_token_id=None if actor.token is None else actor.token.pk,
            actor_customer_id=None if actor.customer is None else actor.customer.pk,
            actor_label=label,
            data=data,
            prev_hash=prev,
        )
        for f, obj in related:
            f.set_cached_value(event, obj)
        event.hash = _event_hash(prev, event, at)
        prev = event.hash
        events.append(event)
    _insert(events, escalation.tenant_id, prev)
    for event, data in zip(events, plain, strict=True):
        if event.data is not data:  # readers of the written events (outbox, webhooks) get the text
            event.show_opened(event.data, data)
    log = escalation.__dict__.get(LOG_ATTR)
    if log is not None:
        log.extend({"seq": e.seq, "type": e.type, "occurred_at": e.occurred_at, "data": e.data} for e in events)
    return events
