"""The database side of sealing: finding or making a customer's key, opening loaded events."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import IntegrityError, transaction

from tierline.privacy import envelope
from tierline.privacy.models import CustomerKey


def _key_row(customer_id: int):
    # Compiled once (fetch_rows): this runs in every action that writes a customer's text (and every
    # SLA tick), and compiling the queryset each time cost more than running it.
    from tierline.core.compiled import fetch_rows

    rows = fetch_rows("customer_key", lambda: CustomerKey.objects.filter(customer_id=0).values_list("pk", "key")[:1],
                      [customer_id])
    return rows[0] if rows else None


def seal_for(tenant_id: int, customer_id: int | None, entries, now) -> list[tuple[Any, dict]]:
    """The (type, data) entries with personal text sealed by the customer's key (made on first
    use). No customer, nothing personal to erase later: the data is stored as it is."""
    if customer_id is None or not any(envelope.has_personal(data) for _, data in entries):
        return entries
    row = _key_row(customer_id)
    if row is None:
        key = CustomerKey(tenant_id=tenant_id, customer_id=customer_id, key=envelope.new_key(), created_at=now)
        try:
            with transaction.atomic():
                key.save(force_insert=True)
            row = (key.pk, key.key)
        except IntegrityError:  # a concurrent first event for the same customer made it
            row = CustomerKey.objects.filter(customer_id=customer_id).values_list("pk", "key").get()
    key_id, key = row[0], bytes(row[1])
    return [(t, envelope.seal_data(data, key, key_id, tenant_id)) for t, data in entries]


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
