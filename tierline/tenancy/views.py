"""Configuration screens: the home page, and the gate every configuration view goes through.

A tenant admin configures their own tenants here; the Django admin is for superusers. The gate
answers another tenant's code with 404 (codes do not leak) and a role without CONFIGURE with 403.
"""

from __future__ import annotations

import functools

from django.http import Http404
from django.shortcuts import render

from tierline.accounts.permissions import Perm
from tierline.core.actors import Actor
from tierline.core.errors import NotFound, PermissionDenied
from tierline.kit import ui_view
from tierline.tenancy import scoping
from tierline.tenancy.models import Tenant


def configurable_tenants(user) -> list[Tenant]:
    return list(scoping.tenants(Actor.for_user(user), Perm.CONFIGURE))


def forbidden(request, message: str = "Your role does not allow configuring this client."):
    return render(request, "escalations/message.html", {"title": "Not allowed", "message": message}, status=403)


def config_view(view):
    """Login, the user's time zone, and `tenant` resolved from the URL's `code` for CONFIGURE."""

    @ui_view
    @functools.wraps(view)
    def wrapper(request, code: str, *args, **kwargs):
        actor = Actor.for_user(request.user)
        tenant = scoping.tenants(actor).filter(code=code).first()
        if tenant is None:
            raise Http404("no such client")
        try:
            scoping.check(actor, Perm.CONFIGURE, tenant.pk)
        except PermissionDenied:
            return forbidden(request)
        try:
            return view(request, tenant, *args, **kwargs)
        except NotFound:
            raise Http404("not found")

    return wrapper


@ui_view
def config_home(request):
    tenants = configurable_tenants(request.user)
    if not tenants:
        return forbidden(request, "Configuration is for the client's administrators; your role does not include it.")
    return render(request, "tenancy/config_home.html", {"tenants": tenants})


def admin_refused(request):
    """The Django admin is for superusers. A signed-in person without it is told so and sent to the
    configuration screens; sending them to the sign-in page would bounce straight back (a loop)."""
    return render(request, "tenancy/admin_refused.html", {"can_configure": bool(configurable_tenants(request.user))},
                  status=403)
