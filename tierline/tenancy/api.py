"""Read endpoints for tenants, teams and customers (configuration is edited in the admin)."""

from django.http import HttpRequest
from ninja import Router, Schema

from tierline.core.inputs import Id
from tierline.privacy.masking import mask_for
from tierline.tenancy.models import Customer, Team
from tierline.tenancy.scoping import get_scoped, roles_of, scoped, tenants

router = Router(tags=["tenancy"])


class TenantOut(Schema):
    id: int
    code: str
    name: str
    time_zone: str
    role: str


class TeamOut(Schema):
    id: int
    tenant: str
    name: str
    level: int
    function: str
    parent_id: int | None


class CustomerOut(Schema):
    id: int
    tenant: str
    name: str
    email: str
    account_id: str
    tier: str
    language: str


def _team(t: Team) -> dict:
    return {"id": t.pk, "tenant": t.tenant.code, "name": t.name, "level": t.level, "function": t.function,
            "parent_id": t.parent_id}


def _customer(c: Customer, actor) -> dict:
    shown = mask_for(actor, c.tenant_id).customer(c)
    return {"id": c.pk, "tenant": c.tenant.code, "name": shown["name"], "email": shown["email"],
            "account_id": shown["account_id"], "tier": c.tier, "language": c.language}


@router.get("/tenants", response=list[TenantOut])
def list_tenants(request: HttpRequest):
    roles = roles_of(request.actor.user)
    return [{"id": t.pk, "code": t.code, "name": t.name, "time_zone": t.time_zone, "role": roles[t.pk]}
            for t in tenants(request.actor)]


@router.get("/teams", response=list[TeamOut])
def list_teams(request: HttpRequest, tenant: str | None = None):
    qs = scoped(Team.objects.select_related("tenant"), request.actor)
    if tenant:
        qs = qs.filter(tenant__code=tenant)
    return [_team(t) for t in qs.order_by("tenant__code", "level", "name")]


@router.get("/teams/{team_id}", response=TeamOut)
def get_team(request: HttpRequest, team_id: Id):
    return _team(get_scoped(Team.objects.select_related("tenant"), request.actor, pk=team_id))


@router.get("/customers", response=list[CustomerOut])
def list_customers(request: HttpRequest, tenant: str | None = None, q: str | None = None, limit: int = 50):
    qs = scoped(Customer.objects.select_related("tenant"), request.actor)
    if tenant:
        qs = qs.filter(tenant__code=tenant)
    if q:
        qs = qs.filter(name__icontains=q[:100])
    return [_customer(c, request.actor) for c in qs.order_by("name", "pk")[: max(1, min(limit, 200))]]


@router.get("/customers/{customer_id}", response=CustomerOut)
def get_customer(request: HttpRequest, customer_id: Id):
    return _customer(get_scoped(Customer.objects.select_related("tenant"), request.actor, pk=customer_id), request.actor)
