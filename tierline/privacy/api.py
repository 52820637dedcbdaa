"""Erasure for admins over the API: POST /api/v1/privacy/customers/{id}/erase."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Schema

from tierline.actions.erasure import erase_customer
from tierline.core.inputs import Id
from tierline.kit import ERRORS
from tierline.tenancy.models import Customer
from tierline.tenancy.scoping import get_scoped

router = Router(tags=["privacy"])


class ErasureOut(Schema):
    customer: int
    kind: str
    escalations: int
    already: bool


@router.post("/customers/{customer_id}/erase", response={200: ErasureOut, **ERRORS},
             summary="Erase a customer's personal data (admins; irreversible)")
def erase(request: HttpRequest, customer_id: Id):
    customer = get_scoped(Customer.objects.all(), request.actor, pk=customer_id)
    outcome = erase_customer(customer, actor=request.actor, now=timezone.now())
    return {"customer": outcome.customer_id, "kind": outcome.kind, "escalations": outcome.escalations,
            "already": outcome.already}
