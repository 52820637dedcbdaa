"""Audit pages: an escalation's access log, its evidence bundle, the multi-escalation export."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from tierline.accounts.permissions import Perm
from tierline.audit import access, signing
from tierline.core.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from tierline.core.inputs import parse_day
from tierline.escalations.choices import Status
from tierline.escalations.models import Escalation
from tierline.escalations.views import escalation_or_404
from tierline.kit import actor_of, tenants_of, ui_view
from tierline.reports import evidence
from tierline.tenancy import scoping


def _zip(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@ui_view
def access_log_page(request, reference):
    esc = escalation_or_404(request, reference)
    try:
        rows = access.access_log(esc, actor_of(request), limit=2000)
    except PermissionDenied:
        raise DjangoPermissionDenied("your role may not read the audit trail")
    return render(request, "audit/access_log.html", {"esc": esc, "rows": rows})


@ui_view
def bundle_download(request, reference):
    esc = escalation_or_404(request, reference)
    try:
        data = evidence.bundle(esc, actor_of(request), timezone.now())
    except PermissionDenied:
        raise DjangoPermissionDenied("your role may not export evidence")
    return _zip(data, f"{esc.reference}-evidence.zip")


def _date(value: str, field: str) -> dt.datetime | None:
    if not value:
        return None
    try:
        return dt.datetime.combine(parse_day(value), dt.time(), tzinfo=timezone.get_current_timezone())
    except ValueError:
        raise InvalidInput(f"{field}: not a date", fields={field: "invalid"})


def _chosen(request, actor) -> list:
    refs = request.POST.get("references", "").replace(",", " ").split()
    if refs:
        return evidence.select(actor, refs)
    code = request.POST.get("tenant", "")
    if not code:
        raise InvalidInput("give references, or choose a client and filters", fields={"references": "required"})
    qs = scoping.scoped(Escalation.objects.filter(tenant__code=code), actor)
    if request.POST.get("status"):
        qs = qs.filter(status=request.POST["status"])
    after, before = _date(request.POST.get("created_after", ""), "created_after"), _date(
        request.POST.get("created_before", ""), "created_before")
    if after:
        qs = qs.filter(created_at__gte=after)
    if before:
        qs = qs.filter(created_at__lt=before + dt.timedelta(days=1))
    refs = list(qs.order_by("id").values_list("reference", flat=True)[:evidence.MAX_EXPORT + 1])
    if not refs:
        raise NotFound("no escalation matches these filters")
    return evidence.select(actor, refs)


@ui_view
def export_page(request):
    tenants = [t for t in tenants_of(request.user, Perm.READ_AUDIT) if t in tenants_of(request.user, Perm.EXPORT)]
    if not tenants:
        raise DjangoPermissionDenied("your role may not export evidence")
    ctx = {"tenants": tenants, "statuses": Status.choices, "key_id": signing.fingerprint(),
           **{k: request.POST.get(k, "") for k in ("references", "tenant", "status", "created_after", "created_before")}}
    if request.method == "POST":
        actor = actor_of(request)
        try:
            chosen = _chosen(request, actor)
            now = timezone.now()
            return _zip(evidence.export(chosen, actor, now), f"evidence-export-{now:%Y%m%d-%H%M%S}.zip")
        except NotFound as err:
            ctx["error"] = err.message
            return render(request, "audit/export.html", ctx, status=404)
        except DomainError as err:
            ctx["error"] = err.message
            return render(request, "audit/export.html", ctx, status=err.http_status)
    return render(request, "audit/export.html", ctx)

