"""A worker killed with SIGKILL in the middle of a sweep misses nothing and repeats nothing.

Real processes against a throw-away database (a temp SQLite file, or a fresh PostgreSQL database
in the PostgreSQL pass): escalations are created with deadlines long past, `tierline worker` is
started, killed with SIGKILL once it has done part of the work, and started again. Every
escalation must end with each warning, breach and step exactly once, and every chain must verify.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from tierline.testing.installation import installation as throwaway_installation

# Enough work that the worker is still sweeping when the test has seen it start and kills it:
# one tick costs a few milliseconds, and each look at the event count (a fresh process) far more.
COUNT = 600

SETUP = textwrap.dedent("""
    import datetime as dt, os, django
    django.setup()
    from tierline.sla.models import Calendar, SlaPolicy
    from tierline.testing.world import build_world
    world = build_world()
    cal = Calendar.objects.create(tenant=world.tenant, name="24x7", spec={"timezone": "UTC", "always_open": True})
    SlaPolicy.objects.create(tenant=world.tenant, name="Standard", calendar=cal, resolution=dt.timedelta(hours=4),
        warnings=[50], pause_statuses=["pending_customer"],
        steps=[{"target": "resolution", "offset": -1800, "action": "notify", "whom": "supervisor_chain"},
               {"target": "resolution", "offset": 0, "action": "escalate_level"}])
    past = dt.datetime.now(dt.UTC) - dt.timedelta(hours=10)
    for i in range(int(os.environ["CRASH_TEST_COUNT"])):
        world.escalation(title=f"Case {i}", now=past)
""")

REPORT = textwrap.dedent("""
    import json, django
    django.setup()
    from tierline.audit.models import Event
    from tierline.audit.verify import tenant_chain_problem
    from tierline.escalations.models import Escalation
    from tierline.notifications.models import OutboxMessage
    from tierline.tenancy.models import Tenant
    keys = {}
    for esc_id, key in Event.objects.filter(type__in=[400, 401, 403]).values_list("escalation_id", "data__sla_key"):
        keys.setdefault(esc_id, []).append(key)
    print(json.dumps({
        "keys": {str(k): sorted(v) for k, v in keys.items()},
        "levels": sorted(set(Escalation.objects.values_list("level", flat=True))),
        "due": Escalation.objects.filter(next_deadline__isnull=False, next_deadline__lte=django.utils.timezone.now()).count(),
        "step_messages": OutboxMessage.objects.filter(event__type=403).count(),
        "sla_message_keys": list(OutboxMessage.objects.filter(event__type__in=[400, 401, 403])
                                 .values_list("idempotency_key", flat=True)),
        "chains": [tenant_chain_problem(t.pk) for t in Tenant.objects.all()],
    }))
""")

EXPECTED = ["resolution:c0:g1:breach", "resolution:c0:g1:step0:r0", "resolution:c0:g1:step1:r0",
            "resolution:c0:g1:warn50"]


# One tick per transaction, and ticks grouped 50 to a transaction: a kill mid-group loses the
# group's uncommitted ticks, which the restarted worker redoes with the same message keys.
@pytest.fixture(params=["1", "50"], ids=["tick_per_transaction", "grouped_50"])
def installation(tmp_path, request):
    with throwaway_installation(tmp_path, "tierline_kill", TIERLINE_WORKER_POLL_SECONDS="0.2",
                                TIERLINE_SLA_LEASE_SECONDS="3", CRASH_TEST_COUNT=str(COUNT),
                                TIERLINE_SLA_TICKS_PER_TRANSACTION=request.param) as (env, run):
        yield env, run


def _sla_event_count(run) -> int:
    code = ("import django; django.setup(); from tierline.audit.models import Event; "
            "print(Event.objects.filter(type__in=[400, 401, 403]).count())")
    return int(run("-c", code).stdout.strip())


def test_worker_killed_mid_sweep_then_restarted_misses_and_repeats_nothing(installation):
    env, run = installation
    run("-c", SETUP)
    assert _sla_event_count(run) == 0
    worker = subprocess.Popen([sys.executable, "-m", "tierline.cli", "worker"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        seen = 0
        while seen < 40:  # part of the work done, most of it still owed
            assert worker.poll() is None, worker.stderr.read().decode()
            assert time.monotonic() < deadline, f"worker made no progress ({seen} SLA events)"
            time.sleep(0.05)
            seen = _sla_event_count(run)
    finally:
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
    assert worker.returncode == -signal.SIGKILL
    at_kill = _sla_event_count(run)
    assert at_kill < COUNT * len(EXPECTED), "the kill came too late to test anything"

    # The restarted worker picks up where the dead one stopped (its SQLite lease expires).
    for _ in range(60):
        run("-m", "tierline.cli", "worker", "--once")
        report = json.loads(run("-c", REPORT).stdout)
        if report["due"] == 0:
            break
        time.sleep(1)
    assert report["due"] == 0
    assert len(report["keys"]) == COUNT
    for esc_id, keys in report["keys"].items():
        assert keys == EXPECTED, f"escalation {esc_id}: {keys}"
    assert report["levels"] == [2]  # every escalation went up exactly one level, once
    # One notify step per escalation, to the supervisor chain (supervisor + manager): no more, no less.
    assert report["step_messages"] == COUNT * 2
    assert report["chains"] == [None, None]
    # Every SLA message is keyed by its escalation and mark, once each.
    keys = report["sla_message_keys"]
    assert len(keys) == len(set(keys)) and all(k.startswith("sla") for k in keys)
