"""`tierline privacy retention [--dry-run]` and `tierline privacy erase --tenant X --customer ID`."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tierline.actions import retention
from tierline.actions.erasure import erase_customer
from tierline.core.actors import Actor
from tierline.core.errors import DomainError
from tierline.tenancy.models import Customer, Tenant


class Command(BaseCommand):
    help = ("Privacy: `retention` anonymises customers past their tenant's retention period (--dry-run lists "
            "them); `erase` erases one customer's personal data on request.")

    def add_arguments(self, parser):
        parser.add_argument("what", choices=["retention", "erase"])
        parser.add_argument("--tenant", help="tenant code (required for erase)")
        parser.add_argument("--customer", type=int, help="customer id (erase)")
        parser.add_argument("--dry-run", action="store_true", help="retention: show who would be anonymised")
        parser.add_argument("--now", help="ISO time to judge retention at (default: now)")

    def handle(self, *args, what, tenant=None, customer=None, dry_run=False, now=None, **options):
        when = self._now(now)
        tenant_row = None
        if tenant:
            tenant_row = Tenant.objects.filter(code=tenant).first()
            if tenant_row is None:
                raise CommandError(f"no tenant with code {tenant!r}")
        if what == "erase":
            self._erase(tenant_row, customer, when)
        else:
            self._retention(tenant_row, dry_run, when)

    @staticmethod
    def _now(value: str | None) -> dt.datetime:
        if not value:
            return timezone.now()
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            raise CommandError(f"--now must be an ISO date-time, e.g. 2026-03-01T09:00:00+00:00 (got {value!r})")
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)

    def _erase(self, tenant_row, customer_id, now):
        if tenant_row is None or customer_id is None:
            raise CommandError("erase needs --tenant CODE and --customer ID")
        customer = Customer.objects.filter(tenant=tenant_row, pk=customer_id).first()
        if customer is None:
            raise CommandError(f"{tenant_row.code} has no customer {customer_id}")
        try:
            outcome = erase_customer(customer, actor=Actor.system("privacy-cli"), now=now)
        except DomainError as exc:
            raise CommandError(str(exc)) from None
        if outcome.already:
            self.stdout.write(f"customer {customer_id} was already {outcome.kind}; nothing to do")
        else:
            self.stdout.write(f"customer {customer_id} erased: {outcome.escalations} escalation(s), key destroyed")

    def _retention(self, tenant_row, dry_run, now):
        items = retention.due(now, tenant_id=tenant_row.pk if tenant_row else None)
        if not items:
            self.stdout.write("nobody is due for anonymisation")
            return
        verb = "would anonymise" if dry_run else "anonymising"
        self.stdout.write(f"{verb} {len(items)} customer(s):")
        for item in items:
            self.stdout.write(f"  {item.tenant_code} customer {item.customer_id}: {item.escalations} escalation(s), "
                              f"last closed {item.last_closed_at:%Y-%m-%d %H:%M}")
        if not dry_run:
            done = retention.anonymise(items, now)
            self.stdout.write(f"anonymised {done} customer(s)")
