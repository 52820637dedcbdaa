"""A small, fixed world: two tenants, a full team chain, one user per role."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from tierline import actions
from tierline.accounts.models import ApiToken
from tierline.core.actors import Actor
from tierline.tenancy.choices import Role
from tierline.testing.factories import (
    CustomerFactory,
    MembershipFactory,
    TeamFactory,
    TeamMemberFactory,
    TenantFactory,
    UserFactory,
)

NOW = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)


@dataclass
class World:
    tenant: object
    teams: dict  # "l1" … "l5", "billing" (functional L2)
    users: dict  # role -> user
    customer: object
    vip: object
    other_tenant: object
    other_team: object
    other_user: object
    other_customer: object
    now: dt.datetime = NOW
    extra: dict = field(default_factory=dict)

    def actor(self, role: str = "supervisor") -> Actor:
        return Actor.for_user(self.users[role])

    def escalation(self, role: str = "supervisor", **kw):
        defaults = dict(title="Customer cannot log in", type="technical", priority="P3", team=self.teams["l1"],
                        channel="phone", customer=self.customer)
        defaults.update(kw)
        return actions.create_escalation(actor=self.actor(role), now=kw.pop("now", self.now), tenant=self.tenant,
                                         **{k: v for k, v in defaults.items() if k != "now"})

    def other_escalation(self):
        return actions.create_escalation(
            actor=Actor.for_user(self.other_user), now=self.now, tenant=self.other_tenant,
            title="Other tenant's escalation", type="billing", priority="P2", team=self.other_team,
            channel="email", customer=self.other_customer)

    def token(self, role: str = "supervisor", scope: str = "write", **kw) -> str:
        _, plain = ApiToken.issue(self.users[role], name=f"{role} token", now=self.now, scope=scope, **kw)
        return plain


def build_world() -> World:
    tenant = TenantFactory(code="ACME", name="Acme Telecom")
    l5 = TeamFactory(tenant=tenant, name="Executive office", level=5, function="executive_office")
    l4 = TeamFactory(tenant=tenant, name="Service management", level=4, function="account", parent=l5)
    l3 = TeamFactory(tenant=tenant, name="Network engineering", level=3, function="technical", parent=l4)
    l2 = TeamFactory(tenant=tenant, name="Technical support L2", level=2, function="technical", parent=l3)
    billing = TeamFactory(tenant=tenant, name="Billing specialists", level=2, function="billing", parent=l4)
    l1 = TeamFactory(tenant=tenant, name="Frontline care", level=1, function="customer_care", parent=l2)
    users = {}
    for role in Role.values:
        user = UserFactory(username=role)
        MembershipFactory(tenant=tenant, user=user, role=role)
        users[role] = user
    TeamMemberFactory(team=l1, user=users["agent"])
    TeamMemberFactory(team=l1, user=users["supervisor"], is_lead=True)
    TeamMemberFactory(team=l2, user=users["specialist"])
    TeamMemberFactory(team=l4, user=users["manager"], is_lead=True)
    other = TenantFactory(code="GLOBEX", name="Globex Bank")
    other_team = TeamFactory(tenant=other, name="Globex care", level=1, function="customer_care")
    other_user = UserFactory(username="globex_agent")
    MembershipFactory(tenant=other, user=other_user, role="supervisor")
    return World(
        tenant=tenant, teams={"l1": l1, "l2": l2, "l3": l3, "l4": l4, "l5": l5, "billing": billing}, users=users,
        customer=CustomerFactory(tenant=tenant, name="Dana Customer", tier="standard"),
        vip=CustomerFactory(tenant=tenant, name="Victor VIP", tier="vip"),
        other_tenant=other, other_team=other_team, other_user=other_user,
        other_customer=CustomerFactory(tenant=other, name="Gus Globex"),
    )
