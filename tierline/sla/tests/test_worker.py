"""Time-based escalation by the worker, from the escalation's point of view."""

import datetime as dt
import threading

import pytest
from django.db import connection

from tierline import actions
from tierline.actions.sweep import lag, sweep
from tierline.audit.event_types import EventType
from tierline.audit.models import Event
from tierline.audit.verify import tenant_chain_problem
from tierline.escalations.models import Escalation
from tierline.notifications.models import OutboxMessage
from tierline.sla.models import Calendar, SlaPolicy
from tierline.testing.world import build_world

H = dt.timedelta(hours=1)
STEPS = [{"target": "resolution", "offset": -1800, "action": "notify", "whom": "supervisor_chain"},
         {"target": "resolution", "offset": 0, "action": "escalate_level"},
         {"target": "resolution", "offset": 3600, "action": "raise_priority"}]


def setup_policy(world, **kw):
    cal = Calendar.objects.create(tenant=world.tenant, name="24x7", spec={"timezone": "UTC", "always_open": True})
    values = dict(resolution=4 * H, warnings=[75], steps=STEPS, pause_statuses=["pending_customer"])
    values.update(kw)
    return SlaPolicy.objects.create(tenant=world.tenant, name="Standard", calendar=cal, **values)


def sla_events(esc):
    return [(e.type_code, e.data.get("sla_key")) for e in
            Event.objects.filter(escalation=esc, type__in=[400, 401, 403]).order_by("seq")]


def fresh(esc):
    return Escalation.objects.get(pk=esc.pk)


def test_warning_breach_and_steps_fire_once_each_at_their_time(world):
    setup_policy(world)
    t0 = world.now
    esc = world.escalation()
    assert fresh(esc).next_deadline == t0 + 3 * H  # 75 % of 4 h
    assert sweep(t0 + 2 * H)["sla_ticked"] == 0  # nothing due: nothing touched
    sweep(t0 + 3 * H)
    assert sla_events(esc) == [("sla_warning", "resolution:c0:g1:warn75")]
    assert fresh(esc).next_deadline == t0 + 3.5 * H  # the notify step, 30 min before breach
    sweep(t0 + 3.5 * H)
    esc = fresh(esc)
    assert esc.next_deadline == t0 + 4 * H
    step = Event.objects.filter(escalation=esc, type=EventType.SLA_STEP).get()
    assert step.data["outcome"] == "notified" and step.actor_label == "system:sla-engine"
    assert world.users["supervisor"].pk in step.data["notify_users"]
    assert OutboxMessage.objects.filter(event=step, recipient_user=world.users["supervisor"]).exists()
    sweep(t0 + 4 * H)
    esc = fresh(esc)
    assert esc.level == 2 and esc.team == world.teams["l2"]
    escalated = Event.objects.filter(escalation=esc, type=EventType.ESCALATED).get()
    assert escalated.data["trigger"] == "time_based" and escalated.actor_kind == "system"
    assert [k for _, k in sla_events(esc)][-2:] == ["resolution:c0:g1:breach", "resolution:c0:g1:step1:r0"]
    before = Event.objects.filter(escalation=esc).count()
    sweep(t0 + 4 * H)  # a second worker pass at the same moment finds nothing owed
    sweep(t0 + 4 * H + dt.timedelta(minutes=1))
    assert Event.objects.filter(escalation=esc).count() == before
    sweep(t0 + 5 * H)
    assert fresh(esc).priority == "P2"  # raised from P3 one hour after breach
    assert tenant_chain_problem(world.tenant.pk) is None


def test_pending_customer_pauses_the_clock(world):
    setup_policy(world, warnings=[], steps=[])
    t0 = world.now
    esc = world.escalation()
    actor = world.actor()
    esc = actions.acknowledge(esc, actor=actor, now=t0 + 0.5 * H)
    esc = actions.set_pending(esc, waiting_on="customer", actor=actor, now=t0 + H)
    assert fresh(esc).next_deadline is None  # paused: no deadline can be known
    esc = actions.resume(esc, actor=actor, now=t0 + 3 * H)
    assert fresh(esc).next_deadline == t0 + 6 * H  # 4 h target + the 2 h paused
    sweep(t0 + 5 * H)
    assert sla_events(esc) == []


def test_resolving_in_time_stops_the_clock(world):
    setup_policy(world)
    esc = world.escalation()
    actor = world.actor()
    esc = actions.acknowledge(esc, actor=actor, now=world.now)
    esc = actions.resolve(esc, summary="fixed", resolution_code="fixed", actor=actor, now=world.now + H)
    assert fresh(esc).next_deadline is None
    assert sweep(world.now + 10 * H)["sla_ticked"] == 0 and sla_events(esc) == []


def test_worker_lag_is_the_age_of_the_oldest_due_deadline(world):
    setup_policy(world)
    world.escalation()
    assert lag(world.now) == dt.timedelta(0)
    assert lag(world.now + 3 * H + 5 * dt.timedelta(minutes=1)) == dt.timedelta(minutes=5)


@pytest.mark.postgres_only
def test_two_concurrent_workers_run_each_step_exactly_once():
    world = build_world()
    setup_policy(world, warnings=[50], steps=STEPS[:2])
    count = 1000
    for i in range(count):
        world.escalation(title=f"Case {i}")
    when = world.now + 10 * H
    results = []

    def worker():
        try:
            total = 0
            while True:
                done = sweep(when, batch=50)["sla_ticked"]
                total += done
                if not done:
                    break
            results.append(total)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    keys = list(Event.objects.filter(type__in=[400, 401, 403]).values_list("escalation_id", "data__sla_key"))
    assert len(keys) == len(set(keys)) == count * 4  # warning, notify step, breach, escalate step
    assert Escalation.objects.filter(level=2).count() == count
    assert Escalation.objects.filter(next_deadline__lte=when).count() == 0
    assert tenant_chain_problem(world.tenant.pk) is None


def test_detail_page_shows_the_clocks_and_sla_events(world, client, monkeypatch):
    from django.utils import timezone

    setup_policy(world)
    esc = world.escalation()
    sweep(world.now + 3 * H)
    client.force_login(world.users["supervisor"])
    # The page reads the clock at its edge: pin that edge to the world's time.
    monkeypatch.setattr(timezone, "now", lambda: world.now + 3 * H + dt.timedelta(minutes=10))
    html = client.get(f"/escalations/{esc.reference}/").content.decode()
    assert 'data-sla-target="resolution"' in html
    assert "50 min of business time left" in html and "sla-risk" in html
    assert "SLA policy Standard v1 applied (created)" in html
    assert "SLA warning (75 %): resolution" in html


def test_at_risk_queue_lists_soonest_breach_first(world, client):
    setup_policy(world, warnings=[], steps=[])
    late = world.escalation(title="Created first, breaches first")
    soon = world.escalation(title="Created later", now=world.now + H)
    paused = world.escalation(title="Waiting on the customer")
    actions.acknowledge(paused, actor=world.actor(), now=world.now)
    actions.set_pending(paused, waiting_on="customer", actor=world.actor(), now=world.now)
    done = world.escalation(title="Already resolved")
    actions.acknowledge(done, actor=world.actor(), now=world.now)
    actions.resolve(done, summary="ok", resolution_code="fixed", actor=world.actor(), now=world.now)
    assert fresh(late).sla_breach_at == world.now + 4 * H and fresh(paused).sla_breach_at is None
    client.force_login(world.users["supervisor"])
    html = client.get("/escalations/?view=at_risk").content.decode()
    assert html.index(late.reference) < html.index(soon.reference)
    assert paused.reference not in html and done.reference not in html


def test_a_priority_raise_step_does_not_cascade_through_per_priority_policies(world):
    cal = Calendar.objects.create(tenant=world.tenant, name="24x7", spec={"timezone": "UTC", "always_open": True})
    steps = [{"target": "resolution", "offset": 0, "action": "escalate_level"},
             {"target": "resolution", "offset": 0, "action": "raise_priority"}]
    SlaPolicy.objects.create(tenant=world.tenant, name="P3", priority="P3", calendar=cal, resolution=4 * H, steps=steps)
    SlaPolicy.objects.create(tenant=world.tenant, name="P2", priority="P2", calendar=cal, resolution=6 * H, steps=steps)
    esc = world.escalation(priority="P3")
    sweep(world.now + 4 * H)
    esc = fresh(esc)
    # One breach, one escalation, one raise: the P2 snapshot does not replay the P3 breach.
    assert (esc.priority, esc.level, esc.sla_generation) == ("P2", 2, 2)
    assert [t for t, _ in sla_events(esc)] == ["sla_breach", "sla_step", "sla_step"]
    # The P2 target (6 h) is its own clock: it breaches at 6 h, once, and acts again.
    assert fresh(esc).next_deadline == world.now + 6 * H
    sweep(world.now + 6 * H)
    esc = fresh(esc)
    assert (esc.priority, esc.level) == ("P1", 3)
    assert [k for _, k in sla_events(esc)][-3:] == ["resolution:c0:g2:breach", "resolution:c0:g2:step0:r0",
                                                     "resolution:c0:g2:step1:r0"]


def test_queue_shows_an_sla_badge_per_row(world, client):
    import re

    from django.utils import timezone

    setup_policy(world, warnings=[], steps=[])
    now = timezone.now()
    fine = world.escalation(title="Plenty of time", now=now)
    risky = world.escalation(title="Breaches within the hour", now=now - 3.5 * H)
    late = world.escalation(title="Already over", now=now - 5 * H)
    no_sla = world.escalation(title="Resolved", now=now)
    actions.acknowledge(no_sla, actor=world.actor(), now=now)
    actions.resolve(no_sla, summary="ok", resolution_code="fixed", actor=world.actor(), now=now)
    client.force_login(world.users["supervisor"])
    html = client.get("/escalations/?view=open&status=all").content.decode()

    def badge(esc):
        row = re.search(rf'<tr data-reference="{esc.reference}">(.*?)</tr>', html, re.S).group(1)
        found = re.search(r'class="badge sla sla-(\w+)"[^>]*>([^<]*)<', row)
        return found.groups() if found else None

    assert badge(fine)[0] == "ok" and badge(fine)[1].startswith("due ")
    assert badge(risky)[0] == "risk"
    assert badge(late) == ("breached", "breached 1 h ago")
    assert badge(no_sla) is None


def test_time_based_escalation_emails_the_customer_with_the_template_in_force(world):
    # The sweep reads the tenant's templates once per pass: a template saved between passes is the
    # one the next pass uses, and the email shows the escalation as the tick left it (level 2).
    from tierline.templating.models import CommunicationTemplate

    setup_policy(world, steps=[{"target": "resolution", "offset": 0, "action": "escalate_level"}], warnings=[])
    t0 = world.now
    first, second = world.escalation(), world.escalation(now=t0 + 4 * H)  # due 4 h apart
    CommunicationTemplate.objects.create(tenant=world.tenant, kind="escalated", language="en",
                                         subject="Old {{ escalation.reference }}", body_text="old")
    sweep(t0 + 4 * H)
    CommunicationTemplate.objects.filter(tenant=world.tenant, kind="escalated").update(
        subject="New {{ escalation.reference }} level {{ escalation.level }}", body_text="new")
    sweep(t0 + 8 * H)

    def mail(esc):
        return OutboxMessage.objects.get(escalation=esc, payload__kind="escalated")

    from tierline.notifications.customer_mail import render_message

    assert render_message(mail(first)).subject.startswith(f"Old {first.reference}")
    assert render_message(mail(second)).subject.startswith(f"New {second.reference} level 2")


@pytest.mark.postgres_only
@pytest.mark.parametrize(("per_transaction", "transactions"), [(1, 4), (20, 1)])
def test_ticks_commit_without_waiting_for_the_flush_and_delivery_waits_for_it(world, settings, per_transaction,
                                                                               transactions):
    """The durability argument of actions/sweep.py: every tick transaction turns the WAL-flush wait
    off for itself only, and the outbox claim that precedes any sending turns it back on."""
    from django.test.utils import CaptureQueriesContext

    from tierline.notifications.delivery import claim

    settings.TIERLINE = {**settings.TIERLINE, "SLA_TICKS_PER_TRANSACTION": per_transaction}
    setup_policy(world)
    for i in range(3):
        world.escalation(title=f"Case {i}")
    when = world.now + 10 * H
    with CaptureQueriesContext(connection) as swept:
        assert sweep(when)["sla_ticked"] == 3
    statements = [q["sql"] for q in swept.captured_queries]
    # Each sweep transaction opens with it: one per tick (three, and the one that found nothing
    # more), or one for a group of up to 20 ticks (each under a savepoint, not a transaction).
    firsts = [statements[i + 1] for i, sql in enumerate(statements) if sql == "BEGIN"]
    assert firsts == ["SET LOCAL synchronous_commit = off"] * transactions
    # Outside the tick transactions the session still waits for the flush.
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "on"
    with CaptureQueriesContext(connection) as claimed:
        assert claim(when + H)
    first = [q["sql"] for q in claimed.captured_queries if q["sql"] != "BEGIN"][0]
    assert first == "SET LOCAL synchronous_commit = on"
