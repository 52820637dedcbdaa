"""Argument checks the verbs share that need the domain rows: membership of the tenant,
the tenant's custom-field schema, tag names, money. Verbs import them from here (never from
each other), so no verb module imports another for a helper."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

import jsonschema

from tierline.core.errors import InvalidInput, NotFound
from tierline.tenancy import scoping
from tierline.tenancy.choices import Role
from tierline.tenancy.models import Tenant


def validate_custom_fields(tenant: Tenant, values: dict | None) -> dict:
    values = values or {}
    if not isinstance(values, dict):
        raise InvalidInput("custom_fields must be an object", fields={"custom_fields": "must be an object"})
    schema = tenant.custom_field_schema or {}
    if not schema:
        if values:
            raise InvalidInput(f"{tenant.code} defines no custom fields",
                               fields={f"custom_fields.{k}": "unknown field" for k in values})
        return {}
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(values), key=lambda e: list(e.absolute_path))
    if errors:
        fields = {}
        for error in errors:
            path = ".".join(str(p) for p in error.absolute_path)
            fields["custom_fields" + (f".{path}" if path else "")] = error.message
        raise InvalidInput("custom fields do not match the tenant's schema", fields=fields)
    return values


def member_of(tenant_id: int, user, field: str):
    if user is None:
        return None
    role = scoping.roles_of(user).get(tenant_id)
    if role is None or role == Role.CLIENT_VIEWER:
        raise InvalidInput(f"{user} is not staff of this tenant", fields={field: "not a staff member of this tenant"})
    return user


def same_tenant(obj, tenant_id: int, field: str):
    if obj is not None and obj.tenant_id != tenant_id:
        raise NotFound(f"{field} not found", fields={field: "not found"})
    return obj


TAG_RE = re.compile(r"^[a-z0-9][a-z0-9_.:-]{0,49}$")


MAX_TAGS = 30


def normalise_tags(tags) -> list[str]:
    names = []
    for raw in tags or ():
        name = str(raw).strip().lower().replace(" ", "-")
        if not TAG_RE.match(name):
            raise InvalidInput(f"bad tag {raw!r}: use letters, digits, - _ . : (max 50)", fields={"tags": "invalid tag"})
        if name not in names:
            names.append(name)
    if len(names) > MAX_TAGS:
        raise InvalidInput(f"at most {MAX_TAGS} tags", fields={"tags": f"at most {MAX_TAGS}"})
    return sorted(names)


def money(amount, currency) -> tuple[Decimal | None, str]:
    if amount in (None, ""):
        if currency:
            raise InvalidInput("a currency needs an amount", fields={"compensation_amount": "required with a currency"})
        return None, ""
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        raise InvalidInput("compensation_amount is not a number", fields={"compensation_amount": "not a number"})
    if not value.is_finite() or value < 0 or value >= Decimal("1e10"):
        raise InvalidInput("compensation_amount must be between 0 and 9,999,999,999.99",
                           fields={"compensation_amount": "out of range"})
    currency = (currency or "").strip().upper()
    if len(currency) != 3 or not currency.isalpha():
        raise InvalidInput("compensation_currency must be an ISO 4217 code such as EUR",
                           fields={"compensation_currency": "ISO 4217 code required"})
    return value.quantize(Decimal("0.01")), currency
