"""The attacker's-side suite, generated from the URL configuration and the OpenAPI schema.

Each app lists its surface in `<app>/tests/attack_surface.py` as `ENTRIES`: one `Page` per Django
URL pattern a signed-in user opens, one `Operation` per OpenAPI operation, one `Public` per pattern
anyone may open (with the reason). The walker (`every_route`, `every_operation`) reads the live
URL resolver and schema, so a new pattern or operation without an entry fails
`tierline/security/tests/test_attack_surface.py` — nobody has to remember.

Cases made from each entry:
  Page       anonymous → redirect to the login page; forged session cookie → the same;
             another tenant's ids → 404; a role without `perm` → 403; control (admin, own ids) → ok
  Operation  no / forged / expired / revoked token → 401; another tenant's ids → 404;
             a role without `perm` → 403; control (admin token, own ids) → not refused
  Public     anonymous control → no 5xx; a forged credential in the URL → `forged_status`;
             a Public at an API path covers that operation (an `auth=None` endpoint)
  admin/*    every Django admin pattern: anonymous and signed-in non-staff → admin login redirect
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field

from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver

from tierline.accounts.permissions import ROLE_PERMISSIONS, Perm
from tierline.api import api

# Preferred roles to be refused: the narrowest first, so the 403 is about the role, not a quirk.
REFUSAL_ORDER = ("client_viewer", "compliance", "agent", "specialist", "supervisor", "manager", "executive")


def lower_role(perm: Perm | None) -> str | None:
    """A role that lacks `perm` (None: every role holds it, so no lower role exists)."""
    if perm is None:
        return None
    for role in REFUSAL_ORDER:
        if perm not in ROLE_PERMISSIONS[role]:
            return role
    return None


@dataclass(frozen=True)
class Page:
    route: str  # exactly as the resolver shows it, e.g. "escalations/<str:reference>/"
    perm: Perm | None = Perm.VIEW  # None: any signed-in user (no tenant data behind it)
    # world, own (True: the caller's tenant; False: another tenant's) -> URL
    url: Callable | None = None
    method: str = "get"
    data: Callable | None = None  # (world, url) -> form data (POST)
    cross_tenant: bool = True  # False when the URL carries no tenant object
    ok: tuple = (200,)
    htmx: bool = False


@dataclass(frozen=True)
class Operation:
    method: str  # "get", "post", …
    path: str  # the OpenAPI path, e.g. "/api/v1/escalations/{reference}/assign"
    perm: Perm | None = Perm.VIEW
    # world, own -> (path params, JSON body or None)
    prepare: Callable = field(default=lambda world, own: ({}, None))
    cross_tenant: bool = True
    multipart: bool = False
    ok: tuple = (200, 201)
    writes: bool | None = None  # None: every method but GET writes (a read-only token must be refused)
    # world, own -> query string (no "?"): required query parameters are validated before the
    # view's own permission check, so a lower role would meet a 422 without them
    query: Callable | None = None

    @property
    def is_write(self) -> bool:
        return self.method != "get" if self.writes is None else self.writes


@dataclass(frozen=True)
class Public:
    route: str
    reason: str
    url: Callable | None = None  # world -> URL for the control request (None: the route itself)
    forged_url: Callable | None = None  # world -> URL carrying a forged credential
    forged_status: int = 404
    method: str = "get"


def every_route(patterns=None, prefix: str = "") -> list[tuple[str, URLPattern]]:
    """(route, pattern) for every URL pattern, resolvers flattened."""
    out = []
    for p in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(p, URLResolver):
            out += every_route(p.url_patterns, prefix + str(p.pattern))
        else:
            out.append((prefix + str(p.pattern), p))
    return out


def every_operation() -> list[tuple[str, str]]:

    schema = api.get_openapi_schema()
    return [(method, path) for path, methods in schema["paths"].items() for method in methods]


def collect_entries() -> list:
    entries = []
    for config in apps.get_app_configs():
        if not config.name.startswith("tierline."):
            continue
        try:
            module = importlib.import_module(f"{config.name}.tests.attack_surface")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.tests.attack_surface" and exc.name != f"{config.name}.tests":
                raise
            continue
        entries += module.ENTRIES
    return entries


def api_route_to_path(route: str) -> str:
    """'api/v1/escalations/<reference>' -> '/api/v1/escalations/{reference}'."""
    import re

    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)


def coverage(entries=None) -> dict:
    """What the URL map and schema hold against what the entries cover."""
    entries = collect_entries() if entries is None else entries
    pages = {e.route for e in entries if isinstance(e, (Page, Public))}
    ops = {(e.method, e.path) for e in entries if isinstance(e, Operation)}
    routes = every_route()
    operations = every_operation()
    public_ops = {(e.method, api_route_to_path(e.route)) for e in entries if isinstance(e, Public)}
    ops |= public_ops & set(operations)
    op_paths = {path for _, path in operations}
    missing_routes, admin_routes, api_routes = [], [], []
    for route, _ in routes:
        if route.startswith("admin/"):
            admin_routes.append(route)
        elif route in pages:
            continue
        elif api_route_to_path(route) in op_paths:
            api_routes.append(route)
        else:
            missing_routes.append(route)
    return {
        "routes": [r for r, _ in routes], "admin_routes": admin_routes, "api_routes": api_routes,
        "missing_routes": missing_routes,
        "stale_routes": sorted(pages - {r for r, _ in routes}),
        "operations": operations,
        "missing_operations": [o for o in operations if o not in ops],
        "stale_operations": sorted(ops - set(operations)),
    }
