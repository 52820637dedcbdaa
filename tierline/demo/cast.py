"""Who works where in the demo, and the two random helpers the planner draws with. Pure."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict

from tierline.accounts.permissions import Perm, role_allows
from tierline.demo import catalogue as cat


class Cast:
    """Who works where, read from the catalogue, with the permissions the actions will check."""

    def __init__(self):
        self.roles: dict[tuple[str, str], str] = {}
        self.team_members: dict[tuple[str, str], list[tuple[str, bool]]] = defaultdict(list)
        for username, *_, memberships in cat.USERS:
            for code, (role, teams) in memberships.items():
                self.roles[(code, username)] = role
                for team, lead in teams:
                    self.team_members[(code, team)].append((username, lead))

    def can(self, tenant: str, username: str | None, perm: Perm) -> bool:
        return username is not None and role_allows(self.roles.get((tenant, username), ""), perm)

    def members(self, tenant: str, team: str, perm: Perm = Perm.WORK) -> list[str]:
        return [u for u, _ in self.team_members[(tenant, team)] if self.can(tenant, u, perm)]

    def lead(self, tenant: str, team: str) -> str:
        leads = [u for u, lead in self.team_members[(tenant, team)] if lead and self.can(tenant, u, Perm.ASSIGN)]
        return (leads or self.members(tenant, team, Perm.ASSIGN) or [self.lead(tenant, "mgmt4")])[0]


def span(rng: random.Random, bounds: tuple[float, float]) -> dt.timedelta:
    """A log-uniform duration: most waits are short, a few are long, as in real queues."""
    lo, hi = bounds
    return dt.timedelta(seconds=lo * (hi / lo) ** rng.random())


def weighted(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]
