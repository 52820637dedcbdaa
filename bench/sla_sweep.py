"""SLA sweep cost: finding due work among many open escalations, and processing 1 % due.

Usage: python bench/sla_sweep.py [--db sqlite|postgres] [--sizes 10000,100000,1000000] [--due N]
(--due: how many are due at every size; default 1 % of the open count)
Due escalations are created through the real write path (policy snapshot in the log); the
not-yet-due bulk is cloned with one INSERT … SELECT — a benchmark-only shortcut that writes no
events, used because the sweep must never look at those rows anyway.
Prints one JSON object per line (metric, value, unit, open, db), then a table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.actions import fresh_database, setup_django  # noqa: E402

H = dt.timedelta(hours=1)


def clone_not_due(template_id: int, count: int, far_future) -> None:
    """Insert `count` copies of one escalation with distinct references and a far deadline."""
    from django.db import connection

    from tierline.escalations.models import Escalation

    fields = [f.column for f in Escalation._meta.concrete_fields if f.column not in ("id", "reference", "next_deadline")]
    cols = ", ".join(fields)
    series = ("generate_series(1, %s) AS n" if connection.vendor == "postgresql"
              else "(WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < %s) SELECT n FROM s)")
    done = 0
    while done < count:
        chunk = min(100_000, count - done)
        with connection.cursor() as cur:
            cur.execute(
                f"INSERT INTO {Escalation._meta.db_table} (reference, next_deadline, {cols}) "
                f"SELECT 'BULK-' || (n + {done}), %s, {cols} FROM {Escalation._meta.db_table}, "
                f"{series} WHERE id = %s",
                [far_future, chunk, template_id],
            )
        done += chunk
        print(f"  bulk open escalations: {done}/{count}", file=sys.stderr, flush=True)
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(f"ANALYZE {Escalation._meta.db_table}")
        else:
            # Fold the bulk insert's write-ahead log back into the database before measuring,
            # or every later commit pays for checkpointing it.
            cur.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def run_size(db: str, size: int, results: list, due: int | None = None) -> None:
    fresh_database(db)
    from django.conf import settings
    from django.test.utils import override_settings

    from tierline.actions.sweep import sweep
    from tierline.sla.models import Calendar, SlaPolicy
    from tierline.testing.world import build_world

    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        world = build_world()
    cal = Calendar.objects.create(tenant=world.tenant, name="24x7", spec={"timezone": "UTC", "always_open": True})
    SlaPolicy.objects.create(tenant=world.tenant, name="Std", calendar=cal, resolution=H,
                             steps=[{"target": "resolution", "offset": 0, "action": "escalate_level"}])
    due = due or max(1, size // 100)
    t0 = world.now
    started = time.perf_counter()
    first = None
    for i in range(due):
        esc = world.escalation(title=f"Due {i}")
        first = first or esc
        if (i + 1) % max(1, due // 4) == 0:
            print(f"  due escalations: {i + 1}/{due}", file=sys.stderr, flush=True)
    clone_not_due(first.pk, size - due, t0 + dt.timedelta(days=3650))
    print(f"  setup {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)

    samples = []
    for _ in range(30):
        a = time.perf_counter()
        assert sweep(t0 + 0.5 * H)["sla_ticked"] == 0
        samples.append((time.perf_counter() - a) * 1000)
    empty = statistics.median(samples)
    results.append({"metric": "sweep_empty_ms", "value": round(empty, 3), "unit": "ms", "open": size, "db": db})

    a = time.perf_counter()
    ticked = 0
    while True:
        n = sweep(t0 + 2 * H, batch=500)["sla_ticked"]
        ticked += n
        if not n:
            break
    seconds = time.perf_counter() - a
    assert ticked == due, (ticked, due)
    results.append({"metric": f"sweep_due_{due}_s", "value": round(seconds, 2), "unit": "s", "open": size, "db": db,
                    "due": due, "per_escalation_ms": round(seconds * 1000 / due, 2),
                    "ticks_per_transaction": settings.TIERLINE.get("SLA_TICKS_PER_TRANSACTION", 1),
                    "load_1m": round(os.getloadavg()[0], 2), "cpus": os.cpu_count()})
    if due == 10_000:
        results.append({"metric": "sweep_due_10k_s", "value": round(seconds, 2), "unit": "s", "open": size, "db": db})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--due", type=int, default=None)
    args = parser.parse_args()
    setup_django(args.db)
    results: list[dict] = []
    for size in (int(s) for s in args.sizes.split(",")):
        print(f"== {size} open escalations on {args.db}", file=sys.stderr, flush=True)
        run_size(args.db, size, results, args.due)
    empties = {r["open"]: r["value"] for r in results if r["metric"] == "sweep_empty_ms"}
    if 1_000_000 in empties and 100_000 in empties:
        results.append({"metric": "sweep_empty_ratio_1m_100k", "value": round(empties[1_000_000] / empties[100_000], 2),
                        "unit": "ratio", "db": args.db})
    for r in results:
        print(json.dumps(r))
    print(f"\n{'metric':<28}{'db':<10}{'open':>9}{'value':>10}  unit")
    for r in results:
        print(f"{r['metric']:<28}{r['db']:<10}{r.get('open', ''):>9}{r['value']:>10}  {r['unit']}")


if __name__ == "__main__":
    main()
