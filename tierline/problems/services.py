"""Writes to problem records, their CAPA and the taxonomy. Each checks the actor's role in the
problem's tenant first (scoping.check); escalation-side changes are in actions/problems.py."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction

from tierline.accounts.permissions import Perm
from tierline.core.checks import choice, require_aware, text
from tierline.core.errors import InvalidInput, NotFound
from tierline.problems.models import (
    CAPA_OPEN,
    CapaKind,
    CapaStatus,
    CorrectiveAction,
    Problem,
    ProblemStatus,
    RootCause,
)
from tierline.tenancy import scoping
from tierline.tenancy.models import Membership

UNSET = object()


def _member(user, tenant_id: int, field: str):
    if user is None:
        return None
    if not Membership.objects.filter(user=user, tenant_id=tenant_id).exists():
        raise NotFound(f"{field} not found", fields={field: "not found"})
    return user


def _cause(root_cause, tenant_id: int):
    if root_cause is not None and root_cause.tenant_id != tenant_id:
        raise NotFound("root cause not found", fields={"root_cause": "not found"})
    return root_cause


def _next_reference(tenant) -> str:
    last = (Problem.objects.select_for_update().filter(tenant=tenant).order_by("-id")
            .values_list("reference", flat=True).first())
    number = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{tenant.code}-PRB-{number:05d}"


def create_problem(tenant, *, actor, now: dt.datetime, title: str, description: str = "", owner=None,
                   root_cause=None, workaround: str = "") -> Problem:
    require_aware(now)
    scoping.check(actor, Perm.WORK, tenant.pk)
    title = text(title, "title", max_length=200)
    for attempt in range(3):
        try:
            with transaction.atomic():
                return Problem.objects.create(
                    tenant=tenant, reference=_next_reference(tenant), title=title,
                    description=text(description, "description", required=False),
                    workaround=text(workaround, "workaround", required=False, max_length=5000),
                    owner=_member(owner, tenant.pk, "owner"), root_cause=_cause(root_cause, tenant.pk),
                    created_at=now, updated_at=now)
        except IntegrityError:
            if attempt == 2:  # two creators raced for the same number three times running
                raise
    raise AssertionError("unreachable")


def update_problem(problem: Problem, *, actor, now: dt.datetime, title=UNSET, description=UNSET, status=UNSET,
                   owner=UNSET, root_cause=UNSET, workaround=UNSET) -> Problem:
    require_aware(now)
    scoping.check(actor, Perm.WORK, problem.tenant_id)
    with transaction.atomic():
        p = Problem.objects.select_for_update().get(pk=problem.pk)
        if title is not UNSET:
            p.title = text(title, "title", max_length=200)
        if description is not UNSET:
            p.description = text(description, "description", required=False)
        if workaround is not UNSET:
            p.workaround = text(workaround, "workaround", required=False, max_length=5000)
        if owner is not UNSET:
            p.owner = _member(owner, p.tenant_id, "owner")
        if root_cause is not UNSET:
            p.root_cause = _cause(root_cause, p.tenant_id)
        if status is not UNSET:
            choice(status, ProblemStatus, "status")
            if status == ProblemStatus.RESOLVED and p.status != ProblemStatus.RESOLVED:
                p.resolved_at = now
            elif status != ProblemStatus.RESOLVED:
                p.resolved_at = None
            p.status = status
        p.updated_at = now
        p.save()
        return p


def add_action(problem: Problem, *, actor, now: dt.datetime, kind: str, title: str, owner, due_date: dt.date
               ) -> CorrectiveAction:
    require_aware(now)
    scoping.check(actor, Perm.WORK, problem.tenant_id)
    choice(kind, CapaKind, "kind")
    if owner is None:
        raise InvalidInput("every action has an owner", fields={"owner": "required"})
    if not isinstance(due_date, dt.date):
        raise InvalidInput("due_date is a date", fields={"due_date": "required"})
    return CorrectiveAction.objects.create(
        tenant_id=problem.tenant_id, problem=problem, kind=kind, title=text(title, "title", max_length=200),
        owner=_member(owner, problem.tenant_id, "owner"), due_date=due_date, created_at=now)


def update_action(action: CorrectiveAction, *, actor, now: dt.datetime, status=UNSET, due_date=UNSET, owner=UNSET,
                  title=UNSET) -> CorrectiveAction:
    require_aware(now)
    scoping.check(actor, Perm.WORK, action.tenant_id)
    with transaction.atomic():
        a = CorrectiveAction.objects.select_for_update().get(pk=action.pk)
        if status is not UNSET:
            choice(status, CapaStatus, "status")
            a.completed_at = now if status == CapaStatus.DONE else None
            a.status = status
        if due_date is not UNSET:
            a.due_date = due_date
        if owner is not UNSET:
            a.owner = _member(owner, a.tenant_id, "owner")
        if title is not UNSET:
            a.title = text(title, "title", max_length=200)
        a.save()
        return a


def overdue_actions(actor, today: dt.date):
    return scoping.scoped(CorrectiveAction.objects.filter(status__in=CAPA_OPEN, due_date__lt=today), actor)


def create_root_cause(tenant, *, actor, code: str, name: str, parent=None, description: str = "") -> RootCause:
    scoping.check(actor, Perm.CONFIGURE, tenant.pk)
    node = RootCause(tenant=tenant, code=text(code, "code", max_length=40), name=text(name, "name", max_length=120),
                     parent=_cause(parent, tenant.pk), description=description)
    node.full_clean()
    node.save()
    return node
