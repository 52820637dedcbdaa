"""OIDC single sign-on for BPO staff (mozilla-django-oidc).

The identity provider's verified email is matched to an existing active user who is staff in at
least one tenant; nobody is created, and client viewers keep signing in with a password (their
access is the narrowest and their company's IdP is not ours to trust). Off unless the provider's
endpoints and client id are configured.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import Http404
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from tierline.security.twofactor import SSO_SESSION_KEY
from tierline.tenancy.choices import Role


def enabled() -> bool:

    return sso_enabled()


class StaffOIDCBackend(OIDCAuthenticationBackend):
    def __init__(self, *args, **kwargs):
        # Django builds every backend on each authenticate(); an unconfigured SSO must not
        # break password sign-in.
        self.configured = enabled()
        if self.configured:
            try:
                super().__init__(*args, **kwargs)
            except ImproperlyConfigured:
                self.configured = False
        if not self.configured:
            from django.contrib.auth import get_user_model

            self.UserModel = get_user_model()

    def authenticate(self, request, **kwargs):
        if not self.configured:
            return None
        return super().authenticate(request, **kwargs)

    def verify_claims(self, claims):
        return bool(claims.get("email")) and claims.get("email_verified", True) is not False

    def filter_users_by_claims(self, claims):
        email = (claims.get("email") or "").strip()
        if not email:
            return self.UserModel.objects.none()
        staff_roles = [r for r in Role.values if r != Role.CLIENT_VIEWER]
        return (self.UserModel.objects.filter(email__iexact=email, is_active=True,
                                              memberships__role__in=staff_roles).distinct())

    def create_user(self, claims):  # OIDC_CREATE_USER is off too; this is the belt to those braces
        return None


class SsoStart(OIDCAuthenticationRequestView):
    def get(self, request):
        if not enabled():
            raise Http404("single sign-on is not configured")
        return super().get(request)


class SsoCallback(OIDCAuthenticationCallbackView):
    def get(self, request):
        if not enabled():
            raise Http404("single sign-on is not configured")
        return super().get(request)

    def login_success(self):
        response = super().login_success()
        self.request.session[SSO_SESSION_KEY] = True
        return response


def sso_enabled() -> bool:
    return bool(settings.OIDC_OP_AUTHORIZATION_ENDPOINT and settings.OIDC_RP_CLIENT_ID)
