"""The right to erasure, and the retention job's anonymisation: one procedure, two event types.

One transaction per customer: each of their escalations is changed through the write path
(`actions.erase_personal_data`, an ERASED or ANONYMISED event on each), then the sealing keys
about them are deleted — their stints in any escalation, and every stint of the escalations that
are theirs — which turns those sealed values into "[erased]" while the hash chain stays as it
was — and the copies of their data outside the log are scrubbed:
the customer row, outbox messages and in-app notifications about their escalations, and
inbound mail records. Running it twice does nothing the second time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q

from tierline import actions
from tierline.accounts.permissions import Perm
from tierline.core.actors import Actor
from tierline.escalations.models import Escalation
from tierline.mailin.models import InboundMail
from tierline.notifications.models import Notification, OutboxMessage
from tierline.privacy.envelope import ERASED
from tierline.privacy.models import CustomerKey, Erasure
from tierline.tenancy import scoping
from tierline.tenancy.models import Customer


@dataclass(frozen=True)
class Outcome:
    customer_id: int
    kind: str
    escalations: int
    already: bool  # erased before: nothing was done this time


def erased_name(customer_id: int) -> str:
    return f"Erased customer #{customer_id}"


def erase_customer(customer: Customer, *, actor: Actor, now: dt.datetime, anonymised: bool = False) -> Outcome:
    kind = Erasure.Kind.ANONYMISED if anonymised else Erasure.Kind.ERASED
    scoping.check(actor, Perm.CONFIGURE, customer.tenant_id)
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        done = Erasure.objects.filter(customer=customer).first()
        if done is not None:
            return Outcome(customer.pk, done.kind, done.escalations, already=True)
        escalation_ids = list(Escalation.objects.filter(customer=customer).order_by("pk").values_list("pk", flat=True))
        for pk in escalation_ids:
            actions.erase_personal_data(pk, customer_id=customer.pk, anonymised=anonymised, actor=actor, now=now)
        # Their stints anywhere (what was written while they were the customer, in escalations
        # that have moved on to someone else too) and every stint of the escalations that are
        # still theirs: those rows now read "[erased]", so none of their history may stay readable.
        CustomerKey.objects.filter(Q(customer=customer) | Q(escalation_id__in=escalation_ids)).delete()
        _scrub_copies(customer, escalation_ids)
        customer.name, customer.email, customer.phone, customer.account_id = erased_name(customer.pk), "", "", ""
        customer.save(update_fields=["name", "email", "phone", "account_id"])
        Erasure.objects.create(tenant_id=customer.tenant_id, customer=customer, kind=kind, done_at=now,
                               done_by=actor.label, escalations=len(escalation_ids))
    return Outcome(customer.pk, kind, len(escalation_ids), already=False)


def _scrub_copies(customer: Customer, escalation_ids: list[int]) -> None:
    """Rendered copies of the customer's data outside the event log."""
    about = Q(escalation_id__in=escalation_ids)
    if customer.email:
        about |= Q(recipient_address__iexact=customer.email)
    outbox = OutboxMessage.objects.filter(about, tenant_id=customer.tenant_id)
    # Not yet sent: never sent now (the text is gone). Sent: kept as a record that something went.
    outbox.filter(state=OutboxMessage.State.PENDING).update(
        state=OutboxMessage.State.FAILED, last_error="personal data erased before delivery")
    outbox.update(subject=ERASED, body=ERASED, payload=None, render_context=None, template_pin=None,
                  recipient_address="")
    Notification.objects.filter(tenant_id=customer.tenant_id, escalation_id__in=escalation_ids).update(text=ERASED)
    mail = Q(escalation_id__in=escalation_ids)
    if customer.email:
        mail |= Q(sender__iexact=customer.email)
    InboundMail.objects.filter(mail, tenant_id=customer.tenant_id).update(sender="", subject=ERASED, detail="")
