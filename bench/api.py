"""API speed through a production server: create throughput/latency, queue list and detail.

    python bench/api.py --db sqlite|postgres [--creates 10000] [--rows 100000[,1000000]]
                        [--reuse-sqlite PATH | --reuse-db-url URL]

Server: `tierline run --no-worker` (gunicorn, 2 sync workers, production settings). Client: 16
threads with keep-alive connections for creates (bench/httpbench.py); list and detail latency
are timed one request at a time after a warm-up. List/detail data comes from bench/datagen.py
(or an already generated database with --reuse-*). Prints JSON lines, then a table.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.actions import fresh_database, setup_django  # noqa: E402
from bench.httpbench import Server, load_note, pct, print_table, run_requests, summary  # noqa: E402

LIST_FILTERS = {
    "open": "status=open",
    "team_open": "status=open&team={team}",
    "p1_open": "status=open&priority=P1",
    "unassigned_open": "status=open&owner=none",
    "all": "",
}


def db_env() -> dict:
    from django.conf import settings

    if os.environ.get("DATABASE_URL"):
        return {"DATABASE_URL": os.environ["DATABASE_URL"]}
    return {"TIERLINE_SQLITE_PATH": str(settings.DATABASES["default"]["NAME"])}


def issue_token(username: str = "supervisor") -> str:
    from django.utils import timezone

    from tierline.accounts.models import ApiToken, User

    _, plain = ApiToken.issue(User.objects.get(username=username), name="bench", now=timezone.now(), scope="write")
    return plain


def bench_create(db: str, creates: int, concurrency: int, results: list) -> None:
    from django.db import connection
    from django.test.utils import override_settings

    from tierline.audit.verify import tenant_chain_problem
    from tierline.escalations.models import Escalation
    from tierline.notifications.models import OutboxMessage
    from tierline.testing.world import build_world

    fresh_database(db)
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        world = build_world()
    token = issue_token()
    headers = {"Authorization": f"Bearer {token}"}
    body = {"title": "Router keeps dropping the line", "type": "technical", "priority": "P3", "channel": "api",
            "team": world.teams["l1"].pk, "customer": world.customer.pk, "description": "Since Monday."}
    connection.close()
    with Server(db_env()) as server:
        run_requests(server.port, [("POST", "/api/v1/escalations", body)] * 200, headers, concurrency)  # warm-up
        load = load_note()
        res = run_requests(server.port, [("POST", "/api/v1/escalations", body)] * creates, headers, concurrency)
    s = summary(res)
    if s["ok"] != creates:
        print(f"  creates not all 201: {s['status_counts']}", file=sys.stderr)
    stored = Escalation.objects.filter(tenant=world.tenant).count()
    outbox = OutboxMessage.objects.count()
    chain_ok = tenant_chain_problem(world.tenant.pk) is None
    extra = {"db": db, "n": creates, "clients": concurrency, "server_workers": 2, "ok": s["ok"], **load}
    results.append({"metric": "api_create_rps", "value": s["rps"], "unit": "req/s", **extra,
                    "p50_ms": s["p50_ms"], "p95_ms": s["p95_ms"], "stored": stored, "outbox_rows": outbox,
                    "chain_verifies": chain_ok})
    results.append({"metric": "api_create_p95_ms", "value": s["p95_ms"], "unit": "ms", **extra})


def escalation_with_events(events: int):
    """One escalation with `events` events, through the real write path."""
    from django.utils import timezone

    from tierline import actions
    from tierline.core.actors import Actor
    from tierline.tenancy.models import Team, Tenant

    tenant = Tenant.objects.get(code="ACME")
    from tierline.accounts.models import User

    actor = Actor.for_user(User.objects.get(username="supervisor"))
    esc = actions.create_escalation(actor=actor, now=timezone.now(), tenant=tenant, title="Long-running dispute",
                                    type="dispute", priority="P2", team=Team.objects.filter(tenant=tenant, level=1)
                                    .first(), channel="email")
    while esc.events.count() < events:
        actions.add_internal_note(esc, "Another call with the customer today.", actor=actor, now=timezone.now())
    return esc.reference, esc.events.count()


def bench_read(db: str, rows: int, reps: int, results: list, reuse: bool) -> None:
    from django.db import connection

    from tierline.escalations.models import Escalation
    from tierline.tenancy.models import Team

    if not reuse:
        fresh_database(db)
        from bench.datagen import generate

        generate(rows)
    total = Escalation.objects.count()
    reference, n_events = escalation_with_events(200)
    token = issue_token()
    team = Team.objects.filter(tenant__code="ACME", level=1).order_by("id").first().pk
    headers = {"Authorization": f"Bearer {token}"}
    connection.close()
    with Server(db_env()) as server:
        load = load_note()
        all_lat = []
        for what, query in LIST_FILTERS.items():
            path = "/api/v1/escalations?limit=50" + ("&" + query.format(team=team) if query else "")
            run_requests(server.port, [("GET", path, None)] * 5, headers, 1)  # warm-up
            res = run_requests(server.port, [("GET", path, None)] * reps, headers, 1)
            s = summary(res)
            items = len(json.loads(res["bodies"][0])["items"]) if s["ok"] else 0
            all_lat += res["lat"]
            results.append({"metric": "list_p95_ms", "what": what, "value": s["p95_ms"], "unit": "ms", "db": db,
                            "rows": total, "p50_ms": s["p50_ms"], "ok": s["ok"], "n": reps, "items": items, **load})
        ms = [x * 1000 for x in all_lat]
        results.append({"metric": "list_p95_ms", "what": "all filters", "value": round(pct(ms, 0.95), 2),
                        "unit": "ms", "db": db, "rows": total, "p50_ms": round(pct(ms, 0.5), 2), **load})
        results.append({"metric": "list_p50_ms", "what": "all filters", "value": round(pct(ms, 0.5), 2),
                        "unit": "ms", "db": db, "rows": total, **load})
        path = f"/api/v1/escalations/{reference}"
        run_requests(server.port, [("GET", path, None)] * 5, headers, 1)
        res = run_requests(server.port, [("GET", path, None)] * reps, headers, 1)
        s = summary(res)
        results.append({"metric": "detail_p95_ms", "value": s["p95_ms"], "unit": "ms", "db": db, "rows": total,
                        "events": n_events, "p50_ms": s["p50_ms"], "ok": s["ok"], "n": reps, **load})


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--creates", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--rows", default="100000", help="list/detail sizes, comma separated (0: skip)")
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--reuse-sqlite", help="an already generated SQLite database for the list/detail part")
    parser.add_argument("--reuse-db-url", help="an already generated PostgreSQL database for the list/detail part")
    args = parser.parse_args()
    reuse = bool(args.reuse_sqlite or args.reuse_db_url)
    if args.reuse_db_url:
        os.environ["TIERLINE_BENCH_DATABASE_URL"] = args.reuse_db_url
    setup_django(args.db)
    results: list[dict] = []
    started = time.perf_counter()
    if args.creates and not reuse:
        print(f"== API create, {args.creates} requests, {args.clients} clients, {args.db}", file=sys.stderr, flush=True)
        bench_create(args.db, args.creates, args.clients, results)
    if reuse:
        from django.conf import settings
        from django.db import connection

        if args.reuse_sqlite:
            connection.close()
            settings.DATABASES["default"]["NAME"] = args.reuse_sqlite
            os.environ["TIERLINE_SQLITE_PATH"] = args.reuse_sqlite
        bench_read(args.db, 0, args.reps, results, reuse=True)
    else:
        for rows in (int(r) for r in args.rows.split(",") if int(r)):
            print(f"== list/detail at {rows} escalations, {args.db}", file=sys.stderr, flush=True)
            bench_read(args.db, rows, args.reps, results, reuse=False)
    for r in results:
        print(json.dumps(r))
    print_table(results)
    print(f"({time.perf_counter() - started:.0f} s; machine shared: see load_1m)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
