"""`make bench-peer`: Tierline beside django-helpdesk on the same machine and database.

    python bench/peer.py [--db sqlite|postgres] [--n 2000] [--size 100000] [--skip-peer]

The peer is installed outside the repo by ../shared/peers/django-helpdesk/setup.sh (run here
when its venv is missing) and measured by its own bench.py. Tierline is measured the same way:
gunicorn with 2 sync workers, 4 client threads with keep-alive stdlib connections (the peer
harness's client design, bench/httpbench.py), token auth, N requests per write phase; list
latency sequential after a warm-up; sweeps timed in process.

Pairs (ratio = how many times better Tierline is; > 1 means Tierline wins):
  create   POST /api/v1/escalations            vs POST /api/tickets/             (req/s)
  comment  POST /api/v1/escalations/R/notes    vs POST /api/followups/           (req/s)
  status   POST /api/v1/escalations/R/acknowledge vs follow-up with new_status   (req/s)
  list_100k  API list, open + team filter, first 25  vs its datatables JSON list, queue+status
             filter, first 25 (its fastest list path)                              (p50 ms)
  sweep_due  SLA sweep with 1 % of `size` due  vs `escalate_tickets` in process   (s)
  sweep_empty  the same with nothing due                                          (s)
Every Tierline write also appends hash-chained events and outbox rows; the peer's do not.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from bench.actions import fresh_database, setup_django  # noqa: E402
from bench.api import db_env, issue_token  # noqa: E402
from bench.httpbench import Server, load_note, run_requests, summary  # noqa: E402

# The peer harness sits beside the checkout (../shared/peers/…); PEER_HARNESS names it elsewhere.
PEER_DIR = Path(os.environ.get("PEER_HARNESS", HERE.parent.parent / "shared" / "peers" / "django-helpdesk"))
PEER_ROOT = Path(os.environ.get("PEER_ROOT", Path(tempfile.gettempdir()) / "peer-helpdesk"))


def run_peer(db: str, n: int, size: int) -> dict[str, dict]:
    py = PEER_ROOT / "venv" / "bin" / "python"
    if not py.exists():
        print("== installing django-helpdesk (setup.sh)", file=sys.stderr, flush=True)
        subprocess.run(["bash", str(PEER_DIR / "setup.sh")], check=True)
    out = PEER_ROOT / f"peer-{db}-{int(time.time())}.jsonl"
    print(f"== django-helpdesk bench.py on {db}", file=sys.stderr, flush=True)
    subprocess.run([str(py), str(PEER_DIR / "bench.py"), "--db", db, "--only", "http,escalate,list", "--n", str(n),
                    "--sizes", str(size), "--concurrency", "4", "--workers", "2", "--patch-n", "0",
                    "--out", str(out)], check=True, stdout=subprocess.DEVNULL)
    records: dict[str, dict] = {}
    for line in out.read_text().splitlines():
        rec = json.loads(line)
        records.setdefault(rec["measure"], rec)
    return records


def tierline_http(db: str, n: int) -> dict[str, dict]:
    from django.db import connection
    from django.test.utils import override_settings

    from tierline.testing.world import build_world

    fresh_database(db)
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        world = build_world()
    headers = {"Authorization": f"Bearer {issue_token()}"}
    body = {"title": "Printer on fire", "type": "technical", "priority": "P3", "channel": "api",
            "team": world.teams["l1"].pk, "description": "Smoke from tray 2."}
    connection.close()
    out = {}
    with Server(db_env(), workers=2) as server:
        run_requests(server.port, [("POST", "/api/v1/escalations", body)] * 20, headers, 4)  # warm-up
        res = run_requests(server.port, [("POST", "/api/v1/escalations", body)] * n, headers, 4)
        out["create"] = summary(res)
        refs = [json.loads(b)["reference"] for b, s in zip(res["bodies"], res["status"], strict=True) if s == 201]
        res = run_requests(server.port, [("POST", f"/api/v1/escalations/{r}/notes", {"body": "Called back."})
                                         for r in refs], headers, 4)
        out["comment"] = summary(res)
        res = run_requests(server.port, [("POST", f"/api/v1/escalations/{r}/acknowledge", {}) for r in refs],
                           headers, 4)
        out["status"] = summary(res)
    return out


def tierline_list(db: str, size: int) -> dict:
    from django.db import connection

    from bench.datagen import generate
    from tierline.tenancy.models import Team

    fresh_database(db)
    generate(size)
    headers = {"Authorization": f"Bearer {issue_token()}"}
    team = Team.objects.filter(tenant__code="ACME", level=1).order_by("id").first().pk
    connection.close()
    path = f"/api/v1/escalations?status=open&team={team}&limit=25"
    with Server(db_env(), workers=2) as server:
        run_requests(server.port, [("GET", path, None)], headers, 1)
        return summary(run_requests(server.port, [("GET", path, None)] * 20, headers, 1))


def tierline_sweep(db: str, size: int) -> dict:
    done = subprocess.run([sys.executable, str(HERE / "sla_sweep.py"), "--db", db, "--sizes", str(size)],
                          capture_output=True, text=True, check=True)
    rows = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    due = next(r for r in rows if r["metric"].startswith("sweep_due_") and "due" in r)
    empty = next(r for r in rows if r["metric"] == "sweep_empty_ms")
    return {"due_s": due["value"], "due": due["due"], "empty_s": empty["value"] / 1000}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--skip-peer", help="reuse a peer JSONL file instead of running the peer")
    args = parser.parse_args()
    load = load_note()
    if args.skip_peer:
        peer = {}
        for line in Path(args.skip_peer).read_text().splitlines():
            rec = json.loads(line)
            peer.setdefault(rec["measure"], rec)
    else:
        peer = run_peer(args.db, args.n, args.size)
    setup_django(args.db)
    print(f"== Tierline HTTP writes on {args.db}", file=sys.stderr, flush=True)
    http = tierline_http(args.db, args.n)
    print(f"== Tierline list at {args.size} on {args.db}", file=sys.stderr, flush=True)
    listing = tierline_list(args.db, args.size)
    print(f"== Tierline SLA sweep at {args.size} on {args.db}", file=sys.stderr, flush=True)
    sweep = tierline_sweep(args.db, args.size)
    inproc = peer["c_escalate_inprocess"]
    pairs = [
        ("create", http["create"]["rps"], peer["a_create_ticket"]["rps"], "req/s", True),
        ("comment", http["comment"]["rps"], peer["b1_followup_comment"]["rps"], "req/s", True),
        ("status", http["status"]["rps"], peer["b2_followup_status_resolved"]["rps"], "req/s", True),
        ("list_100k", listing["p50_ms"], peer["d_ui_datatables_json"]["p50_ms"], "p50 ms", False),
        ("sweep_due", sweep["due_s"], inproc["command_s"], "s", False),
        ("sweep_empty", sweep["empty_s"], inproc["second_run_command_s"], "s", False),
    ]
    targets = {"create": 5, "list_100k": 20, "sweep_empty": 20}
    results = []
    for what, ours, theirs, unit, higher_better in pairs:
        ratio = (ours / theirs) if higher_better else (theirs / ours if ours else float("inf"))
        results.append({"metric": "peer_ratio", "what": what, "value": round(ratio, 2), "unit": "x", "db": args.db,
                        "tierline": ours, "django_helpdesk": theirs, "measure_unit": unit,
                        "target": targets.get(what), "size": args.size, "n": args.n, **load})
    extra = {"tierline_http": {k: {x: v[x] for x in ("rps", "p50_ms", "p95_ms", "ok")} for k, v in http.items()},
             "tierline_list": listing, "tierline_sweep": sweep}
    for r in results:
        print(json.dumps(r))
    print(json.dumps({"metric": "peer_details", "value": 0, "unit": "-", **extra}))
    print(f"\n{'what':<13}{'Tierline':>12}{'helpdesk':>12}  {'unit':<8}{'ratio':>8}  target")
    for r in results:
        print(f"{r['what']:<13}{r['tierline']:>12}{r['django_helpdesk']:>12}  {r['measure_unit']:<8}"
              f"{r['value']:>8}  {('≥ ' + str(r['target']) + '×') if r['target'] else ''}")
    print(f"(load average at start {load['load_1m']} on {load['cpus']} CPUs; the machine is shared)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
