"""The escalation lists: tabs, filters, sortable columns, numbered pages, the bulk toolbar, and
the create form's customer picker. Reads through `queries`; bulk writes live in views_bulk."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import F, Q
from django.http import Http404, HttpResponseForbidden
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from tierline.accounts.permissions import Perm
from tierline.escalations import forms, queries
from tierline.escalations.views import _list_filters, ago, sla_badge
from tierline.kit import actor_of, is_partial, tenants_of, ui_view
from tierline.privacy.masking import mask_for
from tierline.tenancy import scoping
from tierline.tenancy.choices import Role
from tierline.tenancy.models import Customer, TeamMember

PAGE_SIZE = 50
PICKER_LIMIT = 20
# ?sort= column -> ordering; "-" in front of the parameter flips it. Anything else is ignored.
SORTS = {
    "reference": ("id",), "title": ("title", "id"), "priority": ("priority", "id"), "status": ("status", "id"),
    "sla": (F("sla_breach_at").asc(nulls_last=True), "id"), "level": ("level", "id"),
    "team": ("team__name", "id"), "owner": ("owner__username", "id"), "customer": ("customer__name", "id"),
    "created": ("created_at", "id"), "updated": ("updated_at", "id"),
}
COLUMNS = (("reference", "Reference"), ("title", "Title"), (None, "Client"), ("priority", "Pri"),
           ("status", "Status"), ("sla", "SLA"), ("level", "Lvl"), ("team", "Team"), ("owner", "Owner"),
           ("customer", "Customer"), ("created", "Created"), ("updated", "Updated"))
# Bulk work is a lead's tool: agents work their own cases one at a time.
BULK_ROLES = frozenset({Role.SUPERVISOR, Role.MANAGER, Role.EXECUTIVE, Role.ADMIN})


def parse_sort(raw: str | None, default: str) -> tuple[str, bool]:
    raw = (raw or "").strip()
    desc = raw.startswith("-")
    key = raw.lstrip("-")
    if key not in SORTS:
        key, desc = default.lstrip("-"), default.startswith("-")
    return key, desc


def ordering(key: str, desc: bool) -> list:
    out = []
    for part in SORTS[key]:
        if isinstance(part, str):
            out.append(F(part).desc() if desc else F(part).asc())
        else:  # an expression with its own nulls rule: flip the direction, keep nulls last
            out.append(F(part.expression.name).desc(nulls_last=True) if desc else part)
    return out


def bulk_tenant_ids(user) -> set[int]:
    return {tid for tid, role in scoping.roles_of(user).items() if role in BULK_ROLES}


def _staff_only(user) -> bool:
    """Customer fields are searchable only by staff: a client viewer may see them masked."""
    roles = set(scoping.roles_of(user).values())
    return bool(roles) and Role.CLIENT_VIEWER not in roles


def _search(qs, term: str, staff: bool):
    term = term.strip()[:200]
    match = (Q(title__icontains=term) | Q(description__icontains=term) | Q(reference__iexact=term)
             | Q(external_id__iexact=term))
    if staff:
        match |= Q(customer__name__icontains=term) | Q(customer__account_id__iexact=term)
    return qs.filter(match)


def _sort_links(params, key: str, desc: bool) -> list[dict]:
    heads = []
    for code, label in COLUMNS:
        head = {"label": label, "code": code}
        if code:
            q = params.copy()
            q.pop("page", None)
            q["sort"] = f"-{code}" if code == key and not desc else code
            head.update(url=f"?{q.urlencode()}", active=code == key,
                        aria="descending" if desc else "ascending")
        heads.append(head)
    return heads


def _my_team_ids(actor, user) -> list[int]:
    return list(scoping.scoped(TeamMember.objects.filter(user=user), actor).values_list("team_id", flat=True))


def list_queryset(actor, user, data: dict):
    """Every escalation the list shows for these (cleaned) filters, search and tab, unpaged and
    unordered: also what "Export this list" exports, so the file holds exactly the rows on screen."""
    view = data.get("view") or "mine"
    f = _list_filters(data, view, user)
    term, f.q = f.q, None
    qs = queries.filtered(actor, f)
    if term:
        qs = _search(qs, term, _staff_only(user))
    if view == "team":
        qs = qs.filter(team_id__in=_my_team_ids(actor, user))
    elif view == "at_risk":
        qs = qs.filter(sla_breach_at__isnull=False)
    return qs


@ui_view
def escalation_list(request):
    actor, user = actor_of(request), request.user
    tenants = tenants_of(user)
    form = forms.FilterForm(request.GET, tenants=tenants)
    form.is_valid()  # invalid filters are shown as errors and ignored; the valid ones apply
    data = form.cleaned_data
    view = data.get("view") or "mine"
    my_team_ids = _my_team_ids(actor, user)
    qs = list_queryset(actor, user, data)
    key, desc = parse_sort(request.GET.get("sort"), "sla" if view == "at_risk" else "-created")
    qs = qs.select_related(*queries.LIST_RELATED).order_by(*ordering(key, desc))
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    now = timezone.now()
    for row in rows:
        row.created_ago, row.updated_ago = ago(row.created_at, now), ago(row.updated_at, now)
        row.sla_badge = sla_badge(row.sla_breach_at, now)
        row.shown_customer = mask_for(actor, row.tenant_id).customer(row.customer) if row.customer_id else None

    params = request.GET.copy()
    params.pop("cursor", None)
    export_params = params.copy()
    export_params.pop("page", None)

    def page_url(number) -> str:
        q = params.copy()
        q["page"] = number
        return f"?{q.urlencode()}"

    pages = [{"number": n, "url": page_url(n) if isinstance(n, int) else None, "current": n == page.number}
             for n in page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)]
    open_qs = queries.filtered(actor, queries.ListFilters(status=["open"]))
    counts = {"mine": open_qs.filter(owner=user).count(), "team": open_qs.filter(team_id__in=my_team_ids).count(),
              "open": open_qs.count(), "at_risk": open_qs.filter(sla_breach_at__isnull=False).count()}
    # Tabs start unfiltered: htmx swaps only the results, so links built from this request's
    # filters would go stale as soon as a filter changes.
    tabs = [{"code": code, "label": label, "count": counts[code], "active": code == view,
             "url": f"{reverse('escalations:list')}?view={code}"} for code, label in forms.VIEWS]
    bulk_ids = bulk_tenant_ids(user)
    bulk_form = forms.BulkForm(tenants=[t for t in tenants if t.pk in bulk_ids]) if bulk_ids else None
    ctx = {
        "form": form, "rows": rows, "view": view, "tabs": tabs, "page": page, "pages": pages,
        "heads": _sort_links(params, key, desc), "multi_tenant": len(tenants) > 1, "has_teams": bool(my_team_ids),
        "view_label": dict(forms.VIEWS)[view], "bulk_form": bulk_form, "first_qs": export_params.urlencode(), "bulk_tenants": bulk_ids,
        "next_url": request.get_full_path(),
        "prev_url": page_url(page.previous_page_number()) if page.has_previous() else None,
        "next_page_url": page_url(page.next_page_number()) if page.has_next() else None,
    }
    template = "escalations/_results.html" if is_partial(request) else "escalations/list.html"
    return render(request, template, ctx)


@ui_view
def customer_picker(request):
    """Type-ahead for the create form: the matching customers of one of the user's clients."""
    tenants = {t.code: t for t in tenants_of(request.user, Perm.CREATE)}
    code = request.GET.get("tenant")
    tenant = tenants.get(code) if code else (next(iter(tenants.values())) if len(tenants) == 1 else None)
    if tenant is None:
        if not tenants or code in {t.code for t in tenants_of(request.user)}:
            return HttpResponseForbidden("Your role does not allow creating escalations for this client.")
        raise Http404("no such client")  # another tenant's code looks like one that does not exist
    term = (request.GET.get("customer_q") or "").strip()[:100]
    found = []
    if term:
        found = list(Customer.objects.filter(tenant=tenant).filter(
            Q(name__icontains=term) | Q(account_id__iexact=term) | Q(email__iexact=term))
            .order_by("name", "pk")[:PICKER_LIMIT])
    selected = request.GET.get("customer") or ""
    picked = Customer.objects.filter(tenant=tenant, pk=int(selected)).first() if selected.isdigit() else None
    return render(request, "escalations/_customer_picker.html",
                  {"customers": found, "term": term, "limit": PICKER_LIMIT, "picked": picked})
