"""Retention: customers are anonymised N days after their last escalation closed, once."""

from __future__ import annotations

import datetime as dt
import io

from django.core.management import call_command

from tierline import actions
from tierline.audit.event_types import EventType as T
from tierline.audit.models import Event
from tierline.audit.verify import tenant_chain_problem
from tierline.escalations.models import Escalation
from tierline.privacy.models import Erasure, PrivacySettings
from tierline.runtime.worker import run_once
from tierline.tenancy.models import Customer

DAY = dt.timedelta(days=1)


def closed_case(world, customer, *, at):
    esc = world.escalation(customer=customer, description=f"{customer.name} wrote in", now=at)
    actions.acknowledge(esc, actor=world.actor(), now=at + dt.timedelta(minutes=5))
    actions.resolve(esc, summary="done", resolution_code="fixed", actor=world.actor(), now=at + dt.timedelta(hours=1))
    actions.close(esc, actor=world.actor(), now=at + dt.timedelta(hours=2))
    return esc


def setup(world):
    PrivacySettings.objects.create(tenant=world.tenant, retention_days=30)
    make = lambda name: Customer.objects.create(tenant=world.tenant, name=name, email=f"{name.lower()}@x.example")  # noqa: E731
    old, recent, still_open = make("Oldie"), make("Recent"), make("Busy")
    t0 = world.now
    closed_case(world, old, at=t0)
    closed_case(world, old, at=t0 + 2 * DAY)
    closed_case(world, recent, at=t0 + 30 * DAY)
    closed_case(world, still_open, at=t0)
    world.escalation(customer=still_open, now=t0 + DAY)  # open: not due however old the other one is
    # GLOBEX keeps everything: no retention setting.
    globex = world.other_escalation()
    return old, recent, still_open, globex, t0 + 40 * DAY


def test_dry_run_lists_who_is_due_and_changes_nothing(world):
    old, *_, now = setup(world)
    before = Event.objects.count()
    out = io.StringIO()
    call_command("privacy", "retention", "--dry-run", "--now", now.isoformat(), stdout=out)
    text = out.getvalue()
    assert "would anonymise 1 customer(s)" in text and f"ACME customer {old.pk}: 2 escalation(s)" in text
    assert "Oldie" not in text  # the report names nobody
    assert Event.objects.count() == before and not Erasure.objects.exists()


def test_the_worker_anonymises_due_customers_once(world):
    old, recent, still_open, globex, now = setup(world)
    assert run_once(now)["anonymised"] == 1
    old.refresh_from_db()
    assert old.name == f"Erased customer #{old.pk}" and old.email == ""
    assert Erasure.objects.get(customer=old).kind == "anonymised"
    rows = Escalation.objects.filter(customer=old)
    assert all(r.description == "[erased]" for r in rows)
    assert Event.objects.filter(escalation__in=rows, type=T.ANONYMISED).count() == 2
    for c in (recent, still_open):
        c.refresh_from_db()
        assert not c.name.startswith("Erased")
    assert Customer.objects.get(pk=globex.customer_id).name == "Gus Globex"
    assert tenant_chain_problem(world.tenant.pk) is None
    # Idempotent: the next pass (even once the hour has gone) finds nobody.
    events = Event.objects.count()
    assert run_once(now + dt.timedelta(seconds=1))["anonymised"] == 0
    assert run_once(now + 2 * dt.timedelta(hours=1))["anonymised"] == 0
    assert Event.objects.count() == events
    # Time passes: the recently closed customer becomes due in turn.
    assert run_once(now + 25 * DAY)["anonymised"] == 1


def test_cli_retention_without_dry_run_anonymises(world):
    old, *_, now = setup(world)
    out = io.StringIO()
    call_command("privacy", "retention", "--now", now.isoformat(), stdout=out)
    assert "anonymised 1 customer(s)" in out.getvalue()
    assert Erasure.objects.filter(customer=old).exists()
    out = io.StringIO()
    call_command("privacy", "retention", "--now", now.isoformat(), stdout=out)
    assert "nobody is due" in out.getvalue()
