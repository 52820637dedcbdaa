"""The escalation state machine. Pure: no Django, no database.

Moves are named after what a person does (acknowledge, resolve, …) rather than the target
status, so that the same target reached two ways (resume vs. start work) stays distinguishable
in the log and the table stays small enough to read.
"""

from __future__ import annotations

from enum import StrEnum


class S(StrEnum):
    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    PENDING_CUSTOMER = "pending_customer"
    PENDING_THIRD_PARTY = "pending_third_party"
    RESOLVED = "resolved"
    REOPENED = "reopened"
    CLOSED = "closed"
    CANCELLED = "cancelled"


OPEN = frozenset({S.NEW, S.ACKNOWLEDGED, S.IN_PROGRESS, S.PENDING_CUSTOMER, S.PENDING_THIRD_PARTY, S.REOPENED})
PENDING = frozenset({S.PENDING_CUSTOMER, S.PENDING_THIRD_PARTY})
TERMINAL = frozenset({S.CLOSED, S.CANCELLED})
WORKING = frozenset({S.ACKNOWLEDGED, S.IN_PROGRESS, S.REOPENED})

# move -> {from status: to status}
TRANSITIONS: dict[str, dict[S, S]] = {
    "acknowledge": {S.NEW: S.ACKNOWLEDGED},
    "start_progress": {S.ACKNOWLEDGED: S.IN_PROGRESS, S.REOPENED: S.IN_PROGRESS},
    "pend_customer": {s: S.PENDING_CUSTOMER for s in WORKING | {S.PENDING_THIRD_PARTY}},
    "pend_third_party": {s: S.PENDING_THIRD_PARTY for s in WORKING | {S.PENDING_CUSTOMER}},
    "resume": {S.PENDING_CUSTOMER: S.IN_PROGRESS, S.PENDING_THIRD_PARTY: S.IN_PROGRESS},
    "resolve": {s: S.RESOLVED for s in WORKING | PENDING},
    "close": {S.RESOLVED: S.CLOSED},
    "reopen": {S.RESOLVED: S.REOPENED},
    "cancel": {s: S.CANCELLED for s in OPEN},
    # A merged duplicate is closed at once, whatever open state it was in.
    "merge_close": {s: S.CLOSED for s in OPEN},
}

MOVES = tuple(TRANSITIONS)


class IllegalMove(Exception):
    def __init__(self, move: str, status: str):
        allowed = sorted(s.value.replace("_", " ") for s in TRANSITIONS.get(move, {}))
        super().__init__(
            f"cannot {move.replace('_', ' ')} an escalation that is {status.replace('_', ' ')}"
            + (f" (allowed from: {', '.join(allowed)})" if allowed else "")
        )
        self.move = move
        self.status = status


def next_status(status: str, move: str) -> S:
    """The status after `move`, or IllegalMove."""
    table = TRANSITIONS.get(move)
    if table is None:
        raise ValueError(f"unknown move {move!r}")
    try:
        return table[S(status)]
    except (KeyError, ValueError):
        raise IllegalMove(move, status) from None


def allowed_moves(status: str) -> list[str]:
    current = S(status)
    return [move for move, table in TRANSITIONS.items() if current in table]


def is_open(status: str) -> bool:
    return S(status) in OPEN


def reachable(start: S = S.NEW) -> frozenset[S]:
    seen, todo = {start}, [start]
    while todo:
        current = todo.pop()
        for table in TRANSITIONS.values():
            target = table.get(current)
            if target is not None and target not in seen:
                seen.add(target)
                todo.append(target)
    return frozenset(seen)
