"""Walking a tenant's stored chain (the database side of audit.chain.verify)."""

from __future__ import annotations

from tierline.audit import chain
from tierline.audit.models import ChainHead, Event


def _head(tenant_id: int) -> tuple[int, str]:
    head = ChainHead.objects.filter(tenant_id=tenant_id).values_list("seq", "hash").first()
    return head or (0, chain.GENESIS)


def tenant_chain_problem(tenant_id: int, batch: int = 5000) -> chain.ChainProblem | None:
    head = _head(tenant_id)
    rows = (
        (e.seq, e.prev_hash, e.hash, e.chain_payload())
        for e in Event.objects.filter(tenant_id=tenant_id).order_by("seq").iterator(chunk_size=batch)
    )
    problem = chain.verify(rows, head=head)
    if problem is not None and problem.kind == "inserted" and problem.seq > head[0]:
        # The head was read before the events: an action may have appended since. Judge the
        # events beyond the old head against the head as it is now.
        newer = _head(tenant_id)
        if newer[0] >= problem.seq:
            return tenant_chain_problem_upto(tenant_id, newer, batch)
    return problem


def tenant_chain_problem_upto(tenant_id: int, head: tuple[int, str], batch: int) -> chain.ChainProblem | None:
    rows = (
        (e.seq, e.prev_hash, e.hash, e.chain_payload())
        for e in Event.objects.filter(tenant_id=tenant_id, seq__lte=head[0]).order_by("seq").iterator(chunk_size=batch)
    )
    return chain.verify(rows, head=head)
