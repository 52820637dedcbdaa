"""Tenant-scoped reads for problems, root causes and the recurring-issues report."""

from __future__ import annotations

import datetime as dt

from tierline.escalations.models import Escalation
from tierline.problems.models import CorrectiveAction, EscalationRootCause, Problem, ProblemLink, RootCause
from tierline.tenancy import scoping

MAX_REPORT_ITEMS = 20_000


def problems(actor, *, status: str | None = None, tenant_code: str | None = None):
    qs = scoping.scoped(Problem.objects.select_related("tenant", "owner", "root_cause"), actor).order_by("-id")
    if status:
        qs = qs.filter(status=status)
    if tenant_code:
        qs = qs.filter(tenant__code=tenant_code)
    return qs


def problem(actor, pk: int) -> Problem:
    return scoping.get_scoped(Problem.objects.select_related("tenant", "owner", "root_cause"), actor, pk=pk)


def root_cause(actor, pk: int) -> RootCause:
    return scoping.get_scoped(RootCause.objects.select_related("parent"), actor, pk=pk)


def root_causes(actor, tenant_id: int | None = None):
    qs = scoping.scoped(RootCause.objects.select_related("parent", "tenant"), actor).filter(active=True)
    return qs.filter(tenant_id=tenant_id) if tenant_id else qs


def linked_escalations(p: Problem):
    return [ln.escalation for ln in ProblemLink.objects.filter(problem=p).select_related("escalation")
            .order_by("escalation_id")]


def actions_of(p: Problem):
    return list(CorrectiveAction.objects.filter(problem=p).select_related("owner"))


def for_escalation(esc) -> tuple[list[Problem], RootCause | None]:
    links = [ln.problem for ln in ProblemLink.objects.filter(escalation=esc).select_related("problem")]
    assigned = EscalationRootCause.objects.filter(escalation=esc).select_related("root_cause__parent").first()
    return links, assigned.root_cause if assigned else None


def report_items(tenant_id: int, since: dt.datetime, until: dt.datetime) -> list:
    """The escalations of one tenant created in [since, until), with their taxonomy path."""
    from tierline.problems import recurring  # scikit-learn loads when a report is asked for, not at start-up

    rows = list(Escalation.objects.filter(tenant_id=tenant_id, created_at__gte=since, created_at__lt=until)
            .order_by("-id").values_list("id", "created_at", "title", "description", "type")[:MAX_REPORT_ITEMS])
    causes = {}
    assigned = EscalationRootCause.objects.filter(tenant_id=tenant_id, escalation_id__in=[r[0] for r in rows])
    for a in assigned.select_related("root_cause__parent__parent"):
        causes[a.escalation_id] = a.root_cause.path
    return [recurring.Item(id=i, created_at=c, title=t, description=d, type=k, root_cause=causes.get(i, ""))
            for i, c, t, d, k in rows]
