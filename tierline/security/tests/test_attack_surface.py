"""The attacker's-side suite over every URL pattern and API operation (tierline/testing/attack.py).

Fails when a pattern or operation has no entry: add one to `<app>/tests/attack_surface.py`."""

import datetime as dt

import pytest
from django.utils import timezone

from tierline.accounts.models import ApiToken
from tierline.audit.models import Event
from tierline.testing.attack import (
    Operation,
    Page,
    Public,
    collect_entries,
    coverage,
    every_route,
    lower_role,
)
from tierline.testing.factories import UserFactory

ENTRIES = collect_entries()
COVERAGE = coverage(ENTRIES)
REFUSED = (401, 403, 404)


def test_every_url_pattern_and_operation_has_an_entry():
    assert not COVERAGE["missing_routes"], f"URL patterns without an attack-surface entry: {COVERAGE['missing_routes']}"
    assert not COVERAGE["missing_operations"], f"API operations without an entry: {COVERAGE['missing_operations']}"
    assert not COVERAGE["stale_routes"] and not COVERAGE["stale_operations"], COVERAGE


def test_the_walker_notices_a_new_pattern():
    """An entry list without the status page misses its patterns: the check above is not vacuous."""
    partial = [e for e in ENTRIES if not (isinstance(e, (Page, Public)) and e.route.startswith("status/"))]
    partial = [e for e in partial if not (isinstance(e, Operation) and e.path.endswith("/notes"))]
    report = coverage(partial)
    assert "status/<str:token>/" in report["missing_routes"]
    assert ("post", "/api/v1/escalations/{reference}/notes") in report["missing_operations"]


# -- cases ------------------------------------------------------------------------------------------
def _cases():
    cases = []
    for e in ENTRIES:
        if isinstance(e, Page):
            name = f"page {e.method.upper()} /{e.route}"
            kinds = ["anonymous", "forged_session", "control"]
            if e.cross_tenant:
                kinds.append("other_tenant")
            if lower_role(e.perm):
                kinds.append("lower_role")
        elif isinstance(e, Operation):
            name = f"api {e.method.upper()} {e.path}"
            kinds = ["no_token", "forged_token", "expired_token", "revoked_token", "read_token", "control"]
            if not e.is_write:
                kinds.remove("read_token")
            if e.cross_tenant:
                kinds.append("other_tenant")
            if lower_role(e.perm):
                kinds.append("lower_role")
        else:
            name = f"public {e.method.upper()} /{e.route}"
            kinds = ["control"] + (["forged"] if e.forged_url else [])
        cases += [pytest.param(e, k, id=f"{name} :: {k}") for k in kinds]
    return cases


CASES = _cases()


def _send(client, method, url, *, data=None, multipart=False, json_body=True, **extra):
    call = getattr(client, method)
    if method == "get":
        return call(url, **extra)
    if multipart:
        return call(url, data or {}, **extra)
    if json_body:
        return call(url, data if data is not None else {}, content_type="application/json", **extra)
    return call(url, data or {}, **extra)


def _page(client, world, e: Page, kind):
    own = kind != "other_tenant"
    url = e.url(world, own) if e.url else "/" + e.route
    data = e.data(world, url) if e.data else {}
    extra = {"HTTP_HX_REQUEST": "true"} if e.htmx else {}
    if kind == "anonymous":
        pass
    elif kind == "forged_session":
        client.cookies["sessionid"] = "forged0000000000000000000000000000"
    elif kind == "lower_role":
        client.force_login(world.users[lower_role(e.perm)])
    else:
        client.force_login(world.users["admin"])
    before = Event.objects.count()
    r = _send(client, e.method, url, data=data, json_body=False, **extra)
    if kind in ("anonymous", "forged_session"):
        assert r.status_code == 302 and r["Location"].startswith("/login/"), (r.status_code, r.get("Location"))
    elif kind == "other_tenant":
        assert r.status_code == 404, r.status_code
    elif kind == "lower_role":
        assert r.status_code == 403, r.status_code
    else:
        assert r.status_code in e.ok, (r.status_code, r.content[:300])
        return
    assert Event.objects.count() == before


def _operation(client, world, e: Operation, kind):
    own = kind != "other_tenant"
    params, body = e.prepare(world, own)
    url = e.path.format(**params)
    if e.query:
        url += "?" + e.query(world, own)
    if kind == "no_token":
        auth = {}
    elif kind == "forged_token":
        plain = world.token("admin")
        auth = {"HTTP_AUTHORIZATION": f"Bearer {plain[:-4]}AAAA"}
    elif kind == "expired_token":
        auth = {"HTTP_AUTHORIZATION": f"Bearer {world.token('admin', expires_at=world.now - dt.timedelta(days=1))}"}
    elif kind == "revoked_token":
        token, plain = ApiToken.issue(world.users["admin"], name="revoked", now=world.now)
        ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
        auth = {"HTTP_AUTHORIZATION": f"Bearer {plain}"}
    elif kind == "read_token":
        auth = {"HTTP_AUTHORIZATION": f"Bearer {world.token('admin', scope='read')}"}
    elif kind == "lower_role":
        auth = {"HTTP_AUTHORIZATION": f"Bearer {world.token(lower_role(e.perm))}"}
    else:
        auth = {"HTTP_AUTHORIZATION": f"Bearer {world.token('admin')}"}
    before = Event.objects.count()
    r = _send(client, e.method, url, data=body, multipart=e.multipart, **auth)
    expected = {"no_token": 401, "forged_token": 401, "expired_token": 401, "revoked_token": 401,
                "other_tenant": 404, "lower_role": 403}
    if kind == "control":
        assert r.status_code not in REFUSED and r.status_code < 500, (r.status_code, r.content[:300])
        return
    if kind == "read_token":
        # A read-only token may view, read the audit trail and export; it never writes.
        assert r.status_code == 403 and r.json()["error"]["code"] == "token_read_only", (r.status_code, r.content)
    else:
        assert r.status_code == expected[kind], (r.status_code, r.content[:300])
        assert r.json()["error"]["code"] in {401: ["unauthenticated"], 403: ["forbidden"],
                                             404: ["not_found"]}[expected[kind]]
    assert Event.objects.count() == before


def _public(client, world, e: Public, kind):
    if kind == "forged":
        r = _send(client, e.method, e.forged_url(world), json_body=False)
        assert r.status_code == e.forged_status, r.status_code
        assert "_auth_user_id" not in client.session
        return
    url = e.url(world) if e.url else "/" + e.route
    r = _send(client, e.method, url, json_body=False)
    assert r.status_code < 500, r.status_code


@pytest.mark.parametrize("entry, kind", CASES)
def test_attack(client, world, entry, kind):
    if isinstance(entry, Page):
        _page(client, world, entry, kind)
    elif isinstance(entry, Operation):
        _operation(client, world, entry, kind)
    else:
        _public(client, world, entry, kind)


# -- the Django admin: staff only --------------------------------------------------------------------
ADMIN_ROUTES = [r for r, _ in every_route() if r.startswith("admin/")]


def _admin_url(route):
    import re

    url = "/" + re.sub(r"<(?:\w+:)?(\w+)>", "1", route)
    return re.sub(r"\^|\$|\(\?P<\w+>[^)]*\)", "x", url).replace("\\", "")


@pytest.mark.parametrize("route", ADMIN_ROUTES)
def test_admin_is_staff_only(client, world, route):
    url = _admin_url(route)
    if route in ("admin/login/", "admin/logout/") or "jsi18n" in route:
        assert client.get(url).status_code < 500
        return
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "/admin/login/" in anonymous["Location"], (url, anonymous.status_code)
    client.force_login(UserFactory(username="not_staff", is_staff=False))
    signed_in = client.get(url)
    assert signed_in.status_code == 302 and "/admin/login/" in signed_in["Location"], (url, signed_in.status_code)


def test_every_kind_of_attack_runs_over_the_surface(record_property):
    kinds = {}
    for case in CASES:
        kinds[case.values[1]] = kinds.get(case.values[1], 0) + 1
    summary = (f"attack surface: {len(COVERAGE['routes'])} URL patterns ({len(COVERAGE['admin_routes'])} admin, "
               f"{len(COVERAGE['api_routes'])} API), {len(COVERAGE['operations'])} API operations, "
               f"{len(CASES)} cases + {len(ADMIN_ROUTES)} admin cases; by kind: {kinds}")
    record_property("attack_surface", summary)
    operations = sum(isinstance(e, Operation) for e in ENTRIES)
    assert operations >= len(COVERAGE["operations"]) - 1, summary  # the one public operation: the audit public key
    # Every operation is tried without, with a forged, an expired and a revoked token, and as control.
    for kind in ("no_token", "forged_token", "expired_token", "revoked_token"):
        assert kinds.get(kind, 0) == operations, summary
    assert kinds.get("control", 0) >= operations and kinds.get("other_tenant", 0) > 0, summary
    assert kinds.get("lower_role", 0) > 0 and kinds.get("read_token", 0) > 0 and ADMIN_ROUTES, summary
