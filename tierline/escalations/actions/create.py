"""Creating an escalation: validation, a unique reference, the CREATED event."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import jsonschema
from django.db import connection, transaction

from tierline.accounts.permissions import Perm
from tierline.audit.event_types import EventType
from tierline.core.actors import Actor
from tierline.core.errors import InvalidInput, NotFound
from tierline.core.writepath import write_path
from tierline.escalations.actions._base import Op, choice, require_aware, text, tracked_state
from tierline.escalations.actions.sla import apply_policy
from tierline.escalations.actions.tags import normalise_tags
from tierline.escalations.choices import Channel, EscalationType, Priority, Status, Trigger
from tierline.escalations.models import Escalation, EscalationTag, ReferenceCounter
from tierline.tenancy import scoping
from tierline.tenancy.choices import Role
from tierline.tenancy.models import Customer, Team, Tenant


def next_reference(tenant: Tenant, now: dt.datetime) -> str:
    """`<TENANT>-<YEAR>-<6 digits>`, from an atomic upsert so parallel creates never collide."""
    year = now.astimezone(dt.UTC).year
    table = ReferenceCounter._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (tenant_id, year, last_number) VALUES (%s, %s, 1) "
            f"ON CONFLICT (tenant_id, year) DO UPDATE SET last_number = {table}.last_number + 1 "
            "RETURNING last_number",
            [tenant.pk, year],
        )
        number = cursor.fetchone()[0]
    return f"{tenant.code}-{year}-{number:06d}"


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


def create_escalation(
    *, actor: Actor, now: dt.datetime, tenant: Tenant, title: str, type: str, priority: str,
    team: Team, channel: str, trigger: str = Trigger.HIERARCHICAL, description: str = "",
    customer: Customer | None = None, external_id: str = "", owner=None, tags=(),
    custom_fields: dict | None = None, watchers=(),
) -> Escalation:
    if actor is None:
        raise ValueError("create_escalation: no actor")
    require_aware(now)
    title = text(title, "title", max_length=200)
    description = text(description, "description", required=False)
    external_id = text(external_id, "external_id", required=False, max_length=100)
    choice(type, EscalationType, "type")
    choice(priority, Priority, "priority")
    choice(channel, Channel, "channel")
    choice(trigger, Trigger, "trigger")
    with write_path("create_escalation"), transaction.atomic():
        scoping.check(actor, Perm.CREATE, tenant.pk)
        if team is None:
            raise InvalidInput("team is required", fields={"team": "required"})
        same_tenant(team, tenant.pk, "team")
        same_tenant(customer, tenant.pk, "customer")
        member_of(tenant.pk, owner, "owner")
        watcher_users = [member_of(tenant.pk, w, "watchers") for w in watchers]
        fields = validate_custom_fields(tenant, custom_fields)
        tag_names = normalise_tags(tags)
        esc = Escalation(
            tenant=tenant, reference=next_reference(tenant, now), title=title, description=description,
            type=type, trigger=trigger, priority=priority, level=team.level, team=team, owner=owner,
            status=Status.NEW, customer=customer, channel=channel, external_id=external_id,
            tags=tag_names, custom_fields=fields, created_at=now, updated_at=now,
            created_by=actor.user if actor.user is not None else None,
        )
        esc.save(force_insert=True)
        EscalationTag.objects.bulk_create(
            [EscalationTag(tenant=tenant, escalation=esc, name=n) for n in tag_names]
        )
        from tierline.escalations.models import Watcher

        Watcher.objects.bulk_create(
            [Watcher(tenant=tenant, escalation=esc, user=u) for u in {w.pk: w for w in watcher_users}.values()]
        )
        op = Op(esc, actor, now)
        initial = tracked_state(esc)
        for field, value in initial.items():
            if value not in (None, "", [], {}) and not (isinstance(value, Decimal) and not value):
                op.note_change(field, None, value)
        op.record(EventType.CREATED, reference=esc.reference)
        if apply_policy(op, reason="created", new=True):
            esc.save(update_fields=["sla_policy", "sla_generation"])
        op.finish(row_saved=True)
        return esc
