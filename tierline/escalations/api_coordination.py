"""Endpoints for cross-team work, client-initiated escalation and approvals (one per action)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from tierline import actions
from tierline.core.inputs import Id
from tierline.escalations.api import register_action
from tierline.kit import Versioned, scoped_team


class CollaboratorIn(Versioned):
    team: Id
    reason: str = Field(min_length=1, max_length=2000)


class TeamIn(Versioned):
    team: Id


class ClientRequestIn(Versioned):
    # No `source`: a request made here came through the API, whatever the caller would say
    # (Strict refuses the field with a 422).
    reason: str = Field(min_length=1, max_length=2000)


class ClientAckIn(Versioned):
    note: str = Field(default="", max_length=2000)
    escalate: bool = Field(default=False, description="escalate one level up at once (trigger client_initiated)")
    team: Id | None = Field(default=None, description="or escalate to this team")


class ApprovalIn(Versioned):
    kind: Literal["compensation", "policy_exception"]
    reason: str = Field(min_length=1, max_length=2000)
    amount: str | None = Field(default=None, max_length=20)
    currency: str = Field(default="", max_length=3)


class DecisionIn(Versioned):
    approval: Id
    note: str = Field(default="", max_length=2000)


def register_endpoints() -> None:
    """Add these actions to the escalations router; tierline/api.py calls it once, explicitly."""
    register_action("collaborators", CollaboratorIn, "Bring another team in (cross-department)",
              lambda r, e, b, kw: actions.add_collaborator(e, scoped_team(r.actor, b.team), reason=b.reason, **kw))
    register_action("collaborators-acknowledge", TeamIn, "Acknowledge a collaborating team's part",
              lambda r, e, b, kw: actions.acknowledge_collaboration(e, scoped_team(r.actor, b.team), **kw))
    register_action("client-escalation", ClientRequestIn, "The customer asks to escalate (client-initiated)",
              lambda r, e, b, kw: actions.request_client_escalation(e, reason=b.reason, source="api", **kw))
    register_action("client-escalation-acknowledge", ClientAckIn, "Supervisor acknowledges the customer's request",
              lambda r, e, b, kw: actions.acknowledge_client_request(
                  e, note=b.note, escalate=b.escalate, escalate_to=scoped_team(r.actor, b.team), **kw))
    register_action("approvals", ApprovalIn, "Request a compensation or policy-exception approval",
              lambda r, e, b, kw: actions.request_approval(e, kind=b.kind, reason=b.reason, amount=b.amount,
                                                           currency=b.currency, **kw)[0])
    register_action("approvals-approve", DecisionIn, "Approve (manager)",
              lambda r, e, b, kw: actions.decide_approval(e, b.approval, approve=True, note=b.note, **kw)[0])
    register_action("approvals-reject", DecisionIn, "Reject (manager; a note is required)",
              lambda r, e, b, kw: actions.decide_approval(e, b.approval, approve=False, note=b.note, **kw)[0])
