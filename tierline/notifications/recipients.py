"""Recipients beyond the people working an escalation: the client company's contacts, and the
per-person channel and quiet-hours choices applied to everyone notified.

Called inside the action's transaction (from outbox.enqueue_for_events). Plain SQL for the two
reads, for the reason outbox._people gives: compiling a queryset costs more than running it, and
these run on every action that notifies someone.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from django.db import connection

from tierline.accounts.models import User
from tierline.audit.event_types import EventType
from tierline.notifications.keys import source
from tierline.notifications.models import ClientContact, NotificationPreference, OutboxMessage
from tierline.tenancy.choices import CustomerTier, TeamLevel

# What a client contact hears about a serious escalation: that it exists or reached them, and that
# it is over. Not the day-to-day (replies, notes, SLA chatter).
CONTACT_EVENTS = {
    EventType.CREATED: "{ref} was opened: {title}",
    EventType.ESCALATED: "{ref} was escalated to {team} (level {level}): {title}",
    EventType.RESOLVED: "{ref} was resolved: {title}",
}


@dataclass(frozen=True)
class Pref:
    channels: dict
    quiet_start: dt.time | None
    quiet_end: dt.time | None
    time_zone: str
    email: str


def _time(value):
    if value is None or isinstance(value, dt.time):
        return value
    return dt.time.fromisoformat(str(value))


def preferences(tenant_id: int, user_ids) -> dict[int, Pref]:
    """Stored preferences (with the user's zone and email) of these users in this tenant."""

    if not user_ids:
        return {}
    pref, user, quote = NotificationPreference._meta, User._meta, connection.ops.quote_name
    col = lambda opts, name: f"{quote(opts.db_table)}.{quote(opts.get_field(name).column)}"  # noqa: E731
    ids = sorted(user_ids)
    sql = (f"SELECT {col(pref, 'user')}, {col(pref, 'channels')}, {col(pref, 'quiet_start')}, "
           f"{col(pref, 'quiet_end')}, {col(user, 'time_zone')}, {col(user, 'email')} "
           f"FROM {quote(pref.db_table)} JOIN {quote(user.db_table)} ON {col(user, 'id')} = {col(pref, 'user')} "
           f"WHERE {col(pref, 'tenant')} = %s AND {col(pref, 'user')} IN ({', '.join(['%s'] * len(ids))})")
    out = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, [tenant_id, *ids])
        for user_id, channels, start, end, zone, email in cursor.fetchall():
            if isinstance(channels, str | bytes):
                channels = json.loads(channels)
            out[user_id] = Pref(channels or {}, _time(start), _time(end), zone or "UTC", email or "")
    return out


def contact_rows(esc, events) -> list[OutboxMessage]:
    """Emails to the client company's contacts for VIP-customer and management-level escalations."""
    wanted = [e for e in events if e.type in CONTACT_EVENTS]
    if not wanted:
        return []
    vip = bool(esc.customer_id) and esc.customer.tier == CustomerTier.VIP
    management = esc.level >= TeamLevel.MANAGEMENT
    if not (vip or management):
        return []
    contacts = ClientContact.objects.filter(tenant_id=esc.tenant_id, is_active=True)
    contacts = [c for c in contacts if (vip and c.vip_escalations) or (management and c.management_escalations)]
    rows = []
    for event in wanted:
        text = CONTACT_EVENTS[EventType(event.type)].format(
            ref=esc.reference, title=esc.title[:120], team=esc.team.name if esc.team_id else "-", level=esc.level)
        why = "a VIP customer's escalation" if vip else "an escalation at management level"
        body = f"{text}\n\nYou receive this as a contact of {esc.tenant.name} for {why}.\n"
        for contact in contacts:
            rows.append(OutboxMessage(
                tenant_id=esc.tenant_id, channel=OutboxMessage.Channel.EMAIL,
                idempotency_key=f"{source(event)}:cc{contact.pk}:email", recipient_address=contact.email,
                subject=text[:300], body=body, escalation=esc, event=event, next_attempt_at=event.occurred_at,
                created_at=event.occurred_at, payload={"kind": "client_contact", "language": contact.language},
            ))
    return rows
