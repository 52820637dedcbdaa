"""Problems API: problem records, CAPA, the root-cause taxonomy, the recurring-issues report,
and the escalation-side actions (link to a problem, assign a root cause)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema
from ninja import Status as Reply
from pydantic import AwareDatetime, Field

from tierline import actions
from tierline.accounts.models import User
from tierline.accounts.permissions import Perm
from tierline.core.errors import InvalidInput, NotFound
from tierline.core.inputs import Day, Id, Moment
from tierline.escalations.api import register_action
from tierline.escalations.models import Escalation
from tierline.kit import ErrorOut, Strict, Versioned
from tierline.problems import queries, services
from tierline.problems.models import CorrectiveAction, ProblemStatus
from tierline.tenancy import scoping
from tierline.tenancy.models import Tenant

router = Router(tags=["problems"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut, 503: ErrorOut}


# -- shapes ----------------------------------------------------------------------------------
class RootCauseOut(Schema):
    id: int
    tenant: str
    code: str
    name: str
    path: str
    parent: int | None


class CapaOut(Schema):
    id: int
    kind: str
    title: str
    owner: str
    due_date: dt.date
    status: str
    overdue: bool
    completed_at: AwareDatetime | None


class ProblemOut(Schema):
    id: int
    reference: str
    tenant: str
    title: str
    description: str
    workaround: str
    status: str
    owner: str | None
    root_cause: RootCauseOut | None
    created_at: AwareDatetime
    updated_at: AwareDatetime
    resolved_at: AwareDatetime | None


class ProblemDetail(ProblemOut):
    escalations: list[str]
    actions: list[CapaOut]


class ProblemIn(Strict):
    tenant: str = Field(max_length=12)
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=20000)
    workaround: str = Field(default="", max_length=5000)
    owner: Id | None = None
    root_cause: Id | None = None


class ProblemPatch(Strict):
    title: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=20000)
    workaround: str | None = Field(default=None, max_length=5000)
    status: ProblemStatus | None = None
    owner: Id | None = None
    root_cause: Id | None = None


class CapaIn(Strict):
    kind: Literal["corrective", "preventive"]
    title: str = Field(min_length=1, max_length=200)
    owner: Id
    due_date: Day


class CapaPatch(Strict):
    status: Literal["open", "in_progress", "done", "cancelled"] | None = None
    due_date: Day | None = None
    owner: Id | None = None
    title: str | None = Field(default=None, min_length=1, max_length=200)


class RecurringQuery(Schema):
    tenant: str = Field(max_length=12)
    since: Moment | None = None
    until: Moment | None = None
    period: Literal["week", "month"] = "week"
    threshold: float = Field(default=0.7, gt=0, lt=1, description="cosine distance at which texts stop grouping")
    min_size: int = Field(default=2, ge=1, le=1000)


class GroupOut(Schema):
    root_cause: str
    type: str
    label: str
    count: int
    first_seen: AwareDatetime
    last_seen: AwareDatetime
    escalations: list[str]
    counts: list[int]


class RecurringOut(Schema):
    period: str
    periods: list[dt.date]
    escalations_considered: int
    groups: list[GroupOut]


class ProblemRef(Versioned):
    problem: int


class RootCauseIn(Versioned):
    root_cause: Id | None = Field(description="a category of the tenant's taxonomy; null clears it")


# -- helpers ---------------------------------------------------------------------------------
def cause_dict(rc) -> dict | None:
    if rc is None:
        return None
    return {"id": rc.pk, "tenant": rc.tenant.code, "code": rc.code, "name": rc.name, "path": rc.path,
            "parent": rc.parent_id}


def capa_dict(a: CorrectiveAction, today: dt.date) -> dict:
    return {"id": a.pk, "kind": a.kind, "title": a.title, "owner": a.owner.username, "due_date": a.due_date,
            "status": a.status, "overdue": a.is_overdue(today), "completed_at": a.completed_at}


def problem_dict(p, *, detail: bool = False) -> dict:
    out = {"id": p.pk, "reference": p.reference, "tenant": p.tenant.code, "title": p.title,
           "description": p.description, "workaround": p.workaround, "status": p.status,
           "owner": p.owner.username if p.owner_id else None, "root_cause": cause_dict(p.root_cause),
           "created_at": p.created_at, "updated_at": p.updated_at, "resolved_at": p.resolved_at}
    if detail:
        today = timezone.localdate()
        out["escalations"] = [e.reference for e in queries.linked_escalations(p)]
        out["actions"] = [capa_dict(a, today) for a in queries.actions_of(p)]
    return out


def _tenant(actor, code: str, perm: Perm = Perm.VIEW) -> Tenant:
    tenant = scoping.tenants(actor).filter(code=code).first()
    if tenant is None:
        raise NotFound("tenant not found", fields={"tenant": "not found"})
    scoping.check(actor, perm, tenant.pk)
    return tenant


def _user(actor, user_id: int | None, field: str = "owner"):
    if user_id is None:
        return None
    user = scoping.scoped_users(User.objects.filter(pk=user_id, is_active=True), actor).first()
    if user is None:
        raise NotFound(f"{field} not found", fields={field: "not found"})
    return user


def _cause(actor, pk: int | None):
    if pk is None:
        return None
    try:
        return queries.root_cause(actor, pk)
    except NotFound:
        raise NotFound("root cause not found", fields={"root_cause": "not found"})


def _problem_field(actor, pk: int):
    try:
        return queries.problem(actor, pk)
    except NotFound:
        raise NotFound("problem not found", fields={"problem": "not found"})


# -- problem records -------------------------------------------------------------------------
@router.get("/root-causes", response={200: list[RootCauseOut], **ERRORS}, summary="The root-cause taxonomy")
def list_root_causes(request: HttpRequest, tenant: str | None = None):
    tenant_id = _tenant(request.actor, tenant).pk if tenant else None
    return [cause_dict(rc) for rc in queries.root_causes(request.actor, tenant_id).order_by("tenant_id", "code")]


@router.get("/recurring", response={200: RecurringOut, **ERRORS}, summary="Recurring issues report")
def recurring_report(request: HttpRequest, q: Query[RecurringQuery]):
    tenant = _tenant(request.actor, q.tenant)
    until = q.until or timezone.now()
    since = q.since or until - dt.timedelta(days=90)
    if since >= until:
        raise InvalidInput("since must be before until", fields={"since": "after until"})
    rep = _report_module().build(_report_module().Params(tenant.pk, since, until, q.period, q.threshold, q.min_size))
    refs = report_refs(rep)
    return {"period": q.period, "periods": rep.axis, "escalations_considered": rep.items,
            "groups": [{"root_cause": g.root_cause, "type": g.type, "label": g.label, "count": g.size,
                        "first_seen": g.first_seen, "last_seen": g.last_seen,
                        "escalations": [refs[i] for i in g.ids], "counts": counts}
                       for g, counts in zip(rep.groups, rep.series, strict=True)]}


def report_refs(rep) -> dict[int, str]:
    ids = [i for g in rep.groups for i in g.ids]
    return dict(Escalation.objects.filter(pk__in=ids).values_list("id", "reference"))


@router.get("", response={200: list[ProblemOut], **ERRORS}, summary="List problems")
def list_problems(request: HttpRequest, status: ProblemStatus | None = None, tenant: str | None = None):
    return [problem_dict(p) for p in queries.problems(request.actor, status=status, tenant_code=tenant)[:500]]


@router.post("", response={201: ProblemDetail, **ERRORS}, summary="Open a problem record")
def create(request: HttpRequest, body: ProblemIn):
    tenant = _tenant(request.actor, body.tenant)
    p = services.create_problem(tenant, actor=request.actor, now=timezone.now(), title=body.title,
                                description=body.description, workaround=body.workaround,
                                owner=_user(request.actor, body.owner), root_cause=_cause(request.actor, body.root_cause))
    return Reply(201, problem_dict(queries.problem(request.actor, p.pk), detail=True))


@router.get("/{problem_id}", response={200: ProblemDetail, **ERRORS}, summary="A problem with its escalations and CAPA")
def get_problem(request: HttpRequest, problem_id: Id):
    return problem_dict(queries.problem(request.actor, problem_id), detail=True)


@router.post("/{problem_id}", response={200: ProblemDetail, **ERRORS}, summary="Change a problem record")
def update(request: HttpRequest, problem_id: Id, body: ProblemPatch):
    p = queries.problem(request.actor, problem_id)
    given = body.model_dump(exclude_unset=True)
    if "owner" in given:
        given["owner"] = _user(request.actor, given["owner"])
    if "root_cause" in given:
        given["root_cause"] = _cause(request.actor, given["root_cause"])
    for key in ("title", "description", "workaround", "status"):
        if key in given and given[key] is None:
            raise InvalidInput(f"{key} cannot be null", fields={key: "null"})
    services.update_problem(p, actor=request.actor, now=timezone.now(), **given)
    return problem_dict(queries.problem(request.actor, problem_id), detail=True)


@router.post("/{problem_id}/actions", response={201: CapaOut, **ERRORS}, summary="Add a corrective or preventive action")
def add_capa(request: HttpRequest, problem_id: Id, body: CapaIn):
    p = queries.problem(request.actor, problem_id)
    a = services.add_action(p, actor=request.actor, now=timezone.now(), kind=body.kind, title=body.title,
                            owner=_user(request.actor, body.owner), due_date=body.due_date)
    return Reply(201, capa_dict(a, timezone.localdate()))


@router.post("/{problem_id}/actions/{action_id}", response={200: CapaOut, **ERRORS},
             summary="Change a corrective or preventive action")
def update_capa(request: HttpRequest, problem_id: Id, action_id: Id, body: CapaPatch):
    p = queries.problem(request.actor, problem_id)
    a = CorrectiveAction.objects.filter(problem=p, pk=action_id).select_related("owner").first()
    if a is None:
        raise NotFound("action not found")
    given = {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None}
    if "owner" in given:
        given["owner"] = _user(request.actor, given["owner"])
    a = services.update_action(a, actor=request.actor, now=timezone.now(), **given)
    return capa_dict(a, timezone.localdate())


# -- on the escalation (walked by the every-endpoint attacker test) -------------------------
def register_escalation_endpoints() -> None:
    """Add the problem actions to the escalations router; tierline/api.py calls it once, explicitly."""
    register_action("problems", ProblemRef, "Link to a problem record",
              lambda r, e, b, kw: actions.link_problem(e, _problem_field(r.actor, b.problem), **kw))
    register_action("problems-unlink", ProblemRef, "Unlink from a problem record",
              lambda r, e, b, kw: actions.unlink_problem(e, _problem_field(r.actor, b.problem), **kw))
    register_action("root-cause", RootCauseIn, "Assign a root cause from the tenant's taxonomy",
              lambda r, e, b, kw: actions.assign_root_cause(e, _cause(r.actor, b.root_cause), **kw))


def _report_module():
    # matplotlib and scikit-learn load on the first report, not when the URLconf is imported.
    from tierline.problems import report

    return report
