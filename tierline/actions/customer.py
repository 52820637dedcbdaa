"""What the end customer does on their own escalation: reply, attach a file, rate the outcome.

Customers hold only Perm.VIEW (scoping.CUSTOMER_PERMS), so these actions run under VIEW and
then narrow it: a customer acts on the escalation whose customer they are, nobody else's; staff
recording something on the customer's behalf (a reply received by phone) need Perm.WORK.
Asking to escalate is `request_client_escalation` (coordination.py), which is rate limited.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django.conf import settings
from django.core.files.base import ContentFile

from tierline.accounts.permissions import Perm
from tierline.actions._base import Op, mutate
from tierline.audit.event_types import EventType
from tierline.core.checks import text
from tierline.core.errors import IllegalTransition, InvalidInput, NotFound
from tierline.core.inputs import parse_int
from tierline.escalations import states
from tierline.escalations.models import Attachment
from tierline.security.files import content_matches
from tierline.tenancy import scoping

# A reply this soon after resolution means "that did not fix it": the case reopens. Later, a
# reply would land on a case nobody watches any more, so it is refused and the customer told.
REOPEN_WINDOW = dt.timedelta(days=7)
REPLY_MAX = 5000
COMMENT_MAX = 2000


def _on_behalf_of_customer(op: Op) -> None:
    actor = op.actor
    if actor.kind == "customer":
        if actor.customer is None or actor.customer.pk != op.esc.customer_id:
            # Another customer of the same client: as invisible as another tenant's escalation.
            raise NotFound("escalation not found")
    elif actor.kind != "system":
        scoping.check(actor, Perm.WORK, op.esc.tenant_id)


def customer_reply(escalation, body: str, *, actor, now, source: str = "status_page", expected_version=None):
    """The customer writes to us. Reopens a recently resolved case; ends a wait on the customer."""
    body = text(body, "body", max_length=REPLY_MAX)
    with mutate(escalation, actor=actor, now=now, perm=Perm.VIEW, name="customer_reply",
                expected_version=expected_version) as op:
        _on_behalf_of_customer(op)
        esc = op.esc
        if esc.status in states.TERMINAL:
            raise IllegalTransition(f"{esc.reference} is {esc.status}: it takes no further replies",
                                    code="not_open")
        reopen = esc.status == states.S.RESOLVED
        if reopen and (esc.resolved_at is None or now - esc.resolved_at > REOPEN_WINDOW):
            raise IllegalTransition(
                f"{esc.reference} was resolved more than {REOPEN_WINDOW.days} days ago; please contact us "
                "to open a new case", code="reply_window_closed")
        # The reply comes first in the log: the status change is its consequence.
        op.record(EventType.PUBLIC_REPLY, body=body, source=source, **{"from": "customer"})
        if reopen:
            op.move("reopen")
            op.set_plain("resolved_at", None)
            op.set_plain("reopen_count", esc.reopen_count + 1)
            op.record(EventType.REOPENED, reason="the customer replied after resolution")
        elif esc.status == states.S.PENDING_CUSTOMER:
            op.move("resume")
            op.record(EventType.STATUS_CHANGED, reason="the customer replied")
    return op.esc


def _score(score) -> int:
    if isinstance(score, str):
        score = parse_int(score, lo=1, hi=5)
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        raise InvalidInput("the rating must be a whole number from 1 to 5", fields={"score": "1 to 5"})
    return score


def record_csat(escalation, score, comment: str = "", *, actor, now, expected_version=None):
    """The customer rates the outcome: once, and only once the case is resolved or closed."""
    score = _score(score)
    comment = text(comment, "comment", required=False, max_length=COMMENT_MAX)
    with mutate(escalation, actor=actor, now=now, perm=Perm.VIEW, name="record_csat",
                expected_version=expected_version) as op:
        _on_behalf_of_customer(op)
        esc = op.esc
        if esc.csat_score is not None:
            raise IllegalTransition(f"{esc.reference} has already been rated", code="csat_already_given")
        if esc.status not in (states.S.RESOLVED, states.S.CLOSED) or esc.merged_into_id is not None:
            raise IllegalTransition(f"{esc.reference} can be rated once it is resolved", code="not_resolved")
        op.set("csat_score", score)
        op.set_plain("csat_comment", comment)
        op.record(EventType.CSAT_RECEIVED, score=score, comment=comment)
    return op.esc


def store_attachment(op, filename: str, content: bytes, content_type: str, **event_data) -> None:
    """The attachment row, its stored file (named by its SHA-256) and the event: the one way a
    file joins an escalation, whoever sends it (staff add_attachment, the customer's customer_attach)."""
    digest = hashlib.sha256(content).hexdigest()
    attachment = Attachment(
        tenant_id=op.esc.tenant_id, escalation=op.esc, filename=filename, content_type=content_type,
        size=len(content), sha256=digest, uploaded_at=op.now,
    )
    attachment.file.save(digest, ContentFile(content), save=False)
    attachment.save()
    op.record(EventType.ATTACHMENT_ADDED, attachment=attachment.pk, filename=filename, size=len(content),
              sha256=digest, content_type=content_type, **event_data)


def check_file(filename: str, content: bytes, content_type: str) -> tuple[str, str]:
    """The limits add_attachment applies, so a customer's upload is held to the same ones."""
    limits = settings.TIERLINE
    filename = text(filename, "filename", max_length=255).replace("/", "_").replace("\\", "_")
    if len(content) == 0:
        raise InvalidInput("the file is empty", fields={"file": "empty"})
    if len(content) > limits["ATTACHMENT_MAX_BYTES"]:
        raise InvalidInput(f"the file is larger than {limits['ATTACHMENT_MAX_BYTES']} bytes",
                           fields={"file": "too large"}, code="too_large")
    content_type = (content_type or "").split(";")[0].strip().lower()
    if content_type not in limits["ATTACHMENT_ALLOWED_TYPES"]:
        raise InvalidInput(f"files of type {content_type or 'unknown'} are not accepted",
                           fields={"file": "type not allowed"}, code="unsupported_type")
    if not content_matches(content_type, content):
        raise InvalidInput(f"the file's content is not {content_type}", fields={"file": "content does not match type"},
                           code="content_mismatch")
    return filename, content_type


def customer_attach(escalation, *, filename: str, content: bytes, content_type: str, actor, now,
                    expected_version=None):
    """A file from the customer (add_attachment needs Perm.WORK, which customers do not hold)."""
    filename, content_type = check_file(filename, content, content_type)
    with mutate(escalation, actor=actor, now=now, perm=Perm.VIEW, name="customer_attach",
                expected_version=expected_version) as op:
        _on_behalf_of_customer(op)
        if op.esc.status in states.TERMINAL:
            raise IllegalTransition(f"{op.esc.reference} is {op.esc.status}: it takes no further files",
                                    code="not_open")
        store_attachment(op, filename, content, content_type, **{"from": "customer"})
    return op.esc
