"""Problem records and root causes, as seen from the escalation: each change is an event on its log."""

from __future__ import annotations

from tierline.accounts.permissions import Perm
from tierline.actions._base import mutate
from tierline.audit.event_types import EventType
from tierline.core.errors import NotFound
from tierline.problems.models import EscalationRootCause, ProblemLink


def _same_tenant(op, obj, what: str):
    if obj is not None and obj.tenant_id != op.esc.tenant_id:
        raise NotFound(f"{what} not found", fields={what: "not found"})


def link_problem(escalation, problem, *, actor, now, expected_version=None):
    with mutate(escalation, actor=actor, now=now, perm=Perm.WORK, name="link_problem",
                expected_version=expected_version) as op:
        _same_tenant(op, problem, "problem")
        if ProblemLink.objects.filter(problem=problem, escalation=op.esc).exists():
            return op.esc
        ProblemLink.objects.create(tenant_id=op.esc.tenant_id, problem=problem, escalation=op.esc, linked_at=now,
                                   linked_by=actor.user)
        op.record(EventType.PROBLEM_LINKED, problem=problem.pk, problem_reference=problem.reference,
                  problem_title=problem.title)
    return op.esc


def unlink_problem(escalation, problem, *, actor, now, expected_version=None):
    with mutate(escalation, actor=actor, now=now, perm=Perm.WORK, name="unlink_problem",
                expected_version=expected_version) as op:
        _same_tenant(op, problem, "problem")
        deleted, _ = ProblemLink.objects.filter(problem=problem, escalation=op.esc).delete()
        if deleted:
            op.record(EventType.PROBLEM_UNLINKED, problem=problem.pk, problem_reference=problem.reference)
    return op.esc


def assign_root_cause(escalation, root_cause, *, actor, now, expected_version=None):
    """Set (or clear, with None) the escalation's category in the tenant's root-cause taxonomy."""
    with mutate(escalation, actor=actor, now=now, perm=Perm.WORK, name="assign_root_cause",
                expected_version=expected_version) as op:
        _same_tenant(op, root_cause, "root_cause")
        current = EscalationRootCause.objects.filter(escalation=op.esc).select_related("root_cause").first()
        before = current.root_cause if current else None
        if (before.pk if before else None) == (root_cause.pk if root_cause else None):
            return op.esc
        if root_cause is None:
            current.delete()
        elif current is None:
            EscalationRootCause.objects.create(tenant_id=op.esc.tenant_id, escalation=op.esc, root_cause=root_cause,
                                               assigned_at=now)
        else:
            current.root_cause, current.assigned_at = root_cause, now
            current.save(update_fields=["root_cause", "assigned_at"])
        op.record(EventType.ROOT_CAUSE_ASSIGNED,
                  before={"id": before.pk, "code": before.code, "path": before.path} if before else None,
                  after={"id": root_cause.pk, "code": root_cause.code, "path": root_cause.path} if root_cause else None)
    return op.esc
