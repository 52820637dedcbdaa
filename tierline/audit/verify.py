"""Walking a tenant's stored chain (the database side of audit.chain.verify)."""

from __future__ import annotations

from tierline.audit import chain
from tierline.audit.models import ChainHead, Event


def tenant_chain_problem(tenant_id: int, batch: int = 5000) -> chain.ChainProblem | None:
    head = ChainHead.objects.filter(tenant_id=tenant_id).values_list("seq", "hash").first()
    rows = (
        (e.seq, e.prev_hash, e.hash, e.chain_payload())
        for e in Event.objects.filter(tenant_id=tenant_id).order_by("seq").iterator(chunk_size=batch)
    )
    return chain.verify(rows, head=head or (0, chain.GENESIS))
