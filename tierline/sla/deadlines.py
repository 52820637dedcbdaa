"""Deadlines from the log: the SLA policy frozen into an escalation's events, and the
escalation's next_deadline / sla_breach_at re-derived from them after every change.

Writers (the actions layer) call these inside their transaction; `apply_policy` takes the
action's Op (anything with esc, set_plain and record) so that the policy choice and its event
land in that one transaction.
"""

from __future__ import annotations

from django.db import transaction

from tierline.audit.event_types import EventType
from tierline.audit.models import Event
from tierline.core.compiled import db_datetime, fetch_rows
from tierline.core.writepath import require_write_path
from tierline.escalations.models import Escalation
from tierline.sla import clock, clock_marks
from tierline.sla import policy as pure
from tierline.sla.clock_marks import plan
from tierline.sla.models import select_policy


def _frozen(esc) -> tuple | None:
    """(policy id, version, calendar version) of the snapshot in force; None when there is none."""
    data = (Event.objects.filter(escalation_id=esc.pk, type=EventType.SLA_POLICY_APPLIED)
            .order_by("-seq").values_list("data", flat=True).first())
    if data is None:
        return None
    policy = data.get("policy")
    return (policy["policy_id"], policy["version"], policy.get("calendar_version")) if policy else None


def apply_policy(op, *, reason: str, new: bool = False, force: bool = False, override=None) -> bool:
    """Select the policy for the escalation as it now is; when it differs from the frozen one (or
    `force`), freeze its snapshot into the log under a new generation. True if one was written."""
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


# An in-memory copy of the escalation's event log, kept on the instance by the SLA tick while
# it holds the row lock: audit.append extends it with every event it appends to that instance,
# so refresh_deadline re-derives the deadlines without reading the log back.
LOG_ATTR = "_sla_log"
# Set (to a set) on the instance by a caller that saves the row itself after Op.finish(row_saved=
# True): refresh_deadline then only sets the fields and names them there, instead of its UPDATE.
ROW_LATER_ATTR = "_sla_row_later"


def _events_query():
    return Event.objects.filter(escalation_id=0).order_by("seq").values_list("seq", "type", "occurred_at", "data")


def event_dicts(escalation_id: int) -> list[dict]:
    """One escalation's log as the clock takes it: one query, only the columns it reads."""
    return [{"seq": seq, "type": type_, "occurred_at": at, "data": data}
            for seq, type_, at, data in fetch_rows("event_dicts", _events_query, [escalation_id])]


def log_of(esc) -> list[dict]:
    log = esc.__dict__.get(LOG_ATTR)
    return event_dicts(esc.pk) if log is None else log


def deadlines(events: list[dict], now) -> tuple:
    """(next_deadline, sla_breach_at) from one evaluation of the log."""
    due, upcoming, report = plan(events, now)
    return next_deadline_of(due, upcoming), breach_at_of(report)


def next_deadline_of(due, upcoming):
    return min(m.at for m in due) if due else upcoming


def breach_at_of(report):
    if report.terminal:
        return None
    times = [ts.deadline for ts in report.targets.values() if ts.phase == "running" and ts.deadline]
    return min(times) if times else None


def next_deadline_for(events: list[dict], now):
    """When the worker must look at this escalation next: an overdue mark at once, else the next."""
    return next_deadline_of(*clock_marks.schedule(events, now))


def breach_at(events: list[dict], now):
    """The earliest breach instant (past or projected) among targets still running."""
    return breach_at_of(clock.evaluate(events, now))


def refresh_deadline(esc, now) -> None:
    """Re-derive next_deadline and the breach time from the log after a change (Op.finish)."""
    if esc.sla_policy_id is None and esc.next_deadline is None and esc.sla_breach_at is None:
        return
    events = log_of(esc) if esc.sla_policy_id else []
    wanted = deadlines(events, now) if events else (None, None)
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
