"""Notes, replies and files."""

from __future__ import annotations

from tierline.accounts.permissions import Perm
from tierline.actions._base import mutate
from tierline.actions.customer import check_file, store_attachment
from tierline.audit.event_types import EventType
from tierline.core.checks import text
from tierline.core.errors import IllegalTransition
from tierline.escalations import states


def add_internal_note(escalation, body: str, *, actor, now, expected_version=None):
    body = text(body, "body")
    with mutate(escalation, actor=actor, now=now, perm=Perm.WORK, name="add_internal_note",
                expected_version=expected_version) as op:
        op.record(EventType.INTERNAL_NOTE, body=body)
    return op.esc


def add_public_reply(escalation, body: str, *, actor, now, expected_version=None):
    """A message the customer sees. Not on closed or cancelled escalations."""
    body = text(body, "body")
    with mutate(escalation, actor=actor, now=now, perm=Perm.WORK, name="add_public_reply",
                expected_version=expected_version) as op:
        if op.esc.status in states.TERMINAL:
            raise IllegalTransition(f"{op.esc.reference} is {op.esc.status}: no further replies", code="not_open")
        op.record(EventType.PUBLIC_REPLY, body=body)
    return op.esc


def add_attachment(escalation, *, filename: str, content: bytes, content_type: str, actor, now,
                   expected_version=None):

    filename, content_type = check_file(filename, content, content_type)
    with mutate(escalation, actor=actor, now=now, perm=Perm.WORK, name="add_attachment",
                expected_version=expected_version) as op:
        store_attachment(op, filename, content, content_type)
    return op.esc
