"""The benchmark data generator (bench/datagen.py) writes data the product accepts as its own:
chains that verify, logs that replay to the stored rows, a believable mix of work."""

import datetime as dt
from collections import Counter

from bench.datagen import generate
from tierline.actions._base import tracked_state
from tierline.audit.verify import tenant_chain_problem
from tierline.escalations.models import Escalation
from tierline.escalations.replay import check_consistency, replay
from tierline.tenancy.models import Tenant

NOW = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)


def test_generated_chains_verify_and_logs_replay_to_the_rows(db):
    result = generate(200, seed=3, progress=False, now=NOW)
    assert result["escalations"] == 200
    assert Escalation.objects.count() == 200
    for tenant in Tenant.objects.all():
        assert tenant_chain_problem(tenant.pk) is None, tenant.code
    for esc in Escalation.objects.order_by("id")[:60]:
        events = [{"seq": e.seq, "data": e.data} for e in esc.events.order_by("seq")]
        assert check_consistency(events) is None, esc.reference
        assert replay(events) == tracked_state(esc), esc.reference
        assert esc.events.order_by("seq").first().type_code == "created"
        assert esc.events.filter(type=402).exists()  # the SLA policy snapshot


def test_generated_mix_is_believable(db):
    generate(400, seed=1, progress=False, now=NOW)
    statuses = Counter(Escalation.objects.values_list("status", flat=True))
    assert {"closed", "resolved", "new", "in_progress"} <= set(statuses)
    assert len(set(Escalation.objects.values_list("tenant_id", flat=True))) >= 3
    open_rows = Escalation.objects.exclude(status__in=["resolved", "closed", "cancelled"])
    assert open_rows.filter(next_deadline__isnull=True).count() == 0
    assert Escalation.objects.filter(status="closed", next_deadline__isnull=False).count() == 0
    assert open_rows.filter(next_deadline__gt=NOW).count() > 0.9 * open_rows.count()
    per_escalation = sum(e.events.count() for e in Escalation.objects.all()[:100]) / 100
    assert 6 <= per_escalation <= 14


def test_generated_data_can_be_added_to_and_worked_on(world):
    from tierline import actions

    generate(50, seed=2, progress=False, now=NOW)
    esc = world.escalation()  # the real write path continues the chains and references
    assert esc.pk > max(Escalation.objects.exclude(pk=esc.pk).values_list("pk", flat=True))
    actions.add_internal_note(Escalation.objects.filter(status="in_progress").first(), "still here",
                              actor=world.actor("supervisor"), now=NOW)
    for tenant in Tenant.objects.all():
        assert tenant_chain_problem(tenant.pk) is None, tenant.code
