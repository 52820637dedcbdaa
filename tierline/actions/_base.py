"""The machinery every action shares: lock, permission, version check, change capture, events.

An action body receives an `Op`, sets fields through it (which records before/after values),
records events, and returns. On leaving the block the Op saves the row once, appends the
events to the tenant's hash chain and writes outbox rows — all in the one transaction. If the
body changed nothing, nothing is written (no event, no version bump).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any

from django.db import transaction

from tierline.accounts.permissions import Perm
from tierline.actions.outbox import enqueue_for_events
from tierline.audit.append import append_events
from tierline.audit.event_types import EventType
from tierline.core.actors import Actor
from tierline.core.canonical import jsonable
from tierline.core.checks import require_aware
from tierline.core.compiled import fetch_instances
from tierline.core.errors import IllegalTransition, NotFound, PermissionDenied, StaleVersion
from tierline.core.writepath import write_path
from tierline.escalations import replay, states
from tierline.escalations.models import Escalation, Watcher
from tierline.sla.deadlines import refresh_deadline
from tierline.tenancy import scoping

# Fields whose history the event log carries (one list, in the pure replay module).
FK_FIELDS = replay.FK_FIELDS
TRACKED_FIELDS = replay.FIELDS


def field_value(esc: Escalation, field: str) -> Any:
    if field in FK_FIELDS:
        return getattr(esc, f"{field}_id")
    if field == "watchers":
        return sorted(Watcher.objects.filter(escalation_id=esc.pk).values_list("user_id", flat=True))
    return jsonable(getattr(esc, field))


def tracked_state(esc: Escalation) -> dict[str, Any]:
    """The stored state in the same shape that replaying the event log produces."""
    return {field: field_value(esc, field) for field in TRACKED_FIELDS}


class Op:
    def __init__(self, esc: Escalation, actor: Actor, now: dt.datetime):
        self.esc = esc
        self.actor = actor
        self.now = now
        self._pending: dict[str, list[Any]] = {}
        self._events: list[tuple[EventType, dict]] = []
        self.row_changed = False
        self._dirty: set[str] = set()
        self.written_events: list = []

    # -- changing fields --------------------------------------------------------------------
    def set(self, field: str, value: Any) -> bool:
        """Set a tracked field; remember before/after for the next event. True if it changed."""
        before = field_value(self.esc, field) if field != "watchers" else None
        if field in FK_FIELDS:
            setattr(self.esc, field, value)
            after = value.pk if value is not None else None
        else:
            setattr(self.esc, field, value)
            after = jsonable(value)
        if before == after:
            return False
        if field in self._pending:  # set twice in one action: keep the first "before"
            before = self._pending[field][0]
        self._pending[field] = [before, after]
        self._dirty.add(field)
        self.row_changed = True
        return True

    def set_plain(self, field: str, value: Any) -> None:
        """Set an untracked bookkeeping column (timestamps, counters)."""
        if getattr(self.esc, field) != value:
            setattr(self.esc, field, value)
            self._dirty.add(field)
            self.row_changed = True

    def note_change(self, field: str, before: Any, after: Any) -> None:
        """Record a change to something stored outside the row (watchers)."""
        self._pending[field] = [jsonable(before), jsonable(after)]

    def move(self, move: str) -> str:
        """Apply a state-machine move, refusing illegal ones with a clear error."""
        try:
            target = states.next_status(self.esc.status, move)
        except states.IllegalMove as exc:
            raise IllegalTransition(str(exc), code="illegal_transition") from None
        self.set("status", target.value)
        return target.value

    def require_open(self, what: str) -> None:
        if not states.is_open(self.esc.status):
            raise IllegalTransition(
                f"cannot {what} an escalation that is {self.esc.status.replace('_', ' ')}",
                code="not_open",
            )

    # -- events -----------------------------------------------------------------------------
    def record(self, event_type: EventType, **data: Any) -> None:
        if self._pending:
            data["changes"] = self._pending
            self._pending = {}
        self._events.append((event_type, data))

    @property
    def has_events(self) -> bool:
        return bool(self._events)

    def finish(self, *, row_saved: bool = False) -> None:
        if self._pending:
            raise RuntimeError(f"changes with no event: {sorted(self._pending)}")
        if not self._events:
            if self._dirty and self._dirty <= {"next_deadline", "sla_breach_at"}:
                # Scheduling state only (derived from the log): saved without an event or version.
                self.esc.save(update_fields=sorted(self._dirty))
            return
        if not row_saved:
            self.esc.version += 1
            self.esc.updated_at = self.now
            # Only the columns this action touched: a concurrent writer's other columns stay intact
            # even on a backend without row locks, and the UPDATE is smaller.
            self.esc.save(update_fields=sorted(self._dirty | {"version", "updated_at"}))
        self.written_events = append_events(self.esc, self.actor, self.now, self._events)
        refresh_deadline(self.esc, self.now)
        enqueue_for_events(self.esc, self.written_events, self.actor)


def check_version(esc: Escalation, expected_version: int | None) -> None:
    """Optimistic concurrency, checked under the row lock."""
    if expected_version is not None and esc.version != expected_version:
        raise StaleVersion(
            f"{esc.reference} has changed since you loaded it (your version {expected_version}, "
            f"current {esc.version}); reload and try again",
            fields={"version": f"current version is {esc.version}"},
        )


def _lock_query():
    return Escalation.objects.select_for_update().filter(pk=0)


@contextlib.contextmanager
def mutate(escalation, *, actor: Actor, now: dt.datetime, perm: Perm, name: str,
           expected_version: int | None = None):
    """Open the transaction, lock the row, check permission and version, yield an Op."""
    if actor is None:
        raise ValueError(f"{name}: no actor — every change must say who made it")
    require_aware(now)
    pk = escalation.pk if isinstance(escalation, Escalation) else escalation
    with write_path(name), transaction.atomic():
        # A plain primary-key lock: no joins (team, owner load lazily when an action needs them),
        # compiled once per connection (core/compiled.py): compiling the forty-column SELECT cost
        # more than locking and reading the row.
        try:
            key = int(pk)
        except (TypeError, ValueError):
            key = 0
        found = fetch_instances("escalation_lock", _lock_query, [key]) if 0 < key < 2 ** 63 else None
        if not found:
            raise NotFound("escalation not found")
        esc = found[0]
        scoping.check(actor, perm, esc.tenant_id)
        if actor.kind == "api_token" and actor.token.scope == "read":
            # Every mutate() writes; a view-level permission (e.g. recording a client's request) is
            # still a write, and a read-only token never writes.
            raise PermissionDenied("this API token is read-only", code="token_read_only")
        check_version(esc, expected_version)
        op = Op(esc, actor, now)
        yield op
        op.finish()
