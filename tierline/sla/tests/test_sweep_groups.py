"""Grouped SLA ticks: several ticks share one transaction, each under its own savepoint. A tick
that raises rolls back alone and is parked; the rest of its group commits, the tenant's hash
chain stays whole, and a tick done again cannot send its messages twice."""

import datetime as dt

import pytest

from tierline.actions import sla as sla_actions
from tierline.actions.sweep import sweep
from tierline.audit.models import Event
from tierline.audit.verify import tenant_chain_problem
from tierline.escalations.models import Escalation
from tierline.notifications.models import OutboxMessage
from tierline.runtime.models import ParkedItem
from tierline.sla.tests.test_sweep_cost import setup_policy

H = dt.timedelta(hours=1)


@pytest.fixture
def grouped(settings):
    settings.TIERLINE = {**settings.TIERLINE, "SLA_TICKS_PER_TRANSACTION": 10}


def test_a_failing_tick_rolls_back_alone_and_its_group_commits(world, grouped, monkeypatch):
    setup_policy(world, {"timezone": "UTC", "always_open": True})
    escs = [world.escalation(title=f"Case {i}", owner=world.users["agent"]) for i in range(5)]
    poisoned = escs[2]
    real_step = sla_actions._run_step

    def step(op, mark, data):
        if op.esc.pk == poisoned.pk:
            raise RuntimeError("this escalation's step is broken")
        return real_step(op, mark, data)

    monkeypatch.setattr(sla_actions, "_run_step", step)
    stats = sweep(world.now + 4 * H)
    assert stats == {"sla_ticked": 4, "sla_failed": 1}
    sla_events = {e.pk: Event.objects.filter(escalation=e, type__in=[400, 401, 403]).count() for e in escs}
    assert sla_events[poisoned.pk] == 0  # its savepoint rolled back: no warning, no breach, no step
    assert all(n > 0 for pk, n in sla_events.items() if pk != poisoned.pk)
    assert not OutboxMessage.objects.filter(escalation=poisoned, event__type__in=[400, 401, 403]).exists()
    parked = ParkedItem.objects.get(kind="escalation", object_id=poisoned.pk)
    assert "broken" in parked.error
    assert Escalation.objects.get(pk=poisoned.pk).next_deadline <= world.now + 4 * H  # still owed
    assert tenant_chain_problem(world.tenant.pk) is None  # the chain skips the rolled-back tick cleanly

    # Mended, it is ticked at its retry time, once, and unparked.
    monkeypatch.setattr(sla_actions, "_run_step", real_step)
    assert sweep(parked.retry_at + dt.timedelta(seconds=1))["sla_ticked"] >= 1
    assert Event.objects.filter(escalation=poisoned, type__in=[400, 401, 403]).count() == sla_events[escs[0].pk]
    assert not ParkedItem.objects.filter(kind="escalation", object_id=poisoned.pk).exists()
    assert tenant_chain_problem(world.tenant.pk) is None


def test_sla_messages_are_keyed_by_the_mark_so_a_redone_tick_sends_nothing_new(world, grouped):
    setup_policy(world, {"timezone": "UTC", "always_open": True})
    esc = world.escalation(owner=world.users["agent"])
    sweep(world.now + 4 * H)
    sla_messages = OutboxMessage.objects.filter(escalation=esc, event__type__in=[400, 401, 403])
    keys = sorted(sla_messages.values_list("idempotency_key", flat=True))
    assert keys and all(k.startswith(f"sla{esc.pk}:resolution:c0:g1:") for k in keys), keys
    # The same tick written again (as after a crash that lost the commit the receivers never saw):
    # same marks, same keys, so not one more message.
    from tierline.actions.outbox import enqueue_for_events
    from tierline.core.writepath import write_path

    events = list(Event.objects.filter(escalation=esc, type__in=[400, 401, 403]).order_by("seq"))
    for event in events:
        event.pk = event.pk + 10_000  # a redone tick's events are new rows with new ids
    fresh = Escalation.objects.get(pk=esc.pk)
    with write_path("test"):
        rows = enqueue_for_events(fresh, events, sla_actions._ENGINE)
    assert {r.idempotency_key for r in rows if r.event.type in (400, 401, 403)} <= set(keys)
    assert sla_messages.count() == len(keys)
