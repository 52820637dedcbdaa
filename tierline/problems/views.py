"""Problem pages: list and open, one problem (status, owner, root cause, escalations, CAPA), and
the recurring-issues report with its chart and CSV. Reads via queries, writes via services/actions."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from tierline import actions
from tierline.accounts.models import User
from tierline.accounts.permissions import Perm, role_allows
from tierline.core.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from tierline.core.inputs import parse_day, parse_id
from tierline.escalations import queries as esc_queries
from tierline.escalations.models import Escalation
from tierline.kit import actor_of, tenants_of, ui_view
from tierline.problems import queries, services
from tierline.problems.models import CapaKind, CapaStatus, ProblemStatus
from tierline.tenancy import scoping


def _problem(request, pk):
    try:
        return queries.problem(actor_of(request), pk)
    except NotFound:
        raise Http404("no such problem")


def _int(value, field):
    if value in (None, ""):
        return None
    pk = parse_id(value)
    if pk is None:
        raise InvalidInput(f"{field} is not valid", fields={field: "invalid"})
    return pk


def _member(tenant_id, user_id):
    if user_id is None:
        return None
    user = User.objects.filter(pk=user_id, memberships__tenant_id=tenant_id).first()
    if user is None:
        raise NotFound("owner not found", fields={"owner": "not found"})
    return user


def _cause(request, pk):
    return None if pk is None else queries.root_cause(actor_of(request), pk)


@ui_view
def problem_list(request):
    actor = actor_of(request)
    tenants = tenants_of(request.user)
    error = None
    if request.method == "POST":
        try:
            tenant = next((t for t in tenants if t.code == request.POST.get("tenant")), None)
            if tenant is None:
                raise NotFound("client not found", fields={"tenant": "not found"})
            p = services.create_problem(tenant, actor=actor, now=timezone.now(), title=request.POST.get("title", ""),
                                        description=request.POST.get("description", ""), owner=request.user)
            messages.success(request, f"{p.reference} opened")
            return redirect("problems:detail", pk=p.pk)
        except PermissionDenied as err:
            raise DjangoPermissionDenied(err.message)
        except DomainError as err:
            error = err
    status = request.GET.get("status") or None
    rows = list(queries.problems(actor, status=status)[:200])
    can_open = [t for t in tenants if role_allows(scoping.roles_of(request.user).get(t.pk, ""), Perm.WORK)]
    return render(request, "problems/list.html", {"problems": rows, "statuses": ProblemStatus.choices,
                                                  "status": status or "", "tenants": can_open,
                                                  "error": error.message if error else None},
                  status=error.http_status if error else 200)


def _detail_ctx(request, p):
    role = scoping.roles_of(request.user).get(p.tenant_id, "")
    today = timezone.localdate()
    capa = queries.actions_of(p)
    return {"p": p, "escalations": queries.linked_escalations(p),
            "capa": [{"a": a, "overdue": a.is_overdue(today)} for a in capa],
            "can_edit": role_allows(role, Perm.WORK), "statuses": ProblemStatus.choices,
            "capa_kinds": CapaKind.choices, "capa_statuses": CapaStatus.choices,
            "causes": list(queries.root_causes(actor_of(request), p.tenant_id)),
            "members": User.objects.filter(memberships__tenant_id=p.tenant_id, is_active=True).order_by("username")}


@ui_view
def problem_detail(request, pk):
    return render(request, "problems/detail.html", _detail_ctx(request, _problem(request, pk)))


@ui_view
@require_POST
def problem_do(request, pk, what):
    p = _problem(request, pk)
    actor, now, post = actor_of(request), timezone.now(), request.POST
    try:
        if what == "update":
            services.update_problem(p, actor=actor, now=now, status=post.get("status", p.status),
                                    owner=_member(p.tenant_id, _int(post.get("owner"), "owner")),
                                    root_cause=_cause(request, _int(post.get("root_cause"), "root_cause")),
                                    workaround=post.get("workaround", p.workaround))
        elif what in ("link", "unlink"):
            esc = esc_queries.get_escalation(actor, (post.get("reference") or "").strip())
            call = actions.link_problem if what == "link" else actions.unlink_problem
            call(esc, p, actor=actor, now=now)
        elif what == "capa":
            due = post.get("due_date") or ""
            try:
                due_date = parse_day(due)
            except ValueError:
                raise InvalidInput("due date is required (YYYY-MM-DD)", fields={"due_date": "invalid"})
            services.add_action(p, actor=actor, now=now, kind=post.get("kind", ""), title=post.get("title", ""),
                                owner=_member(p.tenant_id, _int(post.get("owner"), "owner")), due_date=due_date)
        elif what == "capa-status":
            a = next((a for a in queries.actions_of(p) if a.pk == _int(post.get("action"), "action")), None)
            if a is None:
                raise NotFound("action not found")
            services.update_action(a, actor=actor, now=now, status=post.get("status", ""))
        else:
            raise Http404("no such action")
    except PermissionDenied as err:
        raise DjangoPermissionDenied(err.message)
    except DomainError as err:
        ctx = _detail_ctx(request, _problem(request, pk))
        ctx["error"] = err.message
        return render(request, "problems/detail.html", ctx, status=err.http_status)
    messages.success(request, "Saved")
    return redirect("problems:detail", pk=p.pk)


@ui_view
@require_POST
def escalation_root_cause(request, reference):
    actor = actor_of(request)
    try:
        esc = esc_queries.get_escalation(actor, reference)
    except NotFound:
        raise Http404("no such escalation")
    try:
        cause = _cause(request, _int(request.POST.get("root_cause"), "root_cause"))
        actions.assign_root_cause(esc, cause, actor=actor, now=timezone.now(),
                                  expected_version=_int(request.POST.get("version"), "version"))
    except PermissionDenied as err:
        raise DjangoPermissionDenied(err.message)
    except DomainError as err:
        messages.error(request, err.message)
        return redirect("escalations:detail", reference=esc.reference)
    messages.success(request, f"{esc.reference}: root cause {'set' if cause else 'cleared'}")
    return redirect("escalations:detail", reference=esc.reference)


# -- recurring issues -------------------------------------------------------------------------
def _report_params(request) -> tuple[object, dict]:
    tenants = tenants_of(request.user)
    if not tenants:
        raise DjangoPermissionDenied("no client to report on")
    code = request.GET.get("tenant") or tenants[0].code
    tenant = next((t for t in tenants if t.code == code), None)
    if tenant is None:
        raise Http404("no such client")
    g = request.GET
    try:
        until = parse_day(g["until"]) if g.get("until") else timezone.localdate() + dt.timedelta(days=1)
        since = parse_day(g["since"]) if g.get("since") else until - dt.timedelta(days=91)
        threshold = float(g.get("threshold") or 0.7)
        min_size = int(g.get("min_size") or 2)
        if not 1 <= min_size <= 1000:
            raise ValueError("min_size")
    except (ValueError, OverflowError):
        raise InvalidInput("since/until are dates, threshold a number, min_size a whole number")
    if not (0 < threshold < 1) or min_size < 1 or since >= until:
        raise InvalidInput("threshold between 0 and 1, min_size at least 1, since before until")
    period = g.get("period") if g.get("period") in ("week", "month") else "week"
    zone = timezone.get_current_timezone()
    params = _report_module().Params(tenant.pk, dt.datetime.combine(since, dt.time(), zone), dt.datetime.combine(until, dt.time(), zone),
                           period, threshold, min_size)
    return params, {"tenants": tenants, "tenant": tenant, "since": since, "until": until, "period": period,
                    "threshold": threshold, "min_size": min_size}


def _report(request):
    try:
        params, form = _report_params(request)
    except InvalidInput as err:
        return None, None, err.message
    return _report_module().build(params), form, None


@ui_view
def recurring_page(request):
    rep, form, error = _report(request)
    if error:
        return render(request, "problems/recurring.html", {"error": error, "tenants": tenants_of(request.user)},
                      status=400)
    refs = _refs(rep)
    rows = [{"n": n, "g": g, "counts": counts, "refs": [refs[i] for i in g.ids]}
            for n, (g, counts) in enumerate(zip(rep.groups, rep.series, strict=True), start=1)]
    return render(request, "problems/recurring.html", {**form, "rep": rep, "rows": rows,
                                                       "query": request.GET.urlencode()})


def _refs(rep) -> dict[int, str]:
    return dict(Escalation.objects.filter(pk__in=[i for g in rep.groups for i in g.ids]).values_list("id", "reference"))


@ui_view
def recurring_chart(request):
    rep, _, error = _report(request)
    if error:
        return HttpResponse(error, status=400, content_type="text/plain")
    response = HttpResponse(_report_module().chart_svg(rep), content_type="image/svg+xml")
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@ui_view
def recurring_csv(request):
    rep, form, error = _report(request)
    if error:
        return HttpResponse(error, status=400, content_type="text/plain")
    role = scoping.roles_of(request.user).get(form["tenant"].pk, "")
    if not role_allows(role, Perm.EXPORT):
        raise DjangoPermissionDenied("your role may not export")
    response = HttpResponse(_report_module().csv_text(rep, _refs(rep)), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="recurring-{form["tenant"].code}-{form["since"]}.csv"'
    return response


def _report_module():
    # matplotlib and scikit-learn load on the first report, not when the URLconf is imported.
    from tierline.problems import report

    return report
