"""Hash chain arithmetic, free of Django so a third party can re-run it.

Each event's hash is SHA-256 over the previous event's hash followed by the event's canonical
JSON. Changing, removing, inserting or reordering any event changes every later hash.

`verify` reports the FIRST event that is no longer what was written, and says which kind of
tampering explains it: "modified", "deleted", "inserted" or "reordered". One broken link has
several possible causes (an edited event that was re-hashed breaks the link of the event AFTER
it), so on the first failure the rows that follow are read too and the cause is worked out from
them.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tierline.core.canonical import dumps

GENESIS = "0" * 64
KINDS = ("modified", "deleted", "inserted", "reordered")
# Rows read past the first failure to tell its cause. Enough for any local tampering; a
# reordering that moves an event further than this is still reported, as "modified".
LOOKAHEAD = 10_000

Row = tuple[int, str, str, Mapping[str, Any]]


def event_hash(prev_hash: str, payload: Mapping[str, Any]) -> str:
    return hashlib.sha256((prev_hash + dumps(payload)).encode()).hexdigest()


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    kind: str  # one of KINDS
    detail: str


def verify(rows: Iterable[Row], head: tuple[int, str] | None = None,
           lookahead: int = LOOKAHEAD) -> ChainProblem | None:
    """Check rows of (seq, prev_hash, hash, payload) in seq order; return the first problem.

    `head` is the stored (seq, hash) of the chain's end: without it, deleting the newest events
    would leave a shorter chain that still verifies, and appending forged ones would go unseen.
    """
    it = iter(rows)
    expected_prev, expected_seq = GENESIS, 1
    last: Row | None = None
    for row in it:
        seq, prev_hash, stored_hash, payload = row
        if (seq == expected_seq and prev_hash == expected_prev
                and (head is None or seq <= head[0])
                and event_hash(prev_hash, payload) == stored_hash):
            last, expected_prev, expected_seq = row, stored_hash, expected_seq + 1
            continue
        ahead = list(itertools.islice(it, lookahead))
        return _classify(row, ahead, last, expected_seq, expected_prev, head)
    return _check_end(expected_seq - 1, expected_prev, head)


def _check_end(count: int, last_hash: str, head: tuple[int, str] | None) -> ChainProblem | None:
    if head is None:
        return None
    head_seq, head_hash = head
    if count < head_seq:
        return ChainProblem(count + 1, "deleted",
                            f"the chain ends at event {count} but its head says {head_seq}: "
                            f"events {count + 1}..{head_seq} are missing")
    if head_seq and last_hash != head_hash:
        return ChainProblem(count, "modified",
                            "the chain is consistent but does not end in the hash its head recorded "
                            "(events were rewritten and re-hashed)")
    return None


def _classify(row: Row, ahead: Sequence[Row], last: Row | None, expected_seq: int,
              expected_prev: str, head: tuple[int, str] | None) -> ChainProblem:
    seq, prev_hash, stored_hash, payload = row
    beyond_head = f"event {seq} lies beyond the chain's head ({head[0] if head else 0})"
    if seq > expected_seq:
        if head is not None and expected_seq > head[0]:
            return ChainProblem(seq, "inserted", beyond_head)
        if any(expected_seq <= r[0] < seq for r in ahead):
            return ChainProblem(seq, "reordered", f"event {seq} comes before event {expected_seq}")
        missing = f"{expected_seq}" if seq == expected_seq + 1 else f"{expected_seq}..{seq - 1}"
        return ChainProblem(expected_seq, "deleted", f"event(s) {missing} are missing")
    if seq < expected_seq:
        return ChainProblem(seq, "reordered", f"event {seq} appears again after event {expected_seq - 1}")

    consistent = event_hash(prev_hash, payload) == stored_hash
    if prev_hash != expected_prev:
        later = next((r[0] for r in ahead if r[2] == prev_hash), None)
        if later is not None:
            return ChainProblem(seq, "reordered", f"event {seq} follows event {later}, which is stored after it")
        if last is not None and prev_hash == last[1]:
            # Two events name the same predecessor: the one between them was put there later.
            return ChainProblem(last[0], "inserted", f"event {last[0]} was not in the chain when event {seq} was written")
    if head is not None and seq > head[0]:
        return ChainProblem(seq, "inserted", beyond_head)
    if ahead and ahead[0][1] == expected_prev:
        return ChainProblem(seq, "inserted", f"event {ahead[0][0]} links straight to event {seq - 1}, past event {seq}")
    if prev_hash != expected_prev and consistent:
        # This event is intact, so the predecessor it names is the true one: the stored one was rewritten.
        if last is not None:
            return ChainProblem(last[0], "modified",
                                f"event {last[0]} was rewritten and re-hashed (event {seq} records its original hash)")
        return ChainProblem(seq, "modified", "the first event does not start from the genesis hash")
    if prev_hash != expected_prev and isinstance(payload, Mapping) and "seq" in payload:
        for shift, kind, at in ((1, "deleted", seq), (-1, "inserted", seq - 1)):
            if event_hash(prev_hash, {**payload, "seq": seq + shift}) == stored_hash:
                return ChainProblem(at, kind, f"the event stored as {seq} was written as {seq + shift}: "
                                              f"the chain was renumbered around {at}")
    return ChainProblem(seq, "modified", "content does not match its hash" if prev_hash == expected_prev
                        else "its link to the previous event and its content do not match its hash")
