"""Writing outbox rows. Called inside the action's transaction, so a message exists if and
only if the change it announces was committed."""

from __future__ import annotations

from tierline.audit.event_types import EventType
from tierline.core.actors import Actor
from tierline.notifications.models import OutboxMessage

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
}


def _recipients(esc, event, watchers: set[int]) -> set[int]:
    from tierline.tenancy.models import TeamMember

    users = set(watchers)
    if esc.owner_id:
        users.add(esc.owner_id)
    if event.type in (EventType.CREATED, EventType.ESCALATED, EventType.DE_ESCALATED) and not esc.owner_id:
        # Unowned work arriving at a team: its leads hear about it.
        users |= set(TeamMember.objects.filter(team_id=esc.team_id, is_lead=True).values_list("user_id", flat=True))
    users |= set(event.data.get("notify_users") or ())  # recipients an SLA step named
    changes = event.data.get("changes", {})
    if "owner" in changes and changes["owner"][0]:
        users.add(changes["owner"][0])  # the previous owner learns it moved away
    return users


def enqueue_for_events(esc, events, actor: Actor) -> list[OutboxMessage]:
    from tierline.escalations.models import Watcher

    rows = []
    watchers = None
    for event in events:
        template = NOTIFY.get(EventType(event.type))
        if template is None:
            continue
        if watchers is None:
            watchers = set(Watcher.objects.filter(escalation_id=esc.pk).values_list("user_id", flat=True))
        text = template.format(
            ref=esc.reference, title=esc.title[:120], team=esc.team.name if esc.team_id else "-",
            owner=str(esc.owner) if esc.owner_id else "nobody", priority=esc.priority,
            target=event.data.get("target", ""), percent=event.data.get("percent", ""),
            action=event.data.get("action", ""),
        )
        for user_id in sorted(_recipients(esc, event, watchers)):
            if actor.user is not None and actor.user.pk == user_id:
                continue  # nobody needs telling about their own action
            rows.append(OutboxMessage(
                tenant_id=esc.tenant_id, channel=OutboxMessage.Channel.IN_APP,
                idempotency_key=f"ev{event.pk}:u{user_id}:in_app", recipient_user_id=user_id,
                subject=text, body=text, escalation=esc, event=event, next_attempt_at=event.occurred_at,
                created_at=event.occurred_at,
            ))
    if rows:
        OutboxMessage.objects.bulk_create(rows, ignore_conflicts=True)
    return rows
