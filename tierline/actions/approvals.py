"""Approvals: compensation/refund above the tenant's threshold and policy exceptions need a
manager's yes before the escalation can be resolved that way. Request, approve and reject are
events; nobody approves their own request (four eyes)."""

from __future__ import annotations

from decimal import Decimal

from tierline.accounts.permissions import Perm
from tierline.actions._base import mutate
from tierline.actions.fields import money
from tierline.audit.event_types import EventType
from tierline.audit.models import Event
from tierline.core.checks import text
from tierline.core.errors import IllegalTransition, InvalidInput, NotFound, PermissionDenied
from tierline.escalations.models import Approval
from tierline.routing.decide import settings_for
from tierline.tenancy.models import Membership

APPROVER_ROLES = ("manager", "executive")


def approval_needed(esc, *, amount: Decimal | None, resolution_code: str) -> list[str]:
    """Which approval kinds resolving with these values needs (empty: none)."""

    kinds = []
    if amount:
        threshold = settings_for(esc.tenant_id).approval_threshold
        if amount > threshold or "compensation_approval" in (esc.routing_requires or ()):
            kinds.append(Approval.Kind.COMPENSATION)
    if resolution_code == "policy_exception":
        kinds.append(Approval.Kind.POLICY_EXCEPTION)
    return kinds


def check_approved(esc, *, amount: Decimal | None, currency: str, resolution_code: str) -> None:
    """Refuse a resolution that needs an approval nobody gave (called under the row lock)."""
    missing = {}
    for kind in approval_needed(esc, amount=amount, resolution_code=resolution_code):
        approved = Approval.objects.filter(escalation=esc, kind=kind, state=Approval.State.APPROVED)
        if kind == Approval.Kind.COMPENSATION:
            approved = approved.filter(amount__gte=amount, currency=currency)
        if not approved.exists():
            field = "compensation_amount" if kind == Approval.Kind.COMPENSATION else "resolution_code"
            missing[field] = f"needs an approved {kind.label.lower()} request"
    if missing:
        raise InvalidInput("this resolution needs a manager's approval first: " + "; ".join(missing.values()),
                           code="approval_required", fields=missing)


def request_approval(escalation, *, actor, now, kind: str, reason: str, amount=None, currency: str = "",
                     expected_version=None):

    if kind not in Approval.Kind.values:
        raise InvalidInput(f"kind must be one of {', '.join(Approval.Kind.values)}", fields={"kind": "invalid choice"})
    reason = text(reason, "reason", max_length=2000)
    amount, currency = money(amount, currency)
    if kind == Approval.Kind.COMPENSATION and amount is None:
        raise InvalidInput("a compensation approval needs the amount", fields={"amount": "required"})
    with mutate(escalation, actor=actor, now=now, perm=Perm.WORK, name="request_approval",
                expected_version=expected_version) as op:
        op.require_open("request an approval on")
        if Approval.objects.filter(escalation=op.esc, kind=kind, state=Approval.State.REQUESTED).exists():
            raise IllegalTransition("an approval of this kind is already waiting", code="approval_pending")
        approval = Approval(tenant_id=op.esc.tenant_id, escalation=op.esc, kind=kind, amount=amount,
                            currency=currency, reason=reason, requested_by_label=actor.label, requested_at=now)
        approval.save()
        approvers = sorted(Membership.objects.filter(tenant_id=op.esc.tenant_id, role__in=APPROVER_ROLES)
                           .values_list("user_id", flat=True))
        op.record(EventType.APPROVAL_REQUESTED, approval=approval.pk, kind=kind, reason=reason,
                  amount=str(amount) if amount is not None else None, currency=currency, notify_users=approvers)
    return op.esc, approval


def _requester(esc, approval_id: int) -> list[int]:
    """The person who asked (the request event's actor): they learn the answer in their inbox."""

    asked = Event.objects.filter(escalation_id=esc.pk, type=EventType.APPROVAL_REQUESTED).order_by("-seq")
    for user_id, data in asked.values_list("actor_user_id", "data"):
        if data.get("approval") == approval_id:
            return [user_id] if user_id else []
    return []


def decide_approval(escalation, approval_id: int | None = None, *, actor, now, approve: bool, note: str = "",
                    kind: str | None = None, expected_version=None):
    """Approve or reject one request: by id, or (`kind`) the one of that kind that is waiting."""
    note = text(note, "note", required=not approve, max_length=2000)
    with mutate(escalation, actor=actor, now=now, perm=Perm.APPROVE_COMPENSATION, name="decide_approval",
                expected_version=expected_version) as op:
        pending = Approval.objects.filter(escalation=op.esc)
        approval = (pending.filter(pk=approval_id).first() if approval_id is not None
                    else pending.filter(kind=kind, state=Approval.State.REQUESTED).order_by("-pk").first())
        if approval is None:
            raise NotFound("approval not found", fields={"approval": "not found"})
        if approval.state != Approval.State.REQUESTED:
            raise IllegalTransition(f"that approval was already {approval.state}", code="already_decided")
        if approval.requested_by_label == actor.label:
            raise PermissionDenied("nobody approves their own request", code="four_eyes")
        approval.state = Approval.State.APPROVED if approve else Approval.State.REJECTED
        approval.decided_by, approval.decided_at, approval.decision_note = actor.user, now, note
        approval.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
        op.record(EventType.APPROVAL_GRANTED if approve else EventType.APPROVAL_REJECTED, approval=approval.pk,
                  kind=approval.kind, note=note, notify_users=_requester(op.esc, approval.pk))
    return op.esc, approval
