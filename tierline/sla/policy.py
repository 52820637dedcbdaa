"""SLA policy snapshots and policy selection. Pure: no Django.

A snapshot is what an escalation's clock runs on. It is frozen into the event log when the
clock starts (or is explicitly re-timed), so editing a policy later never changes the figures of
escalations already running — the property a BPO needs when its client disputes a breach.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

TARGETS = ("acknowledgement", "first_response", "update", "resolution")
STEP_ACTIONS = ("notify", "escalate_level", "escalate_team", "raise_priority")
NOTIFY_WHOM = ("owner", "team", "team_lead", "supervisor_chain", "role", "user")


class PolicyError(ValueError):
    """A policy that cannot be run, with the field named."""


@dataclass(frozen=True)
class Step:
    target: str
    offset: dt.timedelta  # business time from the breach; negative = before it
    action: str
    repeat_every: dt.timedelta | None = None
    max_repeats: int = 0
    params: tuple[tuple[str, Any], ...] = ()

    def param(self, name: str, default=None):
        return dict(self.params).get(name, default)


@dataclass(frozen=True)
class Snapshot:
    policy_id: int | None
    version: int
    name: str
    generation: int
    calendar: dict  # calendars.spec dict form; parsed on use
    targets: tuple[tuple[str, dt.timedelta], ...]
    pause_statuses: frozenset[str]
    warnings: tuple[int, ...]
    steps: tuple[Step, ...] = field(default=())

    def target(self, name: str) -> dt.timedelta | None:
        return dict(self.targets).get(name)


MAX_SECONDS = 10 * 366 * 86400


def _seconds(value, path: str) -> dt.timedelta | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        raise PolicyError(f"{path}: a number of seconds is required")
    if abs(value) > MAX_SECONDS:
        # Past ~10**14 s timedelta overflows; past ten years it is a typo, not a target.
        raise PolicyError(f"{path}: at most {MAX_SECONDS} seconds (ten years)")
    return dt.timedelta(seconds=value)


def _whole(value, path: str, default: int) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise PolicyError(f"{path}: a whole number is required")
    try:
        number = int(value)
    except ValueError:
        raise PolicyError(f"{path}: a whole number is required")
    if abs(number) > 2**63 - 1:
        raise PolicyError(f"{path}: out of range")
    return number


def snapshot_from_dict(d: dict) -> Snapshot:
    if not isinstance(d, dict):
        raise PolicyError("policy: an object is required")
    targets = []
    if not isinstance(d.get("targets") or {}, dict):
        raise PolicyError("targets: an object of target → seconds is required")
    if not isinstance(d.get("warnings") or [], list):
        raise PolicyError("warnings: a list of percentages is required")
    if not isinstance(d.get("steps") or [], list):
        raise PolicyError("steps: a list is required")
    for name, seconds in (d.get("targets") or {}).items():
        if name not in TARGETS:
            raise PolicyError(f"targets.{name}: unknown target (one of {', '.join(TARGETS)})")
        value = _seconds(seconds, f"targets.{name}")
        if value is not None:
            if value <= dt.timedelta(0):
                raise PolicyError(f"targets.{name}: must be positive")
            targets.append((name, value))
    warnings = tuple(sorted(_whole(w, "warnings", 0) for w in d.get("warnings") or ()))
    for w in warnings:
        if not 0 < w < 100:
            raise PolicyError(f"warnings: {w} is not a percentage between 1 and 99")
    steps = []
    for i, raw in enumerate(d.get("steps") or ()):
        path = f"steps[{i}]"
        if not isinstance(raw, dict):
            raise PolicyError(f"{path}: an object is required")
        target = raw.get("target", "resolution")
        if target not in TARGETS:
            raise PolicyError(f"{path}.target: unknown target {target!r}")
        action = raw.get("action")
        if action not in STEP_ACTIONS:
            raise PolicyError(f"{path}.action: one of {', '.join(STEP_ACTIONS)}")
        repeat = _seconds(raw.get("repeat_every"), f"{path}.repeat_every")
        if repeat is not None and repeat <= dt.timedelta(0):
            raise PolicyError(f"{path}.repeat_every: must be positive")
        max_repeats = _whole(raw.get("max_repeats", 0) if repeat else 0, f"{path}.max_repeats", 0)
        if max_repeats < 0 or max_repeats > 100:
            raise PolicyError(f"{path}.max_repeats: between 0 and 100")
        params = {k: v for k, v in raw.items()
                  if k not in {"target", "offset", "action", "repeat_every", "max_repeats"}}
        if action == "notify" and params.get("whom") not in NOTIFY_WHOM:
            raise PolicyError(f"{path}.whom: one of {', '.join(NOTIFY_WHOM)}")
        if action == "escalate_team" and not isinstance(params.get("team"), int):
            raise PolicyError(f"{path}.team: the id of the team to escalate to")
        steps.append(Step(target=target, offset=_seconds(raw.get("offset", 0), f"{path}.offset"), action=action,
                          repeat_every=repeat, max_repeats=max_repeats, params=tuple(sorted(params.items()))))
    return Snapshot(
        policy_id=d.get("policy_id"), version=_whole(d.get("version", 1), "version", 1), name=str(d.get("name", "")),
        generation=_whole(d.get("generation", 1), "generation", 1), calendar=d.get("calendar") or {"timezone": "UTC", "always_open": True},
        targets=tuple(targets), pause_statuses=frozenset(d.get("pause_statuses") or ("pending_customer",)),
        warnings=warnings, steps=tuple(steps),
    )


def snapshot_to_dict(s: Snapshot) -> dict:
    return {
        "policy_id": s.policy_id, "version": s.version, "name": s.name, "generation": s.generation,
        "calendar": s.calendar, "targets": {k: int(v.total_seconds()) for k, v in s.targets},
        "pause_statuses": sorted(s.pause_statuses), "warnings": list(s.warnings),
        "steps": [{"target": st.target, "offset": int(st.offset.total_seconds()), "action": st.action,
                   "repeat_every": int(st.repeat_every.total_seconds()) if st.repeat_every else None,
                   "max_repeats": st.max_repeats, **dict(st.params)} for st in s.steps],
    }


# --- selection --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Candidate:
    """A policy's matching conditions. None means "any"."""

    policy_id: int
    name: str
    rank: int
    priority: str | None = None
    type: str | None = None
    customer_tier: str | None = None

    @property
    def specificity(self) -> int:
        return sum(v is not None for v in (self.priority, self.type, self.customer_tier))

    def matches(self, priority: str, type: str, customer_tier: str | None) -> bool:
        return ((self.priority is None or self.priority == priority)
                and (self.type is None or self.type == type)
                and (self.customer_tier is None or self.customer_tier == customer_tier))


class AmbiguousPolicy(PolicyError):
    def __init__(self, names: list[str]):
        super().__init__(f"SLA policies {', '.join(names)} match equally (same rank and specificity): "
                         "give one a lower rank or narrower conditions")
        self.names = names


def select(candidates: list[Candidate], *, priority: str, type: str, customer_tier: str | None) -> Candidate | None:
    """Lowest rank wins; within a rank the most specific; a tie is reported, never guessed."""
    matching = [c for c in candidates if c.matches(priority, type, customer_tier)]
    if not matching:
        return None
    best_key = min((c.rank, -c.specificity) for c in matching)
    best = [c for c in matching if (c.rank, -c.specificity) == best_key]
    if len(best) > 1:
        raise AmbiguousPolicy(sorted(c.name for c in best))
    return best[0]


def overlaps(a: Candidate, b: Candidate) -> bool:
    return all(x is None or y is None or x == y for x, y in ((a.priority, b.priority), (a.type, b.type),
                                                              (a.customer_tier, b.customer_tier)))


def ambiguities(candidates: list[Candidate]) -> list[tuple[str, str]]:
    """Pairs that some escalation would match equally: validation reports them at save time.

    Two overlapping policies with the same rank and specificity tie on the escalations that
    fit both — unless one of them is strictly more specific *for that escalation*, which for
    equal specificity cannot happen.
    """
    found = []
    for i, a in enumerate(candidates):
        for b in candidates[i + 1:]:
            if a.rank == b.rank and a.specificity == b.specificity and overlaps(a, b):
                found.append((a.name, b.name))
    return found
