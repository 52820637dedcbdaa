"""Dashboard speed: the supervisor (live) and management (trends) pages at scale.

Usage: python bench/reports.py [--db sqlite|postgres] [--count N] [--samples 40]
Data: bench.datagen.generate(count) when that module exists (1M escalations / ~10M events in
minutes); otherwise N escalations (default 2,000) built through the real actions over twelve
weeks. The worker's rollup is then brought up to date (timed: `rollup_fold_events_per_s`) and
each dashboard page is requested through Django's test client as a logged-in manager — the
whole request: queries, charts drawn, template rendered.
Prints one JSON object per line (metric dashboard_p95_ms with dashboard and db), then a table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.actions import fresh_database, percentile, setup_django  # noqa: E402


def through_actions(count: int, seed: int = 0) -> None:
    """A small, believable history through the write path: twelve weeks, most resolved."""
    from django.test.utils import override_settings

    from tierline import actions
    from tierline.core.actors import Actor
    from tierline.sla.models import Calendar, SlaPolicy
    from tierline.testing.world import build_world

    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        world = build_world()
    cal = Calendar.objects.create(tenant=world.tenant, name="Office", spec={
        "timezone": "UTC", "hours": {d: [["08:00", "20:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}})
    SlaPolicy.objects.create(tenant=world.tenant, name="Std", calendar=cal, acknowledgement=dt.timedelta(hours=1),
                             resolution=dt.timedelta(hours=24), pause_statuses=["pending_customer"])
    rng = random.Random(seed)
    sup = world.actor("supervisor")
    now = dt.datetime.now(dt.UTC)
    start = now - dt.timedelta(weeks=12)
    customers = [world.customer, world.vip]
    for i in range(count):
        t = start + dt.timedelta(seconds=rng.uniform(0, (now - start).total_seconds() - 3 * 86400))
        esc = actions.create_escalation(actor=sup, now=t, tenant=world.tenant, title=f"Bench {i}",
                                        type=rng.choice(["technical", "billing", "account"]),
                                        priority=rng.choice(["P2", "P3", "P4"]), team=world.teams["l1"],
                                        channel=rng.choice(["phone", "email", "chat"]), customer=rng.choice(customers))
        t += dt.timedelta(minutes=rng.uniform(5, 180))
        esc = actions.acknowledge(esc, actor=sup, now=t)
        if rng.random() < 0.2:
            t += dt.timedelta(minutes=30)
            esc = actions.assign(esc, world.users["agent"], actor=sup, now=t)
        if rng.random() < 0.25:
            t += dt.timedelta(hours=1)
            esc = actions.escalate(esc, reason="bench", trigger="functional", actor=sup, now=t)
        if rng.random() < 0.85:
            t += dt.timedelta(hours=rng.uniform(1, 48))
            esc = actions.resolve(esc, summary="done", resolution_code="fixed", actor=sup, now=t)
            if rng.random() < 0.5:
                esc = actions.record_csat(esc, rng.randint(1, 5), actor=Actor.for_customer(esc.customer),
                                          now=t + dt.timedelta(hours=1))
        if (i + 1) % max(1, count // 10) == 0:
            print(f"  escalations through actions: {i + 1}/{count}", file=sys.stderr, flush=True)


def manager_client():
    from django.test import Client

    from tierline.accounts.models import User
    from tierline.tenancy.models import Membership, Tenant

    tenant = Tenant.objects.get(code="ACME")
    user = User.objects.filter(username="bench-manager").first() or User.objects.create_user(
        username="bench-manager", password="x")
    Membership.objects.get_or_create(tenant=tenant, user=user, defaults={"role": "manager"})
    client = Client()
    client.force_login(user)
    return client, tenant


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--count", type=int, default=None,
                        help="escalations (default 1,000,000 with bench.datagen, else 2,000 through actions)")
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--kpi", action="store_true",
                        help="also time one exact KPI report (7 days); slow at scale, see docs/metrics.md")
    parser.add_argument("--reuse", default=None, metavar="SQLITE_FILE",
                        help="measure an existing SQLite database (a previous run's): migrate it, rebuild the "
                             "rollup from scratch, skip generating")
    parser.add_argument("--reuse-db-url", default=None, metavar="DATABASE_URL",
                        help="the same for an existing PostgreSQL database (e.g. one bench/datagen.py filled)")
    parser.add_argument("--datagen", default=None,
                        help="path of a datagen.py to load when bench.datagen is not importable")
    args = parser.parse_args()
    if args.reuse or args.reuse_db_url:
        os.environ["TIERLINE_DEV"] = "1"
        if args.reuse_db_url:
            os.environ["DATABASE_URL"] = args.reuse_db_url
            args.db = "postgres"
        else:
            os.environ["TIERLINE_SQLITE_PATH"] = str(Path(args.reuse).resolve())
            os.environ.pop("DATABASE_URL", None)
            args.db = "sqlite"
        os.environ["DJANGO_SETTINGS_MODULE"] = "tierline.settings"
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        from tierline.reports.models import DailyRollup, DailyTotal, RollupCursor

        for model in (DailyRollup, DailyTotal, RollupCursor):
            model.objects.all().delete()
    else:
        setup_django(args.db)
        fresh_database(args.db)
    from django.db import connection
    from django.test.utils import override_settings
    from django.utils import timezone

    try:
        from bench.datagen import generate
    except ImportError:
        generate = None
        if args.datagen:
            import importlib.util

            spec = importlib.util.spec_from_file_location("datagen", args.datagen)
            module = importlib.util.module_from_spec(spec)
            sys.modules["datagen"] = module  # dataclasses look their module up while defining
            spec.loader.exec_module(module)
            generate = module.generate
    started = time.perf_counter()
    if args.reuse or args.reuse_db_url:
        from tierline.escalations.models import Escalation

        count, source = Escalation.objects.count(), "reused"
    elif generate is not None:
        count = args.count or 1_000_000
        generate(count, events_per_escalation=10, seed=0, progress=True)
        source = "datagen"
    else:
        count = args.count or 2_000
        print("bench.datagen not available: building the history through the actions", file=sys.stderr)
        through_actions(count)
        source = "actions"
    setup_s = time.perf_counter() - started
    from tierline.audit.models import Event
    from tierline.reports.rollups import update_all

    events = Event.objects.count()
    results = []
    t0 = time.perf_counter()
    folded = 0
    while (n := update_all(timezone.now(), batch=20_000)["rollup_events"]):
        folded += n
        print(f"  rollup: {folded}/{events} events", file=sys.stderr, flush=True)
    fold_s = time.perf_counter() - t0
    results.append({"metric": "rollup_fold_events_per_s", "value": round(folded / fold_s, 1) if fold_s else 0,
                    "unit": "events/s", "db": args.db, "escalations": count, "events": events})
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            # What autovacuum does to a table after bulk inserts: statistics, and the visibility
            # map that lets the open-by-level count read only its covering index.
            cur.execute("VACUUM ANALYZE")

    with override_settings(ALLOWED_HOSTS=["*"]):
        client, tenant = manager_client()
        pages = {
            "supervisor": (f"/reports/{tenant.code}/supervisor/", {}),
            "management": (f"/reports/{tenant.code}/management/", {"grain": "week"}),
            "management_month": (f"/reports/{tenant.code}/management/", {"grain": "month"}),
        }
        for name, (url, params) in pages.items():
            assert client.get(url, params).status_code == 200  # warm: imports, fonts, first queries
            samples = []
            for _ in range(args.samples):
                a = time.perf_counter()
                response = client.get(url, params)
                samples.append((time.perf_counter() - a) * 1000)
                assert response.status_code == 200
            results.append({"metric": "dashboard_p95_ms", "value": round(percentile(samples, 95), 1), "unit": "ms",
                            "dashboard": name, "db": args.db, "escalations": count, "events": events,
                            "p50_ms": round(percentile(samples, 50), 1), "source": source})
        # The exact KPI report (event logs folded per escalation, no rollup): one request, for scale.
        today = timezone.now().date()
        a = time.perf_counter()
        response = client.get(f"/reports/{tenant.code}/", {"start": str(today - dt.timedelta(days=6)),
                                                            "end": str(today)}) if args.kpi else None
        assert response is None or response.status_code == 200
        args.kpi and results.append({"metric": "kpi_report_7d_ms", "value": round((time.perf_counter() - a) * 1000, 1),
                        "unit": "ms", "db": args.db, "escalations": count, "events": events, "source": source})
    load = os.getloadavg()
    for r in results:
        r["loadavg"] = [round(x, 2) for x in load]
        print(json.dumps(r))
    print(f"\n{'metric':<26}{'dashboard':<18}{'db':<10}{'escalations':>12}{'events':>10}{'value':>10}  unit   p50")
    for r in results:
        print(f"{r['metric']:<26}{r.get('dashboard', ''):<18}{r['db']:<10}{r.get('escalations', ''):>12}"
              f"{r.get('events', ''):>10}{r['value']:>10}  {r['unit']:<6} {r.get('p50_ms', '')}")
    print(f"(setup {setup_s:.0f} s from {source}; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; "
          "targets at 1M escalations: < 1000 ms SQLite, < 300 ms PostgreSQL)")


if __name__ == "__main__":
    main()
