"""Routing cost: the matrix + assignment decision with 200 rules and 500 agents, and intake end to end.

Usage: python bench/routing.py [--db sqlite|postgres] [--n 500]
- routing_decision_p95_ms: the decision itself — the pure matcher over 200 rules plus the
  round-robin / least-loaded / skills choice among 500 agents (shifts in four time zones,
  capacities, skills, languages) held in memory.
- routing_plan_p95_ms: `routing.decide.plan()` exactly as intake calls it, i.e. the decision plus
  its database reads (matrix version in force, routing settings, target team, SLA policy, the team's
  routing row, cached roster, open workload of the 500 agents), without taking the slot.
- intake_p95_ms: POST /api/v1/escalations through Django's test client (token auth, validation,
  routing with the slot taken, row + hash-chained events + outbox rows, response) — in process,
  no HTTP server (bench/http figures belong to the load benchmark).
Prints one JSON object per line (metric, value, unit, db), then a table.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.actions import fresh_database, percentile, setup_django  # noqa: E402

TYPES = ["technical", "billing", "customer_experience", "compensation", "compliance", "product", "account",
         "dispute", "security"]
CHANNELS = ["phone", "email", "chat", "portal"]
WORDS = ["outage", "refund", "invoice", "password", "roaming", "contract", "fraud", "porting", "router", "sim",
         "upgrade", "cancel", "complaint", "breach", "delay", "charge", "engineer", "visit", "signal", "billing"]


def matrix_yaml(rng: random.Random, pool: str, rules: int = 200) -> str:
    lines = ["rules:"]
    for i in range(rules - 1):
        when = {"type": rng.sample(TYPES, 2), "priority": rng.sample(["P1", "P2", "P3", "P4"], 2)}
        if i % 3 == 0:
            when["channel"] = rng.sample(CHANNELS, 2)
        if i % 4 == 0:
            when["keywords"] = rng.sample(WORDS, 3)
        if i % 5 == 0:
            when["customer_tier"] = ["vip"]
        lines.append(f"  - name: Rule {i:03d}\n    precedence: {10 + i}\n    when: {json.dumps(when)}\n"
                     f"    then: {{team: {pool}, priority: P{1 + i % 4}}}")
    lines.append(f"  - name: Catch-all\n    precedence: 100000\n    when: {{}}\n    then: {{team: {pool}}}")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--n", type=int, default=500, help="decisions and intakes measured")
    parser.add_argument("--agents", type=int, default=500)
    args = parser.parse_args()
    setup_django(args.db)
    fresh_database(args.db)

    from django.test import Client
    from django.test.utils import override_settings
    from django.utils import timezone

    from tierline.accounts.models import User
    from tierline.core.actors import Actor
    from tierline.routing import assignment, matrix
    from tierline.routing.decide import candidates, parsed, plan, version_in_force
    from tierline.routing.models import AgentProfile, RoutingSettings, TeamRouting
    from tierline.routing.services import import_draft, publish
    from tierline.tenancy.models import Membership, Team, TeamMember
    from tierline.testing.world import build_world

    rng = random.Random(7)
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        world = build_world()
    tenant, now = world.tenant, timezone.now()
    pool = Team.objects.create(tenant=tenant, name="Pool", level=1, function="customer_care",
                               parent=world.teams["l2"])
    print(f"  creating {args.agents} agents", file=sys.stderr, flush=True)
    users = User.objects.bulk_create([User(username=f"agent{i:04d}") for i in range(args.agents)])
    Membership.objects.bulk_create([Membership(tenant=tenant, user=u, role="agent") for u in users])
    TeamMember.objects.bulk_create([TeamMember(tenant=tenant, team=pool, user=u, is_lead=i == 0)
                                    for i, u in enumerate(users)])
    zones = ["Europe/London", "Asia/Manila", "America/New_York", "Asia/Kolkata"]
    AgentProfile.objects.bulk_create([AgentProfile(
        tenant=tenant, user=u, skills=rng.sample(["billing", "network", "fraud", "retention"], 2),
        languages=rng.sample(["en", "es", "fr", "hi", "tl"], 2), capacity=rng.choice([None, 20, 40]),
        shift={"timezone": zones[i % 4], "hours": {d: [["00:00", "24:00"]] for d in
                                                   ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}})
        for i, u in enumerate(users)])
    RoutingSettings.objects.create(tenant=tenant, type_skills={"billing": ["billing"]})
    routing = TeamRouting.objects.create(tenant=tenant, team=pool, strategy="round_robin")
    admin = Actor.for_user(world.users["admin"])
    version, _ = import_draft(tenant, matrix_yaml(rng, pool.name), actor=admin, now=now)
    publish(tenant, version.number, actor=admin, now=now)
    token = world.token("admin")

    def case():
        return dict(type=rng.choice(TYPES), priority=rng.choice(["P1", "P2", "P3", "P4"]),
                    title=f"Customer reports {rng.choice(WORDS)} and {rng.choice(WORDS)}",
                    channel=rng.choice(CHANNELS))

    results = []

    def report(metric, samples, **extra):
        p95, p50 = percentile(samples, 95), statistics.median(samples)
        results.append({"metric": metric, "value": round(p95, 3), "unit": "ms", "db": args.db,
                        "p50_ms": round(p50, 3), "n": len(samples), **extra})
        print(json.dumps(results[-1]), flush=True)

    m = parsed(version_in_force(tenant.pk, now))
    cases = [case() for _ in range(args.n)]
    cands = candidates(pool, now)
    requirement = assignment.Requirement(skills=frozenset({"billing"}), language="en")
    for strategy in ("round_robin", "least_loaded", "skills"):
        samples = []
        for c in cases:
            started = time.perf_counter()
            matrix.match(m, matrix.Case(customer_tier=None, **c))
            assignment.choose(cands, strategy=strategy, now=now, cursor=rng.choice(users).pk,
                              requirement=requirement)
            samples.append((time.perf_counter() - started) * 1000)
        report("routing_decision_p95_ms", samples, rules=len(m.rules), agents=len(cands), strategy=strategy)

    for strategy in ("round_robin", "least_loaded", "skills"):
        routing.strategy = strategy
        routing.save()
        samples = []
        for i, c in enumerate(cases):
            started = time.perf_counter()
            plan(tenant, now=now, customer=None, **c)
            samples.append((time.perf_counter() - started) * 1000)
            if i % 100 == 99:
                print(f"  decisions with database reads ({strategy}): {i + 1}/{len(cases)}", file=sys.stderr,
                      flush=True)
        report("routing_plan_p95_ms", samples, rules=len(m.rules), agents=args.agents, strategy=strategy)

    routing.strategy = "round_robin"
    routing.save()
    client = Client(HTTP_HOST="127.0.0.1")
    samples = []
    for i, c in enumerate(cases):
        body = {**c, "tenant": tenant.code}
        started = time.perf_counter()
        response = client.post("/api/v1/escalations", body, content_type="application/json",
                               HTTP_AUTHORIZATION=f"Bearer {token}")
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 201, response.content
        if i % 100 == 99:
            print(f"  intakes: {i + 1}/{len(cases)}", file=sys.stderr, flush=True)
    report("intake_p95_ms", samples, rules=len(m.rules), agents=args.agents)

    print(f"\n{'metric':28} {'db':8} {'extra':28} {'p50 ms':>9} {'p95 ms':>9}")
    for r in results:
        extra = r.get("strategy") or f"rules={r.get('rules', '')} agents={r.get('agents', '')}"
        print(f"{r['metric']:28} {r['db']:8} {extra:28} {r['p50_ms']:>9} {r['value']:>9}")


if __name__ == "__main__":
    main()
