"""TOTP second factor: who must use it, and the guard that holds them to it.

A user must pass a TOTP code at login when any of their memberships has a role listed in
settings.TIERLINE_TOTP_REQUIRED_ROLES (global) or in that tenant's TenantSecurity policy. A user
who has a confirmed TOTP device is always asked for a code, required or not.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.shortcuts import redirect
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from tierline.security.models import POLICY_CACHE_KEY, TenantSecurity
from tierline.tenancy.scoping import roles_of

SSO_SESSION_KEY = "tierline_sso"  # set when the identity provider signed the user in (it owns the factors)
EXEMPT_PREFIXES = ("/login/", "/logout/", "/static/", "/oidc/")


POLICY_CACHE_SECONDS = 60  # a policy edit reaches every web process within this


def tenant_policies() -> dict[int, set[str]]:
    policies = cache.get(POLICY_CACHE_KEY)
    if policies is None:
        policies = {p.tenant_id: p.required_roles() for p in TenantSecurity.objects.all()}
        cache.set(POLICY_CACHE_KEY, policies, POLICY_CACHE_SECONDS)
    return policies


def totp_required(user) -> bool:
    if user is None or not user.is_authenticated:
        return False
    global_roles = set(settings.TIERLINE_TOTP_REQUIRED_ROLES)
    policies = tenant_policies()
    # roles_of is cached on the user object: the view that follows reuses it.
    return any(role in global_roles or role in policies.get(tenant, ()) for tenant, role in roles_of(user).items())


def totp_device(user):
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).first()


class RequireSecondFactorMiddleware:
    """A session that skipped the code (e.g. logged in before the policy changed) is sent back to
    the login page; API calls on such a session are unauthenticated. SSO sessions are exempt: the
    identity provider decides the factors there."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated and not request.path_info.startswith(EXEMPT_PREFIXES)
                and not request.session.get(SSO_SESSION_KEY) and not user.is_verified() and totp_required(user)):
            if request.path_info.startswith("/api/"):
                request.user = AnonymousUser()
            else:
                logout(request)
                return redirect(f"{reverse('login')}?totp=required")
        return self.get_response(request)
