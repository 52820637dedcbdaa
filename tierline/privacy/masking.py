"""What a client viewer may see of the customer: the one place customer data is masked.

Each tenant chooses (PrivacySettings) which of the customer's name, email, phone and own
messages its client viewers see masked; without a settings row, name, email and phone are
masked and messages shown. BPO staff always see everything their role lets them see. Pages,
API responses and exports present customers and events through a Mask from `mask_for()`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tierline.core.actors import Actor
from tierline.privacy.envelope import SEALED_CHANGES, SEALED_KEYS
from tierline.privacy.models import PrivacySettings
from tierline.tenancy.choices import Role
from tierline.tenancy.models import Customer
from tierline.tenancy.scoping import roles_of

MASKED = "•••"
DEFAULT_MASKED = frozenset({"name", "email", "phone"})


@dataclass(frozen=True)
class Mask:
    fields: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.fields)

    def value(self, field: str, value: Any) -> Any:
        return MASKED if field in self.fields and value else value

    def name(self, name: str) -> str:
        return self.value("name", name)

    def account_id(self, account_id: str) -> str:
        # The client's account number names the person as surely as their name: masked with it.
        return self.value("name", account_id)

    def customer(self, customer) -> dict | None:
        if customer is None:
            return None
        return {"id": customer.pk, "name": self.name(customer.name),
                "email": self.value("email", customer.email), "phone": self.value("phone", customer.phone),
                "account_id": self.account_id(customer.account_id), "tier": customer.tier, "language": customer.language,
                "get_tier_display": customer.get_tier_display()}

    def event_data(self, data: Mapping[str, Any], actor_kind: str) -> Mapping[str, Any]:
        """The customer's own words (personal text of events the customer wrote) masked."""
        if "text" not in self.fields or actor_kind != "customer" or not data:
            return data
        out = {k: (MASKED if k in SEALED_KEYS and isinstance(v, str) and v else v) for k, v in data.items()}
        changes = out.get("changes")
        if isinstance(changes, Mapping):
            out["changes"] = {f: ([MASKED if isinstance(x, str) and x else x for x in pair]
                                  if f in SEALED_CHANGES and isinstance(pair, list | tuple) else pair)
                              for f, pair in changes.items()}
        return out


NO_MASK = Mask()


def customer_names(actor: Actor | None, tenant_id: int) -> dict[int, str]:
    """Customer id → the name `actor` may see: what reports and exports label customers with."""
    mask = mask_for(actor, tenant_id)
    return {pk: mask.name(name) for pk, name in Customer.objects.filter(tenant_id=tenant_id).values_list("id", "name")}


def mask_for(actor: Actor | None, tenant_id: int) -> Mask:
    """The mask for what `actor` is shown of `tenant_id`'s customers; cached on the user per request."""
    if actor is None or actor.kind not in ("user", "api_token") or actor.user is None:
        return NO_MASK

    if roles_of(actor.user).get(tenant_id) != Role.CLIENT_VIEWER:
        return NO_MASK
    cache = actor.user.__dict__.setdefault("_tierline_masks", {})
    if tenant_id not in cache:

        conf = PrivacySettings.objects.filter(tenant_id=tenant_id).first()
        if conf is None:
            cache[tenant_id] = Mask(DEFAULT_MASKED)
        else:
            cache[tenant_id] = Mask(frozenset(f for f in ("name", "email", "phone", "text")
                                              if getattr(conf, f"mask_{f}")))
    return cache[tenant_id]
