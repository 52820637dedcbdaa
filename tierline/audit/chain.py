"""Hash chain arithmetic, free of Django so a third party can re-run it.

Each event's hash is SHA-256 over the previous event's hash followed by the event's canonical
JSON. Changing, removing, inserting or reordering any event changes every later hash.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from tierline.core.canonical import dumps

GENESIS = "0" * 64


def event_hash(prev_hash: str, payload: Mapping[str, Any]) -> str:
    return hashlib.sha256((prev_hash + dumps(payload)).encode()).hexdigest()


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    kind: str  # "modified" | "gap" | "reordered" | "broken_link" | "truncated"
    detail: str


def verify(rows: Iterable[tuple[int, str, str, Mapping[str, Any]]],
           head: tuple[int, str] | None = None) -> ChainProblem | None:
    """Check rows of (seq, prev_hash, hash, payload) in seq order; return the first problem.

    `head` is the stored (seq, hash) of the chain's end: without it, deleting the newest events
    would leave a shorter chain that still verifies.
    """
    expected_prev = GENESIS
    expected_seq = 1
    for seq, prev_hash, stored_hash, payload in rows:
        if seq != expected_seq:
            kind = "gap" if seq > expected_seq else "reordered"
            return ChainProblem(seq, kind, f"expected sequence {expected_seq}, found {seq}")
        if prev_hash != expected_prev:
            return ChainProblem(seq, "broken_link", "previous-hash link does not match the event before")
        if event_hash(prev_hash, payload) != stored_hash:
            return ChainProblem(seq, "modified", "content does not match its hash")
        expected_prev = stored_hash
        expected_seq += 1
    if head is not None and (expected_seq - 1, expected_prev) != (head[0], head[1] if head[0] else GENESIS):
        return ChainProblem(head[0], "truncated", f"the chain ends at {expected_seq - 1} but its head says {head[0]}")
    return None
