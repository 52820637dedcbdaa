"""Who has it and how urgent: assign, escalate up or across, de-escalate, priority."""

from __future__ import annotations

from tierline.accounts.models import User
from tierline.accounts.permissions import Perm
from tierline.actions._base import mutate
from tierline.actions.fields import member_of, same_tenant
from tierline.audit.event_types import EventType
from tierline.audit.models import Event
from tierline.core.checks import choice, text
from tierline.core.errors import IllegalTransition, InvalidInput
from tierline.escalations.choices import Priority, Trigger
from tierline.routing.decide import assign_in_team, settings_for
from tierline.routing.models import TeamRouting
from tierline.sla.deadlines import apply_policy
from tierline.tenancy.models import Team


def assign(escalation, owner, *, actor, now, expected_version=None):
    if owner is None:
        raise InvalidInput("owner is required (use unassign to clear it)", fields={"owner": "required"})
    with mutate(escalation, actor=actor, now=now, perm=Perm.ASSIGN, name="assign",
                expected_version=expected_version) as op:
        op.require_open("assign")
        member_of(op.esc.tenant_id, owner, "owner")
        had_owner = op.esc.owner_id is not None
        if op.set("owner", owner):
            if had_owner:
                op.set_plain("reassignment_count", op.esc.reassignment_count + 1)
            op.record(EventType.ASSIGNED)
    return op.esc


def unassign(escalation, *, actor, now, expected_version=None):
    with mutate(escalation, actor=actor, now=now, perm=Perm.ASSIGN, name="unassign",
                expected_version=expected_version) as op:
        op.require_open("unassign")
        if op.set("owner", None):
            op.record(EventType.UNASSIGNED)
    return op.esc


def receiving_owner(esc, team: Team, now):
    """Who the receiving team's assignment policy gives the case to: the same call intake's plan()
    makes, with the same inputs the escalate guidance panel shows, so the prediction holds."""

    # A team that works its queue by hand (the usual case, and every SLA sweep step into one) costs
    # this one read; the settings, the customer and the roster are read only for a real strategy.
    if not TeamRouting.objects.filter(team=team).exclude(strategy=TeamRouting.Strategy.MANUAL).exists():
        return None
    owner_id, _ = assign_in_team(team, type=esc.type, text=f"{esc.title}\n{esc.description or ''}",
                                 language=esc.customer.language if esc.customer_id else None, now=now,
                                 settings=settings_for(esc.tenant_id), lock=True)
    return User.objects.get(pk=owner_id) if owner_id is not None else None


def escalate_in(op, *, reason: str, trigger: str, team: Team | None = None) -> None:
    """The escalation itself, on an already locked Op (shared with the SLA worker's steps)."""
    esc = op.esc
    op.require_open("escalate")
    if team is None:
        target = esc.team.parent
        if target is None:
            raise IllegalTransition(f"{esc.team.name} is the top of its chain: name a team to escalate to",
                                    code="top_of_chain")
        path = "hierarchical"
    else:
        target = same_tenant(team, esc.tenant_id, "team")
        path = "functional"
        if target.pk == esc.team_id:
            raise InvalidInput("the escalation is already with that team", fields={"team": "same as current"})
        if target.level < esc.level:
            raise InvalidInput("that team is at a lower level: use de-escalate",
                               fields={"team": "lower level than current"})
    from_team, from_level = esc.team_id, esc.level
    op.set("team", target)
    op.set("level", target.level)
    op.set("owner", receiving_owner(esc, target, op.now))  # None: the receiving team's queue
    op.record(EventType.ESCALATED, reason=reason, trigger=trigger, path=path,
              from_team=from_team, to_team=target.pk, from_level=from_level, to_level=target.level)


def escalate(escalation, *, actor, now, reason: str, trigger: str, team: Team | None = None,
             expected_version=None):
    """Hierarchical (no team: the current team's parent) or functional (a named team)."""
    reason = text(reason, "reason", max_length=2000)
    choice(trigger, Trigger, "trigger")
    with mutate(escalation, actor=actor, now=now, perm=Perm.ESCALATE, name="escalate",
                expected_version=expected_version) as op:
        escalate_in(op, reason=reason, trigger=trigger, team=team)
    return op.esc


def _escalated_from(esc) -> int | None:
    """The team the current escalation step came from: escalations push, de-escalations pop."""
    stack: list[int] = []
    moves = Event.objects.filter(escalation_id=esc.pk, type__in=[EventType.ESCALATED, EventType.DE_ESCALATED])
    for event_type, data in moves.order_by("seq").values_list("type", "data"):
        if event_type == EventType.ESCALATED:
            stack.append(data["from_team"])
        elif stack:
            stack.pop()
    return stack[-1] if stack else None


def de_escalate(escalation, *, actor, now, reason: str, team: Team | None = None, expected_version=None):
    """Back down: to a named lower team, or to the team it was last escalated from."""
    reason = text(reason, "reason", max_length=2000)
    with mutate(escalation, actor=actor, now=now, perm=Perm.ESCALATE, name="de_escalate",
                expected_version=expected_version) as op:
        esc = op.esc
        op.require_open("de-escalate")
        if team is None:
            came_from = _escalated_from(esc)
            if came_from is None:
                raise IllegalTransition("there is no earlier escalation to undo: name the team to hand it to",
                                        code="nothing_to_undo")
            team = Team.objects.get(pk=came_from)
        target = same_tenant(team, esc.tenant_id, "team")
        if target.pk == esc.team_id:
            raise InvalidInput("the escalation is already with that team", fields={"team": "same as current"})
        if target.level > esc.level:
            raise InvalidInput("that team is at a higher level: use escalate", fields={"team": "higher level"})
        from_team, from_level = esc.team_id, esc.level
        op.set("team", target)
        op.set("level", target.level)
        op.set("owner", receiving_owner(esc, target, op.now))
        op.record(EventType.DE_ESCALATED, reason=reason, from_team=from_team, to_team=target.pk,
                  from_level=from_level, to_level=target.level)
    return op.esc


def change_priority(escalation, priority: str, *, actor, now, reason: str = "", expected_version=None):
    choice(priority, Priority, "priority")
    reason = text(reason, "reason", required=False, max_length=2000)
    with mutate(escalation, actor=actor, now=now, perm=Perm.CHANGE_PRIORITY, name="change_priority",
                expected_version=expected_version) as op:
        change_priority_in(op, priority, reason=reason)
    return op.esc


def change_priority_in(op, priority: str, *, reason: str) -> bool:
    op.require_open("change the priority of")
    if not op.set("priority", priority):
        return False
    op.record(EventType.PRIORITY_CHANGED, reason=reason)
    apply_policy(op, reason="priority_changed")
    return True
