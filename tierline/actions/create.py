"""Creating an escalation: validation, a unique reference, the CREATED event."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import connection, transaction

from tierline.accounts.models import User
from tierline.accounts.permissions import Perm
from tierline.actions._base import Op, tracked_state
from tierline.actions.fields import member_of, normalise_tags, same_tenant, validate_custom_fields
from tierline.audit.event_types import EventType
from tierline.core.actors import Actor
from tierline.core.checks import choice, require_aware, text
from tierline.core.errors import InvalidInput
from tierline.core.writepath import write_path
from tierline.escalations.choices import Channel, EscalationType, Priority, Status, Trigger
from tierline.escalations.models import Escalation, EscalationTag, ReferenceCounter, Watcher
from tierline.routing.decide import plan
from tierline.sla.deadlines import apply_policy
from tierline.tenancy import scoping
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


def _check_required(required, *, customer, external_id, description, custom_fields, rule) -> None:
    """Fields a matrix rule made required at intake (compensation approval and root cause are
    checked when resolving)."""
    missing = {}
    for name in required:
        if name == "customer" and customer is None or name == "external_id" and not external_id \
                or name == "description" and not description:
            missing[name] = f"required by matrix rule {rule!r}"
        elif name.startswith("custom_fields.") and custom_fields.get(name.split(".", 1)[1]) in (None, ""):
            missing[name] = f"required by matrix rule {rule!r}"
    if missing:
        raise InvalidInput(f"matrix rule {rule!r} requires: {', '.join(missing)}", code="required_by_matrix",
                           fields=missing)


def create_escalation(
    *, actor: Actor, now: dt.datetime, tenant: Tenant, title: str, type: str, priority: str,
    team: Team | None, channel: str, trigger: str | None = None, description: str = "",
    customer: Customer | None = None, external_id: str = "", owner=None, tags=(),
    custom_fields: dict | None = None, watchers=(),
) -> Escalation:
    """Intake. The tenant's escalation matrix (when published) picks the team if none is named,
    may override the priority, names the SLA policy, the people to notify and fields that become
    required; the team's strategy picks the owner if none is named (see routing/decide.py)."""
    if actor is None:
        raise ValueError("create_escalation: no actor")
    require_aware(now)
    title = text(title, "title", max_length=200)
    description = text(description, "description", required=False)
    external_id = text(external_id, "external_id", required=False, max_length=100)
    choice(type, EscalationType, "type")
    choice(priority, Priority, "priority")
    choice(channel, Channel, "channel")
    if trigger is not None:
        choice(trigger, Trigger, "trigger")
    with write_path("create_escalation"), transaction.atomic():
        scoping.check(actor, Perm.CREATE, tenant.pk)
        same_tenant(team, tenant.pk, "team")
        same_tenant(customer, tenant.pk, "customer")
        member_of(tenant.pk, owner, "owner")

        routing = plan(tenant, type=type, priority=priority, title=title, description=description,
                       customer=customer, channel=channel, custom_fields=custom_fields, now=now, team=team,
                       owner=owner, lock=True)
        team, priority = routing.team, routing.priority
        if owner is None and routing.owner_id is not None:

            owner = User.objects.get(pk=routing.owner_id)
        if trigger is None:
            trigger = routing.trigger if routing.rule else Trigger.HIERARCHICAL
        _check_required(routing.require, customer=customer, external_id=external_id, description=description,
                        custom_fields=custom_fields or {}, rule=routing.rule)
        watcher_users = [member_of(tenant.pk, w, "watchers") for w in watchers]
        fields = validate_custom_fields(tenant, custom_fields)
        tag_names = normalise_tags(tags)
        esc = Escalation(
            tenant=tenant, reference=next_reference(tenant, now), title=title, description=description,
            type=type, trigger=trigger, priority=priority, level=team.level, team=team, owner=owner,
            status=Status.NEW, customer=customer, channel=channel, external_id=external_id,
            tags=tag_names, custom_fields=fields, created_at=now, updated_at=now,
            created_by=actor.user if actor.user is not None else None,
            matrix_version=routing.matrix_version, routing_rule=routing.rule or "",
            routing_requires=routing.require,
        )
        esc.save(force_insert=True)
        EscalationTag.objects.bulk_create(
            [EscalationTag(tenant=tenant, escalation=esc, name=n) for n in tag_names]
        )

        Watcher.objects.bulk_create(
            [Watcher(tenant=tenant, escalation=esc, user=u) for u in {w.pk: w for w in watcher_users}.values()]
        )
        op = Op(esc, actor, now)
        initial = tracked_state(esc)
        for field, value in initial.items():
            if value not in (None, "", [], {}) and not (isinstance(value, Decimal) and not value):
                op.note_change(field, None, value)
        extra = {"notify_users": routing.notify_users} if routing.notify_users else {}
        op.record(EventType.CREATED, reference=esc.reference, **extra)
        if (routing.matrix_version is not None or routing.learned
                or routing.assignment.get("strategy") not in (None, "manual")):
            details = routing.as_dict()
            op.record(EventType.ROUTED, **{k: details[k] for k in (
                "matrix_version", "rule", "trigger", "reasons", "near_misses", "require", "assignment",
                "sla_policy_note", "learned") if k != "learned" or details[k]})
        # The plan already chose the policy for this priority, type and tier (or the rule named it):
        # choosing again would read the policy table twice. Without one, apply_policy selects and
        # records why none applies (no match, or an ambiguity).
        override = routing.sla_policy
        if apply_policy(op, reason="created", new=True, override=override):
            esc.save(update_fields=["sla_policy", "sla_generation"])
        op.finish(row_saved=True)
        return esc
