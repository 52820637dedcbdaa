"""`make load`: locust, headless, against a production server on loopback; then consistency.

    python bench/load.py [--db sqlite|postgres] [--rate 200] [--seconds 60] [--users 20] [--rows 10000]

Offered load = users × (rate / users) req/s for `seconds`, bounded. Afterwards every create the
server acknowledged (201) is fetched back and every tenant's hash chain is verified.
Prints JSON lines (load_rps, load_p95_ms, load_errors, load_lost_creates, load_chains_ok), then a table.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.actions import fresh_database, setup_django  # noqa: E402
from bench.api import db_env, issue_token  # noqa: E402
from bench.httpbench import Server, load_note, print_table, run_requests  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--rows", type=int, default=10_000, help="escalations generated before the run")
    args = parser.parse_args()
    setup_django(args.db)
    fresh_database(args.db)
    from django.db import connection

    from bench.datagen import generate
    from tierline.audit.verify import tenant_chain_problem
    from tierline.escalations.models import Escalation
    from tierline.tenancy.models import Team, Tenant

    generate(args.rows, progress=False)
    token = issue_token()
    team = Team.objects.filter(tenant__code="ACME", level=1).order_by("id").first().pk
    refs = list(Escalation.objects.filter(tenant__code="ACME", status__in=["new", "acknowledged", "in_progress"])
                .order_by("-id").values_list("reference", flat=True)[:500])
    connection.close()
    work = Path(tempfile.mkdtemp(prefix="tierline-load-"))
    created_file = work / "created.json"
    env = {**os.environ, "LOAD_TOKEN": token, "LOAD_TEAM": str(team), "LOAD_REFERENCES": json.dumps(refs),
           "LOAD_CREATED_FILE": str(created_file), "LOAD_USER_RPS": str(args.rate / args.users)}
    with Server(db_env(), workers=2) as server:
        load = load_note()
        locust = subprocess.run(
            [sys.executable, "-m", "locust", "-f", str(Path(__file__).with_name("locustfile.py")), "--headless",
             "-u", str(args.users), "-r", str(args.users), "-t", f"{args.seconds}s", "--stop-timeout", "10",
             "--host", f"http://127.0.0.1:{server.port}", "--csv", str(work / "stats"), "--only-summary",
             "--loglevel", "WARNING"], env=env, timeout=args.seconds + 120)
        created = json.loads(created_file.read_text()) if created_file.exists() else []
        headers = {"Authorization": f"Bearer {token}"}
        back = run_requests(server.port, [("GET", f"/api/v1/escalations/{r}", None) for r in created], headers, 4)
    missing = [r for r, s in zip(created, back["status"], strict=True) if s != 200]
    with open(work / "stats_stats.csv") as f:
        rows = {r["Name"]: r for r in csv.DictReader(f)}
    total = rows["Aggregated"]
    chains = {t.code: tenant_chain_problem(t.pk) for t in Tenant.objects.all()}
    common = {"db": args.db, "offered_rps": args.rate, "seconds": args.seconds, "users": args.users, **load}
    results = [
        {"metric": "load_rps", "value": round(float(total["Requests/s"]), 1), "unit": "req/s", **common},
        {"metric": "load_p95_ms", "value": float(total["95%"]), "unit": "ms", "p50_ms": float(total["50%"]),
         "p95_ms": float(total["95%"]), **common},
        {"metric": "load_errors", "value": int(total["Failure Count"]), "unit": "count",
         "requests": int(total["Request Count"]), **common},
        {"metric": "load_lost_creates", "value": len(missing), "unit": "count", "acknowledged_creates": len(created),
         **common},
        {"metric": "load_chains_ok", "value": int(all(p is None for p in chains.values())), "unit": "bool",
         "problems": {k: str(v) for k, v in chains.items() if v}, **common},
    ]
    for name, r in rows.items():
        if name != "Aggregated":
            results.append({"metric": "load_p95_ms", "what": name, "value": float(r["95%"]), "unit": "ms",
                            "p50_ms": float(r["50%"]), "p95_ms": float(r["95%"]), "requests": int(r["Request Count"]),
                            "errors": int(r["Failure Count"]), **common})
    for r in results:
        print(json.dumps(r))
    print_table(results)
    ok = (results[2]["value"] == 0 and not missing and results[4]["value"] == 1)
    print(f"every acknowledged create retrievable: {not missing} ({len(created)} creates); "
          f"every chain verifies: {results[4]['value'] == 1}; errors: {results[2]['value']}")
    return 0 if ok and locust.returncode in (0, 1) else 1


if __name__ == "__main__":
    sys.exit(main())
