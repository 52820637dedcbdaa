"""Bulk data for benchmarks: up to millions of escalations with their hash-chained event logs.

THIS IS NOT A WRITE PATH FOR THE PRODUCT, and it lives outside the `tierline` package on
purpose (the write-path source scan covers that package). It exists only so benchmarks can fill
a database with 1M escalations / ~10M events in minutes; going through the actions would
take hours. It enters the write-path guard explicitly (`write_path("bulk-datagen")`, the guard's
sanctioned context) and writes rows with plain multi-row INSERTs.

What it keeps true, so the generated data is worth measuring against:
- every tenant's chain verifies (`tierline audit verify`): hashes are computed with the same
  canonical JSON as tierline.audit.chain, the chain head is advanced to the last event;
- replaying an escalation's events (escalations/replay.py) gives its stored tracked state;
- each escalation starts with CREATED and an SLA_POLICY_APPLIED snapshot of a real policy;
  open ones carry next_deadline / sla_breach_at, about 1 % of them already due.

It writes no outbox rows (the history is taken as delivered) and no tag/watcher rows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connection, transaction

from tierline.audit.chain import GENESIS
from tierline.audit.event_types import EventType as E
from tierline.core.writepath import write_path
from tierline.escalations.replay import initial_state

UTC = dt.UTC
# Event volume and the escalation mix: a desk with a year of history, a third still open.
STATUS_WEIGHTS = {
    "closed": 52, "resolved": 10, "cancelled": 3, "new": 5, "acknowledged": 6, "in_progress": 13,
    "pending_customer": 6, "pending_third_party": 2, "reopened": 3,
}
PRIORITY_WEIGHTS = {"P1": 4, "P2": 16, "P3": 55, "P4": 25}
TYPE_WEIGHTS = {"technical": 35, "billing": 25, "customer_experience": 12, "compensation": 6, "account": 8,
                "product": 5, "dispute": 4, "compliance": 2, "security": 1, "executive": 2}
CHANNEL_WEIGHTS = {"phone": 40, "email": 30, "chat": 15, "portal": 8, "social": 4, "api": 3}
TENANT_SHARES = (50, 25, 15, 10)  # the first tenants take most of the volume
EXTRA_TENANTS = (("INITECH", "Initech Insurance"), ("UMBRELLA", "Umbrella Retail"))
TARGETS = {"P1": (0.25, 4), "P2": (1, 8), "P3": (4, 24), "P4": (8, 72)}  # ack, resolution (hours)
OFFICE = {"timezone": "Europe/London", "hours": {d: [["08:00", "20:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}}
TITLES = ("Customer cannot log in", "Double charge on invoice", "Refund not received", "Line down since morning",
          "Agent promised a call back", "Wrong plan after migration", "Complaint about rude agent",
          "Data export missing rows", "Card payment declined", "Outage in region north",
          "Porting request stuck", "Contract cancellation disputed", "Password reset loop",
          "Delivery never arrived", "Account locked after fraud check")
NOTES = ("Checked the logs, nothing obvious yet.", "Called the customer back, no answer.",
         "Asked billing for the invoice history.", "Reproduced on a test account.",
         "Waiting for the vendor's ticket to move.", "Customer confirmed the details by phone.")
REPLIES = ("We are looking into this and will update you within the day.",
           "Thank you for your patience, the fix is being rolled out.",
           "Could you send us the invoice number please?", "We have applied a credit to your account.")

# Event data is stored and hashed as canonical JSON text: the repeated bodies are encoded once.
NOTE_TEXTS = [json.dumps({"body": b}, sort_keys=True, separators=(",", ":"), ensure_ascii=False) for b in NOTES]
REPLY_TEXTS = [json.dumps({"body": b}, sort_keys=True, separators=(",", ":"), ensure_ascii=False) for b in REPLIES]


@dataclass
class TenantPlan:
    tenant_id: int
    code: str
    teams: list  # (id, level, parent_id)
    users: list  # (id, username)
    customers: list  # ids
    policies: dict  # priority -> snapshot dict (generation 1) and policy id
    year_counter: dict = field(default_factory=dict)
    policy_text: dict = field(default_factory=dict)

    def __post_init__(self):
        self.intake = [x for x in self.teams if x[1] <= 2] or self.teams
        by_id = {x[0]: x for x in self.teams}
        self.parent = {x[0]: by_id.get(x[2]) for x in self.teams}


_CUMULATIVE: dict[int, tuple[list, list]] = {}


def _weighted(rng: random.Random, weights: dict, k: int) -> list:
    table = _CUMULATIVE.get(id(weights))
    if table is None:
        population, cum, total = list(weights), [], 0
        for w in weights.values():
            total += w
            cum.append(total)
        table = _CUMULATIVE[id(weights)] = (population, cum)
    return rng.choices(table[0], cum_weights=table[1], k=k)


# --- configuration rows (through the ordinary ORM: a few thousand rows) -----------------------

def ensure_world(seed: int = 0) -> list[TenantPlan]:
    """Tenants, teams, agents, customers, calendars and SLA policies to hang escalations on.
    Creates the test world (ACME, GLOBEX) and two more tenants when absent; reuses what exists."""
    from django.test.utils import override_settings

    from tierline.accounts.models import User
    from tierline.sla.models import Calendar, SlaPolicy
    from tierline.tenancy.models import Customer, Membership, Team, TeamMember, Tenant
    from tierline.testing.world import build_world

    rng = random.Random(seed)
    if not Tenant.objects.filter(code="ACME").exists():
        with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
            build_world()
    for code, name in EXTRA_TENANTS:
        Tenant.objects.get_or_create(code=code, defaults={"name": name})
    plans = []
    for tenant in Tenant.objects.order_by("id"):
        if not Team.objects.filter(tenant=tenant, level=2).exists():
            parent = None
            for level, name in ((4, "Service management"), (3, "Engineering"), (2, "Specialists"), (1, "Frontline")):
                parent, _ = Team.objects.get_or_create(
                    tenant=tenant, name=f"{tenant.code.title()} {name}",
                    defaults={"level": level, "function": "customer_care" if level == 1 else "technical",
                              "parent": parent})
        teams = list(Team.objects.filter(tenant=tenant).order_by("level", "id"))
        prefix = f"bulk-{tenant.code.lower()}-"
        if not User.objects.filter(username__startswith=prefix).exists():
            users = User.objects.bulk_create([User(username=f"{prefix}{i:02d}", password="!", email=f"{prefix}{i}@x.test",
                                                   display_name=f"{tenant.code.title()} agent {i}") for i in range(24)])
            Membership.objects.bulk_create([Membership(tenant=tenant, user=u, role="agent" if i % 6 else "supervisor")
                                            for i, u in enumerate(users)])
            TeamMember.objects.bulk_create([TeamMember(tenant=tenant, team=teams[i % len(teams)], user=u,
                                                       is_lead=i < len(teams)) for i, u in enumerate(users)])
        if Customer.objects.filter(tenant=tenant).count() < 100:
            Customer.objects.bulk_create([Customer(
                tenant=tenant, name=f"Customer {i}", email=f"c{i}@{tenant.code.lower()}.test", account_id=f"A{i:06d}",
                tier="vip" if rng.random() < 0.05 else "standard") for i in range(2000)])
        if not SlaPolicy.objects.filter(tenant=tenant, is_active=True).exists():
            cal = Calendar.objects.create(tenant=tenant, name="Office hours", spec=OFFICE)
            for rank, (priority, (ack, res)) in enumerate(TARGETS.items()):
                SlaPolicy.objects.create(tenant=tenant, name=f"{priority} standard", rank=10 + rank, priority=priority,
                                         calendar=cal, acknowledgement=dt.timedelta(hours=ack),
                                         resolution=dt.timedelta(hours=res), warnings=[75],
                                         pause_statuses=["pending_customer"],
                                         steps=[{"target": "resolution", "offset": 0, "action": "escalate_level"}])
        policies = {}
        for policy in SlaPolicy.objects.filter(tenant=tenant, is_active=True).select_related("calendar"):
            for priority in ([policy.priority] if policy.priority else list(TARGETS)):
                policies.setdefault(priority, (policy.pk, policy.snapshot_dict(1)))
        staff = list(Membership.objects.filter(tenant=tenant).exclude(role="client_viewer")
                     .values_list("user_id", "user__username"))
        plans.append(TenantPlan(
            tenant_id=tenant.pk, code=tenant.code, teams=[(t.pk, t.level, t.parent_id) for t in teams],
            users=staff, customers=list(Customer.objects.filter(tenant=tenant).values_list("pk", flat=True)),
            policies=policies))
    return [p for p in plans if p.teams and p.users]


# --- one escalation's history, as plain data ------------------------------------------------

class History:
    """Builds the events of one escalation and keeps the tracked state they imply."""

    def __init__(self, tenant: TenantPlan, esc_id: int, created: float, rng: random.Random):
        self.t, self.id, self.now, self.rng = tenant, esc_id, created, rng
        self.events: list[tuple[int, float, tuple, dict | str]] = []  # type, time, actor, data (or its JSON)
        self.row: dict = initial_state()  # what the replay starts from: "" for text, None for ids

    def actor(self):
        return self.rng.choice(self.t.users)

    def add(self, event_type: E, data: dict | None = None, *, gap: float = 0.0, user=None) -> None:
        self.now += gap
        self.events.append((int(event_type), self.now, user if user is not None else self.actor(), data or {}))

    def change(self, changes: dict, field_name: str, value) -> None:
        changes[field_name] = [self.row.get(field_name), value]
        self.row[field_name] = value


def plan_escalation(t: TenantPlan, esc_id: int, reference: str, created: float, now: float, events_target: int,
                    rng: random.Random) -> History:
    h = History(t, esc_id, created, rng)
    priority = _weighted(rng, PRIORITY_WEIGHTS, 1)[0]
    final = _weighted(rng, STATUS_WEIGHTS, 1)[0]
    team_id, level, _ = rng.choice(t.intake)
    customer = rng.choice(t.customers) if t.customers and rng.random() < 0.9 else None
    owner = rng.choice(t.users)[0] if rng.random() < 0.4 else None
    changes: dict = {}
    initial = {"title": rng.choice(TITLES), "type": _weighted(rng, TYPE_WEIGHTS, 1)[0], "trigger": "hierarchical",
               "priority": priority, "level": level, "team": team_id, "owner": owner, "status": "new",
               "customer": customer, "channel": _weighted(rng, CHANNEL_WEIGHTS, 1)[0],
               "external_id": f"EXT-{esc_id}" if rng.random() < 0.3 else ""}
    for name, value in initial.items():
        h.row[name] = value
        if value not in (None, ""):
            changes[name] = [None, value]
    creator = h.actor()
    h.add(E.CREATED, {"changes": changes, "reference": reference}, user=creator)
    policy = t.policies.get(priority)
    h.row["sla_policy_id"] = policy[0] if policy else None
    h.row["sla_generation"] = 1
    h.add(E.SLA_POLICY_APPLIED, t.policy_text[priority] if policy else
          {"policy": None, "reason": "created", "problem": "no SLA policy matches"}, user=creator)
    h.row["created_by_id"] = creator[0]
    spread = max(60.0, (now - created) / max(events_target, 2))

    def gap():
        return rng.uniform(0.2, 1.0) * spread

    def move(event_type, status, **data):
        ch: dict = {}
        h.change(ch, "status", status)
        if event_type == E.ACKNOWLEDGED and h.row["owner"] is None:
            user = h.actor()
            h.change(ch, "owner", user[0])
            h.add(event_type, {"changes": ch, **data}, gap=gap(), user=user)
            return
        h.add(event_type, {"changes": ch, **data}, gap=gap())

    fillers = max(0, events_target - 2 - {"new": 0, "acknowledged": 1, "in_progress": 2, "pending_customer": 3,
                                          "pending_third_party": 3, "resolved": 4, "closed": 5, "cancelled": 2,
                                          "reopened": 5}[final])

    def chatter(n):
        for _ in range(n):
            if rng.random() < 0.6:
                h.add(E.INTERNAL_NOTE, rng.choice(NOTE_TEXTS), gap=gap())
            else:
                h.add(E.PUBLIC_REPLY, rng.choice(REPLY_TEXTS), gap=gap())

    if final == "new":
        chatter(min(fillers, 2))
    elif final == "cancelled":
        move(E.ACKNOWLEDGED, "acknowledged")
        h.row["acknowledged_at"] = h.now
        chatter(fillers)
        move(E.CANCELLED, "cancelled", reason="Customer withdrew the complaint")
        h.row["closed_at"] = h.now
    else:
        move(E.ACKNOWLEDGED, "acknowledged")
        h.row["acknowledged_at"] = h.now
        if final != "acknowledged":
            move(E.STATUS_CHANGED, "in_progress")
            before = fillers // 2
            chatter(before)
            if rng.random() < 0.25 and fillers:
                parent = t.parent.get(h.row["team"])
                if parent:
                    ch: dict = {}
                    h.change(ch, "team", parent[0])
                    h.change(ch, "level", parent[1])
                    if h.row["owner"] is not None:
                        h.change(ch, "owner", None)
                    h.add(E.ESCALATED, {"changes": ch, "reason": "needs specialist", "trigger": "hierarchical"},
                          gap=gap())
                    fillers -= 1
            chatter(fillers - before)
            if final in ("pending_customer", "pending_third_party"):
                move(E.STATUS_CHANGED, final, reason="waiting")
            elif final in ("resolved", "closed", "reopened"):
                ch = {}
                h.change(ch, "status", "resolved")
                h.change(ch, "resolution_summary", "Fixed and confirmed with the customer.")
                h.change(ch, "resolution_code", "fixed")
                h.add(E.RESOLVED, {"changes": ch}, gap=gap())
                h.row["resolved_at"] = h.now
                if final == "closed":
                    move(E.CLOSED, "closed")
                    h.row["closed_at"] = h.now
                elif final == "reopened":
                    move(E.REOPENED, "reopened", reason="customer says it is back")
                    h.row["resolved_at"] = None
                    h.row["reopen_count"] = 1
        else:
            chatter(fillers)
    h.row["status"] = final
    return h


# --- writing ----------------------------------------------------------------------------------

def _canonical(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class Sink:
    """Rows for one table, written per batch through the driver's own cursor: COPY on PostgreSQL,
    executemany of a prepared single-row INSERT on SQLite (both far cheaper than the ORM)."""

    def __init__(self, table: str, columns: list[str]):
        self.table, self.columns = table, columns
        self.rows: list[tuple] = []

    def flush(self) -> None:
        rows, self.rows = self.rows, []
        if not rows:
            return
        raw = connection.connection
        if connection.vendor == "postgresql":
            with raw.cursor() as cur, cur.copy(f'COPY "{self.table}" ({", ".join(self.columns)}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" * len(self.columns))
            raw.executemany(f'INSERT INTO "{self.table}" ({", ".join(self.columns)}) VALUES ({marks})', rows)


def generate(count: int, *, events_per_escalation: int = 10, seed: int = 0, progress: bool = True,
             now: dt.datetime | None = None, batch: int = 5000) -> dict:
    """Write `count` escalations with about `events_per_escalation` events each into the
    configured database (migrated). Returns counts and timings."""
    from django.db.models import Max

    from tierline.audit.chain import event_hash
    from tierline.audit.models import ChainHead, Event
    from tierline.escalations.models import Escalation, ReferenceCounter

    started = time.perf_counter()
    rng = random.Random(seed)
    plans = ensure_world(seed)
    now_ts = (now or dt.datetime.now(UTC)).timestamp()
    year_s = 365 * 86400.0
    postgres = connection.vendor == "postgresql"

    days: dict[int, str] = {}

    def when(ts: float):
        """(value for the database, canonical text for the hash), to the whole second: formatting
        a datetime per event costs more than the rest of the event."""
        sec = int(ts)
        day, rest = divmod(sec, 86400)
        date = days.get(day)
        if date is None:
            date = days[day] = dt.datetime.fromtimestamp(day * 86400, UTC).date().isoformat()
        hh, rest = divmod(rest, 3600)
        clock = f"{hh:02d}:{rest // 60:02d}:{rest % 60:02d}"
        return (f"{date} {clock}+00" if postgres else f"{date} {clock}"), f"{date}T{clock}+00:00"

    esc_fields = list(Escalation._meta.concrete_fields)
    esc_cols = [f.column for f in esc_fields]
    position = {f.attname: i for i, f in enumerate(esc_fields)}
    template = []
    for f in esc_fields:
        default = f.get_default()
        template.append(_canonical(default) if f.get_internal_type() == "JSONField" else default)
    ev_cols = ["tenant_id", "seq", "escalation_id", "type", "occurred_at", "actor_kind", "actor_user_id",
               "actor_token_id", "actor_customer_id", "actor_label", "data", "prev_hash", "hash"]
    esc_sink = Sink(Escalation._meta.db_table, esc_cols)
    ev_sink = Sink(Event._meta.db_table, ev_cols)

    heads: dict[int, list] = {}
    actor_text: dict[int, tuple[str, str]] = {}
    for p in plans:
        head = ChainHead.objects.filter(tenant_id=p.tenant_id).values_list("seq", "hash").first()
        heads[p.tenant_id] = list(head) if head else [0, GENESIS]
        p.year_counter = dict(ReferenceCounter.objects.filter(tenant_id=p.tenant_id).values_list("year", "last_number"))
        for user_id, username in p.users:
            label = f"user:{username}"
            actor_text[user_id] = (label, _canonical({"customer": None, "kind": "user", "label": label,
                                                      "token": None, "user": user_id}))
        p.policy_text = {k: _canonical({"policy": snap, "reason": "created"}) for k, (_, snap) in p.policies.items()}
    next_id = (Escalation.objects.aggregate(m=Max("id"))["m"] or 0) + 1
    shares = list(TENANT_SHARES[:len(plans)]) + [5] * max(0, len(plans) - len(TENANT_SHARES))
    # Creation times spread over the past year, in order, so ids, references and seqs follow time.
    created_times = sorted(now_ts - rng.random() * year_s for _ in range(count))
    sha = hashlib.sha256
    written_events = 0
    due_count = 0
    checked = False
    P = position
    tune = not postgres and not connection.in_atomic_block  # pragmas cannot change inside a transaction
    if tune:
        with connection.cursor() as cur:
            cur.execute("PRAGMA synchronous=OFF")
            cur.execute("PRAGMA cache_size=-200000")
    with write_path("bulk-datagen"):
        for start in range(0, count, batch):
            with transaction.atomic():
                for i in range(start, min(count, start + batch)):
                    t = rng.choices(plans, weights=shares)[0]
                    created = created_times[i]
                    year = dt.datetime.fromtimestamp(created, UTC).year
                    number = t.year_counter.get(year, 0) + 1
                    t.year_counter[year] = number
                    reference = f"{t.code}-{year}-{number:06d}"
                    target = max(2, int(rng.triangular(events_per_escalation * 0.5, events_per_escalation * 1.9)))
                    h = plan_escalation(t, next_id, reference, created, now_ts, target, rng)
                    head = heads[t.tenant_id]
                    seq, prev = head
                    prefix_tail = f',"escalation":{next_id},"occurred_at":"'
                    tail = f',"tenant":{t.tenant_id},"type":'
                    for event_type, ts, (user_id, _), data in h.events:
                        seq += 1
                        db_at, at = when(ts)
                        label, actor = actor_text[user_id]
                        data_text = data if data.__class__ is str else _canonical(data)
                        text = (f'{{"actor":{actor},"data":{data_text}{prefix_tail}{at}","seq":{seq}{tail}'
                                f'{event_type}}}')
                        digest = sha((prev + text).encode()).hexdigest()
                        if not checked:  # the shortcut must agree with the chain's own arithmetic
                            payload = {"tenant": t.tenant_id, "seq": seq, "escalation": next_id, "type": event_type,
                                       "occurred_at": at, "data": json.loads(data_text),
                                       "actor": {"kind": "user", "user": user_id, "token": None, "customer": None,
                                                 "label": label}}
                            assert digest == event_hash(prev, payload), "datagen hash differs from chain.event_hash"
                            checked = True
                        ev_sink.rows.append((t.tenant_id, seq, next_id, event_type, db_at, "user", user_id, None,
                                             None, label, data_text, prev, digest))
                        prev = digest
                    head[0], head[1] = seq, prev
                    written_events += len(h.events)
                    r = h.row
                    row = template.copy()
                    for name, value in (
                            ("id", next_id), ("tenant_id", t.tenant_id), ("reference", reference),
                            ("title", r["title"]), ("type", r["type"]), ("trigger", r["trigger"]),
                            ("priority", r["priority"]), ("level", r["level"]), ("team_id", r["team"]),
                            ("owner_id", r["owner"]), ("status", r["status"]), ("customer_id", r["customer"]),
                            ("channel", r["channel"]), ("external_id", r["external_id"]),
                            ("resolution_summary", r.get("resolution_summary") or ""),
                            ("resolution_code", r.get("resolution_code") or ""),
                            ("created_by_id", r["created_by_id"]), ("reopen_count", r.get("reopen_count", 0)),
                            ("sla_policy_id", r["sla_policy_id"]), ("sla_generation", r["sla_generation"]),
                            ("version", max(1, len(h.events) - 1))):
                        row[P[name]] = value
                    for name, ts in (("created_at", created), ("updated_at", h.now),
                                     ("acknowledged_at", r.get("acknowledged_at")),
                                     ("resolved_at", r.get("resolved_at")), ("closed_at", r.get("closed_at"))):
                        row[P[name]] = None if ts is None else when(ts)[0]
                    if r["status"] not in ("resolved", "closed", "cancelled") and r["sla_policy_id"]:
                        if rng.random() < 0.01:
                            deadline = now_ts - rng.uniform(60, 3 * 3600)
                            due_count += 1
                        else:
                            deadline = now_ts + rng.uniform(600, 5 * 86400)
                        row[P["next_deadline"]] = when(deadline)[0]
                        row[P["sla_breach_at"]] = when(deadline + 3600)[0]
                    esc_sink.rows.append(tuple(row))
                    next_id += 1
                esc_sink.flush()  # escalations before the events that reference them
                ev_sink.flush()
                with connection.cursor() as cursor:
                    for p in plans:
                        seq, last = heads[p.tenant_id]
                        cursor.execute(
                            "INSERT INTO audit_chainhead (tenant_id, seq, hash) VALUES (%s, %s, %s) "
                            "ON CONFLICT (tenant_id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
                            [p.tenant_id, seq, last])
                        for year, number in p.year_counter.items():
                            cursor.execute(
                                f"INSERT INTO {ReferenceCounter._meta.db_table} (tenant_id, year, last_number) "
                                "VALUES (%s, %s, %s) ON CONFLICT (tenant_id, year) DO UPDATE SET "
                                "last_number = excluded.last_number", [p.tenant_id, year, number])
            if progress:
                done = min(count, start + batch)
                elapsed = time.perf_counter() - started
                print(f"  datagen: {done}/{count} escalations, {written_events} events, {elapsed:.0f} s"
                      f" ({done / elapsed:.0f}/s)", file=sys.stderr, flush=True)
    with connection.cursor() as cursor:
        if postgres:
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{Escalation._meta.db_table}', 'id'), "
                           f"(SELECT MAX(id) FROM {Escalation._meta.db_table}))")
            cursor.execute(f"ANALYZE {Escalation._meta.db_table}")
            cursor.execute(f"ANALYZE {Event._meta.db_table}")
        elif tune:
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            cursor.execute("ANALYZE")
    return {"escalations": count, "events": written_events, "due": due_count, "tenants": len(plans),
            "seconds": round(time.perf_counter() - started, 1)}


def main(argv=None) -> int:
    import argparse
    import os

    parser = argparse.ArgumentParser(description="Fill a database with bulk escalations for benchmarks.")
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=10, help="average events per escalation")
    parser.add_argument("--seed", type=int, default=0)
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--db-url", help="DATABASE_URL to write into (migrated first)")
    where.add_argument("--sqlite", help="SQLite file to write into (created and migrated)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("TIERLINE_DEV", "1")
    if args.db_url:
        os.environ["DATABASE_URL"] = args.db_url
    elif args.sqlite:
        os.environ.pop("DATABASE_URL", None)
        os.environ["TIERLINE_SQLITE_PATH"] = str(Path(args.sqlite).resolve())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tierline.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    load = os.getloadavg()
    result = generate(args.count, events_per_escalation=args.events, seed=args.seed)
    result.update(db=connection.vendor, load_avg_before=[round(x, 2) for x in load],
                  load_avg_after=[round(x, 2) for x in os.getloadavg()])
    print(json.dumps({"metric": "datagen_seconds", "value": result["seconds"], "unit": "s", **result}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
