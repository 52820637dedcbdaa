"""Matrix endpoints: versions, YAML import/export, publish, and the dry run."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Router, Schema
from ninja import Status as Reply
from pydantic import AwareDatetime, ConfigDict, Field

from tierline.core.inputs import Id, Moment
from tierline.escalations.choices import Channel, EscalationType, Priority
from tierline.kit import ERRORS, scoped_customer, scoped_team
from tierline.routing import services
from tierline.routing.models import MatrixVersion
from tierline.tenancy.choices import CustomerTier
from tierline.tenancy.models import Tenant
from tierline.tenancy.scoping import get_tenant

router = Router(tags=["routing"])


class Strict(Schema):
    model_config = ConfigDict(extra="forbid")


class DraftIn(Strict):
    yaml: str = Field(min_length=1, max_length=1_000_000, description="the matrix as YAML (see docs/routing.md)")
    note: str = Field(default="", max_length=300)


class PublishIn(Strict):
    effective_from: Moment | None = Field(default=None, description="default: now")


class DryRunIn(Strict):
    type: EscalationType
    priority: Priority
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=20000)
    channel: Channel
    customer: Id | None = None
    customer_tier: CustomerTier | None = None
    custom_fields: dict[str, Any] = Field(default_factory=dict)
    team: Id | None = Field(default=None, description="a team chosen by hand (the matrix may still override)")


class VersionOut(Schema):
    number: int
    state: str
    note: str
    effective_from: AwareDatetime | None
    created_at: AwareDatetime
    published_at: AwareDatetime | None
    rules: int


class WarningOut(Schema):
    code: str
    rules: list[str]
    message: str


class DraftOut(Schema):
    version: VersionOut
    warnings: list[WarningOut]


class MatrixOut(Schema):
    in_force: int | None
    versions: list[VersionOut]


class DryRunOut(Schema):
    matrix_version: int | None
    rule: str | None
    trigger: str
    reasons: list[str]
    near_misses: list[dict[str, Any]]
    team: dict[str, Any] | None
    team_level: int | None
    level: int | None
    priority: str
    sla_policy: dict[str, Any] | None
    sla_policy_note: str
    notify_users: list[int]
    require: list[str]
    owner_id: int | None
    assignment: dict[str, Any]


def _tenant(request: HttpRequest, code: str) -> Tenant:
    return get_tenant(request.actor, code)


@router.get("/tenants/{code}/matrix", response={200: MatrixOut, **ERRORS}, summary="Matrix versions of a tenant")
def matrix_versions(request: HttpRequest, code: str):
    tenant = _tenant(request, code)
    in_force = services.version_in_force(tenant.pk, timezone.now())
    versions = MatrixVersion.objects.filter(tenant=tenant).order_by("-number")[:200]
    return Reply(200, {"in_force": in_force.number if in_force else None,
                       "versions": [services.version_dict(v) for v in versions]})


@router.get("/tenants/{code}/matrix/export", response={**ERRORS}, summary="The matrix as YAML",
            openapi_extra={"responses": {200: {"content": {"application/yaml": {}}}}})
def matrix_export(request: HttpRequest, code: str, version: Id | None = None):
    tenant = _tenant(request, code)
    text = services.export_yaml(tenant, version, actor=request.actor, now=timezone.now())
    return HttpResponse(text, content_type="application/yaml; charset=utf-8")


@router.post("/tenants/{code}/matrix/drafts", response={201: DraftOut, **ERRORS},
             summary="Import a YAML matrix as a new draft (validated; warnings returned)")
def matrix_import(request: HttpRequest, code: str, payload: DraftIn):
    tenant = _tenant(request, code)
    version, warnings = services.import_draft(tenant, payload.yaml, actor=request.actor, now=timezone.now(),
                                              note=payload.note)
    return Reply(201, {"version": services.version_dict(version), "warnings": warnings})


@router.post("/tenants/{code}/matrix/versions/{number}/publish", response={200: VersionOut, **ERRORS},
             summary="Publish a draft (now or from a later time)")
def matrix_publish(request: HttpRequest, code: str, number: Id, payload: PublishIn):
    tenant = _tenant(request, code)
    version = services.publish(tenant, number, actor=request.actor, now=timezone.now(),
                               effective_from=payload.effective_from)
    return Reply(200, services.version_dict(version))


@router.post("/tenants/{code}/matrix/dry-run", response={200: DryRunOut, **ERRORS},
             summary="Where would this escalation go, and why?")
def matrix_dry_run(request: HttpRequest, code: str, payload: DryRunIn):
    tenant = _tenant(request, code)
    customer = scoped_customer(request.actor, payload.customer)
    if customer is not None and customer.tenant_id != tenant.pk:
        customer = scoped_customer(request.actor, -1)  # another tenant's customer: not found
    team = scoped_team(request.actor, payload.team)
    if team is not None and team.tenant_id != tenant.pk:
        team = scoped_team(request.actor, -1)
    return Reply(200, services.dry_run(
        tenant, actor=request.actor, now=timezone.now(), type=payload.type, priority=payload.priority,
        title=payload.title, description=payload.description, customer=customer,
        customer_tier=payload.customer_tier, channel=payload.channel, custom_fields=payload.custom_fields,
        team=team))
