"""Compliance endpoints: an escalation's audit trail (Perm.READ_AUDIT) and a CSV export of a
tenant's escalations (Perm.EXPORT). Both read through tenant scoping like every other read."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema
from ninja import Status as Reply
from pydantic import AwareDatetime

from tierline.accounts.permissions import Perm
from tierline.audit.event_types import EventType
from tierline.audit.models import Event
from tierline.core.errors import NotFound
from tierline.core.spreadsheet import csv_text
from tierline.escalations.models import Escalation
from tierline.kit import ERRORS
from tierline.tenancy.models import Tenant
from tierline.tenancy.scoping import check, get_scoped, tenants

router = Router(tags=["compliance"])

EXPORT_COLUMNS = ("reference", "title", "type", "priority", "status", "level", "team", "owner", "channel",
                  "created_at", "updated_at", "resolved_at", "closed_at")
EXPORT_MAX_ROWS = 50_000


class TrailEvent(Schema):
    seq: int
    type: str
    occurred_at: AwareDatetime
    actor_kind: str
    actor_label: str
    data: dict
    prev_hash: str
    hash: str


class TrailOut(Schema):
    reference: str
    events: list[TrailEvent]


def _type_name(code: int) -> str:
    try:
        return EventType(code).name.lower()
    except ValueError:
        return str(code)


@router.get("/escalations/{reference}/audit-trail", response={200: TrailOut, **ERRORS},
            summary="The escalation's hash-chained events (compliance, managers, admins)")
def audit_trail(request: HttpRequest, reference: str):
    esc = get_scoped(Escalation.objects.all(), request.actor, reference=reference)
    check(request.actor, Perm.READ_AUDIT, esc.tenant_id)
    events = Event.objects.filter(escalation=esc).order_by("seq")
    return Reply(200, {"reference": esc.reference, "events": [
        {"seq": e.seq, "type": _type_name(e.type), "occurred_at": e.occurred_at, "actor_kind": e.actor_kind,
         "actor_label": e.actor_label, "data": e.data, "prev_hash": e.prev_hash, "hash": e.hash} for e in events]})


@router.get("/tenants/{code}/export.csv", response={**ERRORS}, summary="Every escalation of a tenant as CSV",
            openapi_extra={"responses": {200: {"description": "CSV", "content": {"text/csv": {}}}}})
def export_csv(request: HttpRequest, code: str):
    tenant = _tenant(request, code)
    check(request.actor, Perm.EXPORT, tenant.pk)
    rows = (Escalation.objects.filter(tenant=tenant).select_related("team", "owner")
            .order_by("created_at", "pk")[:EXPORT_MAX_ROWS])
    text = csv_text(EXPORT_COLUMNS, ([
        e.reference, e.title, e.type, e.priority, e.status, e.level, e.team.name if e.team else "",
        e.owner.username if e.owner else "", e.channel, e.created_at, e.updated_at, e.resolved_at, e.closed_at]
        for e in rows))
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{tenant.code}-escalations.csv"'
    return response


def _tenant(request, code: str) -> Tenant:
    tenant = tenants(request.actor).filter(code=code).first()
    if tenant is None:
        raise NotFound("tenant not found")
    return tenant

