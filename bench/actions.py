"""Write-path throughput, in process: create, acknowledge, escalate, note.

Every write here is the real thing: row lock, state check, hash-chained events, outbox rows.
Usage: python bench/actions.py [--n 1000] [--db sqlite|postgres]
Prints one JSON object per line, then a table.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def setup_django(db: str) -> None:
    os.environ.setdefault("TIERLINE_DEV", "1")
    if db == "postgres":
        os.environ["DATABASE_URL"] = os.environ.get("TIERLINE_BENCH_DATABASE_URL",
                                                    "postgres://postgres@127.0.0.1:5432/tierline_bench")
    else:
        os.environ.pop("DATABASE_URL", None)
        os.environ["TIERLINE_SQLITE_PATH"] = str(Path(tempfile.mkdtemp()) / "bench.sqlite3")
    os.environ["DJANGO_SETTINGS_MODULE"] = "tierline.settings"
    import django

    django.setup()


def fresh_database(db: str) -> None:
    from django.core.management import call_command
    from django.db import connection

    connection.close()
    if db == "sqlite":
        from django.conf import settings

        for suffix in ("", "-wal", "-shm"):
            Path(str(settings.DATABASES["default"]["NAME"]) + suffix).unlink(missing_ok=True)
    if db == "postgres":
        import psycopg
        from django.conf import settings

        name = settings.DATABASES["default"]["NAME"]
        with psycopg.connect(os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/postgres", autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}"')
            c.execute(f'CREATE DATABASE "{name}"')
    call_command("migrate", verbosity=0)


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    args = parser.parse_args()
    setup_django(args.db)
    fresh_database(args.db)

    from django.test.utils import override_settings
    from django.utils import timezone

    from tierline import actions
    from tierline.escalations import queries
    from tierline.testing.world import build_world

    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        world = build_world()
    actor = world.actor("supervisor")
    results = []

    def timed(metric, fn, items):
        latencies = []
        started, cpu = time.perf_counter(), time.process_time()
        out = []
        for i, item in enumerate(items):
            t0 = time.perf_counter()
            out.append(fn(item))
            latencies.append((time.perf_counter() - t0) * 1000)
            if (i + 1) % max(1, len(items) // 4) == 0:
                print(f"  {metric}: {i + 1}/{len(items)}", file=sys.stderr, flush=True)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        results.append({"metric": metric, "value": round(len(items) / elapsed, 1), "unit": "ops/s", "db": args.db,
                        "n": len(items), "p50_ms": round(percentile(latencies, 50), 2),
                        "p95_ms": round(percentile(latencies, 95), 2)})
        if metric == "action_create_per_s":
            # Process CPU per create: what the write path itself costs, far less at the mercy of
            # a busy machine than the wall-clock rate (the database's own work is in this process
            # on SQLite, in the server on PostgreSQL).
            results.append({"metric": "action_create_cpu_ms", "value": round(cpu * 1000 / len(items), 3),
                            "unit": "ms", "db": args.db, "n": len(items), "p50_ms": ""})
        return out

    team = world.teams["l1"]
    escs = timed("action_create_per_s", lambda i: actions.create_escalation(
        actor=actor, now=timezone.now(), tenant=world.tenant, title=f"Bench case {i}", type="technical",
        priority="P3", team=team, channel="api", customer=world.customer), list(range(args.n)))
    escs = timed("action_acknowledge_per_s", lambda e: actions.acknowledge(e, actor=actor, now=timezone.now()), escs)
    escs = timed("action_escalate_per_s", lambda e: actions.escalate(
        e, actor=actor, now=timezone.now(), reason="bench", trigger="hierarchical"), escs)
    timed("action_note_per_s", lambda e: actions.add_internal_note(e, "bench note", actor=actor, now=timezone.now()),
          escs)

    latencies = []
    for _ in range(50):
        t0 = time.perf_counter()
        queries.page(actor, queries.ListFilters(status=["open"], team=world.teams["l2"].pk), limit=50)
        latencies.append((time.perf_counter() - t0) * 1000)
    results.append({"metric": "queue_list_p95_ms", "value": round(percentile(latencies, 95), 2), "unit": "ms",
                    "db": args.db, "n": args.n, "p50_ms": round(percentile(latencies, 50), 2)})

    for row in results:
        print(json.dumps(row))
    print(f"\n{'metric':<28}{'db':<10}{'n':>7}{'value':>12}  unit    {'p50 ms':>8}{'p95 ms':>8}")
    for r in results:
        print(f"{r['metric']:<28}{r['db']:<10}{r['n']:>7}{r['value']:>12}  {r['unit']:<7}{r['p50_ms']:>8}"
              f"{r.get('p95_ms', ''):>8}")
    print("(the ops/s figures include hash-chained events and outbox rows for every write)")


if __name__ == "__main__":
    main()
