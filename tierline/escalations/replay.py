"""Rebuild an escalation's tracked state from its event log alone.

Pure: no Django, no database, so an auditor can run it over an export. Every event's
`data["changes"]` maps a field to `[before, after]`; folding the afters in sequence order gives
the state, and comparing each before with the value folded so far shows whether the log is a
complete account of every change (a change written without an event breaks that link).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

# The fields whose history the event log carries: the one list, read by the write path
# (actions._base records them) and by replay here. The foreign keys are recorded by id.
TEXT_FIELDS = (
    "title", "description", "type", "trigger", "priority", "status", "channel", "external_id",
    "resolution_summary", "resolution_code", "root_cause_category", "compensation_currency",
)
NULLABLE_FIELDS = ("level", "team", "owner", "customer", "merged_into", "compensation_amount", "csat_score")
LIST_FIELDS = ("tags", "watchers")
DICT_FIELDS = ("custom_fields",)

FIELDS = (
    "title", "description", "type", "trigger", "priority", "level", "team", "owner", "status",
    "customer", "channel", "external_id", "resolution_summary", "resolution_code",
    "root_cause_category", "compensation_amount", "compensation_currency", "csat_score",
    "tags", "custom_fields", "merged_into", "watchers",
)
FK_FIELDS = ("team", "owner", "customer", "merged_into")


def initial_state() -> dict[str, Any]:
    """What a field holds before any event mentions it: the stored empty value of its column."""
    state: dict[str, Any] = {}
    for field in FIELDS:
        if field in TEXT_FIELDS:
            state[field] = ""
        elif field in LIST_FIELDS:
            state[field] = []
        elif field in DICT_FIELDS:
            state[field] = {}
        else:
            state[field] = None
    return state


@dataclass(frozen=True)
class Inconsistency:
    seq: int | None
    field: str
    expected: Any
    found: Any
    detail: str

    def __str__(self) -> str:
        return f"event #{self.seq}, {self.field}: {self.detail}"


def _get(event: Any, key: str) -> Any:
    # Accept plain mappings (exports, JSON) as well as objects with attributes (model rows).
    if isinstance(event, Mapping):
        return event.get(key)
    return getattr(event, key, None)


def _ordered(events: Iterable[Any]) -> list[Any]:
    events = list(events)
    if all(_get(e, "seq") is not None for e in events):
        events.sort(key=lambda e: _get(e, "seq"))
    return events


def _changes(event: Any) -> Mapping[str, Any]:
    data = _get(event, "data") or {}
    return data.get("changes") or {}


def replay(events: Iterable[Mapping]) -> dict[str, Any]:
    """The state the events describe, in the shape of actions._base.tracked_state()."""
    state = initial_state()
    for event in _ordered(events):
        for field, change in _changes(event).items():
            if field in state:
                state[field] = copy.deepcopy(change[1])
    return state


def check_consistency(events: Iterable[Mapping]) -> Inconsistency | None:
    """The first change whose `before` is not what the log said so far, or None.

    The first event is the creation: the record did not exist, so each of its befores is None.
    """
    state = initial_state()
    for index, event in enumerate(_ordered(events)):
        seq = _get(event, "seq")
        for field, change in _changes(event).items():
            if field not in state:
                return Inconsistency(seq, field, None, change, "not a tracked field")
            if not isinstance(change, list | tuple) or len(change) != 2:
                return Inconsistency(seq, field, None, change, "a change must be [before, after]")
            before, after = change
            expected = None if index == 0 else state[field]
            if before != expected:
                return Inconsistency(
                    seq, field, expected, before,
                    f"says it changed from {before!r}, but the log so far has {expected!r}",
                )
            state[field] = copy.deepcopy(after)
    return None
