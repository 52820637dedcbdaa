"""The REST API root: authentication, one error body for every 4xx, and the app routers.

Error body, always: {"error": {"code": str, "message": str, "fields": {field: reason}}}.
"""

from __future__ import annotations

import hmac
import logging

from django.db import DatabaseError, DataError, IntegrityError, InterfaceError, OperationalError
from django.http import Http404
from django.utils import timezone
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer
from ninja.security import SessionAuth as NinjaSessionAuth

from tierline.accounts.models import TOKEN_PREFIX, ApiToken
from tierline.core.actors import Actor
from tierline.core.compiled import fetch_instances
from tierline.core.edge import ApiParser
from tierline.core.errors import DomainError

log = logging.getLogger(__name__)


def _token_query():
    # Every API request runs it: compiled once per connection (core/compiled.py).
    return ApiToken.objects.select_related("user").filter(prefix="").order_by("pk")[:1]


class TokenAuth(HttpBearer):
    def authenticate(self, request, token: str):
        parts = token.split("_", 2)
        if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
            return None
        found = fetch_instances("api_token", _token_query, [parts[1]])
        row = found[0] if found else None
        if row is None or not hmac.compare_digest(row.digest, ApiToken.digest_of(token)):
            return None
        now = timezone.now()
        if not row.is_usable(now) or not row.user.is_active:
            return None
        request.actor = Actor.for_token(row)
        return row


class SessionAuth(NinjaSessionAuth):
    """The browser session, for requests that present no other credential: a request carrying an
    Authorization header is judged by it alone (a rejected token is 401, never a fall-through
    into the session's CSRF check and its 403)."""

    def __call__(self, request):
        if "HTTP_AUTHORIZATION" in request.META:
            return None
        return super().__call__(request)

    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        if user is not None:
            request.actor = Actor.for_user(user)
        return user


class TierlineAPI(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        # Building it walks every operation's models (~2.2 s); the operations are fixed once the
        # process has imported its routers, so the schema is built once per process.
        key = (path_prefix, tuple(sorted((path_params or {}).items())))
        cache = self.__dict__.setdefault("_tierline_openapi", {})
        if key not in cache:
            cache[key] = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        return cache[key]  # shared: a caller that changes it (schemathesis) takes a copy


api = TierlineAPI(
    title="Tierline API",
    version="1",
    description="Escalation management for BPO support desks. Authenticate with `Authorization: Bearer <token>` "
    "or a browser session (with CSRF).",
    auth=[TokenAuth(), SessionAuth()],
    parser=ApiParser(),
    docs_url="/docs",
    urls_namespace="api",
)


def error_response(request, status: int, code: str, message: str, fields: dict | None = None):
    return api.create_response(
        request, {"error": {"code": code, "message": message, "fields": fields or {}}}, status=status
    )


def _field_name(loc) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "payload", "filters")]
    # Drop ninja's own wrapper names (the function argument holding the body schema).
    return ".".join(parts) or "body"


@api.exception_handler(ValidationError)
def on_validation_error(request, exc: ValidationError):
    fields = {}
    for err in exc.errors:
        loc = list(err.get("loc", ()))
        if len(loc) >= 2 and loc[0] == "body":
            loc = loc[2:] if len(loc) > 2 else loc[1:]
        fields[_field_name(loc)] = str(err.get("msg", "invalid")).removeprefix("Value error, ")
    return error_response(request, 422, "validation_error", "the request is not valid", fields)


@api.exception_handler(DomainError)
def on_domain_error(request, exc: DomainError):
    return error_response(request, exc.http_status, exc.code, exc.message, exc.fields)


@api.exception_handler(AuthenticationError)
def on_auth_error(request, exc):
    return error_response(request, 401, "unauthenticated", "missing, invalid, expired or revoked credentials")


@api.exception_handler(HttpError)
def on_http_error(request, exc: HttpError):
    codes = {400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
             429: "rate_limited"}
    return error_response(request, exc.status_code, codes.get(exc.status_code, "error"), str(exc))


@api.exception_handler(Http404)
def on_404(request, exc):
    return error_response(request, 404, "not_found", "not found")


@api.exception_handler(DatabaseError)
def on_database_error(request, exc):
    # 503 "retry" only when the connection is lost: a retry of a value the database refuses
    # (NUL in text, a bigint out of range, a constraint) would fail the same way forever.
    if isinstance(exc, OperationalError | InterfaceError):
        log.warning("database unavailable: %s", exc)
        return error_response(request, 503, "database_unavailable", "the database is unavailable; retry shortly")
    if isinstance(exc, IntegrityError):
        log.warning("integrity error on %s: %s", request.path, exc)
        return error_response(request, 409, "conflict", "the change conflicts with existing data")
    if isinstance(exc, DataError):
        log.warning("value refused by the database on %s: %s", request.path, exc)
        return error_response(request, 422, "validation_error", "a value is out of the range the database holds")
    raise exc


from tierline.audit.api import router as audit_router  # noqa: E402
from tierline.escalations import api_coordination  # noqa: E402
from tierline.escalations.api import router as escalations_router  # noqa: E402
from tierline.privacy.api import router as privacy_router  # noqa: E402
from tierline.problems import api as problems_api  # noqa: E402
from tierline.problems.api import router as problems_router  # noqa: E402
from tierline.reports.api import router as reports_router  # noqa: E402
from tierline.routing.api import router as routing_router  # noqa: E402
from tierline.security.api import router as compliance_router  # noqa: E402
from tierline.tenancy.api import router as tenancy_router  # noqa: E402

# Action endpoints other modules add to the escalations router, before the router is mounted.
api_coordination.register_endpoints()
problems_api.register_escalation_endpoints()
api.add_router("/escalations", escalations_router)
api.add_router("/", tenancy_router)
api.add_router("/routing", routing_router)
api.add_router("/compliance", compliance_router)
api.add_router("/privacy", privacy_router)
api.add_router("/reports", reports_router)
api.add_router("/audit", audit_router)
api.add_router("/problems", problems_router)
