"""Who did it. Every change is attributed; an action without an actor is refused."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Actor:
    kind: str  # "user" | "customer" | "api_token" | "system"
    user: Any = None
    token: Any = None
    customer: Any = None
    rule: str = ""

    @classmethod
    def for_user(cls, user) -> Actor:
        return cls(kind="user", user=user)

    @classmethod
    def for_token(cls, token) -> Actor:
        return cls(kind="api_token", user=token.user, token=token)

    @classmethod
    def for_customer(cls, customer) -> Actor:
        return cls(kind="customer", customer=customer)

    @classmethod
    def system(cls, rule: str) -> Actor:
        if not rule:
            raise ValueError("a system actor names the rule that acts")
        return cls(kind="system", rule=rule)

    @property
    def label(self) -> str:
        if self.kind == "user":
            return f"user:{self.user.username}"
        if self.kind == "api_token":
            return f"token:{self.token.prefix} ({self.user.username})"
        if self.kind == "customer":
            return f"customer:{self.customer.pk}"
        return f"system:{self.rule}"
