"""Writes on the notification app's own rows, for people (views, admin): retrying parked
messages, reading in-app notifications, saving preferences. Tenant checks through scoping."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from tierline.accounts.permissions import Perm, role_allows
from tierline.core.actors import Actor
from tierline.core.errors import InvalidInput, NotFound
from tierline.core.inputs import parse_id
from tierline.notifications import preferences
from tierline.notifications.models import Notification, NotificationPreference, OutboxMessage
from tierline.tenancy import scoping
from tierline.tenancy.models import Tenant

RETRY_MAX = 500  # ids in one request


def _require_aware(now: dt.datetime) -> None:
    if now.tzinfo is None:
        raise InvalidInput("now must be timezone-aware")


def manageable_tenants(actor: Actor) -> list[int]:
    """Tenants whose outbox the actor may see and retry."""
    return [tid for tid, role in scoping.roles_of(actor.user).items()
            if role_allows(role, Perm.MANAGE_OUTBOX)]


def problem_messages(actor: Actor):
    """Parked (failed) messages and those still being retried after an error, in the actor's
    tenants where they may manage the outbox; newest trouble first."""
    from django.db.models import Q

    qs = scoping.scoped(OutboxMessage.objects, actor).filter(tenant_id__in=manageable_tenants(actor))
    return (qs.filter(Q(state=OutboxMessage.State.FAILED) | Q(state=OutboxMessage.State.PENDING, attempts__gt=0))
            .select_related("escalation", "recipient_user", "tenant").order_by("-state", "-next_attempt_at", "-pk"))


def retry_messages(ids, *, actor: Actor, now: dt.datetime) -> int:
    """Put failed messages back in the queue now, with a fresh set of attempts. Messages of other
    tenants are not found; a role without MANAGE_OUTBOX is refused; sent ones are left alone
    (retrying cannot send anything twice: the idempotency key still applies at the receiver)."""
    _require_aware(now)
    parsed = {parse_id(i) for i in ids}
    if None in parsed:
        raise InvalidInput("message ids must be numbers", fields={"ids": "not a number"})
    ids = sorted(parsed)
    if not ids or len(ids) > RETRY_MAX:
        raise InvalidInput(f"choose 1 to {RETRY_MAX} messages", fields={"ids": "none or too many"})
    rows = list(scoping.scoped(OutboxMessage.objects, actor).filter(pk__in=ids).values_list("pk", "tenant_id"))
    if len(rows) != len(ids):

        raise NotFound("message not found")
    for tenant_id in {t for _, t in rows}:
        scoping.check(actor, Perm.MANAGE_OUTBOX, tenant_id)
    return reset(ids, now)


def reset(ids, now: dt.datetime) -> int:
    """The queue reset itself, for callers that already checked (the admin action, the CLI).
    A customer email parked because its template would not render loses its pinned text: the
    retry renders the template in force, the one an admin has fixed in the meantime."""
    OutboxMessage.objects.filter(pk__in=ids, state=OutboxMessage.State.FAILED, render_context__isnull=False,
                                 last_error__startswith="template ").update(template_pin=None)
    return OutboxMessage.objects.filter(pk__in=ids, state=OutboxMessage.State.FAILED).update(
        state=OutboxMessage.State.PENDING, next_attempt_at=now, attempts=0)


# -- in-app notifications ----------------------------------------------------------------------
def my_notifications(actor: Actor):
    return scoping.scoped(Notification.objects, actor).filter(user=actor.user)


def unread_count(actor: Actor) -> int:
    return my_notifications(actor).filter(read_at__isnull=True).count()


def mark_read(notification_id, *, actor: Actor, now: dt.datetime) -> Notification:
    """Another person's notification is not found, whoever asks."""
    _require_aware(now)
    note = scoping.get_scoped(my_notifications(actor), actor, pk=notification_id)
    if note.read_at is None:
        my_notifications(actor).filter(pk=note.pk, read_at__isnull=True).update(read_at=now)
        note.read_at = now
    return note


def mark_all_read(*, actor: Actor, now: dt.datetime) -> int:
    _require_aware(now)
    return my_notifications(actor).filter(read_at__isnull=True).update(read_at=now)


# -- preferences -----------------------------------------------------------------------------
def preference_for(actor: Actor, tenant: Tenant) -> NotificationPreference | None:
    scoping.check(actor, Perm.VIEW, tenant.pk)
    return NotificationPreference.objects.filter(tenant=tenant, user=actor.user).first()


def save_preferences(tenant: Tenant, *, actor: Actor, now: dt.datetime, channels: dict,
                     quiet_start: dt.time | None, quiet_end: dt.time | None) -> NotificationPreference:
    """A person's own choices in a tenant they belong to."""
    _require_aware(now)
    scoping.check(actor, Perm.VIEW, tenant.pk)
    if (quiet_start is None) != (quiet_end is None):
        raise InvalidInput("give both the start and the end of quiet hours, or neither",
                           fields={"quiet_end" if quiet_end is None else "quiet_start": "missing"})
    with transaction.atomic():
        pref, _ = NotificationPreference.objects.update_or_create(
            tenant=tenant, user=actor.user,
            defaults={"channels": preferences.clean_choice(channels), "quiet_start": quiet_start,
                      "quiet_end": quiet_end, "updated_at": now})
    return pref
