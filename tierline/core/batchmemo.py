"""Reads shared by every escalation of one worker pass, made once per pass.

A sweep ticks hundreds of escalations in a row, each in its own transaction, and each tick used
to read the same slow-changing rows again (the tenant's webhook subscriptions, its customer
templates). Inside `batch_memo()` the first read is kept for the rest of the pass; outside one,
`memo()` simply reads. A pass lasts well under a minute, so a template or subscription saved
meanwhile takes effect from the next pass — the same as if it had been saved a moment later.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

T = TypeVar("T")

_MEMO: ContextVar[dict | None] = ContextVar("tierline_batch_memo", default=None)


@contextmanager
def batch_memo() -> Iterator[None]:
    token = _MEMO.set({})
    try:
        yield
    finally:
        _MEMO.reset(token)


def memo(key: Hashable, load: Callable[[], T]) -> T:
    cache = _MEMO.get()
    if cache is None:
        return load()
    if key not in cache:
        cache[key] = load()
    return cache[key]
