"""Erasing a customer's personal data from one of their escalations (tierline/privacy drives it).

The row's free text becomes "[erased]" through the Op, so the log records the change like any
other and replay still reproduces the row; the text in earlier events is sealed with the
customer's key, which the caller destroys in the same transaction. Files the escalation holds
lose their content and their names; related rows lose their free text.
"""

from __future__ import annotations

from django.db import transaction

from tierline.accounts.permissions import Perm
from tierline.actions._base import mutate
from tierline.audit.event_types import EventType
from tierline.core.errors import NotFound
from tierline.escalations.models import Approval, Attachment, ClientRequest, Collaboration
from tierline.privacy.envelope import ERASED

ERASED_FIELDS = ("title", "description", "resolution_summary")


def erase_personal_data(escalation, *, customer_id: int, anonymised: bool = False, actor, now):
    """Admins (Perm.CONFIGURE) or the retention job; another customer's escalation is not found."""
    with mutate(escalation, actor=actor, now=now, perm=Perm.CONFIGURE, name="erase_personal_data") as op:
        esc = op.esc
        if esc.customer_id != customer_id:
            raise NotFound("escalation not found")
        for field in ERASED_FIELDS:
            if getattr(esc, field) not in ("", ERASED):
                op.set(field, ERASED)
        if esc.csat_comment:
            op.set_plain("csat_comment", "")
        files = 0
        for attachment in Attachment.objects.filter(escalation=esc):
            if attachment.file:
                # After commit: a rolled-back erasure must not have lost the file.
                storage, name = attachment.file.storage, attachment.file.name
                transaction.on_commit(lambda storage=storage, name=name: storage.delete(name))
            attachment.filename = ERASED
            attachment.file = ""
            attachment.save(update_fields=["filename", "file"])
            files += 1
        ClientRequest.objects.filter(escalation=esc).exclude(reason=ERASED).update(reason=ERASED)
        Collaboration.objects.filter(escalation=esc).exclude(reason=ERASED).update(reason=ERASED)
        Approval.objects.filter(escalation=esc).update(reason=ERASED, decision_note="")
        op.record(EventType.ANONYMISED if anonymised else EventType.ERASED, customer=customer_id, files=files)
    return op.esc
