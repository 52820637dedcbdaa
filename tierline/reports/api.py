"""Reports API: contact volume import (the escalation rate's denominator) and the KPI figures."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema
from ninja import Status as Reply
from pydantic import ConfigDict, Field

from tierline.accounts.permissions import Perm
from tierline.core.errors import InvalidInput, NotFound
from tierline.core.inputs import Day, Id
from tierline.escalations.choices import Channel, EscalationType
from tierline.kit import ERRORS
from tierline.reports import services
from tierline.tenancy import scoping
from tierline.tenancy.choices import CustomerTier
from tierline.tenancy.models import Tenant

router = Router(tags=["reports"])
MAX_ROWS = 10_000


class Strict(Schema):
    model_config = ConfigDict(extra="forbid")


class ContactRow(Strict):
    date: Day
    channel: Channel
    count: int = Field(ge=0, le=100_000_000)


class ContactsIn(Strict):
    rows: list[ContactRow] = Field(min_length=1, max_length=MAX_ROWS)


class ContactsOut(Schema):
    rows: int
    created: int
    updated: int


class KpiQuery(Schema):
    start: Day = Field(description="first day, in the tenant's time zone")
    end: Day = Field(description="last day, included")
    type: EscalationType | None = None
    level: int | None = Field(default=None, ge=1, le=5)
    team: Id | None = None
    agent: Id | None = None
    tier: CustomerTier | None = None
    channel: Channel | None = None
    grain: str = Field(default="week", pattern="^(day|week|month)$")


def _tenant(request: HttpRequest, code: str, perm: Perm) -> Tenant:
    tenant = scoping.tenants(request.actor).filter(code=code).first()
    if tenant is None:
        raise NotFound("tenant not found", fields={"tenant": "not found"})
    scoping.check(request.actor, perm, tenant.pk)
    return tenant


@router.post("/tenants/{code}/contacts", response={200: ContactsOut, **ERRORS},
             summary="Import daily contact volumes (date, channel, count); a day and channel sent again is replaced")
def import_contacts(request: HttpRequest, code: str, payload: ContactsIn):
    tenant = _tenant(request, code, Perm.CONFIGURE)
    rows = [{"date": r.date.isoformat(), "channel": r.channel.value, "count": str(r.count)} for r in payload.rows]
    return Reply(200, services.import_contacts(tenant.pk, rows))


@router.get("/tenants/{code}/kpis", response={200: dict[str, Any], **ERRORS},
            summary="Every KPI for a period and filter (definitions: docs/metrics.md)")
def kpis(request: HttpRequest, code: str, q: Query[KpiQuery]):
    import zoneinfo

    tenant = _tenant(request, code, Perm.REPORTS)
    if q.end < q.start:
        raise InvalidInput("end is before start", fields={"end": "before start"})
    if (q.end - q.start).days > 731:
        raise InvalidInput("at most two years at a time", fields={"end": "range too long"})
    zone = zoneinfo.ZoneInfo(tenant.time_zone or "UTC")
    flt = services.ReportFilter(
        tenant_id=tenant.pk, start=dt.datetime.combine(q.start, dt.time(), zone),
        end=dt.datetime.combine(q.end + dt.timedelta(days=1), dt.time(), zone),
        type=q.type.value if q.type else None, level=q.level, team=q.team, agent=q.agent,
        tier=q.tier.value if q.tier else None, channel=q.channel.value if q.channel else None, grain=q.grain)
    result = services.report(flt, now=timezone.now())
    result["period"] = {"start": flt.start.isoformat(), "end": flt.end.isoformat()}
    result["top_repeat_customers"] = [{"customer": c, "escalations": n} for c, n in result["top_repeat_customers"]]
    result["time_per_level"] = {str(k): v for k, v in result["time_per_level"].items()}
    return Reply(200, result)


import tierline.reports.api_schedules  # noqa: E402,F401  (registers its endpoints on this router)
