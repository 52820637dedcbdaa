"""SLA bookkeeping inside the write path: freezing the policy snapshot into the log.

Called from other actions' Ops (create, change_priority) and by the explicit re-time action.
"""

from __future__ import annotations

from tierline.accounts.permissions import Perm
from tierline.audit.event_types import EventType
from tierline.core.compiled import db_datetime, fetch_instances, fetch_rows
from tierline.escalations.actions._base import mutate, text
from tierline.sla import policy as pure


def _frozen(esc) -> tuple | None:
    """(policy id, version, calendar version) of the snapshot in force; None when there is none."""
    from tierline.audit.models import Event

    data = (Event.objects.filter(escalation_id=esc.pk, type=EventType.SLA_POLICY_APPLIED)
            .order_by("-seq").values_list("data", flat=True).first())
    if data is None:
        return None
    policy = data.get("policy")
    return (policy["policy_id"], policy["version"], policy.get("calendar_version")) if policy else None


def apply_policy(op, *, reason: str, new: bool = False, force: bool = False, override=None) -> bool:
    """Select the policy for the escalation as it now is; when it differs from the frozen one (or
    `force`), freeze its snapshot into the log under a new generation. True if one was written."""
    from tierline.sla.models import select_policy

    esc = op.esc
    tier = esc.customer.tier if esc.customer_id else None
    try:
        # A matrix rule may name the policy at intake; otherwise the policy table decides.
        chosen = override or select_policy(esc.tenant_id, priority=esc.priority, type=esc.type, customer_tier=tier)
    except pure.AmbiguousPolicy as exc:
        # Reported, never guessed: the timeline says why no clock runs.
        op.set_plain("sla_policy_id", None)
        op.set_plain("sla_generation", esc.sla_generation + 1)
        op.record(EventType.SLA_POLICY_APPLIED, policy=None, reason=reason, problem=str(exc))
        return True
    frozen = None if new else _frozen(esc)
    wanted = (chosen.pk, chosen.version, chosen.calendar.version) if chosen else None
    if wanted == frozen and (not force or wanted is None):
        return False
    generation = esc.sla_generation + 1
    op.set_plain("sla_policy_id", chosen.pk if chosen else None)
    op.set_plain("sla_generation", generation)
    if chosen is None:
        op.set_plain("next_deadline", None)
        op.record(EventType.SLA_POLICY_APPLIED, policy=None, reason=reason, problem="no SLA policy matches")
    else:
        op.record(EventType.SLA_POLICY_APPLIED, policy=chosen.snapshot_dict(generation), reason=reason)
    return True


def retime_sla(escalation, *, actor, now, reason: str, expected_version=None):
    """Re-apply the tenant's current policy and calendar to an open escalation (after a policy or
    calendar edit). Elapsed time carries over; steps already run stay run; new ones get new keys."""
    reason = text(reason, "reason", max_length=2000)
    with mutate(escalation, actor=actor, now=now, perm=Perm.CONFIGURE, name="retime_sla",
                expected_version=expected_version) as op:
        op.require_open("re-time")
        apply_policy(op, reason=f"retime: {reason}", force=True)
    return op.esc


# --- the clock in the write path ------------------------------------------------------------

SLA_ENGINE = "sla-engine"
PRIORITY_UP = {"P4": "P3", "P3": "P2", "P2": "P1", "P1": "P1"}
# An in-memory copy of the escalation's event log, kept on the instance by the SLA tick while
# it holds the row lock: audit.append extends it with every event it appends to that instance,
# so refresh_deadline re-derives the deadlines without reading the log back.
LOG_ATTR = "_sla_log"
# Set (to a set) on the instance by a caller that saves the row itself after Op.finish(row_saved=
# True): refresh_deadline then only sets the fields and names them there, instead of its UPDATE.
ROW_LATER_ATTR = "_sla_row_later"


def _events_query():
    from tierline.audit.models import Event

    return Event.objects.filter(escalation_id=0).order_by("seq").values_list("seq", "type", "occurred_at", "data")


def event_dicts(escalation_id: int) -> list[dict]:
    """One escalation's log as the clock takes it: one query, only the columns it reads."""
    return [{"seq": seq, "type": type_, "occurred_at": at, "data": data}
            for seq, type_, at, data in fetch_rows("event_dicts", _events_query, [escalation_id])]


def _log_of(esc) -> list[dict]:
    log = esc.__dict__.get(LOG_ATTR)
    return event_dicts(esc.pk) if log is None else log


def _deadlines(events: list[dict], now) -> tuple:
    """(next_deadline, sla_breach_at) from one evaluation of the log."""
    from tierline.sla.clock_marks import plan

    due, upcoming, report = plan(events, now)
    return _next_deadline(due, upcoming), _breach_at(report)


def _next_deadline(due, upcoming):
    return min(m.at for m in due) if due else upcoming


def _breach_at(report):
    if report.terminal:
        return None
    times = [ts.deadline for ts in report.targets.values() if ts.phase == "running" and ts.deadline]
    return min(times) if times else None


def next_deadline_for(events: list[dict], now):
    """When the worker must look at this escalation next: an overdue mark at once, else the next."""
    from tierline.sla import clock

    return _next_deadline(*clock.schedule(events, now))


def breach_at(events: list[dict], now):
    """The earliest breach instant (past or projected) among targets still running."""
    from tierline.sla import clock

    return _breach_at(clock.evaluate(events, now))


def refresh_deadline(esc, now) -> None:
    """Re-derive next_deadline and the breach time from the log after a change (Op.finish)."""
    from django.db import transaction

    from tierline.core.writepath import require_write_path
    from tierline.escalations.models import Escalation

    if esc.sla_policy_id is None and esc.next_deadline is None and esc.sla_breach_at is None:
        return
    events = _log_of(esc) if esc.sla_policy_id else []
    wanted = _deadlines(events, now) if events else (None, None)
    if wanted != (esc.next_deadline, esc.sla_breach_at):
        later = esc.__dict__.get(ROW_LATER_ATTR)
        if later is not None:  # the caller writes the row after Op.finish: one UPDATE for all
            esc.next_deadline, esc.sla_breach_at = wanted
            later.update(("next_deadline", "sla_breach_at"))
            return
        # Scheduling state derived from the log: two columns of one row, by primary key. Plain SQL
        # (the same guard as the model's update) because compiling the UPDATE costs more than it.
        require_write_path("Escalation")
        conn = transaction.get_connection()
        opts, quote = Escalation._meta, conn.ops.quote_name
        with conn.cursor() as cursor:
            cursor.execute(
                f"UPDATE {quote(opts.db_table)} SET {quote(opts.get_field('next_deadline').column)} = %s, "
                f"{quote(opts.get_field('sla_breach_at').column)} = %s WHERE {quote(opts.pk.column)} = %s",
                [db_datetime(wanted[0]), db_datetime(wanted[1]), esc.pk])
        esc.next_deadline, esc.sla_breach_at = wanted


def _team_query():
    from tierline.tenancy.models import Team

    return Team.objects.filter(pk=0)


def _parent(team):
    """team.parent, read with the compiled query when not already loaded, and kept on the team."""
    from tierline.tenancy.models import Team

    field = Team._meta.get_field("parent")
    if team.parent_id is not None and not field.is_cached(team):
        found = fetch_instances("team", _team_query, [team.parent_id])
        if found:
            field.set_cached_value(team, found[0])
    return team.parent


def _leads(team_ids: list[int]) -> set[int]:
    """The leads of these teams: one query (plain SQL: compiling a queryset costs more)."""
    from django.db import connection

    from tierline.tenancy.models import TeamMember

    if not team_ids:
        return set()
    opts, quote = TeamMember._meta, connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {quote(opts.get_field('user').column)} FROM {quote(opts.db_table)} "
            f"WHERE {quote(opts.get_field('is_lead').column)} AND {quote(opts.get_field('team').column)} "
            f"IN ({', '.join(['%s'] * len(team_ids))})", team_ids)
        return {user_id for (user_id,) in cursor.fetchall()}


def _supervisor_chain(team) -> set[int]:
    chain, seen = [], set()
    while team is not None and team.pk not in seen:
        seen.add(team.pk)
        chain.append(team.pk)
        team = _parent(team)
    return _leads(chain)


def _notify_targets(esc, step) -> list[int]:
    from tierline.tenancy.models import Membership, TeamMember

    whom = step.param("whom")
    if whom == "owner":
        return [esc.owner_id] if esc.owner_id else sorted(_supervisor_chain(esc.team))
    if whom == "team":
        return sorted(TeamMember.objects.filter(team_id=esc.team_id).values_list("user_id", flat=True))
    if whom == "team_lead":
        return sorted(_leads([esc.team_id]))
    if whom == "supervisor_chain":
        return sorted(_supervisor_chain(esc.team))
    if whom == "role":
        return sorted(Membership.objects.filter(tenant_id=esc.tenant_id, role=step.param("role"))
                      .values_list("user_id", flat=True))
    if whom == "user":
        user = step.param("user")
        ok = Membership.objects.filter(tenant_id=esc.tenant_id, user_id=user).exists()
        return [user] if ok else []
    return []


def _run_step(op, mark, data: dict) -> None:
    from tierline.core.errors import DomainError
    from tierline.escalations.actions.routing import change_priority_in, escalate_in
    from tierline.tenancy.models import Team

    step = mark.step
    reason = f"SLA {mark.target} step {data['step']} ({step.action})"
    outcome = "done"
    try:
        if step.action == "notify":
            data["notify_users"] = _notify_targets(op.esc, step)
            outcome = "notified" if data["notify_users"] else "nobody to notify"
        elif step.action == "escalate_level":
            _parent(op.esc.team)  # loaded (and kept) the cheap way; the sweep's claim brings both
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
    from tierline.sla.clock_marks import plan

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
                from tierline.notifications.cadence import on_update_due

                on_update_due(op, mark)
        else:
            data.update(step=mark.step_index, repeat=mark.repeat)
            _run_step(op, mark, data)
    if not op.has_events:
        # Nothing owed (a stale deadline): only the schedule moves, which is not an audited fact.
        op.set_plain("next_deadline", _next_deadline(due, upcoming))
        op.set_plain("sla_breach_at", _breach_at(report))


_ENGINE = None


def _engine():
    global _ENGINE
    if _ENGINE is None:
        from tierline.core.actors import Actor

        _ENGINE = Actor.system(SLA_ENGINE)
    return _ENGINE


def sla_tick(escalation, *, now):
    """Everything the SLA engine owes this escalation at `now`: warnings, breaches, steps.

    Runs under the row lock and derives what is due from the log itself, so a mark already
    recorded (by this worker before a crash, or by another worker) is never acted on twice.
    """
    op = None
    try:
        with mutate(escalation, actor=_engine(), now=now, perm=Perm.ESCALATE, name="sla_tick") as op:
            _tick(op, now)
    finally:
        if op is not None:
            op.esc.__dict__.pop(LOG_ATTR, None)
    return op.esc


def _save_row(esc, fields: list[str]) -> None:
    """esc.save(update_fields=fields), as one plain UPDATE by primary key: compiling the model
    save costs several times more than running it. Same guard, same columns, same check that
    the row was there."""
    from django.db import DatabaseError, transaction

    from tierline.core.writepath import require_write_path

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
    from django.db import transaction

    from tierline.core.writepath import write_path
    from tierline.escalations.actions._base import Op, require_aware
    from tierline.tenancy import scoping

    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("sla_tick_locked runs inside the transaction that locked the row")
    require_aware(now)
    actor = _engine()
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
