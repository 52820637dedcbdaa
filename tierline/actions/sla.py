"""SLA verbs of the write path: re-timing a clock, and the tick that records warnings and
breaches and runs breach steps exactly once each."""

from __future__ import annotations

from django.db import DatabaseError, transaction

from tierline.accounts.permissions import Perm
from tierline.actions._base import Op, mutate
from tierline.actions.routing import change_priority_in, escalate_in
from tierline.audit.event_types import EventType
from tierline.core.actors import Actor
from tierline.core.checks import require_aware, text
from tierline.core.errors import DomainError
from tierline.core.writepath import require_write_path, write_path
from tierline.notifications.cadence import on_update_due
from tierline.sla.clock_marks import plan
from tierline.sla.deadlines import (
    LOG_ATTR,
    ROW_LATER_ATTR,
    apply_policy,
    breach_at_of,
    event_dicts,
    next_deadline_of,
)
from tierline.tenancy import scoping
from tierline.tenancy.models import Membership, Team, TeamMember
from tierline.tenancy.supervisors import leads, parent_of, supervisor_chain

SLA_ENGINE = "sla-engine"
PRIORITY_UP = {"P4": "P3", "P3": "P2", "P2": "P1", "P1": "P1"}
_ENGINE = Actor.system(SLA_ENGINE)


def retime_sla(escalation, *, actor, now, reason: str, expected_version=None):
    """Re-apply the tenant's current policy and calendar to an open escalation (after a policy or
    calendar edit). Elapsed time carries over; steps already run stay run; new ones get new keys."""
    reason = text(reason, "reason", max_length=2000)
    with mutate(escalation, actor=actor, now=now, perm=Perm.CONFIGURE, name="retime_sla",
                expected_version=expected_version) as op:
        op.require_open("re-time")
        apply_policy(op, reason=f"retime: {reason}", force=True)
    return op.esc



def _notify_targets(esc, step) -> list[int]:
    whom = step.param("whom")
    if whom == "owner":
        return [esc.owner_id] if esc.owner_id else sorted(supervisor_chain(esc.team))
    if whom == "team":
        return sorted(TeamMember.objects.filter(team_id=esc.team_id).values_list("user_id", flat=True))
    if whom == "team_lead":
        return sorted(leads([esc.team_id]))
    if whom == "supervisor_chain":
        return sorted(supervisor_chain(esc.team))
    if whom == "role":
        return sorted(Membership.objects.filter(tenant_id=esc.tenant_id, role=step.param("role"))
                      .values_list("user_id", flat=True))
    if whom == "user":
        user = step.param("user")
        ok = Membership.objects.filter(tenant_id=esc.tenant_id, user_id=user).exists()
        return [user] if ok else []
    return []


def _run_step(op, mark, data: dict) -> None:
    step = mark.step
    reason = f"SLA {mark.target} step {data['step']} ({step.action})"
    outcome = "done"
    try:
        if step.action == "notify":
            data["notify_users"] = _notify_targets(op.esc, step)
            outcome = "notified" if data["notify_users"] else "nobody to notify"
        elif step.action == "escalate_level":
            parent_of(op.esc.team)  # loaded (and kept) the cheap way; the sweep's claim brings both
            escalate_in(op, reason=reason, trigger="time_based")
        elif step.action == "escalate_team":
            team = Team.objects.filter(pk=step.param("team"), tenant_id=op.esc.tenant_id).first()
            if team is None:
                outcome = "skipped: the step's team no longer exists"
            else:
                escalate_in(op, reason=reason, trigger="time_based", team=team)
        elif step.action == "raise_priority":
            if not change_priority_in(op, PRIORITY_UP[op.esc.priority], reason=reason):
                outcome = "skipped: already P1"
    except DomainError as exc:
        # A step that cannot apply (top of the chain, already with that team) is recorded as
        # skipped, once, rather than retried forever.
        outcome = f"skipped: {exc.message}"
    op.record(EventType.SLA_STEP, outcome=outcome, action=step.action, **data)


def _tick(op, now) -> None:
    """The body of sla_tick, on a locked Op."""
    esc = op.esc
    if esc.sla_policy_id is None:
        op.set_plain("next_deadline", None)
        op.set_plain("sla_breach_at", None)
        return
    events = event_dicts(esc.pk)
    esc.__dict__[LOG_ATTR] = events  # kept (and extended by the append) until the tick ends
    due, upcoming, report = plan(events, now)
    for mark in due:
        data = {"sla_key": mark.key, "target": mark.target, "due_at": mark.at,
                "generation": esc.sla_generation}
        if mark.kind == "warning":
            op.record(EventType.SLA_WARNING, percent=mark.percent, **data)
        elif mark.kind == "breach":
            op.record(EventType.SLA_BREACH, **data)
            if mark.target == "update":  # the customer-update time came: remind, or update by itself
                on_update_due(op, mark)
        else:
            data.update(step=mark.step_index, repeat=mark.repeat)
            _run_step(op, mark, data)
    if not op.has_events:
        # Nothing owed (a stale deadline): only the schedule moves, which is not an audited fact.
        op.set_plain("next_deadline", next_deadline_of(due, upcoming))
        op.set_plain("sla_breach_at", breach_at_of(report))


def sla_tick(escalation, *, now):
    """Everything the SLA engine owes this escalation at `now`: warnings, breaches, steps.

    Runs under the row lock and derives what is due from the log itself, so a mark already
    recorded (by this worker before a crash, or by another worker) is never acted on twice.
    """
    op = None
    try:
        with mutate(escalation, actor=_ENGINE, now=now, perm=Perm.ESCALATE, name="sla_tick") as op:
            _tick(op, now)
    finally:
        if op is not None:
            op.esc.__dict__.pop(LOG_ATTR, None)
    return op.esc


def _save_row(esc, fields: list[str]) -> None:
    """esc.save(update_fields=fields), as one plain UPDATE by primary key: compiling the model
    save costs several times more than running it. Same guard, same columns, same check that
    the row was there."""
    require_write_path(type(esc).__name__)
    conn = transaction.get_connection()
    opts, quote = esc._meta, conn.ops.quote_name
    columns = [opts.get_field(name) for name in fields]
    with conn.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(opts.db_table)} SET {', '.join(f'{quote(f.column)} = %s' for f in columns)} "
            f"WHERE {quote(opts.pk.column)} = %s",
            [f.get_db_prep_save(f.pre_save(esc, False), conn) for f in columns] + [esc.pk])
        if cursor.rowcount != 1:
            raise DatabaseError("Save with update_fields did not affect any rows.")


def sla_tick_locked(esc, *, now):
    """sla_tick on a row the caller locked in its open transaction (the sweep's claim, which
    loads the whole row with the lock): the same Op, checks and writes as mutate() and
    Op.finish(), without locking and reading the row a second time. The caller's transaction
    is the tick's."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("sla_tick_locked runs inside the transaction that locked the row")
    require_aware(now)
    actor = _ENGINE
    try:
        with write_path("sla_tick"):
            scoping.check(actor, Perm.ESCALATE, esc.tenant_id)
            op = Op(esc, actor, now)
            _tick(op, now)
            if op.has_events:
                # What Op.finish() does to the row when events are written, but with the row
                # written last, in one UPDATE with the deadlines re-derived from the new log
                # (finish's row_saved hook: events, deadlines, outbox; all in this transaction).
                esc.version += 1
                esc.updated_at = now
                fields = op._dirty | {"version", "updated_at"}
                esc.__dict__[ROW_LATER_ATTR] = later = set()
                op.finish(row_saved=True)
                _save_row(esc, sorted(fields | later))
            else:
                op.finish()
    finally:
        esc.__dict__.pop(LOG_ATTR, None)
        esc.__dict__.pop(ROW_LATER_ATTR, None)
    return esc
