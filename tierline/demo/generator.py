"""Loading the demo: the organisation, its customers, then every planned step through the actions.

`tierline.demo.planner` decides everything from the seed; this module only makes it real. The
escalation histories go through `tierline.actions` like any other change, so the
demo's log is hash-chained, permission-checked and state-machine-checked exactly as production
data would be. The steps of all escalations run in one global time order, which keeps each
tenant's chain in time order as well.

The whole load is one transaction: a failure half-way leaves nothing behind, so "the demo
tenants exist" can safely mean "the demo is fully loaded". (It also spares SQLite one fsync per
action, which is most of the speed.)

Nothing here reads the clock for the data: the caller passes `now`.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Count

from tierline import actions
from tierline.accounts.models import User
from tierline.audit.models import Event
from tierline.core.actors import Actor
from tierline.demo import catalogue as cat
from tierline.demo.planner import CustomerRef, EscRef, Plan, TeamRef, UserRef, plan_demo
from tierline.escalations.models import Escalation
from tierline.routing import services
from tierline.routing.models import AgentProfile, RoutingSettings, TeamRouting
from tierline.tenancy.models import Customer, Membership, Team, TeamMember, Tenant

__all__ = ["DemoError", "DemoResult", "demo_exists", "load_demo", "plan_demo", "summarise"]

ACTIONS: dict[str, Callable] = {
    "acknowledge": actions.acknowledge, "start_progress": actions.start_progress, "assign": actions.assign,
    "escalate": actions.escalate, "de_escalate": actions.de_escalate, "change_priority": actions.change_priority,
    "add_internal_note": actions.add_internal_note, "add_public_reply": actions.add_public_reply,
    "set_pending": actions.set_pending, "resume": actions.resume, "resolve": actions.resolve,
    "close": actions.close, "reopen": actions.reopen, "cancel": actions.cancel, "link": actions.link,
    "merge": actions.merge, "watch": actions.watch, "set_tags": actions.set_tags,
    "request_approval": actions.request_approval, "decide_approval": actions.decide_approval,
}
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
    return Tenant.objects.filter(code__in=cat.TENANT_CODES).exists()


def load_demo(*, now: dt.datetime, seed: int = 42, escalations: int = 3000, customers: int = 500,
              days: int = 90, password: str | None = None, progress: Progress | None = None,
              progress_every: int = 250) -> DemoResult:
    """Create the demo unless its tenants already exist. Returns the shared password when it did."""
    if demo_exists():
        return DemoResult(created=False, summary=summarise())
    plan = plan_demo(seed=seed, now=now, escalations=escalations, customers=customers, days=days)
    password = password or secrets.token_urlsafe(12)
    with transaction.atomic():
        if demo_exists():  # another loader won the race while we were planning
            return DemoResult(created=False, summary=summarise())
        # One hash for everyone: the password is shared anyway, and Argon2 ×30 would cost seconds.
        org = Org.build(plan, make_password(password))
        replay(plan, org, progress, progress_every)
        configure_routing(now)
    login = next((u for u, *_ in cat.USERS if u not in org.kept), "admin")
    return DemoResult(created=True, password=password, login=login, kept_users=org.kept, summary=summarise())


def configure_routing(now: dt.datetime) -> None:
    """After the history: publish the starter matrix and let the frontline and L2 teams hand out
    work themselves, so new escalations in the demo are routed and assigned like in production."""
    from pathlib import Path


    text = (Path(__file__).parent / "matrix.yaml").read_text()
    actor = Actor.system("demo")
    strategies = {"Customer care": "round_robin", "Technical support": "least_loaded",
                  "Billing & accounts": "skills"}
    for tenant in Tenant.objects.filter(code__in=cat.TENANT_CODES):
        RoutingSettings.objects.get_or_create(tenant=tenant, defaults={
            "approval_threshold": 100, "type_skills": {"billing": ["billing"], "compensation": ["billing"]}})
        for team in Team.objects.filter(tenant=tenant, name__in=strategies):
            TeamRouting.objects.get_or_create(tenant=tenant, team=team, defaults={"strategy": strategies[team.name]})
            if team.name == "Billing & accounts":
                for user_id in TeamMember.objects.filter(team=team).values_list("user_id", flat=True):
                    AgentProfile.objects.get_or_create(tenant=tenant, user_id=user_id,
                                                       defaults={"skills": ["billing"], "languages": ["en"]})
        version, _ = services.import_draft(tenant, text, actor=actor, now=now, note="demo starter matrix")
        services.publish(tenant, version.number, actor=actor, now=now)


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


def replay(plan: Plan, org: Org, progress: Progress | None, every: int) -> None:
    actors: dict[str, Actor] = {}
    pks: dict[int, int] = {}  # plan index -> escalation id
    total = len(plan.escalations)
    done = 0
    for step in plan.ordered_steps():
        actor = actors.get(step.actor)
        if actor is None:
            actor = actors[step.actor] = (
                Actor.system(step.actor.removeprefix("system:")) if step.actor.startswith("system:")
                else Actor.for_user(org.users[step.actor])
            )
        kw = {key: org.resolve(value, pks) for key, value in step.kw.items()}
        try:
            if step.action == "create":
                tenant = org.tenants[plan.escalations[step.esc].tenant]
                pks[step.esc] = actions.create_escalation(actor=actor, now=step.at, tenant=tenant, **kw).pk
            else:
                ACTIONS[step.action](pks[step.esc], actor=actor, now=step.at, **kw)
        except Exception as exc:
            raise DemoError(f"demo step {step.action} by {step.actor} on escalation #{step.esc} "
                            f"at {step.at.isoformat()} was refused: {exc}") from exc
        done += 1
        if progress and step.action == "create" and len(pks) % every == 0:
            progress(len(pks), total, done)
    if progress and len(pks) % every:
        progress(len(pks), total, done)


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
