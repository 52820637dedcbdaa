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
