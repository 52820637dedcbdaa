"""Planning the demo: every customer and every step of every escalation's history, decided from a
seed and a reference time. Pure: no database, no clock.

Each history is planned by simulating the state machine and the team structure, so that each
step is legal when `tierline.demo.generator` replays it through the real actions. Planning
first and replaying afterwards is what lets the replay run in one global time order.
"""

from __future__ import annotations

import datetime as dt
import random
from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from tierline.accounts.permissions import Perm
from tierline.demo import catalogue as cat
from tierline.demo.cast import Cast, span, weighted
from tierline.escalations.choices import EscalationType, Trigger

TYPES = list(EscalationType.values)
TRIGGERS = list(Trigger.values)
PARENT = {key: parent for key, _, _, _, parent in cat.TEAMS}
LEVEL = {key: level for key, _, level, _, _ in cat.TEAMS}
TEAM_NAME = {key: name for key, name, *_ in cat.TEAMS}
# How a reason names what a team is for ("needs billing expertise").
EXPERTISE = {"care": "customer care", "tech2": "technical", "billing2": "billing", "workforce2": "workforce",
             "eng3": "engineering", "compliance3": "compliance", "mgmt4": "management", "exec5": "executive"}
# Seconds, by priority: how soon someone reacts, and the typical gap between working steps.
REACT = {"P1": (120, 1200), "P2": (600, 3600), "P3": (1800, 4 * 3600), "P4": (3600, 12 * 3600)}
WORK = {"P1": (600, 3 * 3600), "P2": (1200, 10 * 3600), "P3": (5400, 30 * 3600), "P4": (3 * 3600, 60 * 3600)}
RESPONSE_WINDOW = {"P1": 900, "P2": 3600, "P3": 4 * 3600, "P4": 8 * 3600}
# Where priority-based escalations go straight to, by type (default: management).
URGENT_TEAM = {"security": "eng3", "technical": "eng3", "executive": "exec5"}
SLA_ACTOR = "system:sla:breach-step"
CSAT = {5: 45, 4: 30, 3: 12, 2: 7, 1: 6}
DAY = 86400


# -- the plan ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TeamRef:
    tenant: str
    key: str


@dataclass(frozen=True)
class UserRef:
    username: str


@dataclass(frozen=True)
class CustomerRef:
    tenant: str
    index: int


@dataclass(frozen=True)
class EscRef:
    index: int


@dataclass
class Step:
    at: dt.datetime
    esc: int
    action: str
    actor: str  # a username, or "system:<rule>"
    kw: dict


@dataclass
class EscPlan:
    index: int
    tenant: str
    created_at: dt.datetime
    type: str = ""
    trigger: str = ""
    priority: str = ""
    title: str = ""
    customer: int | None = None
    duplicate_of: int | None = None
    steps: list[Step] = field(default_factory=list)

    @property
    def ended_at(self) -> dt.datetime | None:
        """When it becomes closed, cancelled or merged, as planned (None once cut off at `now`)."""
        ends = [s.at for s in self.steps if s.esc == self.index and s.action in ("close", "cancel", "merge")]
        return ends[-1] if ends else None


@dataclass
class Plan:
    now: dt.datetime
    days: int
    customers: dict[str, list[dict]]
    escalations: list[EscPlan]

    def ordered_steps(self) -> list[Step]:
        steps = [(s.at, s.esc, n, s) for e in self.escalations for n, s in enumerate(e.steps)]
        return [s for *_, s in sorted(steps, key=lambda row: row[:3])]


# -- planning one escalation's history -----------------------------------------------------------
class History:
    """Plans one escalation, tracking the state the real actions will see so every step is legal."""

    def __init__(self, planner: Planner, esc: EscPlan):
        self.p, self.rng, self.cast, self.esc = planner, planner.rng, planner.cast, esc
        self.tenant = esc.tenant
        self.t = esc.created_at
        self.status, self.team, self.owner = "new", "care", None
        self.priority = esc.priority
        self.came_from: str | None = None  # team of the last upward move, while de-escalation is possible
        self.watchers: set[str] = set()
        self.first = planner.customer_first(esc)

    # bookkeeping
    def wait(self, bounds) -> None:
        self.t += span(self.rng, bounds)

    def add(self, action: str, actor: str, **kw) -> None:
        if self.esc.steps and self.t <= self.esc.steps[-1].at:
            self.t = self.esc.steps[-1].at + dt.timedelta(seconds=1)
        self.esc.steps.append(Step(self.t, self.esc.index, action, actor, kw))

    def pick(self, team: str, perm: Perm = Perm.WORK) -> str:
        people = self.cast.members(self.tenant, team, perm)
        return self.rng.choice(people) if people else self.cast.lead(self.tenant, team)

    def with_perm(self, perm: Perm) -> str:
        for who in (self.owner, self.cast.lead(self.tenant, self.team)):
            if self.cast.can(self.tenant, who, perm):
                return who
        return self.cast.lead(self.tenant, "mgmt4")

    def fill(self, template: str, **extra) -> str:
        values = dict(first=self.first or "there", team=self.p.team_name(self.tenant, self.team),
                      thing=self.rng.choice(cat.ASK_FOR), vendor=self.rng.choice(self.p.tenants[self.tenant]["vendors"]),
                      ticket=self.p.ticket(self.tenant), level=LEVEL[self.team], priority=self.priority)
        values.update(extra)
        return template.format(**values)

    # moves
    def note(self, pool=cat.NOTES) -> None:
        self.add("add_internal_note", self.owner or self.pick(self.team), body=self.fill(self.rng.choice(pool)))

    def reply(self, kind: str) -> None:
        if self.esc.customer is not None:
            self.add("add_public_reply", self.owner or self.pick(self.team),
                     body=self.fill(self.rng.choice(cat.REPLIES[kind])))

    def escalate(self, target: str, trigger: str, actor: str) -> None:
        template = self.rng.choice(cat.REASONS[trigger])
        reason = self.fill(template, team=self.p.team_name(self.tenant, target), function=EXPERTISE[target],
                           channel=self.p.channel_of(self.esc), why=cat.URGENT_WHY.get(self.esc.type, "critical impact"),
                           rule=f"{self.esc.type}-route", type=self.esc.type.replace("_", " "))
        team = None if PARENT[self.team] == target else TeamRef(self.tenant, target)
        self.add("escalate", actor, reason=reason, trigger=trigger, team=team)
        self.came_from, self.team, self.owner = self.team, target, None

    def receive(self) -> None:
        """The receiving team takes it: acknowledged if still new, otherwise assigned by the lead."""
        member = self.pick(self.team)
        if self.status == "new":
            self.wait(REACT[self.priority])
            self.add("acknowledge", member)
            self.status, self.owner = "acknowledged", member
            self.wait((60, 1800))
            self.add("start_progress", member)
            self.status = "in_progress"
        else:
            self.wait((300, 3600))
            self.add("assign", self.cast.lead(self.tenant, self.team), owner=UserRef(member))
            self.owner = member
            if self.rng.random() < 0.5:
                self.wait((120, 3600))
                self.note(cat.HANDOVER_NOTES)
        if self.rng.random() < 0.4:
            self.wait((300, 3600))
            self.reply("moved")

    def de_escalate(self) -> None:
        back = self.came_from
        self.add("de_escalate", self.owner, reason=self.fill(self.rng.choice(cat.DE_ESCALATE),
                                                               team=self.p.team_name(self.tenant, back)))
        self.team, self.owner, self.came_from = back, None, None
        self.receive()

    def watch(self, username: str) -> None:
        if username not in self.watchers:
            self.add("watch", self.owner or self.pick(self.team), user=UserRef(username))
            self.watchers.add(username)

    def change_priority(self) -> None:
        rng = self.rng
        order = ["P1", "P2", "P3", "P4"]
        i = order.index(self.priority)
        up = i > 0 and (i == 3 or rng.random() < 0.6)
        new = order[i - 1] if up else order[i + 1]
        reason = rng.choice(cat.PRIORITY_UP if up else cat.PRIORITY_DOWN)
        self.add("change_priority", self.with_perm(Perm.CHANGE_PRIORITY), priority=new, reason=reason)
        self.priority = new

    # the whole life
    def plan(self) -> None:
        esc, rng = self.esc, self.rng
        creator = self.pick("care", Perm.CREATE)
        self.add("create", creator, **self.p.create_kwargs(esc, self))
        if esc.duplicate_of is not None:
            return self.plan_duplicate(creator)
        home = cat.HOME_TEAM[esc.type]
        if esc.trigger in ("rule", "priority_based", "time_based"):
            self.first_hop(home)
        else:
            self.frontline(creator)
            resolved_at_l1 = esc.index >= len(TYPES) and rng.random() < 0.12
            if not resolved_at_l1:
                actor = self.cast.lead(self.tenant, "care") if esc.trigger == "hierarchical" else self.owner
                self.escalate(home, esc.trigger, actor)
                self.receive()
        self.work(home)
        self.finish()

    def plan_duplicate(self, creator: str) -> None:
        # Bounded waits: find_survivor only promises the survivor stays active for four hours.
        if self.rng.random() < 0.5:
            self.wait((60, 1800))
            self.add("acknowledge", creator)
        self.wait((600, 3 * 3600))
        self.add("merge", self.cast.lead(self.tenant, "care"), survivor=EscRef(self.esc.duplicate_of),
                 reason=self.rng.choice(cat.MERGE))

    def frontline(self, agent: str) -> None:
        self.wait(REACT[self.priority])
        self.add("acknowledge", agent)
        self.status, self.owner = "acknowledged", agent
        self.wait((60, 900))
        self.add("start_progress", agent)
        self.status = "in_progress"
        if self.rng.random() < 0.7:
            self.wait((60, 1800))
            self.reply("ack")
        if self.rng.random() < 0.7:
            self.wait((300, 3600))
            self.note(cat.FRONTLINE_NOTES)
        self.wait(REACT[self.priority])

    def first_hop(self, home: str) -> None:
        esc = self.esc
        if esc.trigger == "rule":
            self.wait((20, 180))
            self.escalate(home, "rule", f"system:matrix:{esc.type.replace('_', '-')}-route")
        elif esc.trigger == "priority_based":
            self.wait((60, 600))
            target = URGENT_TEAM.get(esc.type, "mgmt4")
            self.escalate(target, "priority_based", self.cast.lead(self.tenant, "care"))
        else:  # nobody acknowledged inside the response window: the SLA step moves it up one level
            self.t += dt.timedelta(seconds=RESPONSE_WINDOW[self.priority] + self.rng.uniform(5, 300))
            self.escalate(PARENT["care"], "time_based", SLA_ACTOR)
        self.receive()
        if LEVEL[home] > LEVEL[self.team] or (LEVEL[home] == LEVEL[self.team] and home != self.team):
            self.wait(WORK[self.priority])
            self.escalate(home, "functional", self.owner)
            self.receive()

    def work(self, home: str) -> None:
        esc, rng = self.esc, self.rng
        gap = WORK[self.priority]
        for _ in range(rng.choice((1, 1, 1, 2, 2))):
            self.wait(gap)
            if rng.random() < 0.8:
                self.note()
            if esc.customer is not None and rng.random() < 0.22:
                self.wait(gap)
                self.reply("ask")
                self.add("set_pending", self.owner, waiting_on="customer",
                         reason=self.fill(rng.choice(cat.PENDING_CUSTOMER)))
                self.wait((2 * 3600, 3 * DAY))
                self.add("resume", self.owner)
            if rng.random() < 0.07:
                self.wait(gap)
                self.add("set_pending", self.owner, waiting_on="third_party",
                         reason=self.fill(rng.choice(cat.PENDING_VENDOR)))
                # A few vendor cases stall for weeks: the backlog-ageing report needs some.
                self.wait((10 * DAY, 40 * DAY) if rng.random() < 0.3 else (4 * 3600, 5 * DAY))
                self.add("resume", self.owner)
            if rng.random() < 0.08:
                self.wait(gap)
                self.change_priority()
                gap = WORK[self.priority]
            if rng.random() < 0.08:
                others = [u for u in self.cast.members(self.tenant, self.team) if u != self.owner]
                if others:
                    self.wait(gap)
                    self.owner = rng.choice(others)
                    self.add("assign", self.cast.lead(self.tenant, self.team), owner=UserRef(self.owner))
            self.maybe_move_up(rng, gap)
            if rng.random() < 0.35:
                self.wait(gap)
                self.reply("update")
        if self.priority == "P1":
            self.watch(self.cast.lead(self.tenant, "mgmt4"))
        if esc.type in ("compliance", "security") and rng.random() < 0.6:
            self.watch("priya.raman")
        if rng.random() < 0.1:
            self.wait(gap)
            self.add("set_tags", self.owner, add=[rng.choice(["root-cause-review", "repeat-contact", "known-issue"])])

    def maybe_move_up(self, rng: random.Random, gap) -> None:
        parent = PARENT[self.team]
        chance = {"P1": 0.35, "P2": 0.2}.get(self.priority, 0.1)
        if self.team in ("mgmt4", "exec5") or (parent == "exec5" and self.esc.type != "executive"):
            chance /= 4
        if self.esc.type == "security" and self.team == "eng3" and rng.random() < 0.3:
            self.wait(gap)
            self.escalate("compliance3", "functional", self.owner)
            self.receive()
        elif parent and rng.random() < chance:
            self.wait(gap)
            if self.priority in ("P1", "P2") and rng.random() < 0.3:
                self.escalate(parent, "time_based", SLA_ACTOR)
            else:
                trigger = "client_initiated" if self.esc.customer is not None and rng.random() < 0.2 else "hierarchical"
                self.escalate(parent, trigger, self.owner)
            self.receive()
            if rng.random() < 0.25:
                self.wait(gap)
                self.de_escalate()

    def finish(self) -> None:
        rng = self.rng
        gap = WORK[self.priority]
        self.wait(gap)
        if rng.random() < 0.03:
            self.add("cancel", self.with_perm(Perm.RESOLVE), reason=rng.choice(cat.CANCEL))
            return
        self.resolve()
        if rng.random() < 0.05:
            self.wait((4 * 3600, 2 * DAY))
            self.add("reopen", self.with_perm(Perm.RESOLVE), reason=rng.choice(cat.REOPEN))
            self.status = "reopened"
            self.wait(REACT[self.priority])
            self.add("start_progress", self.with_perm(Perm.WORK))
            self.status = "in_progress"
            self.wait(gap)
            self.note()
            self.wait(gap)
            self.resolve()
        if self.esc.customer is not None and rng.random() < 0.45:
            self.wait((1800, DAY))
            self.add("record_csat", "customer", score=weighted(rng, CSAT), comment=rng.choice(cat.CSAT_COMMENTS))
        self.wait((DAY, 6 * DAY))
        self.add("close", self.with_perm(Perm.RESOLVE))

    def approval(self, kind: str, **money) -> None:
        """Money and policy exceptions wait for a manager who is not the one asking (four eyes)."""
        asker = self.with_perm(Perm.WORK)
        self.add("request_approval", asker, kind=kind, reason=self.rng.choice(cat.APPROVAL_REASONS[kind]), **money)
        self.wait((600, 6 * 3600))
        approver = self.cast.lead(self.tenant, "mgmt4")
        if approver == asker:
            approver = self.cast.lead(self.tenant, "exec5")
        self.add("decide_approval", approver, kind=kind, approve=True, note="Approved within policy")
        self.wait((300, 3600))

    def resolve(self) -> None:
        esc, rng = self.esc, self.rng
        codes, causes = cat.OUTCOMES[esc.type]
        code = rng.choice(codes)
        kw = dict(summary=rng.choice(cat.RESOLUTIONS[code]), resolution_code=code,
                  root_cause_category=rng.choice(causes))
        paid = code == "refund" or (esc.type in ("compensation", "dispute") and code == "policy_exception")
        if paid:
            low, high = {"GBP": (5, 250), "USD": (10, 500), "INR": (500, 25000)}[self.p.currency(self.tenant)]
            kw.update(compensation_amount=f"{low * (high / low) ** rng.random():.2f}",
                      compensation_currency=self.p.currency(self.tenant))
            self.approval("compensation", amount=kw["compensation_amount"], currency=kw["compensation_currency"])
        if code == "policy_exception":
            self.approval("policy_exception")
        self.add("resolve", self.with_perm(Perm.RESOLVE), **kw)
        self.status = "resolved"
        if rng.random() < 0.7:
            self.wait((60, 1800))
            self.reply("done")


# -- planning everything -------------------------------------------------------------------------
class Planner:
    def __init__(self, *, seed: int, now: dt.datetime, escalations: int, customers: int, days: int):
        self.rng = random.Random(seed)
        self.now, self.count, self.days = now, escalations, days
        self.customer_total = customers
        self.cast = Cast()
        self.tenants = {t["code"]: t for t in cat.TENANTS}
        self.customers: dict[str, list[dict]] = {}
        self.escalations: list[EscPlan] = []
        self._channels: dict[int, str] = {}
        self.cutoff = now - dt.timedelta(minutes=1)

    def team_name(self, tenant: str, key: str) -> str:
        return TEAM_NAME[key] or self.tenants[tenant]["engineering"]

    def currency(self, tenant: str) -> str:
        return self.tenants[tenant]["currency"]

    def ticket(self, tenant: str) -> str:
        return self.tenants[tenant]["ticket"].format(n=self.rng.randrange(10000, 99999))

    def channel_of(self, esc: EscPlan) -> str:
        return self._channels[esc.index]

    def customer_first(self, esc: EscPlan) -> str | None:
        if esc.customer is None:
            return None
        return self.customers[esc.tenant][esc.customer]["name"].split()[0]

    def plan(self) -> Plan:
        self.plan_customers()
        starts = sorted(self.creation_times())
        for index, (created_at, tenant) in enumerate(starts):
            esc = EscPlan(index=index, tenant=tenant, created_at=created_at)
            self.describe(esc)
            History(self, esc).plan()
            self.escalations.append(esc)
        self.plan_links()
        for esc in self.escalations:
            esc.steps = [s for s in esc.steps if s.at <= self.cutoff]
        return Plan(now=self.now, days=self.days, customers=self.customers, escalations=self.escalations)

    def split(self, total: int) -> dict[str, int]:
        shares = {code: total * w // 100 for code, w in cat.TENANT_SHARE.items()}
        shares["ACME"] += total - sum(shares.values())
        return shares

    def plan_customers(self) -> None:
        rng = self.rng
        for code, count in self.split(self.customer_total).items():
            t = self.tenants[code]
            firsts, lasts = (s.split() for s in cat.CUSTOMER_NAMES[code])
            rows = []
            for k in range(count):
                first, last = rng.choice(firsts), rng.choice(lasts)
                # The first two per tenant are VIP and gold so even a tiny demo has both.
                tier = "vip" if k == 0 else "gold" if k == 1 else weighted(rng, {"standard": 80, "gold": 15, "vip": 5})
                local = "".join(c for c in f"{first}.{last}".lower() if c.isascii() and (c.isalnum() or c == "."))
                rows.append(dict(
                    name=f"{first} {last}", tier=tier, language=weighted(rng, t["langs"]),
                    email=f"{local}{k + 1}@{cat.CUSTOMER_DOMAINS[k % 2]}",
                    phone=t["phone"].format(n=rng.randrange(1000 if "{n:03d}" in t["phone"] else 100)),
                    account_id=t["account"].format(n=rng.randrange(10 ** 4, 10 ** 5)),
                    created_at=self.now - dt.timedelta(days=self.days + rng.uniform(30, 2000)),
                ))
            self.customers[code] = rows

    def creation_times(self):
        rng = self.rng
        for code, count in self.split(self.count).items():
            tz = ZoneInfo(self.tenants[code]["tz"])
            today = self.now.astimezone(tz).date()
            for _ in range(count):
                day = today - dt.timedelta(days=rng.randrange(self.days))
                hour = rng.choices(range(24), weights=cat.HOUR_WEIGHTS)[0]
                local = dt.datetime.combine(day, dt.time(hour, rng.randrange(60), rng.randrange(60)), tzinfo=tz)
                at = local.astimezone(dt.UTC)
                if at > self.now - dt.timedelta(minutes=10):
                    at = self.now - dt.timedelta(minutes=rng.uniform(10, 600))
                yield at, code

    def describe(self, esc: EscPlan) -> None:
        rng, t = self.rng, self.tenants[esc.tenant]
        dup = self.find_survivor(esc) if esc.index >= len(TYPES) and rng.random() < 0.02 else None
        if dup is not None:
            esc.duplicate_of = dup.index
            esc.type, esc.trigger, esc.priority = dup.type, dup.trigger, dup.priority
            esc.title, esc.customer = dup.title, dup.customer
            self._channels[esc.index] = weighted(rng, t["channels"])
            return
        # The oldest few cycle through every type and trigger, so even a tiny demo shows them all.
        esc.type = TYPES[esc.index] if esc.index < len(TYPES) else weighted(rng, cat.TYPE_WEIGHTS)
        customers = self.customers[esc.tenant]
        if customers and rng.random() >= cat.NO_CUSTOMER_SHARE.get(esc.type, 0):
            pool = [i for i, c in enumerate(customers) if c["tier"] == "vip"] if esc.type == "executive" else []
            esc.customer = rng.choice(pool or range(len(customers)))
        if esc.index < len(TYPES):
            esc.trigger = TRIGGERS[esc.index % len(TRIGGERS)]
        else:
            weights = {**cat.TRIGGER_WEIGHTS, **cat.TRIGGER_BIAS.get(esc.type, {})}
            if esc.customer is None:
                weights["client_initiated"] = 0
            esc.trigger = weighted(rng, weights)
        tier = customers[esc.customer]["tier"] if esc.customer is not None else "standard"
        profile = ("forced" if esc.trigger == "priority_based" else "urgent" if esc.type == "security"
                   else "vip" if tier == "vip" or esc.type == "executive" else "normal")
        esc.priority = rng.choices(["P1", "P2", "P3", "P4"], weights=cat.PRIORITY_WEIGHTS[profile])[0]
        values = dict(
            product=rng.choice(t["products"]), feature=rng.choice(t["features"]), inv=rng.randrange(100000, 999999),
            amount=f"{rng.uniform(12, 480):.2f}", sym=t["symbol"], month=rng.choice(cat.MONTHS),
            times=rng.randrange(3, 7), minutes=rng.randrange(25, 95), days=rng.randrange(2, 9),
            hours=rng.randrange(24, 73), code=f"E{rng.randrange(100, 999)}", country=rng.choice(cat.COUNTRIES),
            acct=customers[esc.customer]["account_id"] if esc.customer is not None else "(internal)",
            version=f"{rng.randrange(3, 6)}.{rng.randrange(0, 12)}.{rng.randrange(0, 9)}",
            week=rng.randrange(1, 53), weekday=rng.choice(cat.WEEKDAYS), tenant=t["name"],
        )
        esc.title = rng.choice(cat.TITLES[esc.type]).format(**values)
        channels = dict(t["channels"])
        if esc.customer is None:
            channels = {"email": 1, "portal": 1}
        self._channels[esc.index] = weighted(rng, channels)

    def find_survivor(self, esc: EscPlan) -> EscPlan | None:
        """An earlier, still-active escalation of the same tenant that this one can duplicate."""
        latest_merge = esc.created_at + dt.timedelta(hours=4)
        for other in reversed(self.escalations):
            if esc.created_at - other.created_at > dt.timedelta(days=3):
                return None
            ended = other.ended_at
            if (other.tenant == esc.tenant and other.duplicate_of is None and other.customer is not None
                    and (ended is None or ended > latest_merge) and latest_merge < self.cutoff):
                return other
        return None

    def create_kwargs(self, esc: EscPlan, h: History) -> dict:
        rng, t = self.rng, self.tenants[esc.tenant]
        channel = self._channels[esc.index]
        customer = self.customers[esc.tenant][esc.customer] if esc.customer is not None else None
        opener = (rng.choice(cat.OPENERS).format(first=h.first, channel=channel) if customer
                  else cat.NO_CUSTOMER_OPENER.format(team="customer care"))
        tags = rng.sample(cat.TAGS[esc.type], k=rng.choice((1, 1, 2)))
        if customer and customer["tier"] == "vip":
            tags.append("vip")
        if channel == "social":
            tags.append("social-media")
        watchers = []
        if customer and customer["tier"] == "vip":
            watchers.append(UserRef(self.cast.lead(esc.tenant, "mgmt4")))
            h.watchers.add(watchers[0].username)
        kw = dict(title=esc.title, type=esc.type, priority=esc.priority, trigger=esc.trigger, channel=channel,
                  team=TeamRef(esc.tenant, "care"), description=f"{opener} {rng.choice(cat.DETAILS[esc.type])}",
                  customer=CustomerRef(esc.tenant, esc.customer) if customer else None,
                  external_id=self.ticket(esc.tenant) if rng.random() < 0.7 else "", tags=tags, watchers=watchers)
        if "custom_field_schema" in t and esc.type in ("technical", "product"):
            kw["custom_fields"] = {"product_version": f"{rng.randrange(3, 6)}.{rng.randrange(10)}",
                                   "environment": weighted(rng, {"production": 8, "staging": 1, "trial": 1})}
        return kw

    def plan_links(self) -> None:
        """Related cases and child-of-an-outage links between escalations a day or so apart."""
        rng = self.rng
        by_tenant = defaultdict(list)
        for esc in self.escalations:
            by_tenant[esc.tenant].append(esc)
        starts = {code: [o.created_at for o in group] for code, group in by_tenant.items()}
        for esc in self.escalations:
            if esc.duplicate_of is not None or rng.random() >= 0.04:
                continue
            group, times = by_tenant[esc.tenant], starts[esc.tenant]
            window = group[bisect_left(times, esc.created_at - dt.timedelta(days=7)):bisect_left(times, esc.created_at)]
            earlier = [o for o in window if o.duplicate_of is None]
            same = [o for o in earlier if o.type == esc.type] or earlier
            if not same:
                continue
            other = rng.choice(same)
            outage = esc.type == other.type == "technical" and other.priority in ("P1", "P2")
            at = esc.created_at + span(rng, (600, DAY))
            actor = self.cast.lead(esc.tenant, "care")
            esc.steps.append(Step(at, esc.index, "link", actor,
                                  dict(other=EscRef(other.index), kind="child_of" if outage else "related_to")))


def plan_demo(*, seed: int = 42, now: dt.datetime, escalations: int = 3000, customers: int = 500,
              days: int = 30) -> Plan:
    """Every customer and every step of every history, decided from the seed alone."""
    if now.tzinfo is None:
        raise ValueError("now must be time-zone aware")
    return Planner(seed=seed, now=now, escalations=escalations, customers=customers, days=days).plan()
