"""Several teams on one escalation, and the customer asking to escalate.

Collaborating teams (cross-department) each acknowledge their part. A client-initiated request
goes to the supervisors of the current team, who must acknowledge it before its own deadline;
the worker reports requests nobody acknowledged in time (`client_request_tick`).
"""

from __future__ import annotations

import datetime as dt

from tierline.accounts.permissions import Perm
from tierline.actions._base import mutate
from tierline.actions.fields import same_tenant
from tierline.actions.routing import escalate_in
from tierline.audit.event_types import EventType
from tierline.core.actors import Actor
from tierline.core.checks import text
from tierline.core.errors import DomainError, IllegalTransition, InvalidInput, NotFound, PermissionDenied
from tierline.escalations.models import ClientRequest, Collaboration
from tierline.routing.decide import settings_for
from tierline.tenancy import scoping
from tierline.tenancy.models import Team, TeamMember

SUPERVISING_ROLES = ("supervisor", "manager", "executive", "admin")
SOURCES = ("status_page", "email", "api", "phone", "chat")


class RateLimited(DomainError):
    http_status = 429
    code = "rate_limited"


def _leads(team: Team | None) -> list[int]:
    while team is not None:  # a team without a lead hands the alert up its chain
        leads = list(TeamMember.objects.filter(team=team, is_lead=True).values_list("user_id", flat=True))
        if leads:
            return sorted(leads)
        team = team.parent
    return []


def add_collaborator(escalation, team: Team, *, actor, now, reason: str, expected_version=None):
    reason = text(reason, "reason", max_length=2000)
    with mutate(escalation, actor=actor, now=now, perm=Perm.ESCALATE, name="add_collaborator",
                expected_version=expected_version) as op:
        op.require_open("add a team to")
        same_tenant(team, op.esc.tenant_id, "team")
        if team.pk == op.esc.team_id:
            raise InvalidInput("that team already owns the escalation", fields={"team": "owning team"})
        if Collaboration.objects.filter(escalation=op.esc, team=team).exists():
            raise InvalidInput(f"{team.name} already collaborates on it", fields={"team": "already collaborating"})
        Collaboration(tenant_id=op.esc.tenant_id, escalation=op.esc, team=team, reason=reason, added_at=now).save()
        op.record(EventType.COLLABORATOR_ADDED, team=team.pk, team_name=team.name, reason=reason,
                  notify_users=_leads(team))
    return op.esc


def acknowledge_collaboration(escalation, team: Team, *, actor, now, expected_version=None):
    with mutate(escalation, actor=actor, now=now, perm=Perm.WORK, name="acknowledge_collaboration",
                expected_version=expected_version) as op:
        collab = Collaboration.objects.filter(escalation=op.esc, team_id=getattr(team, "pk", team)).first()
        if collab is None:
            raise NotFound("that team does not collaborate on this escalation", fields={"team": "not collaborating"})
        if collab.acknowledged_at is not None:
            raise IllegalTransition(f"{collab.team.name} acknowledged already", code="already_acknowledged")
        user = actor.user
        in_team = user is not None and TeamMember.objects.filter(team=collab.team, user=user).exists()
        role = scoping.roles_of(user).get(op.esc.tenant_id) if user is not None else None
        if not in_team and role not in SUPERVISING_ROLES:
            raise PermissionDenied(f"only members of {collab.team.name} or a supervisor can acknowledge for it")
        collab.acknowledged_at, collab.acknowledged_by = now, user
        collab.save(update_fields=["acknowledged_at", "acknowledged_by"])
        op.record(EventType.COLLABORATION_ACKNOWLEDGED, team=collab.team_id, team_name=collab.team.name)
    return op.esc


def request_client_escalation(escalation, *, actor, now, reason: str, source: str, expected_version=None):
    """The customer asks to escalate: themselves (status page, email keyword) or through staff who
    record it (API, Perm.WORK). `source` is the channel the call came through, set by that
    channel's code and never by the caller. View-only roles (client viewers, compliance) write
    nothing, this included."""

    reason = text(reason, "reason", max_length=2000)
    if source not in SOURCES:
        raise InvalidInput(f"source must be one of {', '.join(SOURCES)}", fields={"source": "invalid choice"})
    with mutate(escalation, actor=actor, now=now, perm=Perm.VIEW, name="request_client_escalation",
                expected_version=expected_version) as op:
        if actor.kind == "customer":
            if actor.customer is None or actor.customer.pk != op.esc.customer_id:
                raise NotFound("escalation not found")  # another customer's case: as if it did not exist
        elif actor.kind != "system":
            # mutate() checked VIEW, which customers hold; people need WORK to write the request.
            scoping.check(actor, Perm.WORK, op.esc.tenant_id)
        op.require_open("ask to escalate")
        conf = settings_for(op.esc.tenant_id)
        period = dt.timedelta(hours=conf.client_request_period_hours)
        last = ClientRequest.objects.filter(escalation=op.esc).order_by("-requested_at").first()
        if last is not None and (last.acknowledged_at is None or last.requested_at > now - period):
            again = max(last.requested_at + period, now)
            raise RateLimited(
                "an escalation request for this case is already open" if last.acknowledged_at is None
                else f"this case was escalated on request recently; you can ask again after {again:%Y-%m-%d %H:%M} UTC",
                fields={"retry_after": again.isoformat()})
        due = now + dt.timedelta(minutes=conf.client_request_ack_minutes)
        request = ClientRequest(tenant_id=op.esc.tenant_id, escalation=op.esc, reason=reason, source=source,
                                requested_at=now, team=op.esc.team, ack_due_at=due)
        request.save()
        op.record(EventType.CLIENT_ESCALATION_REQUESTED, request=request.pk, trigger="client_initiated",
                  reason=reason, source=source, ack_due_at=due.isoformat(), notify_users=_leads(op.esc.team))
    return op.esc


def acknowledge_client_request(escalation, *, actor, now, note: str = "", escalate_to: Team | None = None,
                               escalate: bool = False, expected_version=None):
    """A supervisor takes the customer's request; optionally escalates at once (trigger client_initiated)."""

    note = text(note, "note", required=False, max_length=2000)
    with mutate(escalation, actor=actor, now=now, perm=Perm.ASSIGN, name="acknowledge_client_request",
                expected_version=expected_version) as op:
        role = scoping.roles_of(actor.user).get(op.esc.tenant_id) if actor.user is not None else None
        if actor.kind != "system" and role not in SUPERVISING_ROLES:
            raise PermissionDenied("a supervisor acknowledges client escalation requests")
        request = (ClientRequest.objects.filter(escalation=op.esc, acknowledged_at__isnull=True)
                   .order_by("requested_at").first())
        if request is None:
            raise IllegalTransition("no client escalation request is waiting", code="nothing_waiting")
        request.acknowledged_at, request.acknowledged_by = now, actor.user
        request.save(update_fields=["acknowledged_at", "acknowledged_by"])
        op.record(EventType.CLIENT_REQUEST_ACKNOWLEDGED, request=request.pk, note=note,
                  late=now > request.ack_due_at)
        if escalate or escalate_to is not None:
            escalate_in(op, reason=f"customer asked: {request.reason}", trigger="client_initiated",
                        team=escalate_to)
    return op.esc


def client_request_tick(request_id: int, *, now) -> bool:
    """Worker: a request nobody acknowledged in time is reported, once, to the next level up."""
    request = ClientRequest.objects.filter(pk=request_id).select_related("team").first()
    if request is None:
        return False
    actor = Actor.system("client-request-timer")
    with mutate(request.escalation_id, actor=actor, now=now, perm=Perm.VIEW, name="client_request_tick") as op:
        request = ClientRequest.objects.select_related("team").get(pk=request_id)
        if request.acknowledged_at is not None or request.overdue_at is not None or request.ack_due_at > now:
            return False
        request.overdue_at = now
        request.save(update_fields=["overdue_at"])
        op.record(EventType.CLIENT_REQUEST_OVERDUE, request=request.pk, ack_due_at=request.ack_due_at.isoformat(),
                  notify_users=sorted(set(_leads(request.team)) | set(_leads(request.team.parent))))
    return True
