"""Issuing, revoking and resolving status links.

Staff issue and revoke (Perm.WORK in the escalation's tenant); anyone holding a live token may
read. Every failure to resolve a token — malformed, unknown, expired, revoked — is the same
NotFound with the same message, so a probe learns nothing about which tokens once existed.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets

from django.db import transaction

from tierline.accounts.permissions import Perm
from tierline.core.actors import Actor
from tierline.core.checks import require_aware
from tierline.core.errors import InvalidInput, NotFound
from tierline.statuspage.models import StatusLink
from tierline.tenancy import scoping

DEFAULT_DAYS = 30
MAX_DAYS = 365
TOKEN_BYTES = 32  # 256 bits: guessing is hopeless, so the per-IP limit only has to stop floods
# token_urlsafe(32) gives 43 characters; anything far off that is refused before a query.
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{32,64}")
NOT_FOUND_MESSAGE = "This status link is not valid. It may have expired or been withdrawn."


def issue_link(esc, *, actor: Actor, now: dt.datetime, days: int = DEFAULT_DAYS) -> tuple[StatusLink, str]:
    """Create a link; return it with the plain token, which is shown once and never stored."""
    require_aware(now)
    scoping.check(actor, Perm.WORK, esc.tenant_id)
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise InvalidInput(f"a status link lasts 1 to {MAX_DAYS} days", fields={"days": "out of range"})
    if esc.customer_id is None:
        # The page acts as the escalation's customer; without one there is nobody to give it to.
        raise InvalidInput(f"{esc.reference} has no customer to send a status link to", code="no_customer")
    token = secrets.token_urlsafe(TOKEN_BYTES)
    link = StatusLink.objects.create(
        tenant_id=esc.tenant_id, escalation=esc, digest=StatusLink.digest_of(token), created_at=now,
        created_by=actor.label, expires_at=now + dt.timedelta(days=days),
    )
    return link, token


def revoke(link: StatusLink, *, actor: Actor, now: dt.datetime) -> StatusLink:
    """Withdraw a link at once. Revoking a revoked link keeps the first revocation's record."""
    require_aware(now)
    scoping.check(actor, Perm.WORK, link.tenant_id)
    with transaction.atomic():
        current = StatusLink.objects.select_for_update().get(pk=link.pk)
        if current.revoked_at is None:
            current.revoked_at, current.revoked_by = now, actor.label
            current.save(update_fields=["revoked_at", "revoked_by"])
    return current


def resolve_token(token, *, now: dt.datetime) -> StatusLink:
    """The live link for a token, or NotFound."""
    require_aware(now)
    if not isinstance(token, str) or not _TOKEN_SHAPE.fullmatch(token):
        raise NotFound(NOT_FOUND_MESSAGE)
    link = StatusLink.objects.filter(digest=StatusLink.digest_of(token)).first()
    if link is None or not link.is_usable(now):
        raise NotFound(NOT_FOUND_MESSAGE)
    return link


def live_links(esc, *, now: dt.datetime) -> list[StatusLink]:
    """The links that still work, newest first (what the staff sidebar lists)."""
    return list(StatusLink.objects.filter(escalation_id=esc.pk, revoked_at__isnull=True, expires_at__gt=now)
                .order_by("-created_at", "-pk"))
