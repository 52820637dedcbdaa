"""The kit every app's pages and API endpoints share, with public names.

Pages: `ui_view` (sign-in required, times in the user's own zone), `actor_of`, `tenants_of`,
`is_partial` (an htmx fragment request). API: the strict request schemas (`Strict`, `Versioned`),
the one error body (`ErrorBody`, `ErrorOut`, `ERRORS` for a route's responses) and the scoped
lookups of a team or customer named in a request body (another tenant's id reads as not found).

It sits above tenancy and below every app's edges; it imports no app's views or API.
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo

from django.contrib.auth.decorators import login_required
from django.utils import timezone
from ninja import Schema
from pydantic import ConfigDict, Field

from tierline.accounts.permissions import Perm
from tierline.core.actors import Actor
from tierline.core.errors import NotFound
from tierline.core.inputs import Int64
from tierline.tenancy import scoping
from tierline.tenancy.models import Customer, Team, Tenant

# --- pages -----------------------------------------------------------------------------------


def user_zone(user):
    try:
        return zoneinfo.ZoneInfo(getattr(user, "time_zone", "") or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def ui_view(view):
    """Login required, and times shown in the user's own zone (desks span time zones)."""

    @login_required
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        with timezone.override(user_zone(request.user)):
            return view(request, *args, **kwargs)

    return wrapper


def actor_of(request) -> Actor:
    return Actor.for_user(request.user)


def tenants_of(user, perm: Perm = Perm.VIEW) -> list[Tenant]:
    return list(scoping.tenants(Actor.for_user(user), perm))


def is_partial(request) -> bool:
    # A history restore after a cache miss needs the whole page, not the fragment.
    return bool(request.htmx) and not request.htmx.history_restore_request


# --- API -------------------------------------------------------------------------------------


class Strict(Schema):
    model_config = ConfigDict(extra="forbid")


class Versioned(Strict):
    version: Int64 | None = Field(default=None, ge=1, description="optimistic concurrency; or send If-Match")


class ErrorBody(Schema):
    code: str
    message: str
    fields: dict[str, str]


class ErrorOut(Schema):
    error: ErrorBody


ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 412: ErrorOut,
          422: ErrorOut, 503: ErrorOut}


def scoped_team(actor, team_id: int | None, field: str = "team"):
    if team_id is None:
        return None
    try:
        return scoping.get_scoped_pk("api_team", Team.objects.select_related("tenant", "parent"), actor, team_id)
    except NotFound:
        raise NotFound(f"{field} not found", fields={field: "not found"}) from None


def scoped_customer(actor, customer_id: int | None):
    if customer_id is None:
        return None
    try:
        return scoping.get_scoped_pk("api_customer", Customer.objects.all(), actor, customer_id)
    except NotFound:
        raise NotFound("customer not found", fields={"customer": "not found"}) from None
