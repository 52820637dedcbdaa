"""The demo's configuration and the work still in flight at `now`: business calendars, SLA
policies, the root-cause taxonomy, contact volumes and the routing matrix (before the history),
then problems with CAPA actions, pending approvals and customers' escalation requests (after it).

Configuration rows go through the services an administrator would use; anything that touches an
escalation goes through its action. Nothing here reads the clock: the caller passes `now`.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

from tierline import actions
from tierline.core.actors import Actor
from tierline.demo import catalogue as cat
from tierline.escalations.models import Escalation
from tierline.problems.models import RootCause
from tierline.problems.services import add_action, create_problem, create_root_cause, update_action
from tierline.reports.models import ContactVolume
from tierline.routing import services
from tierline.routing.models import AgentProfile, RoutingSettings, TeamRouting
from tierline.sla.models import Calendar, SlaPolicy
from tierline.tenancy.models import Team, TeamMember, Tenant

H = dt.timedelta(hours=1)
# Business hours by tenant; public holidays come from the `holidays` package via the calendar spec.
CALENDARS = {
    "ACME": {"timezone": "Europe/London", "holidays": {"country": "GB", "subdivision": "ENG"},
             "hours": {**{d: [["08:00", "20:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
                       "sat": [["09:00", "17:00"]]}},
    "GLOBEX": {"timezone": "America/New_York", "holidays": {"country": "US", "subdivision": "NY"},
               "hours": {d: [["08:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}},
    "INITECH": {"timezone": "Asia/Kolkata", "holidays": {"country": "IN", "subdivision": None},
                "hours": {d: [["09:30", "13:00"], ["14:00", "18:30"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat")}},
}
# priority: (acknowledgement, first response, update cadence, resolution) in business hours; P1 runs 24x7.
TARGETS = {"P1": (0.25, 0.5, 2, 8), "P2": (1, 2, 8, 24), "P3": (4, 8, 24, 72), "P4": (8, 16, 48, 160)}
# The root-cause taxonomy: group, then the categories the resolutions already use (catalogue.OUTCOMES).
TAXONOMY = {
    "people": ("People", {"training": "Training gap", "communication": "Poor communication",
                          "customer_error": "Customer error"}),
    "process": ("Process", {"process_gap": "Process gap", "policy": "Policy", "billing_error": "Billing error"}),
    "technology": ("Technology", {"infrastructure": "Infrastructure failure", "product_defect": "Product defect",
                                  "third_party": "Third-party failure", "unknown": "Not yet known"}),
}
PROBLEMS = [
    ("infrastructure", "technical", "Repeated regional outages after network changes",
     "Escalations about service loss cluster after planned changes.",
     [("corrective", "Roll back the faulty configuration template", 7, "done"),
      ("preventive", "Add a peer review step to change windows", 21, "in_progress")]),
    ("billing_error", "billing", "Duplicate charges after plan migration",
     "Customers moved between plans are billed twice in the first month.",
     [("corrective", "Refund every affected account", 5, "done"),
      ("preventive", "Add a duplicate-charge check to the billing run", 30, "open")]),
    ("training", "customer_experience", "Inconsistent answers from frontline agents",
     "Complaints cite conflicting information from different agents.",
     [("preventive", "Refresh the knowledge base articles most often misquoted", -3, "open"),
      ("corrective", "Coaching sessions for the agents involved", 14, "in_progress")]),
]


def configure(now: dt.datetime, since: dt.datetime, seed: int) -> None:
    """Before the history: what every escalation is measured against from its first minute."""

    for code, spec in CALENDARS.items():
        tenant = Tenant.objects.get(code=code)
        office = Calendar.objects.create(tenant=tenant, name="Office hours", spec=spec)
        always = Calendar.objects.create(tenant=tenant, name="24x7", spec={"timezone": spec["timezone"],
                                                                         "always_open": True})
        for rank, (priority, (ack, first, update, resolution)) in enumerate(TARGETS.items()):
            breach = [{"target": "resolution", "offset": 0, "action": "notify", "whom": "team_lead"},
                      {"target": "resolution", "offset": 4 * 3600, "action": "notify", "whom": "supervisor_chain"}]
            if priority in ("P1", "P2"):
                breach.insert(0, {"target": "acknowledgement", "offset": 0, "action": "notify", "whom": "team_lead"})
            SlaPolicy.objects.create(
                tenant=tenant, name=f"{priority} {'critical' if priority == 'P1' else 'standard'}", rank=10 + rank,
                priority=priority, calendar=always if priority == "P1" else office,
                acknowledgement=ack * H, first_response=first * H, update_cadence=update * H, resolution=resolution * H,
                warnings=[75], pause_statuses=["pending_customer", "pending_third_party"], steps=breach)
        taxonomy(tenant)
    contact_volumes(now, since, seed)


def taxonomy(tenant: Tenant) -> None:

    admin = Actor.system("demo")
    for group, (name, children) in TAXONOMY.items():
        parent = create_root_cause(tenant, actor=admin, code=group, name=name)
        for code, label in children.items():
            create_root_cause(tenant, actor=admin, code=code.replace("_", "-"), name=label, parent=parent)


def contact_volumes(now: dt.datetime, since: dt.datetime, seed: int) -> None:
    """Contacts handled per tenant, day and channel: about one contact in 25 is escalated."""

    rng = random.Random(seed + 1)
    rows = []
    for t in cat.TENANTS:
        tenant = Tenant.objects.get(code=t["code"])
        daily = 1100 * cat.TENANT_SHARE[t["code"]] / 100
        day, last = since.date() - dt.timedelta(days=1), now.date()
        while day <= last:
            weekend = 0.45 if day.weekday() >= 5 else 1.0
            for channel, weight in t["channels"].items():
                count = int(daily * weekend * weight / 100 * rng.uniform(0.8, 1.2))
                rows.append(ContactVolume(tenant=tenant, date=day, channel=channel, count=max(count, 1)))
            day += dt.timedelta(days=1)
    ContactVolume.objects.bulk_create(rows)


def configure_routing(now: dt.datetime) -> None:
    """After the history: publish the starter matrix and let the frontline and L2 teams hand out
    work themselves, so new escalations in the demo are routed and assigned like in production."""

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


def in_flight(now: dt.datetime, seed: int, users: dict) -> None:
    """After the history, at `now`: problems under investigation with their CAPA actions, money
    waiting for a manager's approval, and customers asking for their case to be escalated."""
    rng = random.Random(seed + 2)
    for t in cat.TENANTS:
        tenant = Tenant.objects.get(code=t["code"])
        escs = Escalation.objects.filter(tenant=tenant)
        problems(tenant, escs, now, rng, users)
        open_ = list(escs.filter(status__in=("acknowledged", "in_progress"), merged_into=None,
                                 owner__isnull=False).order_by("id"))
        money = [e for e in open_ if e.type in ("compensation", "billing", "dispute")][:3]
        low, high = {"GBP": (20, 180), "USD": (30, 260), "INR": (1500, 18000)}[t["currency"]]
        for esc in money:
            actions.request_approval(esc.pk, actor=Actor.for_user(esc.owner), now=now, kind="compensation",
                                     amount=f"{rng.uniform(low, high):.2f}", currency=t["currency"],
                                     reason=rng.choice(cat.APPROVAL_REASONS["compensation"]))
        asking = [e for e in open_ if e.customer_id and e not in money][-2:]
        for esc in asking:
            actions.request_client_escalation(
                esc.pk, actor=Actor.for_customer(esc.customer), now=now, source="status_page",
                reason="It has been days and nobody has fixed this. Please pass it to a manager.")


def problems(tenant: Tenant, escs, now: dt.datetime, rng: random.Random, users: dict) -> None:

    manager = next(u for u, _, _, _, roles in cat.USERS if roles.get(tenant.code, ("",))[0] == "manager")
    actor = Actor.for_user(users[manager])
    for code, kind, title, description, capas in PROBLEMS:
        cause = RootCause.objects.get(tenant=tenant, code=code.replace("_", "-"))
        problem = create_problem(tenant, actor=actor, now=now - dt.timedelta(days=12), title=title,
                                 description=description, owner=users[manager], root_cause=cause)
        for capa_kind, capa_title, due_in, status in capas:
            capa = add_action(problem, actor=actor, now=now - dt.timedelta(days=10), kind=capa_kind, title=capa_title,
                              owner=users[manager], due_date=(now + dt.timedelta(days=due_in)).date())
            if status != "open":
                update_action(capa, actor=actor, now=now - dt.timedelta(days=2), status=status)
        related = list(escs.filter(type=kind, root_cause_category=code).order_by("-id").values_list("pk", flat=True)[:8])
        for pk in related:
            actions.link_problem(pk, problem, actor=actor, now=now)
            actions.assign_root_cause(pk, cause, actor=actor, now=now)

