"""Writing outbox rows. Called inside the action's transaction, so a message exists if and
only if the change it announces was committed."""

from __future__ import annotations

import contextlib
import contextvars

from django.db import connection

from tierline.actions.outbox_webhooks import enqueue_webhooks
from tierline.audit.append import LOG_ATTR
from tierline.audit.event_types import EventType
from tierline.core.actors import Actor
from tierline.escalations.models import Watcher
from tierline.notifications import preferences
from tierline.notifications.customer_mail import enqueue_customer_mail
from tierline.notifications.keys import source
from tierline.notifications.models import OutboxMessage
from tierline.notifications.quiet import deferred_to
from tierline.notifications.recipients import contact_rows
from tierline.notifications.recipients import preferences as stored_preferences
from tierline.tenancy.models import TeamMember

# Events that people following an escalation want to hear about.
NOTIFY = {
    EventType.CREATED: "{ref} created: {title}",
    EventType.ESCALATED: "{ref} was escalated to {team}",
    EventType.DE_ESCALATED: "{ref} was de-escalated to {team}",
    EventType.ASSIGNED: "{ref} is now owned by {owner}",
    EventType.PRIORITY_CHANGED: "{ref} priority is now {priority}",
    EventType.PUBLIC_REPLY: "{ref}: new public reply",
    EventType.RESOLVED: "{ref} was resolved",
    EventType.REOPENED: "{ref} was reopened",
    EventType.CANCELLED: "{ref} was cancelled",
    EventType.MERGED_INTO: "{ref} was merged into another escalation",
    EventType.SLA_WARNING: "{ref}: {target} SLA at {percent}%",
    EventType.SLA_BREACH: "{ref}: {target} SLA breached",
    EventType.SLA_STEP: "{ref}: SLA step — {target} {action}",
    EventType.COLLABORATOR_ADDED: "{ref}: your team was asked to collaborate",
    EventType.CLIENT_ESCALATION_REQUESTED: "{ref}: the customer asks to escalate — acknowledge it",
    EventType.CLIENT_REQUEST_OVERDUE: "{ref}: a customer's escalation request was not acknowledged in time",
    EventType.APPROVAL_REQUESTED: "{ref}: approval requested",
    EventType.APPROVAL_GRANTED: "{ref}: approval granted",
    EventType.APPROVAL_REJECTED: "{ref}: approval rejected",
    EventType.UPDATE_DUE: "{ref}: the customer is due an update — write to them",
}
preferences.register(EventType.UPDATE_DUE, "sla")


def _recipients(esc, event, watchers: set[int], leads: set[int]) -> set[int]:
    users = set(watchers)
    if esc.owner_id:
        users.add(esc.owner_id)
    if event.type in _TO_LEADS and not esc.owner_id:
        # Unowned work arriving at a team: its leads hear about it.
        users |= leads
    users |= set(event.data.get("notify_users") or ())  # recipients an SLA step named
    changes = event.data.get("changes", {})
    if "owner" in changes and changes["owner"][0]:
        users.add(changes["owner"][0])  # the previous owner learns it moved away
    return users


_TO_LEADS = (EventType.CREATED, EventType.ESCALATED, EventType.DE_ESCALATED)


def _people(esc, with_leads: bool) -> tuple[set[int], set[int]]:
    """(watchers of the escalation, leads of its current team if asked): one query, in plain SQL
    because compiling the two querysets costs several times what running them does."""

    quote = connection.ops.quote_name
    watcher, member = Watcher._meta, TeamMember._meta
    sql = (f"SELECT {quote(watcher.get_field('user').column)}, 0 FROM {quote(watcher.db_table)} "
           f"WHERE {quote(watcher.get_field('escalation').column)} = %s")
    params = [esc.pk]
    if with_leads:
        sql += (f" UNION ALL SELECT {quote(member.get_field('user').column)}, 1 FROM {quote(member.db_table)} "
                f"WHERE {quote(member.get_field('team').column)} = %s AND {quote(member.get_field('is_lead').column)}")
        params.append(esc.team_id)
    watchers, leads = set(), set()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for user_id, kind in cursor.fetchall():
            (leads if kind else watchers).add(user_id)
    return watchers, leads


_FIELDS = [f for f in OutboxMessage._meta.concrete_fields if not f.primary_key]
_insert_sql: dict[tuple[str, int], str] = {}


def _insert(rows: list[OutboxMessage]) -> None:
    """bulk_create(rows, ignore_conflicts=True) without compiling a query per call."""
    from django.db.models.constants import OnConflict

    key = (connection.vendor, len(rows))
    sql = _insert_sql.get(key)
    if sql is None:
        ops = connection.ops
        row = "(" + ", ".join(["%s"] * len(_FIELDS)) + ")"
        sql = _insert_sql[key] = " ".join(part for part in (
            ops.insert_statement(on_conflict=OnConflict.IGNORE), ops.quote_name(OutboxMessage._meta.db_table),
            f"({', '.join(ops.quote_name(f.column) for f in _FIELDS)})", "VALUES", ", ".join([row] * len(rows)),
            ops.on_conflict_suffix_sql(_FIELDS, OnConflict.IGNORE, None, None)) if part)
    params = [f.get_db_prep_save(f.pre_save(message, True), connection) for message in rows for f in _FIELDS]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _user_rows(esc, event, text: str, user_id: int, pref) -> list[OutboxMessage]:
    """The messages one person gets for one event: in-app only without preferences; else their
    channels for the event's kind, held back to the end of their quiet hours unless P1."""
    def row(channel, key, at, address=""):
        return OutboxMessage(
            tenant_id=esc.tenant_id, channel=channel, idempotency_key=key, recipient_user_id=user_id,
            recipient_address=address, subject=text, body=text, escalation=esc, event=event,
            next_attempt_at=at, created_at=event.occurred_at)

    if pref is None:
        return [row(OutboxMessage.Channel.IN_APP, f"{source(event)}:u{user_id}:in_app", event.occurred_at)]
    at = deferred_to(event.occurred_at, start=pref.quiet_start, end=pref.quiet_end, zone_name=pref.time_zone,
                     critical=esc.priority == "P1")
    out = []
    for channel in preferences.channels_for(pref.channels, event.type):
        if channel == preferences.IN_APP:
            out.append(row(OutboxMessage.Channel.IN_APP, f"{source(event)}:u{user_id}:in_app", at))
        elif channel == preferences.EMAIL and pref.email:
            out.append(row(OutboxMessage.Channel.EMAIL, f"{source(event)}:u{user_id}:email", at, pref.email))
    return out


_HISTORY: contextvars.ContextVar[bool] = contextvars.ContextVar("tierline_history_import", default=False)


@contextlib.contextmanager
def history_import():
    """For writing past history (the demo's months of cases): those events were announced when
    they happened, so nothing is queued for them — no e-mail to long-gone customers, no webhook
    replay, no thousand unread in-app notifications. The events themselves are written as usual."""
    token = _HISTORY.set(True)
    try:
        yield
    finally:
        _HISTORY.reset(token)


def enqueue_for_events(esc, events, actor: Actor) -> list[OutboxMessage]:
    if _HISTORY.get():
        return []
    targets = []
    people = None
    for event in events:
        template = NOTIFY.get(EventType(event.type))
        if template is None:
            continue
        if people is None:
            wants_leads = not esc.owner_id and any(e.type in _TO_LEADS for e in events)
            people = _people(esc, wants_leads)
        text = template.format(
            ref=esc.reference, title=esc.title[:120], team=esc.team.name if esc.team_id else "-",
            owner=str(esc.owner) if esc.owner_id else "nobody", priority=esc.priority,
            target=event.data.get("target", ""), percent=event.data.get("percent", ""),
            action=event.data.get("action", ""),
        )
        for user_id in sorted(_recipients(esc, event, *people)):
            if actor.user is not None and actor.user.pk == user_id:
                continue  # nobody needs telling about their own action
            targets.append((event, text, user_id))
    rows = []
    if targets:
        prefs = stored_preferences(esc.tenant_id, {user_id for _, _, user_id in targets})
        for event, text, user_id in targets:
            rows += _user_rows(esc, event, text, user_id, prefs.get(user_id))
    rows += contact_rows(esc, events)
    # One INSERT for everything the change sends: in-app, contacts, webhooks and the customer's emails.
    rows += enqueue_webhooks(esc, events, insert=False)
    rows += enqueue_customer_mail(esc, events, actor, insert=False, log=esc.__dict__.get(LOG_ATTR))
    if rows:
        _insert(rows)
    return rows
