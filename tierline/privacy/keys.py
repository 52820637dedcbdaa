"""The database side of sealing: finding or making a customer's key, opening loaded events."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import IntegrityError, transaction

from tierline.core.compiled import fetch_rows
from tierline.privacy import envelope
from tierline.privacy.models import CustomerKey


def _key_row(escalation_id: int, customer_id: int | None):
    # Compiled once (fetch_rows): this runs in every action that writes personal text (and every
    # SLA tick), and compiling the queryset each time cost more than running it.
    if customer_id is None:
        rows = fetch_rows("stint_key_no_customer", lambda: CustomerKey.objects.filter(
            escalation_id=0, customer__isnull=True).values_list("pk", "key")[:1], [escalation_id])
    else:
        # Two filter() calls: one call sorts its keywords, and the parameters follow this order.
        rows = fetch_rows("stint_key", lambda: CustomerKey.objects.filter(escalation_id=0).filter(
            customer_id=0).values_list("pk", "key")[:1], [escalation_id, customer_id])
    return rows[0] if rows else None


def stint_key(tenant_id: int, escalation_id: int, customer_id: int | None, now) -> tuple[int, bytes]:
    """(key id, key) of the escalation's stint with this customer (None: while it has none),
    made on first use."""
    row = _key_row(escalation_id, customer_id)
    if row is None:
        key = CustomerKey(tenant_id=tenant_id, escalation_id=escalation_id, customer_id=customer_id,
                          key=envelope.new_key(), created_at=now)
        try:
            with transaction.atomic():
                key.save(force_insert=True)
            row = (key.pk, key.key)
        except IntegrityError:  # a concurrent first event of the same stint made it
            row = _key_row(escalation_id, customer_id)
    return row[0], bytes(row[1])


def seal_for(tenant_id: int, escalation_id: int, customer_id: int | None, entries, now) -> list[tuple[Any, dict]]:
    """The (type, data) entries with personal text sealed by the key of the escalation's stint
    with its customer (`customer_id`, the customer after these entries). An entry that changes
    the customer seals its changes' befores with the previous stint's key: they were written
    about that customer, and go when that customer is erased (docs/privacy.md)."""
    if not any(envelope.has_personal(data) for _, data in entries):
        return entries
    key_id, key = stint_key(tenant_id, escalation_id, customer_id, now)
    out = []
    for event_type, data in entries:
        moved = envelope.customer_change(data)
        before = None
        if moved is not None and envelope.has_personal_before(data):
            previous_id, previous = stint_key(tenant_id, escalation_id, moved[0], now)
            before = (previous, previous_id)
        out.append((event_type, envelope.seal_data(data, key, key_id, tenant_id, before=before)))
    return out


def keys_for(ids: Iterable[int]) -> dict[int, tuple[int, bytes]]:
    ids = set(ids)
    if not ids:
        return {}
    return {pk: (tenant_id, bytes(key)) for pk, tenant_id, key in
            CustomerKey.objects.filter(pk__in=ids).values_list("pk", "tenant_id", "key")}


def open_events(events: Iterable[Any]) -> None:
    """Open the sealed text of loaded Event rows in place (one key query for the lot). The sealed
    form stays on the row as `stored_data`, which is what the hash covers."""
    pending = [e for e in events if "_opened_data" not in e.__dict__ and isinstance(e.__dict__.get("data"), Mapping)
               and envelope.is_sealed(e.data)]
    if not pending:
        return
    keys = keys_for(set().union(*(envelope.key_ids_in(e.data) for e in pending)))
    for e in pending:
        e.show_opened(e.data, envelope.open_data(e.data, keys))


def open_rows(rows: list[dict]) -> list[dict]:
    """The same for exported mappings ({"data": …}): returns copies with the text opened."""
    keys = keys_for(set().union(set(), *(envelope.key_ids_in(r.get("data") or {}) for r in rows)))
    return [{**r, "data": envelope.open_data(r["data"], keys)} if r.get("data") else r for r in rows]
