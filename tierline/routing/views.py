"""Agent guidance and the matrix page: what the escalation matrix says, shown before submitting."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone

from tierline.accounts.models import User
from tierline.accounts.permissions import Perm, role_allows
from tierline.core.errors import DomainError
from tierline.core.inputs import parse_id
from tierline.escalations.views import escalation_or_404
from tierline.kit import actor_of, tenants_of, ui_view
from tierline.learning import routing_models as learned_routing
from tierline.routing import services
from tierline.routing.decide import version_in_force
from tierline.routing.matrix import matrix_from_dict
from tierline.routing.models import MatrixVersion
from tierline.tenancy.models import Customer, Team
from tierline.tenancy.scoping import roles_of, scoped


def _guidance(request, tenant, *, type, priority, title, description, customer, channel, team=None,
              quiet_no_route=False, next_up=None):
    try:
        result = services.dry_run(tenant, actor=actor_of(request), now=timezone.now(), type=type, priority=priority,
                                  title=title or "(no title yet)", description=description, customer=customer,
                                  channel=channel, team=team)
        error = None
    except DomainError as exc:
        result, error = None, exc.message
        if quiet_no_route and exc.code == "no_route":
            error = None  # escalating by hand is normal without a matrix: the next-level line says where

    owner = None
    if result and result["owner_id"]:

        owner = User.objects.filter(pk=result["owner_id"]).first()
    learned = learned_routing.suggest(tenant.pk, title=title or "", description=description or "", type=type,
                                      priority=priority, channel=channel,
                                      customer_tier=customer.tier if customer else None)
    return render(request, "routing/_guidance.html", {"g": result, "error": error, "owner": owner,
                                                      "next_up": next_up, "learned": learned,
                                                      "learned_threshold": learned_routing.threshold(tenant.pk)})


@ui_view
def create_guidance(request):
    """The create form posts itself here on every change (htmx): where would this go, and why?"""
    data = request.POST if request.method == "POST" else request.GET
    tenants = {t.code: t for t in tenants_of(request.user, Perm.CREATE)}
    if not tenants:
        return render(request, "routing/_guidance.html", {"error": "Your role does not allow creating escalations."},
                      status=403)
    tenant = tenants.get(data.get("tenant", "")) or (next(iter(tenants.values())) if len(tenants) == 1 else None)
    if tenant is None:
        return render(request, "routing/_guidance.html", {"error": "Choose the client first."})
    customer = None
    if customer_id := parse_id(data.get("customer") or ""):
        customer = scoped(Customer.objects.filter(tenant=tenant), actor_of(request)).filter(pk=customer_id).first()
    team = None
    if team_id := parse_id(data.get("team") or ""):
        team = scoped(Team.objects.filter(tenant=tenant), actor_of(request)).filter(pk=team_id).first()
    return _guidance(request, tenant, type=data.get("type") or "technical", priority=data.get("priority") or "P3",
                     title=data.get("title", "")[:200], description=data.get("description", "")[:20000],
                     customer=customer, channel=data.get("channel") or "phone", team=team)


@ui_view
def escalate_guidance(request, reference: str):
    """The escalate panel's guidance on its own (the detail page renders it inline)."""
    esc = escalation_or_404(request, reference)
    if not role_allows(roles_of(request.user).get(esc.tenant_id, ""), Perm.ESCALATE):
        return render(request, "routing/_guidance.html", {"error": "Your role does not allow escalating."}, status=403)
    return render(request, "routing/_guidance.html", services.escalate_guidance_context(esc, now=timezone.now()))


@ui_view
def matrix_home(request):
    tenants = tenants_of(request.user)
    if not tenants:
        raise Http404("you work for no client")
    return redirect("routing-matrix", code=tenants[0].code)


@ui_view
def matrix_page(request, code: str):
    tenants = {t.code: t for t in tenants_of(request.user)}
    tenant = tenants.get(code)
    if tenant is None:
        raise Http404("no such client")
    now = timezone.now()
    version = version_in_force(tenant.pk, now)
    rules = matrix_from_dict(version.spec).rules if version else ()
    versions = MatrixVersion.objects.filter(tenant=tenant).order_by("-number")[:20]
    return render(request, "routing/matrix.html", {"tenant": tenant, "version": version, "rules": rules,
                                                   "versions": versions, "tenants": tenants.values()})
