"""SLA bookkeeping inside the write path: freezing the policy snapshot into the log.

Called from other actions' Ops (create, change_priority) and by the explicit re-time action.
"""

from __future__ import annotations

from tierline.accounts.permissions import Perm
from tierline.audit.event_types import EventType
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


def apply_policy(op, *, reason: str, new: bool = False, force: bool = False) -> bool:
    """Select the policy for the escalation as it now is; when it differs from the frozen one (or
    `force`), freeze its snapshot into the log under a new generation. True if one was written."""
    from tierline.sla.models import select_policy

    esc = op.esc
    tier = esc.customer.tier if esc.customer_id else None
    try:
        chosen = select_policy(esc.tenant_id, priority=esc.priority, type=esc.type, customer_tier=tier)
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


def event_dicts(escalation_id: int) -> list[dict]:
    from tierline.audit.models import Event

    return [{"seq": seq, "type": type_, "occurred_at": at, "data": data}
            for seq, type_, at, data in Event.objects.filter(escalation_id=escalation_id).order_by("seq")
            .values_list("seq", "type", "occurred_at", "data")]


def next_deadline_for(events: list[dict], now):
    """When the worker must look at this escalation next: an overdue mark at once, else the next."""
    from tierline.sla import clock

    due, upcoming = clock.schedule(events, now)
    return min(m.at for m in due) if due else upcoming


def breach_at(events: list[dict], now):
    """The earliest breach instant (past or projected) among targets still running."""
    from tierline.sla import clock

    report = clock.evaluate(events, now)
    if report.terminal:
        return None
    times = [ts.deadline for ts in report.targets.values() if ts.phase == "running" and ts.deadline]
    return min(times) if times else None


def refresh_deadline(esc, now) -> None:
    """Re-derive next_deadline and the breach time from the log after a change (Op.finish)."""
    from tierline.escalations.models import Escalation

    if esc.sla_policy_id is None and esc.next_deadline is None and esc.sla_breach_at is None:
        return
    events = event_dicts(esc.pk) if esc.sla_policy_id else []
    wanted = (next_deadline_for(events, now), breach_at(events, now)) if events else (None, None)
    if wanted != (esc.next_deadline, esc.sla_breach_at):
        Escalation.objects.filter(pk=esc.pk).update(next_deadline=wanted[0], sla_breach_at=wanted[1])
        esc.next_deadline, esc.sla_breach_at = wanted


def _supervisor_chain(team) -> set[int]:
    from tierline.tenancy.models import TeamMember

    users, seen = set(), set()
    while team is not None and team.pk not in seen:
        seen.add(team.pk)
        users |= set(TeamMember.objects.filter(team=team, is_lead=True).values_list("user_id", flat=True))
        team = team.parent
    return users


def _notify_targets(esc, step) -> list[int]:
    from tierline.tenancy.models import Membership, TeamMember

    whom = step.param("whom")
    if whom == "owner":
        return [esc.owner_id] if esc.owner_id else sorted(_supervisor_chain(esc.team))
    if whom == "team":
        return sorted(TeamMember.objects.filter(team_id=esc.team_id).values_list("user_id", flat=True))
    if whom == "team_lead":
        return sorted(TeamMember.objects.filter(team_id=esc.team_id, is_lead=True).values_list("user_id", flat=True))
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


def sla_tick(escalation, *, now):
    """Everything the SLA engine owes this escalation at `now`: warnings, breaches, steps.

    Runs under the row lock and derives what is due from the log itself, so a mark already
    recorded (by this worker before a crash, or by another worker) is never acted on twice.
    """
    from tierline.core.actors import Actor
    from tierline.sla import clock

    with mutate(escalation, actor=Actor.system(SLA_ENGINE), now=now, perm=Perm.ESCALATE, name="sla_tick") as op:
        if op.esc.sla_policy_id is None:
            op.set_plain("next_deadline", None)
            op.set_plain("sla_breach_at", None)
            return op.esc
        for mark in clock.due_marks(event_dicts(op.esc.pk), now):
            data = {"sla_key": mark.key, "target": mark.target, "due_at": mark.at,
                    "generation": op.esc.sla_generation}
            if mark.kind == "warning":
                op.record(EventType.SLA_WARNING, percent=mark.percent, **data)
            elif mark.kind == "breach":
                op.record(EventType.SLA_BREACH, **data)
            else:
                data.update(step=mark.step_index, repeat=mark.repeat)
                _run_step(op, mark, data)
        if not op.has_events:
            # Nothing owed (a stale deadline): only the schedule moves, which is not an audited fact.
            events = event_dicts(op.esc.pk)
            op.set_plain("next_deadline", next_deadline_for(events, now))
            op.set_plain("sla_breach_at", breach_at(events, now))
    return op.esc
