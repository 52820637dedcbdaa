"""The contract of every write-path action: exactly which events it writes, what the row looks like
afterwards, and that a refused or empty change writes nothing at all.

Events are compared whole (type code and the complete `data`, including before/after values),
because the log is what auditors and the customer-facing timeline read: an extra key, a missing
change or a wrong "before" is a visible defect there.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.db.models import Max

from tierline import actions
from tierline.accounts.models import ApiToken
from tierline.actions._base import tracked_state
from tierline.audit.event_types import EventType as T
from tierline.audit.models import Event
from tierline.core.actors import Actor
from tierline.core.errors import (
    DomainError,
    IllegalTransition,
    InvalidInput,
    NotFound,
    PermissionDenied,
    StaleVersion,
)
from tierline.escalations.models import (
    Attachment,
    Escalation,
    EscalationTag,
    Link,
    ReferenceCounter,
    Watcher,
)
from tierline.notifications.models import OutboxMessage
from tierline.tenancy.choices import Role

MINUTE = dt.timedelta(minutes=1)


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    # Attachments written by these tests land in the test's own directory, not var/.
    settings.MEDIA_ROOT = tmp_path / "media"


# -- helpers ---------------------------------------------------------------------------------

def later(world, minutes: int) -> dt.datetime:
    return world.now + minutes * MINUTE


def reload(esc) -> Escalation:
    return Escalation.objects.get(pk=esc.pk)


def event_mark() -> int:
    return Event.objects.aggregate(m=Max("pk"))["m"] or 0


def events_since(mark: int) -> list[Event]:
    return list(Event.objects.filter(pk__gt=mark).order_by("pk"))


def snapshot() -> dict:
    """Everything an action may write, so a refusal can be shown to have written none of it."""
    rows = []
    for e in Escalation.objects.order_by("pk"):
        rows.append((e.pk, e.version, tracked_state(e), e.updated_at, e.acknowledged_at, e.resolved_at,
                     e.closed_at, e.reopen_count, e.reassignment_count, e.next_deadline))
    return {
        "escalations": rows,
        "events": list(Event.objects.order_by("pk").values_list("pk", "tenant_id", "seq", "hash")),
        "outbox": OutboxMessage.objects.count(),
        "links": sorted(Link.objects.values_list("source_id", "target_id", "kind")),
        "tags": sorted(EscalationTag.objects.values_list("escalation_id", "name")),
        "watchers": sorted(Watcher.objects.values_list("escalation_id", "user_id")),
        "attachments": Attachment.objects.count(),
        "counters": sorted(ReferenceCounter.objects.values_list("tenant_id", "year", "last_number")),
    }


def refused(error, call, *, code: str | None = None):
    before = snapshot()
    with pytest.raises(error) as info:
        call()
    assert snapshot() == before, f"{type(info.value).__name__} was raised but something was written"
    if code is not None:
        assert info.value.code == code, info.value.message
    return info.value


def perform(esc, call):
    """Run one action; return the stored row afterwards, the events written and the version bump."""
    version = reload(esc).version
    mark = event_mark()
    call()
    row = reload(esc)
    return row, events_since(mark), row.version - version


def assert_event(event, esc, type_, data, *, by, at):
    assert (T(event.type).code, event.data) == (T(type_).code, data)
    assert event.escalation_id == esc.pk and event.tenant_id == esc.tenant_id
    assert event.occurred_at == at
    if isinstance(by, Actor):
        assert (event.actor_kind, event.actor_label) == (by.kind, by.label)
    else:
        assert (event.actor_kind, event.actor_label, event.actor_user_id) == ("user", f"user:{by.username}", by.pk)


def notified(event) -> set[int]:
    """Staff told in-app about the event (customer emails are tested in notifications/tests)."""
    rows = OutboxMessage.objects.filter(event=event).exclude(channel=OutboxMessage.Channel.EMAIL,
                                                             recipient_user__isnull=True)
    assert all(r.channel == OutboxMessage.Channel.IN_APP for r in rows)
    return set(rows.values_list("recipient_user_id", flat=True))


# Legal paths from new, made by the supervisor (who takes ownership when acknowledging).
PATHS = {
    "new": [],
    "acknowledged": ["acknowledge"],
    "in_progress": ["acknowledge", "start"],
    "pending_customer": ["acknowledge", "start", "pend_customer"],
    "pending_third_party": ["acknowledge", "start", "pend_third_party"],
    "resolved": ["acknowledge", "start", "resolve"],
    "reopened": ["acknowledge", "start", "resolve", "reopen"],
    "closed": ["acknowledge", "start", "resolve", "close"],
    "cancelled": ["cancel"],
}
STEPS = {
    "acknowledge": lambda e, **kw: actions.acknowledge(e, **kw),
    "start": lambda e, **kw: actions.start_progress(e, **kw),
    "pend_customer": lambda e, **kw: actions.set_pending(e, waiting_on="customer", **kw),
    "pend_third_party": lambda e, **kw: actions.set_pending(e, waiting_on="third_party", **kw),
    "resolve": lambda e, **kw: actions.resolve(e, summary="Fixed", resolution_code="fixed", **kw),
    "reopen": lambda e, **kw: actions.reopen(e, reason="Still failing", **kw),
    "close": lambda e, **kw: actions.close(e, **kw),
    "cancel": lambda e, **kw: actions.cancel(e, reason="Raised by mistake", **kw),
}


def bring_to(world, esc, status: str):
    for step in PATHS[status]:
        esc = STEPS[step](esc, actor=world.actor("supervisor"), now=world.now)
    assert esc.status == status
    return esc


# == create_escalation ======================================================================

def test_create_with_every_field_writes_one_created_event_listing_each_initial_value(world):
    world.tenant.custom_field_schema = {
        "type": "object", "properties": {"contract": {"type": "string"}}, "additionalProperties": False,
    }
    world.tenant.save()
    u, now = world.users, later(world, 5)
    esc = actions.create_escalation(
        actor=world.actor("agent"), now=now, tenant=world.tenant, title="  Refund not received ",
        description="Promised in January", type="billing", priority="P2", team=world.teams["billing"],
        channel="email", trigger="functional", customer=world.vip, external_id="ZD-1001",
        owner=u["specialist"], tags=["VIP", "refund", "vip"], custom_fields={"contract": "C-42"},
        watchers=[u["manager"], u["manager"]],
    )
    row = reload(esc)
    assert row.reference == "ACME-2026-000001"
    assert (row.title, row.status, row.level, row.team, row.owner, row.version) == (
        "Refund not received", "new", 2, world.teams["billing"], u["specialist"], 1)
    assert (row.created_at, row.updated_at, row.created_by) == (now, now, u["agent"])
    assert row.tags == ["refund", "vip"]
    assert sorted(EscalationTag.objects.filter(escalation=row).values_list("name", flat=True)) == ["refund", "vip"]
    assert list(Watcher.objects.filter(escalation=row).values_list("user_id", flat=True)) == [u["manager"].pk]

    [event] = Event.objects.filter(escalation=row)
    assert_event(event, row, T.CREATED, {
        "reference": "ACME-2026-000001",
        "changes": {
            "title": [None, "Refund not received"], "description": [None, "Promised in January"],
            "type": [None, "billing"], "trigger": [None, "functional"], "priority": [None, "P2"],
            "level": [None, 2], "team": [None, world.teams["billing"].pk], "owner": [None, u["specialist"].pk],
            "status": [None, "new"], "customer": [None, world.vip.pk], "channel": [None, "email"],
            "external_id": [None, "ZD-1001"], "tags": [None, ["refund", "vip"]],
            "custom_fields": [None, {"contract": "C-42"}], "watchers": [None, [u["manager"].pk]],
        },
    }, by=u["agent"], at=now)
    assert event.seq == 1
    # The owner and the watcher hear about it; the agent who raised it does not.
    assert notified(event) == {u["specialist"].pk, u["manager"].pk}
    assert OutboxMessage.objects.get(event=event, recipient_user=u["manager"]).subject == (
        "ACME-2026-000001 created: Refund not received")


def test_create_minimal_leaves_empty_fields_out_of_the_event_and_tells_the_team_lead(world):
    esc = world.escalation("agent", customer=None)
    [event] = Event.objects.filter(escalation=esc)
    assert event.data == {"reference": esc.reference, "changes": {
        "title": [None, "Customer cannot log in"], "type": [None, "technical"], "trigger": [None, "hierarchical"],
        "priority": [None, "P3"], "level": [None, 1], "team": [None, world.teams["l1"].pk],
        "status": [None, "new"], "channel": [None, "phone"],
    }}
    # Unowned work arriving at L1: its lead (the supervisor) is told.
    assert notified(event) == {world.users["supervisor"].pk}
    assert tracked_state(reload(esc))["owner"] is None


def test_create_by_the_team_lead_does_not_notify_the_lead_themself(world):
    esc = world.escalation("supervisor")
    assert notified(Event.objects.get(escalation=esc)) == set()


CREATE_REFUSALS = [
    ({"title": "   "}, InvalidInput, "title"),
    ({"title": "x" * 201}, InvalidInput, "title"),
    ({"type": "gossip"}, InvalidInput, "type"),
    ({"priority": "P0"}, InvalidInput, "priority"),
    ({"channel": "pigeon"}, InvalidInput, "channel"),
    ({"trigger": "whim"}, InvalidInput, "trigger"),
    ({"tags": ["no spaces allowed!"]}, InvalidInput, "tags"),
    ({"custom_fields": {"contract": "C-1"}}, InvalidInput, "custom_fields.contract"),
    ({"team": None}, InvalidInput, "team"),
    ({"team": "other_team"}, NotFound, "team"),
    ({"customer": "other_customer"}, NotFound, "customer"),
    ({"owner": "other_user"}, InvalidInput, "owner"),
    ({"owner": "client_viewer"}, InvalidInput, "owner"),
    ({"watchers": ["other_user"]}, InvalidInput, "watchers"),
]


def test_create_refuses_bad_input_and_writes_nothing(world):
    def resolve(value):
        if value in ("other_team", "other_customer", "other_user"):
            return getattr(world, value)
        if value == "client_viewer":
            return world.users["client_viewer"]
        if isinstance(value, list):
            return [resolve(v) for v in value]
        return value

    for change, error, field in CREATE_REFUSALS:
        kwargs = {k: resolve(v) for k, v in change.items()}
        exc = refused(error, lambda kw=kwargs: world.escalation("agent", **kw))
        assert field in exc.fields, (change, exc.fields)
    # No reference was used up: the next escalation is still number 1.
    assert world.escalation().reference == "ACME-2026-000001"


def test_create_refuses_a_naive_time(world):
    refused(InvalidInput, lambda: world.escalation(now=dt.datetime(2026, 3, 2, 9, 30)), code="naive_datetime")


def test_create_refused_for_roles_without_create(world):
    for role in ("client_viewer", "compliance"):
        refused(PermissionDenied, lambda r=role: world.escalation(r))


def test_create_in_another_tenant_is_not_found(world):
    refused(NotFound, lambda: actions.create_escalation(
        actor=Actor.for_user(world.other_user), now=world.now, tenant=world.tenant, title="Sneaky",
        type="technical", priority="P3", team=world.teams["l1"], channel="phone"))


def test_create_without_an_actor_is_refused(world):
    with pytest.raises(ValueError, match="no actor"):
        actions.create_escalation(actor=None, now=world.now, tenant=world.tenant, title="x", type="technical",
                                  priority="P3", team=world.teams["l1"], channel="phone")
    assert not Escalation.objects.exists()


# == acknowledge / start_progress ===========================================================

def test_acknowledge_unowned_takes_ownership(world):
    esc = world.escalation("agent")
    spec, now = world.users["specialist"], later(world, 3)
    row, [event], bump = perform(esc, lambda: actions.acknowledge(esc, actor=world.actor("specialist"), now=now))
    assert (row.status, row.owner, row.acknowledged_at, row.updated_at, bump) == ("acknowledged", spec, now, now, 1)
    assert_event(event, row, T.ACKNOWLEDGED,
                 {"changes": {"status": ["new", "acknowledged"], "owner": [None, spec.pk]}}, by=spec, at=now)


def test_acknowledge_keeps_an_explicit_owner(world):
    esc = world.escalation(owner=world.users["agent"])
    row, [event], _ = perform(esc, lambda: actions.acknowledge(esc, actor=world.actor("specialist"), now=world.now))
    assert row.owner == world.users["agent"]
    assert event.data == {"changes": {"status": ["new", "acknowledged"]}}


def test_acknowledge_by_a_system_rule_is_attributed_to_the_rule_and_takes_no_owner(world):
    esc = world.escalation()
    rule = Actor.system("auto-acknowledge")
    row, [event], _ = perform(esc, lambda: actions.acknowledge(esc, actor=rule, now=world.now))
    assert row.owner is None
    assert_event(event, row, T.ACKNOWLEDGED, {"changes": {"status": ["new", "acknowledged"]}}, by=rule, at=world.now)
    assert (event.actor_label, event.actor_user_id) == ("system:auto-acknowledge", None)


def test_acknowledge_twice_is_an_illegal_transition(world):
    esc = bring_to(world, world.escalation(), "acknowledged")
    exc = refused(IllegalTransition, lambda: actions.acknowledge(esc, actor=world.actor(), now=world.now),
                  code="illegal_transition")
    assert exc.message.startswith("cannot acknowledge an escalation that is acknowledged")


def test_start_progress(world):
    esc = bring_to(world, world.escalation(), "acknowledged")
    now = later(world, 9)
    row, [event], bump = perform(esc, lambda: actions.start_progress(esc, actor=world.actor("agent"), now=now))
    assert (row.status, bump) == ("in_progress", 1)
    assert_event(event, row, T.STATUS_CHANGED, {"changes": {"status": ["acknowledged", "in_progress"]}},
                 by=world.users["agent"], at=now)


def test_start_progress_from_new_is_refused(world):
    esc = world.escalation()
    refused(IllegalTransition, lambda: actions.start_progress(esc, actor=world.actor(), now=world.now),
            code="illegal_transition")


# == assign / unassign ======================================================================

def test_assign_then_reassign(world):
    esc = world.escalation()
    spec, agent, sup = world.users["specialist"], world.users["agent"], world.users["supervisor"]
    row, [event], bump = perform(esc, lambda: actions.assign(esc, spec, actor=world.actor(), now=world.now))
    assert (row.owner, row.reassignment_count, bump) == (spec, 0, 1)
    assert_event(event, row, T.ASSIGNED, {"changes": {"owner": [None, spec.pk]}}, by=sup, at=world.now)
    assert notified(event) == {spec.pk}

    now = later(world, 1)
    row, [event], bump = perform(esc, lambda: actions.assign(row, agent, actor=world.actor(), now=now))
    assert (row.owner, row.reassignment_count, bump) == (agent, 1, 1)
    assert event.data == {"changes": {"owner": [spec.pk, agent.pk]}}
    # The new owner and the one it moved away from both hear about it.
    assert notified(event) == {spec.pk, agent.pk}


def test_an_owner_assigning_away_is_not_notified_of_their_own_action(world):
    spec, agent = world.users["specialist"], world.users["agent"]
    esc = world.escalation(owner=agent)
    _, [event], _ = perform(esc, lambda: actions.assign(esc, spec, actor=world.actor("agent"), now=world.now))
    assert notified(event) == {spec.pk}


def test_assign_to_someone_who_is_not_staff_here_is_refused(world):
    esc = world.escalation()
    for user in (world.other_user, world.users["client_viewer"]):
        exc = refused(InvalidInput, lambda u=user: actions.assign(esc, u, actor=world.actor(), now=world.now))
        assert "owner" in exc.fields


def test_assign_nobody_is_refused(world):
    esc = world.escalation()
    refused(InvalidInput, lambda: actions.assign(esc, None, actor=world.actor(), now=world.now))


def test_assign_a_closed_escalation_is_refused(world):
    esc = bring_to(world, world.escalation(), "closed")
    refused(IllegalTransition, lambda: actions.assign(esc, world.users["agent"], actor=world.actor(), now=world.now),
            code="not_open")


def test_unassign(world):
    agent = world.users["agent"]
    esc = world.escalation(owner=agent)
    row, [event], bump = perform(esc, lambda: actions.unassign(esc, actor=world.actor(), now=world.now))
    assert (row.owner, bump) == (None, 1)
    assert_event(event, row, T.UNASSIGNED, {"changes": {"owner": [agent.pk, None]}},
                 by=world.users["supervisor"], at=world.now)


# == escalate / de_escalate =================================================================

def test_escalate_hierarchical_goes_to_the_parent_team_and_clears_the_owner(world):
    l1, l2, agent = world.teams["l1"], world.teams["l2"], world.users["agent"]
    esc = world.escalation()
    esc = actions.acknowledge(esc, actor=world.actor("agent"), now=world.now)  # agent owns it
    now = later(world, 20)
    row, [event], bump = perform(esc, lambda: actions.escalate(
        esc, reason="  Needs L2 diagnostics ", trigger="hierarchical", actor=world.actor(), now=now))
    assert (row.team, row.level, row.owner, row.status, bump) == (l2, 2, None, "acknowledged", 1)
    assert_event(event, row, T.ESCALATED, {
        "reason": "Needs L2 diagnostics", "trigger": "hierarchical", "path": "hierarchical",
        "from_team": l1.pk, "to_team": l2.pk, "from_level": 1, "to_level": 2,
        "changes": {"team": [l1.pk, l2.pk], "level": [1, 2], "owner": [agent.pk, None]},
    }, by=world.users["supervisor"], at=now)
    # The agent it was taken from is told; L2 has no lead, and the supervisor acted.
    assert notified(event) == {agent.pk}


def test_escalate_functional_to_a_named_team(world):
    l1, billing = world.teams["l1"], world.teams["billing"]
    esc = world.escalation()
    rule = Actor.system("vip-billing")
    row, [event], _ = perform(esc, lambda: actions.escalate(
        esc, reason="Billing dispute", trigger="functional", team=billing, actor=rule, now=world.now))
    assert (row.team, row.level) == (billing, 2)
    assert_event(event, row, T.ESCALATED, {
        "reason": "Billing dispute", "trigger": "functional", "path": "functional",
        "from_team": l1.pk, "to_team": billing.pk, "from_level": 1, "to_level": 2,
        "changes": {"team": [l1.pk, billing.pk], "level": [1, 2]},
    }, by=rule, at=world.now)


def test_escalate_sideways_at_the_same_level_records_no_level_change(world):
    l2, billing = world.teams["l2"], world.teams["billing"]
    esc = world.escalation(team=l2)
    _, [event], _ = perform(esc, lambda: actions.escalate(
        esc, reason="It is a billing matter", trigger="functional", team=billing, actor=world.actor(), now=world.now))
    assert event.data["changes"] == {"team": [l2.pk, billing.pk]}
    assert (event.data["from_level"], event.data["to_level"]) == (2, 2)


def test_escalate_with_a_time_based_trigger_records_the_trigger(world):
    esc = world.escalation()
    _, [event], _ = perform(esc, lambda: actions.escalate(
        esc, reason="First response SLA breached", trigger="time_based", actor=Actor.system("sla"), now=world.now))
    assert (event.data["trigger"], event.data["path"]) == ("time_based", "hierarchical")


def test_escalate_hierarchical_at_the_top_is_refused(world):
    esc = world.escalation(team=world.teams["l5"])
    exc = refused(IllegalTransition, lambda: actions.escalate(
        esc, reason="Higher!", trigger="hierarchical", actor=world.actor(), now=world.now), code="top_of_chain")
    assert "Executive office is the top of its chain" in exc.message


def test_escalate_refuses_bad_input(world):
    l1, l2 = world.teams["l1"], world.teams["l2"]
    esc = world.escalation(team=l2)
    for kwargs, error, field in [
        ({"reason": "  "}, InvalidInput, "reason"),
        ({"trigger": "mood"}, InvalidInput, "trigger"),
        ({"team": l2}, InvalidInput, "team"),  # the team it is already with
        ({"team": l1}, InvalidInput, "team"),  # lower: that is de-escalating
        ({"team": world.other_team}, NotFound, "team"),
    ]:
        call = {"reason": "Needs help", "trigger": "hierarchical", **kwargs}
        exc = refused(error, lambda c=call: actions.escalate(esc, actor=world.actor(), now=world.now, **c))
        assert field in exc.fields, (kwargs, exc.fields)


def test_escalate_a_cancelled_escalation_is_refused(world):
    esc = bring_to(world, world.escalation(), "cancelled")
    refused(IllegalTransition, lambda: actions.escalate(
        esc, reason="Too late", trigger="hierarchical", actor=world.actor(), now=world.now), code="not_open")


def test_de_escalate_by_default_goes_back_where_it_came_from(world):
    l1, l2, spec = world.teams["l1"], world.teams["l2"], world.users["specialist"]
    esc = world.escalation()
    esc = actions.escalate(esc, reason="Up", trigger="hierarchical", actor=world.actor(), now=world.now)
    esc = actions.assign(esc, spec, actor=world.actor(), now=world.now)
    now = later(world, 45)
    row, [event], bump = perform(esc, lambda: actions.de_escalate(
        esc, reason="Frontline can finish this", actor=world.actor("specialist"), now=now))
    assert (row.team, row.level, row.owner, bump) == (l1, 1, None, 1)
    assert_event(event, row, T.DE_ESCALATED, {
        "reason": "Frontline can finish this", "from_team": l2.pk, "to_team": l1.pk, "from_level": 2, "to_level": 1,
        "changes": {"team": [l2.pk, l1.pk], "level": [2, 1], "owner": [spec.pk, None]},
    }, by=spec, at=now)
    # Unowned again and back at L1: the L1 lead is told; the specialist acted.
    assert notified(event) == {world.users["supervisor"].pk}


def test_de_escalate_to_a_named_lower_team(world):
    l3, l2 = world.teams["l3"], world.teams["l2"]
    esc = world.escalation(team=l3)
    row, [event], _ = perform(esc, lambda: actions.de_escalate(
        esc, reason="Known L2 issue", team=l2, actor=world.actor(), now=world.now))
    assert (row.team, row.level) == (l2, 2)
    assert event.data == {"reason": "Known L2 issue", "from_team": l3.pk, "to_team": l2.pk, "from_level": 3,
                          "to_level": 2, "changes": {"team": [l3.pk, l2.pk], "level": [3, 2]}}


def test_de_escalate_without_history_or_team_is_refused(world):
    esc = world.escalation(team=world.teams["l3"])
    refused(IllegalTransition, lambda: actions.de_escalate(esc, reason="Down", actor=world.actor(), now=world.now),
            code="nothing_to_undo")


def test_de_escalate_refuses_higher_same_or_foreign_teams_and_no_reason(world):
    esc = world.escalation(team=world.teams["l3"])
    for team, error in [(world.teams["l4"], InvalidInput), (world.teams["l3"], InvalidInput),
                        (world.other_team, NotFound)]:
        refused(error, lambda t=team: actions.de_escalate(esc, reason="Down", team=t, actor=world.actor(),
                                                          now=world.now))
    refused(InvalidInput, lambda: actions.de_escalate(esc, reason="", team=world.teams["l2"], actor=world.actor(),
                                                      now=world.now))


def test_de_escalating_repeatedly_walks_back_down_the_way_it_came(world):
    l1, l2, l3, billing = (world.teams[k] for k in ("l1", "l2", "l3", "billing"))
    esc = world.escalation()
    esc = actions.escalate(esc, reason="Up", trigger="hierarchical", actor=world.actor(), now=world.now)
    esc = actions.escalate(esc, reason="Billing side", trigger="functional", team=billing, actor=world.actor(),
                           now=world.now)
    esc = actions.escalate(esc, reason="Up again", trigger="hierarchical", actor=world.actor(), now=world.now)
    assert esc.team == world.teams["l4"]
    for expected in (billing, l2, l1):
        esc = actions.de_escalate(esc, reason="Down", actor=world.actor(), now=world.now)
        assert esc.team == expected
    refused(IllegalTransition, lambda: actions.de_escalate(esc, reason="Down", actor=world.actor(), now=world.now),
            code="nothing_to_undo")
    # Up again after coming all the way down: the way back is the new way up, not the old one.
    esc = actions.escalate(esc, reason="Straight to L3", trigger="functional", team=l3, actor=world.actor(),
                           now=world.now)
    assert actions.de_escalate(esc, reason="Down", actor=world.actor(), now=world.now).team == l1


# == change_priority ========================================================================

def test_change_priority(world):
    spec = world.users["specialist"]
    esc = world.escalation(owner=world.users["agent"], watchers=[world.users["manager"]])
    row, [event], bump = perform(esc, lambda: actions.change_priority(
        esc, "P1", reason="Outage for all customers", actor=world.actor("specialist"), now=world.now))
    assert (row.priority, bump) == ("P1", 1)
    assert_event(event, row, T.PRIORITY_CHANGED,
                 {"reason": "Outage for all customers", "changes": {"priority": ["P3", "P1"]}}, by=spec, at=world.now)
    assert notified(event) == {world.users["agent"].pk, world.users["manager"].pk}
    assert OutboxMessage.objects.filter(event=event).first().subject == f"{row.reference} priority is now P1"


def test_change_priority_refuses_unknown_priority_and_closed_escalations(world):
    esc = world.escalation()
    refused(InvalidInput, lambda: actions.change_priority(esc, "P9", actor=world.actor(), now=world.now))
    esc = bring_to(world, esc, "resolved")
    refused(IllegalTransition, lambda: actions.change_priority(esc, "P1", actor=world.actor(), now=world.now),
            code="not_open")


# == notes and replies ======================================================================

def test_internal_note_is_logged_without_changes_and_notifies_nobody(world):
    esc = world.escalation(owner=world.users["specialist"])
    row, [event], bump = perform(esc, lambda: actions.add_internal_note(
        esc, "  Customer is on the legacy plan  ", actor=world.actor("agent"), now=world.now))
    assert bump == 1 and row.updated_at == world.now
    assert_event(event, row, T.INTERNAL_NOTE, {"body": "Customer is on the legacy plan"},
                 by=world.users["agent"], at=world.now)
    assert notified(event) == set()


def test_empty_note_or_reply_is_refused(world):
    esc = world.escalation()
    refused(InvalidInput, lambda: actions.add_internal_note(esc, " \n ", actor=world.actor(), now=world.now))
    refused(InvalidInput, lambda: actions.add_public_reply(esc, "", actor=world.actor(), now=world.now))


def test_public_reply_tells_owner_and_watchers_but_not_the_author(world):
    u = world.users
    esc = world.escalation(owner=u["specialist"], watchers=[u["manager"], u["agent"]])
    row, [event], _ = perform(esc, lambda: actions.add_public_reply(
        esc, "We are on it.", actor=world.actor("agent"), now=world.now))
    assert_event(event, row, T.PUBLIC_REPLY, {"body": "We are on it."}, by=u["agent"], at=world.now)
    assert notified(event) == {u["specialist"].pk, u["manager"].pk}
    _, [event], _ = perform(esc, lambda: actions.add_public_reply(
        esc, "Fixed on our side.", actor=world.actor("specialist"), now=world.now))
    assert notified(event) == {u["manager"].pk, u["agent"].pk}


def test_public_reply_allowed_when_resolved_refused_when_closed_or_cancelled(world):
    esc = bring_to(world, world.escalation(), "resolved")
    actions.add_public_reply(esc, "Glad it works again", actor=world.actor(), now=world.now)
    for status in ("closed", "cancelled"):
        esc = bring_to(world, world.escalation(), status)
        refused(IllegalTransition, lambda e=esc: actions.add_public_reply(
            e, "Hello?", actor=world.actor(), now=world.now), code="not_open")


# == pending / resume =======================================================================

def test_set_pending(world):
    for waiting_on, status in [("customer", "pending_customer"), ("third_party", "pending_third_party")]:
        esc = bring_to(world, world.escalation(), "in_progress")
        row, [event], bump = perform(esc, lambda w=waiting_on, e=esc: actions.set_pending(
            e, waiting_on=w, reason="Asked for the invoice", actor=world.actor(), now=world.now))
        assert (row.status, bump) == (status, 1)
        assert_event(event, row, T.STATUS_CHANGED,
                     {"reason": "Asked for the invoice", "changes": {"status": ["in_progress", status]}},
                     by=world.users["supervisor"], at=world.now)


def test_pending_can_switch_between_customer_and_third_party(world):
    esc = bring_to(world, world.escalation(), "pending_customer")
    _, [event], _ = perform(esc, lambda: actions.set_pending(
        esc, waiting_on="third_party", actor=world.actor(), now=world.now))
    assert event.data == {"reason": "", "changes": {"status": ["pending_customer", "pending_third_party"]}}


def test_set_pending_refuses_unknown_party_and_new_escalations(world):
    esc = world.escalation()
    refused(InvalidInput, lambda: actions.set_pending(esc, waiting_on="moon", actor=world.actor(), now=world.now))
    refused(IllegalTransition, lambda: actions.set_pending(
        esc, waiting_on="customer", actor=world.actor(), now=world.now), code="illegal_transition")


def test_resume(world):
    esc = bring_to(world, world.escalation(), "pending_third_party")
    row, [event], _ = perform(esc, lambda: actions.resume(esc, actor=world.actor(), now=world.now))
    assert row.status == "in_progress"
    assert event.data == {"changes": {"status": ["pending_third_party", "in_progress"]}}
    refused(IllegalTransition, lambda: actions.resume(row, actor=world.actor(), now=world.now))


# == resolve / close / reopen / cancel ======================================================

def test_resolve_with_compensation(world):
    esc = bring_to(world, world.escalation(owner=world.users["agent"]), "in_progress")
    now = later(world, 90)
    row, [event], bump = perform(esc, lambda: actions.resolve(
        esc, summary="Refunded the January charge", resolution_code="refund", root_cause_category="billing_error",
        compensation_amount="25.5", compensation_currency=" eur ", actor=world.actor(), now=now))
    assert (row.status, row.resolved_at, bump) == ("resolved", now, 1)
    assert (row.compensation_amount, row.compensation_currency) == (Decimal("25.50"), "EUR")
    assert_event(event, row, T.RESOLVED, {"changes": {
        "status": ["in_progress", "resolved"], "resolution_summary": ["", "Refunded the January charge"],
        "resolution_code": ["", "refund"], "root_cause_category": ["", "billing_error"],
        "compensation_amount": [None, "25.50"], "compensation_currency": ["", "EUR"],
    }}, by=world.users["supervisor"], at=now)
    assert notified(event) == {world.users["agent"].pk}


def test_resolve_without_compensation_records_only_what_changed(world):
    esc = bring_to(world, world.escalation(), "pending_customer")
    _, [event], _ = perform(esc, lambda: actions.resolve(
        esc, summary="Password reset", resolution_code="fixed", actor=world.actor(), now=world.now))
    assert event.data == {"changes": {"status": ["pending_customer", "resolved"],
                                      "resolution_summary": ["", "Password reset"], "resolution_code": ["", "fixed"]}}


RESOLVE_REFUSALS = [
    ({"summary": " "}, "summary"),
    ({"resolution_code": "magic"}, "resolution_code"),
    ({"root_cause_category": "gremlins"}, "root_cause_category"),
    ({"compensation_currency": "EUR"}, "compensation_amount"),  # a currency without an amount
    ({"compensation_amount": "10"}, "compensation_currency"),  # an amount without a currency
    ({"compensation_amount": "-1", "compensation_currency": "EUR"}, "compensation_amount"),
    ({"compensation_amount": "ten", "compensation_currency": "EUR"}, "compensation_amount"),
    ({"compensation_amount": "NaN", "compensation_currency": "EUR"}, "compensation_amount"),
    ({"compensation_amount": "10", "compensation_currency": "E1"}, "compensation_currency"),
]


def test_resolve_refuses_bad_input(world):
    esc = bring_to(world, world.escalation(), "in_progress")
    for kwargs, field in RESOLVE_REFUSALS:
        call = {"summary": "Done", "resolution_code": "fixed", **kwargs}
        exc = refused(InvalidInput, lambda c=call: actions.resolve(esc, actor=world.actor(), now=world.now, **c))
        assert field in exc.fields, (kwargs, exc.fields)


def test_resolve_a_new_escalation_is_refused(world):
    esc = world.escalation()
    exc = refused(IllegalTransition, lambda: actions.resolve(
        esc, summary="Done", resolution_code="fixed", actor=world.actor(), now=world.now), code="illegal_transition")
    assert "cannot resolve an escalation that is new" in exc.message


def test_close(world):
    esc = bring_to(world, world.escalation(), "resolved")
    now = later(world, 60 * 24)
    row, [event], _ = perform(esc, lambda: actions.close(esc, actor=world.actor("agent"), now=now))
    assert (row.status, row.closed_at) == ("closed", now)
    assert_event(event, row, T.CLOSED, {"changes": {"status": ["resolved", "closed"]}},
                 by=world.users["agent"], at=now)
    refused(IllegalTransition, lambda: actions.close(row, actor=world.actor(), now=now))


def test_reopen(world):
    esc = bring_to(world, world.escalation(), "resolved")
    row, [event], _ = perform(esc, lambda: actions.reopen(
        esc, reason="Customer says it broke again", actor=world.actor(), now=world.now))
    assert (row.status, row.reopen_count, row.resolved_at) == ("reopened", 1, None)
    assert_event(event, row, T.REOPENED, {"reason": "Customer says it broke again",
                                          "changes": {"status": ["resolved", "reopened"]}},
                 by=world.users["supervisor"], at=world.now)
    refused(InvalidInput, lambda: actions.reopen(row, reason="", actor=world.actor(), now=world.now))
    closed = bring_to(world, world.escalation(), "closed")
    refused(IllegalTransition, lambda: actions.reopen(closed, reason="Again", actor=world.actor(), now=world.now),
            code="illegal_transition")


def test_cancel_from_every_open_status(world):
    now = later(world, 7)
    for status in ("new", "acknowledged", "in_progress", "pending_customer", "pending_third_party", "reopened"):
        esc = bring_to(world, world.escalation(), status)
        row, [event], _ = perform(esc, lambda e=esc: actions.cancel(e, reason="Duplicate call", actor=world.actor(),
                                                                    now=now))
        assert (row.status, row.closed_at, row.next_deadline) == ("cancelled", now, None)
        assert event.data == {"reason": "Duplicate call", "changes": {"status": [status, "cancelled"]}}


def test_cancel_refused_once_no_longer_open_or_without_reason(world):
    for status in ("resolved", "closed", "cancelled"):
        esc = bring_to(world, world.escalation(), status)
        refused(IllegalTransition, lambda e=esc: actions.cancel(e, reason="x", actor=world.actor(), now=world.now),
                code="illegal_transition")
    esc = world.escalation()
    refused(InvalidInput, lambda: actions.cancel(esc, reason=" ", actor=world.actor(), now=world.now))


# == link / unlink / merge ==================================================================

def test_link_writes_one_event_on_each_side(world):
    a, b = world.escalation(), world.escalation(title="Second caller")
    mark, now = event_mark(), later(world, 2)
    actions.link(a, b, kind="related_to", actor=world.actor("agent"), now=now)
    ea, eb = events_since(mark)
    agent = world.users["agent"]
    assert_event(ea, a, T.LINKED, {"kind": "related_to", "target": b.pk, "target_reference": b.reference,
                                   "direction": "out"}, by=agent, at=now)
    assert_event(eb, b, T.LINKED, {"kind": "related_to", "target": a.pk, "target_reference": a.reference,
                                   "direction": "in"}, by=agent, at=now)
    assert (reload(a).version, reload(b).version) == (2, 2)
    assert list(Link.objects.values_list("source_id", "target_id", "kind")) == [(a.pk, b.pk, "related_to")]


def test_unlink(world):
    a, b = world.escalation(), world.escalation(title="Second caller")
    actions.link(a, b, kind="parent_of", actor=world.actor(), now=world.now)
    mark = event_mark()
    actions.unlink(a, b, kind="parent_of", actor=world.actor(), now=world.now)
    ea, eb = events_since(mark)
    assert (ea.type, ea.escalation_id, ea.data["direction"]) == (T.UNLINKED, a.pk, "out")
    assert (eb.type, eb.escalation_id, eb.data) == (
        T.UNLINKED, b.pk, {"kind": "parent_of", "target": a.pk, "target_reference": a.reference, "direction": "in"})
    assert not Link.objects.exists()
    assert (reload(a).version, reload(b).version) == (3, 3)


def test_link_refuses_self_unknown_kind_and_other_tenants(world):
    a, b = world.escalation(), world.escalation()
    refused(InvalidInput, lambda: actions.link(a, a, kind="related_to", actor=world.actor(), now=world.now))
    refused(InvalidInput, lambda: actions.link(a, b, kind="cousin_of", actor=world.actor(), now=world.now))
    foreign = world.other_escalation()
    refused(NotFound, lambda: actions.link(a, foreign, kind="related_to", actor=world.actor(), now=world.now))
    refused(NotFound, lambda: actions.link(foreign, a, kind="related_to", actor=world.actor(), now=world.now))


def test_merge_closes_the_duplicate_and_tells_both_logs(world):
    dup = bring_to(world, world.escalation(), "acknowledged")  # owned by the supervisor
    keep = world.escalation(title="Outage in region north")
    now, agent, sup = later(world, 30), world.users["agent"], world.users["supervisor"]
    mark = event_mark()
    result = actions.merge(dup, keep, reason="Same outage", actor=world.actor("agent"), now=now)
    assert result.pk == keep.pk
    e_dup, e_keep = events_since(mark)
    dup_row, keep_row = reload(dup), reload(keep)
    assert (dup_row.status, dup_row.merged_into, dup_row.closed_at) == ("closed", keep_row, now)
    assert (dup_row.version, keep_row.version) == (3, 2)
    assert keep_row.status == "new"
    assert_event(e_dup, dup_row, T.MERGED_INTO, {
        "survivor": keep.pk, "survivor_reference": keep.reference, "reason": "Same outage",
        "changes": {"status": ["acknowledged", "closed"], "merged_into": [None, keep.pk]},
    }, by=agent, at=now)
    assert_event(e_keep, keep_row, T.MERGED, {
        "duplicate": dup.pk, "duplicate_reference": dup.reference, "reason": "Same outage",
    }, by=agent, at=now)
    assert list(Link.objects.values_list("source_id", "target_id", "kind")) == [(dup.pk, keep.pk, "duplicate_of")]
    assert notified(e_dup) == {sup.pk}


def test_merge_refuses_closed_duplicates_and_inactive_survivors(world):
    closed, live = bring_to(world, world.escalation(), "closed"), world.escalation()
    refused(IllegalTransition, lambda: actions.merge(closed, live, actor=world.actor(), now=world.now),
            code="not_open")
    cancelled = bring_to(world, world.escalation(), "cancelled")
    refused(IllegalTransition, lambda: actions.merge(live, cancelled, actor=world.actor(), now=world.now),
            code="survivor_not_active")
    refused(InvalidInput, lambda: actions.merge(live, live, actor=world.actor(), now=world.now))
    foreign = world.other_escalation()
    refused(NotFound, lambda: actions.merge(live, foreign, actor=world.actor(), now=world.now))


def test_merge_into_an_escalation_that_was_itself_merged_is_refused(world):
    a, b, c = world.escalation(), world.escalation(), world.escalation()
    actions.merge(a, b, actor=world.actor(), now=world.now)
    refused(IllegalTransition, lambda: actions.merge(c, a, actor=world.actor(), now=world.now),
            code="survivor_not_active")


# == watch / unwatch / tags / details =======================================================

def test_watch_and_unwatch(world):
    m, x = world.users["manager"], world.users["executive"]
    esc = world.escalation()
    row, [event], bump = perform(esc, lambda: actions.watch(esc, m, actor=world.actor(), now=world.now))
    assert bump == 1
    assert_event(event, row, T.WATCHER_ADDED, {"user": m.pk, "changes": {"watchers": [[], [m.pk]]}},
                 by=world.users["supervisor"], at=world.now)
    _, [event], _ = perform(esc, lambda: actions.watch(esc, x, actor=world.actor(), now=world.now))
    both = sorted([m.pk, x.pk])
    assert event.data == {"user": x.pk, "changes": {"watchers": [[m.pk], both]}}
    row, [event], bump = perform(esc, lambda: actions.unwatch(esc, m, actor=world.actor(), now=world.now))
    assert bump == 1
    assert event.data == {"user": m.pk, "changes": {"watchers": [both, [x.pk]]}}
    assert list(Watcher.objects.filter(escalation=esc).values_list("user_id", flat=True)) == [x.pk]
    assert tracked_state(row)["watchers"] == [x.pk]


def test_watch_refuses_people_who_are_not_staff_here(world):
    esc = world.escalation()
    for user in (world.other_user, world.users["client_viewer"]):
        refused(InvalidInput, lambda u=user: actions.watch(esc, u, actor=world.actor(), now=world.now))


def test_set_tags(world):
    esc = world.escalation()
    row, [event], bump = perform(esc, lambda: actions.set_tags(
        esc, add=["Urgent", "VIP", "urgent"], actor=world.actor("agent"), now=world.now))
    assert (row.tags, bump) == (["urgent", "vip"], 1)
    assert_event(event, row, T.TAGS_CHANGED, {"changes": {"tags": [[], ["urgent", "vip"]]}},
                 by=world.users["agent"], at=world.now)
    row, [event], _ = perform(esc, lambda: actions.set_tags(
        esc, add=["billing"], remove=["vip"], actor=world.actor(), now=world.now))
    assert event.data == {"changes": {"tags": [["urgent", "vip"], ["billing", "urgent"]]}}
    assert sorted(EscalationTag.objects.filter(escalation=esc).values_list("name", flat=True)) == ["billing", "urgent"]


def test_set_tags_refuses_bad_names_and_too_many(world):
    esc = world.escalation()
    refused(InvalidInput, lambda: actions.set_tags(esc, add=["no!"], actor=world.actor(), now=world.now))
    refused(InvalidInput, lambda: actions.set_tags(
        esc, add=[f"t{i}" for i in range(31)], actor=world.actor(), now=world.now))


def test_tag_rows_always_mirror_the_tags_shown(world):
    # The tag rows are what tag filters and reports search; the list is what people see.
    esc = world.escalation(tags=["legacy", "vip"])
    for add, remove in [(["legacy"], ["legacy"]), (["new", "VIP"], []), ([], ["vip", "absent"]), (["x"], ["X"])]:
        esc = actions.set_tags(esc, add=add, remove=remove, actor=world.actor(), now=world.now)
        rows = sorted(EscalationTag.objects.filter(escalation=esc).values_list("name", flat=True))
        assert rows == reload(esc).tags, (add, remove)
    assert reload(esc).tags == ["new"]


def test_edit_details_records_only_the_fields_that_changed(world):
    esc = world.escalation(description="Login fails")
    c = world.customer
    row, [event], bump = perform(esc, lambda: actions.edit_details(
        esc, title="Customer cannot log in after reset", description="Login fails", external_id=" ZD-9 ",
        customer=world.vip, type="account", actor=world.actor("agent"), now=world.now))
    assert (row.title, row.external_id, row.customer, row.type, bump) == (
        "Customer cannot log in after reset", "ZD-9", world.vip, "account", 1)
    # A new customer: the text the escalation keeps is handed over to them, restated unchanged
    # (before sealed under the old customer's key, after under the new one's; docs/privacy.md).
    assert_event(event, row, T.DETAILS_CHANGED, {"changes": {
        "title": ["Customer cannot log in", "Customer cannot log in after reset"], "external_id": ["", "ZD-9"],
        "customer": [c.pk, world.vip.pk], "type": ["technical", "account"],
        "description": ["Login fails", "Login fails"],
    }}, by=world.users["agent"], at=world.now)
    _, [event], _ = perform(esc, lambda: actions.edit_details(esc, customer=None, actor=world.actor(), now=world.now))
    assert event.data == {"changes": {"customer": [world.vip.pk, None],
                                      "title": ["Customer cannot log in after reset"] * 2,
                                      "description": ["Login fails"] * 2}}
    _, [event], _ = perform(esc, lambda: actions.edit_details(esc, type="billing", actor=world.actor(), now=world.now))
    assert event.data == {"changes": {"type": ["account", "billing"]}}  # same customer: only what changed


def test_edit_details_refuses(world):
    esc = world.escalation()
    for changes, error in [
        ({"priority": "P1"}, InvalidInput),  # has its own action, with its own permission
        ({"status": "closed"}, InvalidInput),
        ({"title": ""}, InvalidInput),
        ({"channel": "fax"}, InvalidInput),
        ({"type": "gossip"}, InvalidInput),
        ({"custom_fields": {"anything": 1}}, InvalidInput),
        ({"customer": world.other_customer}, NotFound),
    ]:
        refused(error, lambda c=changes: actions.edit_details(esc, actor=world.actor(), now=world.now, **c))


# == add_attachment =========================================================================

def test_add_attachment_stores_the_file_and_logs_its_digest(world, settings):
    esc = world.escalation()
    content = b"%PDF-1.4 invoice"
    digest = hashlib.sha256(content).hexdigest()
    row, [event], bump = perform(esc, lambda: actions.add_attachment(
        esc, filename="invoices/jan.pdf", content=content, content_type="application/pdf; charset=binary",
        actor=world.actor("agent"), now=world.now))
    att = Attachment.objects.get(escalation=esc)
    assert (att.filename, att.content_type, att.size, att.sha256, att.uploaded_at) == (
        "invoices_jan.pdf", "application/pdf", len(content), digest, world.now)
    assert_event(event, row, T.ATTACHMENT_ADDED, {
        "attachment": att.pk, "filename": "invoices_jan.pdf", "size": len(content), "sha256": digest,
        "content_type": "application/pdf",
    }, by=world.users["agent"], at=world.now)
    assert bump == 1
    stored = Path(att.file.path)
    assert stored.is_relative_to(Path(settings.MEDIA_ROOT)) and stored.read_bytes() == content


def test_add_attachment_limits(world, settings):
    settings.TIERLINE = {**settings.TIERLINE, "ATTACHMENT_MAX_BYTES": 16, "ATTACHMENT_ALLOWED_TYPES": ["text/plain"]}
    esc = world.escalation()

    def add(content, content_type="text/plain"):
        return lambda: actions.add_attachment(esc, filename="note.txt", content=content, content_type=content_type,
                                              actor=world.actor(), now=world.now)

    refused(InvalidInput, add(b"x" * 17), code="too_large")
    refused(InvalidInput, add(b"MZ\x90\x00", "application/x-msdownload"), code="unsupported_type")
    refused(InvalidInput, add(b"%PDF", "application/pdf"), code="unsupported_type")
    refused(InvalidInput, add(b""))
    media = Path(settings.MEDIA_ROOT)
    assert not media.exists() or not any(media.rglob("*")), "a refused file was stored"
    add(b"x" * 16)()  # exactly at the limit is fine
    assert Attachment.objects.get().size == 16


# == no-ops: nothing to change means nothing written ========================================

def _noop_cases():
    def assign_current(w):
        esc = w.escalation(owner=w.users["agent"])
        return lambda: actions.assign(esc, w.users["agent"], actor=w.actor(), now=w.now)

    def unassign_nobody(w):
        esc = w.escalation()
        return lambda: actions.unassign(esc, actor=w.actor(), now=w.now)

    def same_priority(w):
        esc = w.escalation(priority="P2")
        return lambda: actions.change_priority(esc, "P2", reason="still P2", actor=w.actor(), now=w.now)

    def unchanged_tags(w):
        esc = w.escalation(tags=["vip"])
        return lambda: actions.set_tags(esc, add=["VIP"], remove=["absent"], actor=w.actor(), now=w.now)

    def watch_twice(w):
        esc = w.escalation(watchers=[w.users["manager"]])
        return lambda: actions.watch(esc, w.users["manager"], actor=w.actor(), now=w.now)

    def unwatch_non_watcher(w):
        esc = w.escalation()
        return lambda: actions.unwatch(esc, w.users["manager"], actor=w.actor(), now=w.now)

    def link_twice(w):
        a, b = w.escalation(), w.escalation()
        actions.link(a, b, kind="related_to", actor=w.actor(), now=w.now)
        return lambda: actions.link(a, b, kind="related_to", actor=w.actor(), now=w.now)

    def unlink_missing(w):
        a, b = w.escalation(), w.escalation()
        return lambda: actions.unlink(a, b, kind="related_to", actor=w.actor(), now=w.now)

    def edit_same(w):
        esc = w.escalation(description="Login fails", external_id="ZD-1")
        return lambda: actions.edit_details(esc, title=" Customer cannot log in ", description="Login fails",
                                            external_id="ZD-1", customer=w.customer, type="technical",
                                            channel="phone", custom_fields={}, actor=w.actor(), now=w.now)

    return [assign_current, unassign_nobody, same_priority, unchanged_tags, watch_twice, unwatch_non_watcher,
            link_twice, unlink_missing, edit_same]


def test_a_change_that_changes_nothing_writes_nothing(world):
    for setup in _noop_cases():
        call = setup(world)
        before = snapshot()
        call()
        assert snapshot() == before, f"{setup.__name__} wrote something"


# == refusals common to every action ========================================================

def _call(name, world, esc, other, actor, now, **kw):
    """One legal call of action `name` on `esc` (prepared by _prepare)."""
    u = world.users
    table = {
        "acknowledge": lambda: actions.acknowledge(esc, actor=actor, now=now, **kw),
        "start_progress": lambda: actions.start_progress(esc, actor=actor, now=now, **kw),
        "set_pending": lambda: actions.set_pending(esc, waiting_on="customer", actor=actor, now=now, **kw),
        "resume": lambda: actions.resume(esc, actor=actor, now=now, **kw),
        "resolve": lambda: actions.resolve(esc, summary="Done", resolution_code="fixed", actor=actor, now=now, **kw),
        "close": lambda: actions.close(esc, actor=actor, now=now, **kw),
        "reopen": lambda: actions.reopen(esc, reason="Again", actor=actor, now=now, **kw),
        "cancel": lambda: actions.cancel(esc, reason="Mistake", actor=actor, now=now, **kw),
        "assign": lambda: actions.assign(esc, u["specialist"], actor=actor, now=now, **kw),
        "unassign": lambda: actions.unassign(esc, actor=actor, now=now, **kw),
        "escalate": lambda: actions.escalate(esc, reason="Up", trigger="hierarchical", actor=actor, now=now, **kw),
        "de_escalate": lambda: actions.de_escalate(esc, reason="Down", actor=actor, now=now, **kw),
        "change_priority": lambda: actions.change_priority(esc, "P1", actor=actor, now=now, **kw),
        "add_internal_note": lambda: actions.add_internal_note(esc, "Note", actor=actor, now=now, **kw),
        "add_public_reply": lambda: actions.add_public_reply(esc, "Reply", actor=actor, now=now, **kw),
        "add_attachment": lambda: actions.add_attachment(esc, filename="a.txt", content=b"hello",
                                                         content_type="text/plain", actor=actor, now=now, **kw),
        "set_tags": lambda: actions.set_tags(esc, add=["vip"], actor=actor, now=now, **kw),
        "watch": lambda: actions.watch(esc, u["manager"], actor=actor, now=now, **kw),
        "unwatch": lambda: actions.unwatch(esc, u["executive"], actor=actor, now=now, **kw),
        "edit_details": lambda: actions.edit_details(esc, title="Renamed", actor=actor, now=now, **kw),
        "link": lambda: actions.link(esc, other, kind="related_to", actor=actor, now=now, **kw),
        "unlink": lambda: actions.unlink(esc, other, kind="child_of", actor=actor, now=now, **kw),
        "merge": lambda: actions.merge(esc, other, actor=actor, now=now, **kw),
        "create_escalation": lambda: actions.create_escalation(
            actor=actor, now=now, tenant=world.tenant, title="New one", type="technical", priority="P3",
            team=world.teams["l1"], channel="phone"),
    }
    return table[name]()


def _prepare(name, world):
    sup, now = world.actor("supervisor"), world.now
    esc = world.escalation(watchers=[world.users["executive"]] if name == "unwatch" else [])
    other = world.escalation(title="Other escalation") if name in ("link", "unlink", "merge") else None
    status = {"start_progress": "acknowledged", "set_pending": "in_progress", "resume": "pending_customer",
              "resolve": "in_progress", "close": "resolved", "reopen": "resolved", "unassign": "acknowledged"}
    esc = bring_to(world, esc, status.get(name, "new"))
    if name == "de_escalate":
        esc = actions.escalate(esc, reason="Up", trigger="hierarchical", actor=sup, now=now)
    if name == "unlink":
        actions.link(esc, other, kind="child_of", actor=sup, now=now)
    return reload(esc), other and reload(other)


# What the product promises each role may do (accounts.permissions, written out as the contract).
WORK = ["acknowledge", "start_progress", "set_pending", "resume", "add_internal_note", "add_public_reply",
        "add_attachment", "set_tags", "watch", "unwatch", "edit_details", "link", "unlink"]
ACTION_NAMES = [*WORK, "create_escalation", "escalate", "de_escalate", "assign", "unassign", "resolve", "close",
                "reopen", "cancel", "merge", "change_priority"]
REFUSED_FOR = {
    Role.CLIENT_VIEWER: set(ACTION_NAMES),
    Role.COMPLIANCE: set(ACTION_NAMES),
    Role.AGENT: {"change_priority"},
}
NO_EXPECTED_VERSION = {"create_escalation"}


def _wrote_by(mark, actor_user) -> bool:
    written = events_since(mark)
    return bool(written) and all(e.actor_user_id == actor_user.pk for e in written)


@pytest.mark.parametrize("name", ACTION_NAMES)
def test_refusals_write_nothing_then_a_permitted_call_succeeds(world, name):
    esc, other = _prepare(name, world)
    now = later(world, 10)
    sup = world.actor("supervisor")

    # Another tenant's user does not learn the escalation exists.
    refused(NotFound, lambda: _call(name, world, esc, other, Actor.for_user(world.other_user), now))
    refused(InvalidInput, lambda: _call(name, world, esc, other, sup, dt.datetime(2026, 3, 2, 10, 0)),
            code="naive_datetime")
    refused(ValueError, lambda: _call(name, world, esc, other, None, now))  # every change says who made it
    if name not in NO_EXPECTED_VERSION:
        exc = refused(StaleVersion, lambda: _call(name, world, esc, other, sup, now, expected_version=esc.version - 1))
        assert exc.http_status == 412 and f"current {esc.version}" in exc.message
    for role, names in REFUSED_FOR.items():
        if name in names:
            exc = refused(PermissionDenied, lambda r=role: _call(name, world, esc, other, world.actor(r), now))
            assert role in exc.message
    # The end customer (status page, email replies) may look, not work the case; another
    # tenant's customer does not learn it exists.
    refused(PermissionDenied, lambda: _call(name, world, esc, other, Actor.for_customer(world.customer), now))
    refused(NotFound, lambda: _call(name, world, esc, other, Actor.for_customer(world.other_customer), now))

    # The same escalation, untouched by all of the above, still takes the change.
    first = next(r for r in Role.values if name not in REFUSED_FOR.get(r, ()))
    mark = event_mark()
    _call(name, world, esc, other, world.actor(first), now,
          **({} if name in NO_EXPECTED_VERSION else {"expected_version": esc.version}))
    assert _wrote_by(mark, world.users[first]), f"{first} could not {name}"


@pytest.mark.parametrize("role", [Role.AGENT, Role.SPECIALIST, Role.MANAGER, Role.EXECUTIVE, Role.ADMIN])
def test_each_staff_role_can_take_an_escalation_through_its_whole_life(world, role):
    u, kw = world.users, {"actor": world.actor(role), "now": world.now}
    create = {"tenant": world.tenant, "type": "technical", "priority": "P3", "team": world.teams["l1"],
              "channel": "chat", **kw}
    esc = actions.create_escalation(title="Walk-through", **create)
    dup = actions.create_escalation(title="Same thing again", **create)
    esc = actions.acknowledge(esc, **kw)
    esc = actions.assign(esc, u["specialist"] if role != Role.SPECIALIST else u["agent"], **kw)
    esc = actions.unassign(esc, **kw)
    esc = actions.watch(esc, u["manager"], **kw)
    esc = actions.unwatch(esc, u["manager"], **kw)
    esc = actions.set_tags(esc, add=["walk"], **kw)
    esc = actions.edit_details(esc, title="Walked through", **kw)
    esc = actions.add_internal_note(esc, "Checked the logs", **kw)
    esc = actions.add_public_reply(esc, "We are looking into it", **kw)
    esc = actions.add_attachment(esc, filename="log.txt", content=b"log", content_type="text/plain", **kw)
    esc = actions.escalate(esc, reason="Needs L2", trigger="hierarchical", **kw)
    esc = actions.de_escalate(esc, reason="L1 can do it", **kw)
    if role == Role.AGENT:
        refused(PermissionDenied, lambda: actions.change_priority(esc, "P2", **kw))
    else:
        esc = actions.change_priority(esc, "P2", **kw)
    esc = actions.start_progress(esc, **kw)
    esc = actions.set_pending(esc, waiting_on="third_party", **kw)
    esc = actions.resume(esc, **kw)
    esc = actions.resolve(esc, summary="Done", resolution_code="fixed", **kw)
    esc = actions.reopen(esc, reason="Not quite", **kw)
    esc = actions.resolve(esc, summary="Done now", resolution_code="workaround", **kw)
    esc = actions.close(esc, **kw)
    actions.link(esc, dup, kind="related_to", **kw)
    actions.unlink(esc, dup, kind="related_to", **kw)
    actions.merge(dup, actions.create_escalation(title="Survivor", **create), **kw)

    codes = [T(t).code for t in Event.objects.filter(escalation=esc).values_list("type", flat=True)]
    assert codes == [
        "created", "acknowledged", "assigned", "unassigned", "watcher_added", "watcher_removed", "tags_changed",
        "details_changed", "internal_note", "public_reply", "attachment_added", "escalated", "de_escalated",
        *([] if role == Role.AGENT else ["priority_changed"]), "status_changed", "status_changed",
        "status_changed", "resolved", "reopened", "resolved", "closed", "linked", "unlinked",
    ]
    row = reload(esc)
    assert (row.status, row.version) == ("closed", len(codes))  # one event per change, one bump per event
    assert reload(dup).status == "closed"
    assert set(Event.objects.values_list("actor_user_id", flat=True)) == {u[role].pk}


def test_read_only_api_token_cannot_change_anything_but_a_write_token_can(world):
    esc = world.escalation()
    read, _ = ApiToken.issue(world.users["supervisor"], name="reporting", now=world.now, scope="read")
    write, _ = ApiToken.issue(world.users["supervisor"], name="helpdesk sync", now=world.now, scope="write")
    refused(PermissionDenied, lambda: actions.add_internal_note(esc, "x", actor=Actor.for_token(read), now=world.now),
            code="token_read_only")
    actor = Actor.for_token(write)
    row, [event], _ = perform(esc, lambda: actions.add_internal_note(esc, "From the helpdesk", actor=actor,
                                                                     now=world.now))
    assert_event(event, row, T.INTERNAL_NOTE, {"body": "From the helpdesk"}, by=actor, at=world.now)
    assert (event.actor_kind, event.actor_token_id, event.actor_user_id) == (
        "api_token", write.pk, world.users["supervisor"].pk)
    assert event.actor_label == f"token:{write.prefix} (supervisor)"


def test_occurred_at_is_the_instant_passed_whatever_its_time_zone(world):
    esc = world.escalation()
    berlin = dt.datetime(2026, 3, 2, 11, 15, tzinfo=ZoneInfo("Europe/Berlin"))
    _, [event], _ = perform(esc, lambda: actions.add_internal_note(esc, "n", actor=world.actor(), now=berlin))
    assert event.occurred_at == dt.datetime(2026, 3, 2, 10, 15, tzinfo=dt.UTC)


def test_every_domain_error_names_a_stable_code(world):
    # The API maps these codes to responses; a refusal without one would reach users as a bare 409.
    esc = world.escalation()
    errors = []
    for call in (
        lambda: actions.resolve(esc, summary="x", resolution_code="fixed", actor=world.actor(), now=world.now),
        lambda: actions.change_priority(esc, "P1", actor=world.actor("agent"), now=world.now),
        lambda: actions.escalate(esc, reason="", trigger="hierarchical", actor=world.actor(), now=world.now),
        lambda: actions.acknowledge(esc, actor=Actor.for_user(world.other_user), now=world.now),
    ):
        with pytest.raises(DomainError) as info:
            call()
        errors.append((type(info.value).__name__, info.value.code, info.value.http_status))
    assert errors == [("IllegalTransition", "illegal_transition", 409), ("PermissionDenied", "forbidden", 403),
                      ("InvalidInput", "invalid", 422), ("NotFound", "not_found", 404)]


def test_acting_on_an_escalation_that_does_not_exist_is_not_found(world):
    from tierline.core.errors import NotFound

    esc = world.escalation()
    with pytest.raises(NotFound):
        actions.acknowledge(999_999, actor=world.actor(), now=world.now)
    with pytest.raises(NotFound):
        actions.link(esc, 999_999, kind="related_to", actor=world.actor(), now=world.now)
    with pytest.raises(NotFound):
        actions.merge(999_999, esc, actor=world.actor(), now=world.now)
