"""Tenant scoping: the one place that decides which tenants an actor may touch.

Every list and lookup starts from `scoped(queryset, actor)`; an object outside the actor's
tenants is reported as not found, never as forbidden, so ids do not leak across tenants.
"""

from __future__ import annotations

from tierline.accounts.models import User
from tierline.accounts.permissions import READ_ONLY_PERMS, Perm, role_allows
from tierline.core.actors import Actor
from tierline.core.compiled import fetch_instances, fetch_rows
from tierline.core.errors import NotFound, PermissionDenied
from tierline.tenancy.models import Membership, Tenant

# A customer (status page, email) acts on their own escalation only in these ways.
CUSTOMER_PERMS = frozenset({Perm.VIEW})


def roles_of(user) -> dict[int, str]:
    """tenant id -> role, cached on the user object for the request."""
    if user is None or not user.is_authenticated:
        return {}
    cached = getattr(user, "_tierline_roles", None)
    if cached is None:

        cached = dict(fetch_rows("roles_of", _roles_query, [user.pk]))
        user._tierline_roles = cached
    return cached


def _roles_query():
    return Membership.objects.filter(user_id=0).values_list("tenant_id", "role")


def tenant_ids(actor: Actor) -> list[int]:
    if actor.kind == "system":
        raise ValueError("system actors are not tenant-scoped; pass the tenant explicitly")
    if actor.kind == "customer":
        return [actor.customer.tenant_id]
    return sorted(roles_of(actor.user))


def scoped(queryset, actor: Actor):
    return queryset.filter(tenant_id__in=tenant_ids(actor))


def get_scoped(queryset, actor: Actor, **lookup):
    obj = scoped(queryset, actor).filter(**lookup).first()
    if obj is None:
        raise NotFound(f"{queryset.model._meta.verbose_name} not found")
    return obj


def get_scoped_pk(key: str, queryset, actor: Actor, pk: int):
    """get_scoped(queryset, actor, pk=pk) for the hottest lookups (the API's create and actions
    name a team and a customer on every call): the read is compiled once under `key` and then
    only bound to `pk`; an object outside the actor's tenants is not found, as there."""

    ids = tenant_ids(actor)
    found = fetch_instances(key, lambda: queryset.filter(pk=0)[:1], [pk])
    if not found or found[0].tenant_id not in ids:
        raise NotFound(f"{queryset.model._meta.verbose_name} not found")
    return found[0]


def tenants(actor: Actor, perm: Perm | None = None):
    """The tenants the actor works for — where their role allows `perm`, if given — as a queryset."""
    ids = tenant_ids(actor)
    if perm is not None and actor.kind != "customer":
        roles = roles_of(actor.user)
        ids = [tid for tid in ids if role_allows(roles[tid], perm)]
    elif perm is not None and perm not in CUSTOMER_PERMS:
        ids = []
    return Tenant.objects.filter(pk__in=ids).order_by("code")


def get_tenant(actor: Actor, code: str, perm: Perm | None = None):
    """A tenant by code, or NotFound when the actor does not work for it (or may not do `perm` there)."""
    tenant = tenants(actor, perm).filter(code=code).first()
    if tenant is None:
        raise NotFound("tenant not found", fields={"tenant": "not found"})
    return tenant


def tenant_member(tenant_id: int, username: str):
    """The user of that name who belongs to the tenant, or None (another tenant's user reads as none)."""
    return User.objects.filter(username=username, memberships__tenant_id=tenant_id).first()


def scoped_users(queryset, actor: Actor):
    """Users (not tenant-owned rows) who belong to one of the actor's tenants."""
    return queryset.filter(memberships__tenant_id__in=tenant_ids(actor)).distinct()


def check(actor: Actor, perm: Perm, tenant_id: int) -> None:
    """Refuse unless the actor may do `perm` in the tenant. System actors may do anything."""
    if actor is None:
        raise ValueError("no actor: every change needs one")
    if actor.kind == "system":
        return
    if actor.kind == "customer":
        if actor.customer.tenant_id != tenant_id:
            raise NotFound("escalation not found")
        if perm not in CUSTOMER_PERMS:
            raise PermissionDenied("customers cannot do this", code="forbidden")
        return
    role = roles_of(actor.user).get(tenant_id)
    if role is None:
        raise NotFound("not found")
    if actor.kind == "api_token" and actor.token.scope == "read" and perm not in READ_ONLY_PERMS:
        raise PermissionDenied("this API token is read-only", code="token_read_only")
    if not role_allows(role, perm):
        raise PermissionDenied(f"your role ({role}) may not {perm.value.replace('_', ' ')} here")
