"""Which channels a person gets for which kind of event. Pure (no Django).

Kinds group the event types people are notified about (outbox.NOTIFY) into a handful a person can
reasonably choose for. Without a preference row everyone gets in-app notifications only — the
behaviour before preferences existed. Chat (Slack/Teams) is a tenant's channel subscription
(webhooks app), not a person's, so it is not chosen here.
"""

from __future__ import annotations

from tierline.audit.event_types import EventType

IN_APP, EMAIL = "in_app", "email"
CHANNELS = (IN_APP, EMAIL)
CHANNEL_LABELS = {IN_APP: "In-app", EMAIL: "Email"}

KINDS: dict[str, tuple[str, frozenset[int]]] = {
    "intake": ("New and escalated work", frozenset({
        EventType.CREATED, EventType.ESCALATED, EventType.DE_ESCALATED, EventType.COLLABORATOR_ADDED})),
    "assignment": ("Assignment changes", frozenset({EventType.ASSIGNED})),
    "customer": ("Customer replies and requests", frozenset({
        EventType.PUBLIC_REPLY, EventType.CLIENT_ESCALATION_REQUESTED, EventType.CLIENT_REQUEST_OVERDUE})),
    "sla": ("SLA warnings, breaches, steps and update reminders", frozenset({
        EventType.SLA_WARNING, EventType.SLA_BREACH, EventType.SLA_STEP})),
    "priority": ("Priority changes", frozenset({EventType.PRIORITY_CHANGED})),
    "outcome": ("Resolved, reopened, cancelled, merged", frozenset({
        EventType.RESOLVED, EventType.REOPENED, EventType.CANCELLED, EventType.MERGED_INTO})),
    "approval": ("Approvals", frozenset({
        EventType.APPROVAL_REQUESTED, EventType.APPROVAL_GRANTED, EventType.APPROVAL_REJECTED})),
}
DEFAULT = (IN_APP,)
_KIND_OF = {int(t): kind for kind, (_, types) in KINDS.items() for t in types}


def register(event_type: int, kind: str) -> None:
    """Put a later event type (e.g. the update reminder) under a kind."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind}")
    _KIND_OF[int(event_type)] = kind


def kind_of(event_type: int) -> str | None:
    return _KIND_OF.get(int(event_type))


def channels_for(choice: dict | None, event_type: int) -> tuple[str, ...]:
    """The channels a person with stored `choice` ({kind: [channels]}) gets for this event."""
    kind = kind_of(event_type)
    if not choice or kind is None or kind not in choice:
        return DEFAULT
    return tuple(c for c in CHANNELS if c in (choice.get(kind) or ()))


def clean_choice(raw: dict) -> dict[str, list[str]]:
    """Keep known kinds and channels only (stored choices never carry junk)."""
    return {kind: [c for c in CHANNELS if c in (raw.get(kind) or ())] for kind in KINDS if kind in raw}
