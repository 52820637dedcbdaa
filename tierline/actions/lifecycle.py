"""Status moves: acknowledge, start, pending/resume, resolve, close, reopen, cancel."""

from __future__ import annotations

from tierline.accounts.permissions import Perm
from tierline.actions._base import mutate
from tierline.actions.approvals import check_approved
from tierline.actions.fields import member_of, money
from tierline.audit.event_types import EventType
from tierline.core.checks import choice, text
from tierline.core.errors import InvalidInput
from tierline.escalations.choices import ResolutionCode, RootCauseCategory


def acknowledge(escalation, *, actor, now, expected_version=None):
    with mutate(escalation, actor=actor, now=now, perm=Perm.WORK, name="acknowledge",
                expected_version=expected_version) as op:
        op.move("acknowledge")
        op.set_plain("acknowledged_at", now)
        if op.esc.owner_id is None and actor.user is not None and actor.kind == "user":
            # Whoever acknowledges unowned work takes it: ownership is always explicit.
            op.set("owner", member_of(op.esc.tenant_id, actor.user, "owner"))
        op.record(EventType.ACKNOWLEDGED)
    return op.esc


def start_progress(escalation, *, actor, now, expected_version=None):
    with mutate(escalation, actor=actor, now=now, perm=Perm.WORK, name="start_progress",
                expected_version=expected_version) as op:
        op.move("start_progress")
        op.record(EventType.STATUS_CHANGED)
    return op.esc


def set_pending(escalation, *, actor, now, waiting_on: str, reason: str = "", expected_version=None):
    moves = {"customer": "pend_customer", "third_party": "pend_third_party"}
    if waiting_on not in moves:
        raise InvalidInput("waiting_on must be customer or third_party", fields={"waiting_on": "invalid choice"})
    reason = text(reason, "reason", required=False, max_length=2000)
    with mutate(escalation, actor=actor, now=now, perm=Perm.WORK, name="set_pending",
                expected_version=expected_version) as op:
        op.move(moves[waiting_on])
        op.record(EventType.STATUS_CHANGED, reason=reason)
    return op.esc


def resume(escalation, *, actor, now, expected_version=None):
    with mutate(escalation, actor=actor, now=now, perm=Perm.WORK, name="resume",
                expected_version=expected_version) as op:
        op.move("resume")
        op.record(EventType.STATUS_CHANGED)
    return op.esc


def resolve(escalation, *, actor, now, summary: str, resolution_code: str, root_cause_category: str = "",
            compensation_amount=None, compensation_currency: str = "", expected_version=None):
    summary = text(summary, "summary", max_length=5000)
    choice(resolution_code, ResolutionCode, "resolution_code")
    if root_cause_category:
        choice(root_cause_category, RootCauseCategory, "root_cause_category")
    amount, currency = money(compensation_amount, compensation_currency)
    with mutate(escalation, actor=actor, now=now, perm=Perm.RESOLVE, name="resolve",
                expected_version=expected_version) as op:
        op.move("resolve")

        check_approved(op.esc, amount=amount, currency=currency, resolution_code=resolution_code)
        if "root_cause" in (op.esc.routing_requires or ()) and not root_cause_category:
            raise InvalidInput(f"matrix rule {op.esc.routing_rule!r} requires a root cause category",
                               code="required_by_matrix", fields={"root_cause_category": "required"})
        op.set("resolution_summary", summary)
        op.set("resolution_code", resolution_code)
        op.set("root_cause_category", root_cause_category)
        op.set("compensation_amount", amount)
        op.set("compensation_currency", currency)
        op.set_plain("resolved_at", now)
        op.record(EventType.RESOLVED)
    return op.esc


def close(escalation, *, actor, now, expected_version=None):
    with mutate(escalation, actor=actor, now=now, perm=Perm.RESOLVE, name="close",
                expected_version=expected_version) as op:
        op.move("close")
        op.set_plain("closed_at", now)
        op.record(EventType.CLOSED)
    return op.esc


def reopen(escalation, *, actor, now, reason: str, expected_version=None):
    reason = text(reason, "reason", max_length=2000)
    with mutate(escalation, actor=actor, now=now, perm=Perm.RESOLVE, name="reopen",
                expected_version=expected_version) as op:
        op.move("reopen")
        op.set_plain("resolved_at", None)
        op.set_plain("reopen_count", op.esc.reopen_count + 1)
        op.record(EventType.REOPENED, reason=reason)
    return op.esc


def cancel(escalation, *, actor, now, reason: str, expected_version=None):
    reason = text(reason, "reason", max_length=2000)
    with mutate(escalation, actor=actor, now=now, perm=Perm.RESOLVE, name="cancel",
                expected_version=expected_version) as op:
        op.move("cancel")
        op.set_plain("closed_at", now)
        op.set_plain("next_deadline", None)
        op.record(EventType.CANCELLED, reason=reason)
    return op.esc

