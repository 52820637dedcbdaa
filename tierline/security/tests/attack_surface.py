"""Sign-in, API documentation and compliance API for the attacker's-side suite (tierline/testing/attack.py)."""

from tierline.accounts.permissions import Perm
from tierline.testing.attack import Operation, Public


def _ref(world, own):
    return (world.escalation("admin") if own else world.other_escalation()).reference


ENTRIES = [
    Public("login/", "the sign-in form"),
    Public("login/code/", "second sign-in step; without a pending password step it sends back to sign-in"),
    Public("logout/", "signs out whoever calls it", method="post"),
    Public("oidc/authenticate/", "starts single sign-on (404 while SSO is not configured)"),
    Public("oidc/callback/", "the identity provider's redirect; a forged code or state signs nobody in",
           forged_url=lambda w: "/oidc/callback/?code=forged&state=forged"),
    Public("api/v1/openapi.json", "the API description (no data)"),
    Public("api/v1/docs", "the API documentation page (no data)"),
    Public("api/docs", "redirect to the API documentation"),
    Public("api/v1/", "ninja's API root (answers 404)"),
    Operation("get", "/api/v1/compliance/escalations/{reference}/audit-trail", Perm.READ_AUDIT,
              lambda w, own: ({"reference": _ref(w, own)}, None)),
    Operation("get", "/api/v1/compliance/tenants/{code}/export.csv", Perm.EXPORT,
              lambda w, own: ({"code": (w.tenant if own else w.other_tenant).code}, None)),
]
