"""Retention: anonymise a tenant's customers N days after their last escalation closed.

The worker calls `retention_pass(now)` on every loop; each tenant's pass runs at most once per
RETENTION_EVERY (claimed through its settings row, so several workers do not repeat it), and
takes a bounded batch of customers so one pass never holds up the SLA sweep for long. A
customer is due when they have escalations, none is still open or resolved-but-not-closed, the
latest closure is older than the tenant's retention period, and they were not erased before.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.db.models import Count, DateTimeField, Max, Q
from django.db.models.functions import Coalesce

from tierline.actions.erasure import erase_customer
from tierline.core.actors import Actor
from tierline.escalations.states import TERMINAL
from tierline.privacy.models import PrivacySettings
from tierline.runtime import health
from tierline.tenancy.models import Customer

log = logging.getLogger("tierline.privacy")

RETENTION_EVERY = dt.timedelta(hours=1)
BATCH = 50
ACTOR = Actor.system("privacy-retention")
TENANT = "retention_tenant"  # parked-item kind


@dataclass(frozen=True)
class Due:
    tenant_code: str
    customer_id: int
    escalations: int
    last_closed_at: dt.datetime


def due(now: dt.datetime, *, tenant_id: int | None = None, limit: int | None = None) -> list[Due]:
    found: list[Due] = []
    rows = PrivacySettings.objects.filter(retention_days__isnull=False).select_related("tenant").order_by("tenant__code")
    if tenant_id is not None:
        rows = rows.filter(tenant_id=tenant_id)
    for conf in rows:
        cutoff = now - dt.timedelta(days=conf.retention_days)
        customers = (
            Customer.objects.filter(tenant_id=conf.tenant_id, erasure__isnull=True)
            .annotate(total=Count("escalations"),
                      still_open=Count("escalations", filter=~Q(escalations__status__in=list(TERMINAL))),
                      last_closed=Max(Coalesce("escalations__closed_at", "escalations__updated_at",
                                               output_field=DateTimeField())))
            .filter(total__gt=0, still_open=0, last_closed__lte=cutoff)
            .order_by("last_closed", "pk")
        )
        if limit is not None:
            customers = customers[: max(limit - len(found), 0)]
        found += [Due(conf.tenant.code, c.pk, c.total, c.last_closed) for c in customers]
        if limit is not None and len(found) >= limit:
            break
    return found


def anonymise(items: list[Due], now: dt.datetime) -> int:
    done = 0
    for item in items:
        customer = Customer.objects.get(pk=item.customer_id)
        if not erase_customer(customer, actor=ACTOR, now=now, anonymised=True).already:
            done += 1
    return done


def _claim(tenant_id: int, now: dt.datetime) -> bool:
    return bool(PrivacySettings.objects.filter(tenant_id=tenant_id, retention_days__isnull=False)
                .filter(Q(next_retention_at__isnull=True) | Q(next_retention_at__lte=now))
                .update(next_retention_at=now + RETENTION_EVERY))


def retention_pass(now: dt.datetime) -> dict[str, int]:
    """The worker's periodic job. Idempotent: an anonymised customer is never due again."""

    done = parked = 0
    tenants = list(PrivacySettings.objects.filter(retention_days__isnull=False).filter(
        Q(next_retention_at__isnull=True) | Q(next_retention_at__lte=now)).values_list("tenant_id", flat=True))
    hold, retry = health.parked_sets(TENANT, now) if tenants else (set(), set())
    for tenant_id in tenants:
        if tenant_id in hold or not _claim(tenant_id, now):
            continue  # parked, or another worker took it
        try:
            batch = due(now, tenant_id=tenant_id, limit=BATCH)
            done += anonymise(batch, now)
        except Exception as exc:  # one tenant's failure must not keep the others' retention back
            health.park("retention", TENANT, tenant_id, exc, now, tenant_id=tenant_id)
            parked += 1
            continue
        if tenant_id in retry:
            health.unpark(TENANT, tenant_id)
        if len(batch) == BATCH:  # more waiting: come back on the next loop, not in an hour
            PrivacySettings.objects.filter(tenant_id=tenant_id).update(next_retention_at=now)
    if done:
        log.info("retention: anonymised %d customer(s)", done)
    return {"anonymised": done, "retention_parked": parked}
