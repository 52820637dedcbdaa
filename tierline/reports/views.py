"""Report pages: the KPI report, the supervisor and management dashboards, their downloads, and
escalation list exports. Login required; every tenant lookup goes through scoping.check."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.text import slugify

from tierline.accounts.models import User
from tierline.accounts.permissions import Perm
from tierline.core.actors import Actor
from tierline.core.errors import NotFound, PermissionDenied
from tierline.core.inputs import parse_id
from tierline.escalations import forms as esc_forms
from tierline.escalations import queries
from tierline.escalations.views_lists import list_queryset
from tierline.kit import tenants_of, ui_view
from tierline.privacy.masking import customer_names, mask_for
from tierline.reports import dashboards, exports, services
from tierline.reports.charts import report_charts
from tierline.reports.forms import ReportForm
from tierline.tenancy import scoping
from tierline.tenancy.models import Membership, Team, Tenant

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXPORT_LIMIT = 50_000


def tenant_for(request, code: str, perm: Perm = Perm.REPORTS) -> Tenant:
    """The tenant by code if the user may `perm` there: another tenant is 404, a lower role 403."""
    tenant = scoping.tenants(Actor.for_user(request.user)).filter(code=code).first()
    if tenant is None:
        raise Http404("no such tenant")
    try:
        scoping.check(Actor.for_user(request.user), perm, tenant.pk)
    except NotFound:
        raise Http404("no such tenant")
    except PermissionDenied as exc:
        raise _Forbidden(str(exc))
    return tenant


class _Forbidden(Exception):
    pass


def guarded(view):
    @ui_view
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except _Forbidden as exc:
            return render(request, "reports/forbidden.html", {"reason": str(exc)}, status=403)

    wrapper.__name__ = view.__name__
    return wrapper


def download(content, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _zone(tenant):
    try:
        return zoneinfo.ZoneInfo(tenant.time_zone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.UTC


@ui_view
def index(request):
    tenants = tenants_of(request.user, Perm.REPORTS)
    if not tenants:
        return render(request, "reports/forbidden.html", {"reason": "your role may not see reports"}, status=403)
    if len(tenants) == 1:
        return redirect("reports:management", code=tenants[0].code)
    return render(request, "reports/index.html", {"tenants": tenants})


def _filter_from(request, tenant) -> tuple[ReportForm, services.ReportFilter]:
    teams = Team.objects.filter(tenant=tenant).order_by("level", "name")
    agents = User.objects.filter(pk__in=Membership.objects.filter(tenant=tenant).values("user_id")).order_by("username")
    form = ReportForm(request.GET or None, teams=teams, agents=agents)
    data = form.cleaned_data if form.is_valid() else {}
    zone = _zone(tenant)
    today = timezone.now().astimezone(zone).date()
    end_day = data.get("end") or today
    start_day = data.get("start") or end_day - dt.timedelta(days=29)
    flt = services.ReportFilter(
        tenant_id=tenant.pk,
        start=dt.datetime.combine(start_day, dt.time(), zone),
        end=dt.datetime.combine(end_day + dt.timedelta(days=1), dt.time(), zone),
        type=data.get("type") or None, level=data.get("level"), team=data.get("team"), agent=data.get("agent"),
        tier=data.get("tier") or None, channel=data.get("channel") or None, grain=data.get("grain") or "week")
    return form, flt


def _names(request, tenant) -> dict:
    return customer_names(Actor.for_user(request.user), tenant.pk)


@guarded
def kpi_report(request, code):
    tenant = tenant_for(request, code)
    form, flt = _filter_from(request, tenant)
    now = timezone.now()
    result = services.report(flt, now=now)
    rows = exports.figure_rows(result, _names(request, tenant))
    charts = report_charts(result, flt.grain)
    period = f"{flt.start:%Y-%m-%d} to {(flt.end - dt.timedelta(days=1)):%Y-%m-%d}"
    stem = f"{tenant.code}-report-{flt.start:%Y%m%d}-{flt.end:%Y%m%d}"
    fmt = request.GET.get("format")
    if fmt == "csv":
        return download(exports.report_csv(rows), f"{stem}.csv", "text/csv")
    if fmt == "xlsx":
        return download(exports.report_xlsx(f"{tenant.name}: {period}", rows, charts), f"{stem}.xlsx", XLSX)
    if fmt == "pdf":
        pdf = exports.report_pdf(tenant_name=tenant.name, period_label=period, rows=rows, charts=charts,
                                 generated_at=now)
        return download(pdf, f"{stem}.pdf", "application/pdf")
    for chart in charts:
        if request.GET.get("chart") == chart.slug:
            return download(chart.csv(), f"{stem}-{chart.slug}.csv", "text/csv")
    params = request.GET.copy()
    params.pop("format", None)
    return render(request, "reports/report.html", {
        "tenant": tenant, "form": form, "rows": rows, "charts": [(c, c.svg()) for c in charts], "period": period,
        "qs": params.urlencode(), "result": result})


@guarded
def supervisor(request, code):
    tenant = tenant_for(request, code)
    now = timezone.now()
    data = dashboards.supervisor(tenant.pk, now)
    chart = data["by_level"]
    if request.GET.get("chart") == chart.slug:
        return download(chart.csv(), f"{tenant.code}-{chart.slug}.csv", "text/csv")
    if request.GET.get("format") == "xlsx":
        rows = [("Open escalations", str(data["open_total"])), ("Breaching now", str(data["breaching_count"])),
                ("At risk (breach within the hour)", str(data["at_risk_count"])),
                ("Worker lag (s)", f"{data['sla_lag_seconds']:.0f}"), ("Outbox messages due", str(data["outbox_due"]))]
        rows += [(f"Open at team {name}", str(n)) for name, n in data["by_team"]]
        return download(exports.report_xlsx(f"{tenant.name}: live, {now:%Y-%m-%d %H:%M} UTC", rows, [chart]),
                        f"{tenant.code}-live-{now:%Y%m%d-%H%M}.xlsx", XLSX)
    return render(request, "reports/supervisor.html", {"tenant": tenant, "d": data, "chart": chart,
                                                       "svg": chart.svg(), "now": now})


@guarded
def management(request, code):
    tenant = tenant_for(request, code)
    grain = request.GET.get("grain") if request.GET.get("grain") in ("week", "month") else "week"
    now = timezone.now()
    dims = {k: request.GET.get(k) for k in ("type", "level", "team", "tier", "channel") if request.GET.get(k)}
    for k in ("level", "team"):
        if k in dims:
            dims[k] = parse_id(dims[k])
            if dims[k] is None:
                return HttpResponse(f"{k} must be a number", status=400, content_type="text/plain")
    data = dashboards.management(tenant.pk, now, grain=grain, count=12, dims=dims)
    charts = {c.slug: c for c in data["charts"]}
    wanted = request.GET.get("chart")
    if wanted:
        if wanted not in charts:
            raise Http404("no such chart")
        return download(charts[wanted].csv(), f"{tenant.code}-{slugify(wanted)}-{grain}.csv", "text/csv")
    if request.GET.get("format") == "xlsx":
        rows = [(k, str(v)) for k, v in data["totals"].items()]
        return download(exports.report_xlsx(f"{tenant.name}: last 12 {grain}s", rows, data["charts"]),
                        f"{tenant.code}-management-{grain}.xlsx", XLSX)
    return render(request, "reports/management.html", {
        "tenant": tenant, "grain": grain, "d": data,
        "charts": [(c, c.svg()) for c in data["charts"]], "teams": Team.objects.filter(tenant=tenant)})


@ui_view
def escalation_export(request, fmt):
    """The escalation list as CSV, XLSX or PDF: the rows the list shows for the same query string
    (tab and filters), in tenants the user may export."""
    if fmt not in ("csv", "xlsx", "pdf"):
        raise Http404("no such format")
    tenants = tenants_of(request.user, Perm.EXPORT)
    if not tenants:
        return render(request, "reports/forbidden.html", {"reason": "your role may not export escalations"},
                      status=403)
    form = esc_forms.FilterForm(request.GET, tenants=tenants)
    form.is_valid()
    actor = Actor.for_user(request.user)
    qs = (list_queryset(actor, request.user, form.cleaned_data).filter(tenant_id__in=[t.pk for t in tenants])
          .select_related(*queries.LIST_RELATED).order_by("-id"))
    limit = exports.PDF_LIMIT if fmt == "pdf" else EXPORT_LIMIT
    rows = exports.list_rows(qs[:limit], lambda tenant_id: mask_for(actor, tenant_id))
    now = timezone.now()
    stamp = now.strftime("%Y%m%d-%H%M")
    if fmt == "xlsx":
        return download(exports.list_xlsx(rows), f"escalations-{stamp}.xlsx", XLSX)
    if fmt == "pdf":
        total = qs.count() if len(rows) == limit else len(rows)
        return download(exports.list_pdf(rows, total=total, generated_at=now), f"escalations-{stamp}.pdf",
                        "application/pdf")
    return download(exports.list_csv(rows), f"escalations-{stamp}.csv", "text/csv")
