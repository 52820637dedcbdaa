"""Tags, watchers and detail edits: the small bookkeeping actions."""

from __future__ import annotations

from tierline.accounts.permissions import Perm
from tierline.actions._base import mutate
from tierline.actions.fields import member_of, normalise_tags, same_tenant, validate_custom_fields
from tierline.audit.event_types import EventType
from tierline.core.checks import choice, text
from tierline.core.errors import InvalidInput
from tierline.escalations.choices import Channel, EscalationType
from tierline.escalations.models import EscalationTag, Watcher
from tierline.privacy.envelope import SEALED_CHANGES


def set_tags(escalation, *, actor, now, add=(), remove=(), expected_version=None):

    add, remove = normalise_tags(add), normalise_tags(remove)
    with mutate(escalation, actor=actor, now=now, perm=Perm.WORK, name="set_tags",
                expected_version=expected_version) as op:
        esc = op.esc
        old = set(esc.tags)
        new = normalise_tags((old | set(add)) - set(remove))
        if op.set("tags", new):
            EscalationTag.objects.filter(escalation=esc, name__in=old - set(new)).delete()
            EscalationTag.objects.bulk_create(
                [EscalationTag(tenant_id=esc.tenant_id, escalation=esc, name=n) for n in sorted(set(new) - old)],
                ignore_conflicts=True,
            )
            op.record(EventType.TAGS_CHANGED)
    return op.esc


def watch(escalation, user, *, actor, now, expected_version=None):

    with mutate(escalation, actor=actor, now=now, perm=Perm.WORK, name="watch",
                expected_version=expected_version) as op:
        member_of(op.esc.tenant_id, user, "user")
        before = sorted(Watcher.objects.filter(escalation=op.esc).values_list("user_id", flat=True))
        if user.pk not in before:
            Watcher.objects.create(tenant_id=op.esc.tenant_id, escalation=op.esc, user=user)
            op.note_change("watchers", before, sorted([*before, user.pk]))
            op.record(EventType.WATCHER_ADDED, user=user.pk)
    return op.esc


def unwatch(escalation, user, *, actor, now, expected_version=None):

    with mutate(escalation, actor=actor, now=now, perm=Perm.WORK, name="unwatch",
                expected_version=expected_version) as op:
        before = sorted(Watcher.objects.filter(escalation=op.esc).values_list("user_id", flat=True))
        if user.pk in before:
            Watcher.objects.filter(escalation=op.esc, user=user).delete()
            op.note_change("watchers", before, [u for u in before if u != user.pk])
            op.record(EventType.WATCHER_REMOVED, user=user.pk)
    return op.esc


def edit_details(escalation, *, actor, now, expected_version=None, **changes):
    """Change descriptive fields: title, description, type, channel, external_id, customer,
    custom_fields. Unknown keys are refused."""

    allowed = {"title", "description", "type", "channel", "external_id", "customer", "custom_fields"}
    unknown = set(changes) - allowed
    if unknown:
        raise InvalidInput(f"cannot edit {', '.join(sorted(unknown))} here",
                           fields={k: "not editable" for k in unknown})
    with mutate(escalation, actor=actor, now=now, perm=Perm.WORK, name="edit_details",
                expected_version=expected_version) as op:
        esc = op.esc
        for field, value in changes.items():
            if field == "title":
                value = text(value, "title", max_length=200)
            elif field == "description":
                value = text(value, "description", required=False)
            elif field == "external_id":
                value = text(value, "external_id", required=False, max_length=100)
            elif field == "type":
                choice(value, EscalationType, "type")
            elif field == "channel":
                choice(value, Channel, "channel")
            elif field == "customer":
                same_tenant(value, esc.tenant_id, "customer")
            elif field == "custom_fields":
                value = validate_custom_fields(esc.tenant, value)
            op.set(field, value)
        if "customer" in op._pending:
            _hand_over_text(op)
        if op.row_changed:
            op.record(EventType.DETAILS_CHANGED)
    return op.esc


def _hand_over_text(op) -> None:
    """The escalation changes customer: its current text passes to the new customer's stint. Each
    non-empty text field not changed by this edit is restated unchanged ([v, v]); the before is
    sealed under the previous customer's key and the after under the new one's (privacy.keys), so
    erasing either customer later leaves a log that still replays to the row (docs/privacy.md)."""
    for field in sorted(SEALED_CHANGES):
        value = getattr(op.esc, field)
        if value and field not in op._pending:
            op.note_change(field, value, value)
