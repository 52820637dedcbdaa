"""Escalation references: `<TENANT>-<YEAR>-<6 digits>`, sequential per tenant and year, never reused,
no gaps — also when many agents raise escalations at the same moment."""

from __future__ import annotations

import datetime as dt
import re
import threading

import pytest
from django.db import connection

from tierline.audit.models import ChainHead, Event
from tierline.audit.tests import tenant_chain_problem
from tierline.core.errors import InvalidInput
from tierline.escalations.models import Escalation
from tierline.testing.world import build_world

REFERENCE = re.compile(r"^[A-Z][A-Z0-9]{1,11}-\d{4}-\d{6}$")


def test_references_are_sequential_per_tenant_and_independent_between_tenants(world):
    refs = [world.escalation().reference for _ in range(3)]
    assert refs == ["ACME-2026-000001", "ACME-2026-000002", "ACME-2026-000003"]
    assert all(REFERENCE.match(r) for r in refs)
    assert world.other_escalation().reference == "GLOBEX-2026-000001"
    assert world.escalation().reference == "ACME-2026-000004"
    assert world.other_escalation().reference == "GLOBEX-2026-000002"


def test_a_new_year_starts_again_at_one_and_the_old_year_carries_on(world):
    new_year_eve = dt.datetime(2026, 12, 31, 23, 59, 59, tzinfo=dt.UTC)
    new_year = dt.datetime(2027, 1, 1, 0, 0, 0, tzinfo=dt.UTC)
    assert world.escalation(now=new_year_eve).reference == "ACME-2026-000001"
    assert world.escalation(now=new_year).reference == "ACME-2027-000001"
    assert world.escalation(now=new_year).reference == "ACME-2027-000002"
    # A late import dated last year continues last year's numbers rather than reusing one.
    assert world.escalation(now=new_year_eve).reference == "ACME-2026-000002"


def test_the_reference_is_stored_logged_and_unique(world):
    esc = world.escalation()
    assert Escalation.objects.get(reference="ACME-2026-000001").pk == esc.pk
    assert Event.objects.get(escalation=esc).data["reference"] == "ACME-2026-000001"
    assert str(esc) == "ACME-2026-000001"


def test_a_refused_create_does_not_use_up_a_number(world):
    world.escalation()
    with pytest.raises(InvalidInput):
        world.escalation(title="")
    with pytest.raises(InvalidInput):
        world.escalation(owner=world.other_user)  # refused inside the transaction
    assert world.escalation().reference == "ACME-2026-000002"


def test_numbers_grow_past_six_digits_without_colliding(world):
    # Six digits is the display width, not a ceiling: a busy tenant must not wrap around.
    from tierline.escalations.models import ReferenceCounter

    world.escalation()
    ReferenceCounter.objects.filter(tenant=world.tenant).update(last_number=999_999)
    assert world.escalation().reference == "ACME-2026-1000000"


# postgres_only makes the test transactional: the threads must see the world this test commits.
@pytest.mark.postgres_only
def test_parallel_creates_get_unique_gap_free_references_and_one_valid_chain():
    world = build_world()
    threads, per_thread = 8, 5
    start = threading.Barrier(threads)
    made: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def agent(n: int):
        try:
            start.wait(timeout=30)
            for i in range(per_thread):
                esc = world.escalation(title=f"Caller {n}.{i}", priority="P2")
                with lock:
                    made.append(esc.reference)
        except BaseException as exc:  # reported below: a thread's failure must fail the test
            errors.append(exc)
        finally:
            connection.close()  # each thread has its own connection; leave none open

    workers = [threading.Thread(target=agent, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
    assert not any(w.is_alive() for w in workers), "a create hung (deadlock?)"
    assert not errors, errors

    total = threads * per_thread
    assert sorted(made) == [f"ACME-2026-{n:06d}" for n in range(1, total + 1)]
    assert Escalation.objects.filter(tenant=world.tenant).count() == total
    seqs = list(Event.objects.filter(tenant=world.tenant).order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, total + 1))
    assert ChainHead.objects.get(tenant=world.tenant).seq == total
    assert tenant_chain_problem(world.tenant.pk) is None
