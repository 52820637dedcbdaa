"""Loading the demo: the organisation, its customers, then every planned step through the actions.

`tierline.demo.planner` decides everything from the seed; this module only makes it real. The
escalation histories go through `tierline.actions` like any other change, so the
demo's log is hash-chained, permission-checked and state-machine-checked exactly as production
data would be. The steps of all escalations run in one global time order, which keeps each
tenant's chain in time order as well.

The load commits in batches of a few hundred steps, so the server can answer (and demo users
log in) while the history streams in; the DemoLoad row says how far it got, and "loaded" means
its `finished_at` is set. Past history is written with the outbox switched off
(`history_import`): it was announced when it happened. The last hours go through the outbox as
usual, which is what leaves a supervisor tens of unread notifications rather than thousands.
SLA timers fire in time order between the steps (`sla_tick` at each due deadline), so warnings
and breaches are in the log where they fell.

Nothing here reads the clock for the data: the caller passes `now`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import heapq
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Count

from tierline import actions
from tierline.accounts.models import User
from tierline.actions.outbox import history_import
from tierline.audit.models import Event
from tierline.core.actors import Actor
from tierline.demo import catalogue as cat
from tierline.demo import setup
from tierline.demo.models import DemoLoad
from tierline.demo.planner import CustomerRef, EscRef, Plan, Step, TeamRef, UserRef, plan_demo
from tierline.escalations.models import Escalation
from tierline.tenancy.models import Customer, Membership, Team, TeamMember, Tenant

__all__ = ["DemoError", "DemoResult", "demo_exists", "demo_state", "load_demo", "plan_demo", "summarise"]

ACTIONS: dict[str, Callable] = {
    "acknowledge": actions.acknowledge, "start_progress": actions.start_progress, "assign": actions.assign,
    "escalate": actions.escalate, "de_escalate": actions.de_escalate, "change_priority": actions.change_priority,
    "add_internal_note": actions.add_internal_note, "add_public_reply": actions.add_public_reply,
    "set_pending": actions.set_pending, "resume": actions.resume, "resolve": actions.resolve,
    "close": actions.close, "reopen": actions.reopen, "cancel": actions.cancel, "link": actions.link,
    "merge": actions.merge, "watch": actions.watch, "set_tags": actions.set_tags,
    "request_approval": actions.request_approval, "decide_approval": actions.decide_approval,
    "record_csat": actions.record_csat,
}
# Steps older than this are history: nothing is queued for them (see the module docstring).
LIVE_WINDOW = dt.timedelta(hours=8)
BATCH = 400  # steps per commit: short enough that other writers (the worker, a login) get in between
# (escalations created so far, escalations in the plan, actions run so far)
Progress = Callable[[int, int, int], None]


class DemoError(Exception):
    """A planned step was refused by the actions: a bug in the planner or in an action."""


@dataclass
class DemoResult:
    created: bool
    password: str | None = None
    login: str = "admin"
    # Users that existed before the load: reused as they were, password untouched.
    kept_users: list[str] = field(default_factory=list)
    summary: dict = field(default_factory=dict)


def demo_exists() -> bool:
    """True once a load has begun (its tenants exist); see `demo_loaded` for finished."""
    return Tenant.objects.filter(code__in=cat.TENANT_CODES).exists()


def demo_state() -> DemoLoad | None:
    return DemoLoad.objects.filter(pk=1).first()


def load_demo(*, now: dt.datetime, seed: int = 42, escalations: int = 500, customers: int = 200,
              days: int = 30, password: str | None = None, progress: Progress | None = None,
              progress_every: int = 250, on_people=None) -> DemoResult:
    """Create the demo unless its tenants already exist. Returns the shared password when it did."""
    if demo_exists():
        return DemoResult(created=False, summary=summarise())
    plan = plan_demo(seed=seed, now=now, escalations=escalations, customers=customers, days=days)
    password = password or secrets.token_urlsafe(12)
    since = now - dt.timedelta(days=days)
    with transaction.atomic():
        if demo_exists():  # another loader won the race while we were planning
            return DemoResult(created=False, summary=summarise())
        DemoLoad.objects.create(pk=1, total=len(plan.escalations), started_at=now)
        # One hash for everyone: the password is shared anyway, and Argon2 ×30 would cost seconds.
        org = Org.build(plan, make_password(password))
        setup.configure(now, since, seed)
    login = next((u for u, *_ in cat.USERS if u not in org.kept), "admin")
    if on_people is not None:  # people can sign in now, while the history streams in
        on_people(login, password, org.kept)
    replay(plan, org, progress, progress_every)
    with transaction.atomic():
        setup.configure_routing(now)
        setup.in_flight(now, seed, org.users)
        DemoLoad.objects.filter(pk=1).update(done=len(plan.escalations), finished_at=now)
    return DemoResult(created=True, password=password, login=login, kept_users=org.kept, summary=summarise())


class Org:
    """The rows the plan refers to by name, created in a fixed order."""

    def __init__(self):
        self.tenants: dict[str, Tenant] = {}
        self.teams: dict[tuple[str, str], Team] = {}
        self.users: dict[str, User] = {}
        self.customers: dict[str, list[Customer]] = {}
        self.kept: list[str] = []

    @classmethod
    def build(cls, plan: Plan, password_hash: str) -> Org:
        org = cls()
        since = plan.now - dt.timedelta(days=plan.days)
        for t in cat.TENANTS:
            tenant = Tenant.objects.create(
                code=t["code"], name=t["name"], time_zone=t["tz"], default_language=t["lang"],
                custom_field_schema=t.get("custom_field_schema", {}),
            )
            # created_at is auto_now_add (the real clock); the demo's world began well before `now`.
            Tenant.objects.filter(pk=tenant.pk).update(created_at=since - dt.timedelta(days=2100))
            org.tenants[t["code"]] = tenant
            for key, name, level, function, parent in cat.TEAMS:
                org.teams[(t["code"], key)] = Team.objects.create(
                    tenant=tenant, name=name or t["engineering"], level=level, function=function,
                    parent=org.teams[(t["code"], parent)] if parent else None,
                )
        org.build_people(plan, password_hash, since)
        org.build_customers(plan)
        return org

    def build_people(self, plan: Plan, password_hash: str, since: dt.datetime) -> None:
        existing = {u.username: u for u in User.objects.filter(username__in=[row[0] for row in cat.USERS])}
        memberships, team_members = [], []
        for username, first, last, tz, roles in cat.USERS:
            user = existing.get(username)
            if user is None:
                client = next((code for code, (role, _) in roles.items() if role == "client_viewer"), None)
                domain = f"{client.lower()}.example.net" if client else "example.com"
                user = User.objects.create(
                    username=username, first_name=first, last_name=last, display_name=f"{first} {last}",
                    email=f"{username}@{domain}", time_zone=tz, password=password_hash,
                    is_staff=username == "admin", is_superuser=username == "admin",
                    date_joined=since - dt.timedelta(days=180),
                )
            else:
                self.kept.append(username)
            self.users[username] = user
            for code, (role, teams) in roles.items():
                tenant = self.tenants[code]
                memberships.append(Membership(tenant=tenant, user=user, role=role))
                team_members += [TeamMember(tenant=tenant, team=self.teams[(code, team)], user=user, is_lead=lead)
                                 for team, lead in teams]
        Membership.objects.bulk_create(memberships)
        TeamMember.objects.bulk_create(team_members)

    def build_customers(self, plan: Plan) -> None:
        for code, rows in plan.customers.items():
            objs = Customer.objects.bulk_create([
                Customer(tenant=self.tenants[code], **{k: v for k, v in row.items() if k != "created_at"})
                for row in rows
            ])
            # bulk_create stamps auto_now_add with the real clock; give them the planned history.
            for obj, row in zip(objs, rows, strict=True):
                obj.created_at = row["created_at"]
            Customer.objects.bulk_update(objs, ["created_at"])
            self.customers[code] = objs

    def resolve(self, value, pks: dict[int, int]):
        if isinstance(value, TeamRef):
            return self.teams[(value.tenant, value.key)]
        if isinstance(value, UserRef):
            return self.users[value.username]
        if isinstance(value, CustomerRef):
            return self.customers[value.tenant][value.index]
        if isinstance(value, EscRef):
            return pks[value.index]
        if isinstance(value, list):
            return [self.resolve(v, pks) for v in value]
        return value


class Replay:
    """Runs the planned steps through the actions in time order, firing SLA timers in between."""

    def __init__(self, plan: Plan, org: Org):
        self.plan, self.org = plan, org
        self.actors: dict[str, Actor] = {}
        self.pks: dict[int, int] = {}  # plan index -> escalation id
        self.due: list[tuple[dt.datetime, int]] = []  # (next SLA deadline, escalation id), a heap
        self.deadline: dict[int, dt.datetime] = {}  # the current one per escalation: older heap rows are stale
        self.live_from = plan.now - LIVE_WINDOW

    def actor(self, step: Step) -> Actor:
        if step.actor == "customer":
            esc = self.plan.escalations[step.esc]
            return Actor.for_customer(self.org.customers[esc.tenant][esc.customer])
        actor = self.actors.get(step.actor)
        if actor is None:
            actor = self.actors[step.actor] = (
                Actor.system(step.actor.removeprefix("system:")) if step.actor.startswith("system:")
                else Actor.for_user(self.org.users[step.actor]))
        return actor

    def track(self, esc) -> None:
        if isinstance(esc, Escalation) and esc.next_deadline and esc.next_deadline != self.deadline.get(esc.pk):
            self.deadline[esc.pk] = esc.next_deadline
            heapq.heappush(self.due, (esc.next_deadline, esc.pk))

    def tick_until(self, at: dt.datetime) -> None:
        while self.due and self.due[0][0] <= at:
            when, pk = heapq.heappop(self.due)
            if self.deadline.get(pk) != when:
                continue
            del self.deadline[pk]
            with history_import() if when < self.live_from else contextlib.nullcontext():
                esc = actions.sla_tick(pk, now=when)
            if esc.next_deadline and esc.next_deadline > when:
                self.track(esc)

    def run(self, step: Step) -> None:
        self.tick_until(step.at)
        kw = {key: self.org.resolve(value, self.pks) for key, value in step.kw.items()}
        try:
            with history_import() if step.at < self.live_from else contextlib.nullcontext():
                if step.action == "create":
                    tenant = self.org.tenants[self.plan.escalations[step.esc].tenant]
                    esc = actions.create_escalation(actor=self.actor(step), now=step.at, tenant=tenant, **kw)
                    self.pks[step.esc] = esc.pk
                else:
                    esc = ACTIONS[step.action](self.pks[step.esc], actor=self.actor(step), now=step.at, **kw)
        except Exception as exc:
            raise DemoError(f"demo step {step.action} by {step.actor} on escalation #{step.esc} "
                            f"at {step.at.isoformat()} was refused: {exc}") from exc
        self.track(esc)


def replay(plan: Plan, org: Org, progress: Progress | None, every: int) -> None:
    run = Replay(plan, org)
    total = len(plan.escalations)
    steps = plan.ordered_steps()
    done = 0
    for start in range(0, len(steps), BATCH):
        with transaction.atomic():
            for step in steps[start:start + BATCH]:
                run.run(step)
                done += 1
                if progress and step.action == "create" and len(run.pks) % every == 0:
                    progress(len(run.pks), total, done)
            DemoLoad.objects.filter(pk=1).update(done=len(run.pks))
    with transaction.atomic():
        run.tick_until(plan.now)  # the clocks of the cases still open: warned and breached ones now
    if progress and len(run.pks) % every:
        progress(len(run.pks), total, done)


def summarise() -> dict:
    """What the demo tenants hold now: for the closing report and for tests."""
    tenants = Tenant.objects.filter(code__in=cat.TENANT_CODES)
    ids = list(tenants.values_list("pk", flat=True))
    statuses = (Escalation.objects.filter(tenant_id__in=ids).values("status")
                .annotate(n=Count("id")).order_by("-n", "status"))
    return {
        "tenants": list(tenants.order_by("code").values_list("code", flat=True)),
        "teams": Team.objects.filter(tenant_id__in=ids).count(),
        "users": User.objects.filter(memberships__tenant_id__in=ids).distinct().count(),
        "customers": Customer.objects.filter(tenant_id__in=ids).count(),
        "escalations": {row["status"]: row["n"] for row in statuses},
        "events": Event.objects.filter(tenant_id__in=ids).count(),
    }
