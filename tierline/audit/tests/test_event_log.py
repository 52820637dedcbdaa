"""The escalation log is append-only and tamper-evident.

Append-only: the application cannot change or remove an event, and on PostgreSQL neither can
anything else connecting as the application role. Tamper-evident: whatever someone with raw
database access does to a tenant's events (edit, delete, reorder, re-hash), verifying the chain
points at the first event that is no longer what was written.
"""

from __future__ import annotations

import io
import json

import pytest
from django.db import DatabaseError, connection, transaction
from hypothesis import given, settings
from hypothesis import strategies as st

from tierline import actions
from tierline.audit import chain
from tierline.audit.chain import KINDS
from tierline.audit.event_types import EventType
from tierline.audit.models import ChainHead, Event
from tierline.audit.tests import tenant_chain_problem
from tierline.core.actors import Actor
from tierline.core.errors import WritePathViolation
from tierline.testing.world import build_world


def busy_log(world):
    """Two tenants' worth of ordinary work, interleaved, with two notes side by side in ACME."""
    sup, now = world.actor("supervisor"), world.now
    a = world.escalation()
    g = world.other_escalation()
    b = world.escalation(title="Invoice charged twice", type="billing", priority="P2")
    a = actions.acknowledge(a, actor=world.actor("agent"), now=now)
    actions.add_internal_note(g, "Globex: waiting on the bank", actor=Actor.for_user(world.other_user), now=now)
    a = actions.add_internal_note(a, "Customer was polite but firm", actor=sup, now=now)
    a = actions.add_internal_note(a, "Promised a call back by noon", actor=sup, now=now)
    a = actions.escalate(a, reason="Needs L2", trigger="hierarchical", actor=sup, now=now)
    a = actions.assign(a, world.users["specialist"], actor=sup, now=now)
    b = actions.set_tags(b, add=["refund"], actor=sup, now=now)
    actions.link(a, b, kind="related_to", actor=sup, now=now)
    a = actions.add_public_reply(a, "A specialist has your case", actor=world.actor("specialist"), now=now)
    b = actions.cancel(b, reason="Raised twice", actor=sup, now=now)
    actions.change_priority(g, "P1", actor=Actor.for_user(world.other_user), now=now)
    return a


def note(body: str) -> Event:
    # The body is sealed in the database (tierline/privacy): match on the opened text.
    (event,) = [e for e in Event.objects.filter(type=EventType.INTERNAL_NOTE) if e.data["body"] == body]
    return event


def raw(sql: str, params=()):
    """What someone with database access could do, going around the application.

    On PostgreSQL the append-only trigger would refuse, so it is switched off for the statement,
    as an attacker with the owner's rights could; the test's transaction rolls it all back.
    (ALTER TABLE refuses while deferred foreign-key checks are queued, hence IMMEDIATE.)
    """
    postgres = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        if postgres:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only")
        try:
            cursor.execute(sql, params)
        finally:
            if postgres:
                cursor.execute("ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def json_param() -> str:
    return "CAST(%s AS jsonb)" if connection.vendor == "postgresql" else "%s"


# == append-only =============================================================================

def test_events_cannot_be_changed_or_removed_through_the_orm(world):
    busy_log(world)
    stored = list(Event.objects.order_by("pk").values_list("pk", "data", "hash"))
    event = note("Customer was polite but firm")
    event.data = {"body": "Customer was abusive"}
    for call in (event.save, event.delete,
                 lambda: Event.objects.filter(pk=event.pk).update(data={"body": "Customer was abusive"}),
                 lambda: Event.objects.filter(tenant=world.tenant).delete(),
                 lambda: Event.objects.bulk_update([event], ["data"])):
        with pytest.raises(WritePathViolation, match="append-only"):
            call()
    assert list(Event.objects.order_by("pk").values_list("pk", "data", "hash")) == stored
    assert tenant_chain_problem(world.tenant.pk) is None


@pytest.mark.postgres_only
def test_postgres_refuses_raw_update_and_delete_of_events():
    world = build_world()
    busy_log(world)
    stored = list(Event.objects.order_by("pk").values_list("pk", "data", "hash"))
    target = note("Customer was polite but firm").pk
    for sql in (
        "UPDATE audit_event SET data = '{\"body\": \"Customer was abusive\"}'::jsonb WHERE id = %s",
        "UPDATE audit_event SET actor_label = 'user:nobody' WHERE id = %s",
        "DELETE FROM audit_event WHERE id = %s",
        "DELETE FROM audit_event WHERE id >= %s",
    ):
        with pytest.raises(DatabaseError, match="audit_event is append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql, [target])
    assert list(Event.objects.order_by("pk").values_list("pk", "data", "hash")) == stored
    assert tenant_chain_problem(world.tenant.pk) is None


@pytest.mark.postgres_only
def test_postgres_still_accepts_new_events_through_the_actions():
    world = build_world()
    esc = busy_log(world)
    actions.add_internal_note(esc, "Appending is what the log is for", actor=world.actor(), now=world.now)
    assert note("Appending is what the log is for").seq == Event.objects.filter(tenant=world.tenant).count()
    assert tenant_chain_problem(world.tenant.pk) is None


# == the chain ===============================================================================

def test_the_chain_verifies_after_many_actions(world):
    busy_log(world)
    for tenant in (world.tenant, world.other_tenant):
        events = list(Event.objects.filter(tenant=tenant).order_by("seq"))
        assert [e.seq for e in events] == list(range(1, len(events) + 1))
        assert events[0].prev_hash == chain.GENESIS
        assert all(later.prev_hash == earlier.hash for earlier, later in zip(events, events[1:], strict=False))
        head = ChainHead.objects.get(tenant=tenant)
        assert (head.seq, head.hash) == (events[-1].seq, events[-1].hash)
        assert tenant_chain_problem(tenant.pk) is None
    assert Event.objects.filter(tenant=world.tenant).count() == 12


def test_each_tenant_has_its_own_chain(world):
    acme = busy_log(world)
    globex = list(Event.objects.filter(tenant=world.other_tenant).order_by("seq"))
    assert [e.seq for e in globex] == [1, 2, 3]
    before = [(e.seq, e.hash) for e in globex]
    # Tampering with one tenant's log leaves the other's intact and verifiable.
    raw(f"UPDATE audit_event SET data = {json_param()} WHERE id = %s",
        [json.dumps({"body": "rewritten"}), note("Customer was polite but firm").pk])
    assert tenant_chain_problem(world.tenant.pk) is not None
    assert tenant_chain_problem(world.other_tenant.pk) is None
    # More work in ACME does not move Globex's chain.
    actions.add_internal_note(acme, "Another ACME note", actor=world.actor(), now=world.now)
    assert [(e.seq, e.hash) for e in Event.objects.filter(tenant=world.other_tenant).order_by("seq")] == before


@pytest.mark.parametrize(("column", "value"), [
    ("data", {"body": "Customer was abusive"}),
    ("actor_label", "user:manager"),
    ("occurred_at", "2026-03-01 08:00:00"),
])
def test_an_edited_event_is_reported_as_modified_at_its_seq(world, column, value):
    busy_log(world)
    event = note("Customer was polite but firm")
    if column == "data":
        raw(f"UPDATE audit_event SET data = {json_param()} WHERE id = %s", [json.dumps(value), event.pk])
    else:
        raw(f"UPDATE audit_event SET {column} = %s WHERE id = %s", [value, event.pk])
    problem = tenant_chain_problem(world.tenant.pk)
    assert (problem.seq, problem.kind) == (event.seq, "modified")


def test_an_edited_and_rehashed_event_is_reported_at_its_own_seq(world):
    busy_log(world)
    event = note("Customer was polite but firm")
    event.data = {"body": "Customer was abusive"}
    forged_hash = chain.event_hash(event.prev_hash, event.chain_payload())
    raw(f"UPDATE audit_event SET data = {json_param()}, hash = %s WHERE id = %s",
        [json.dumps(event.data), forged_hash, event.pk])
    problem = tenant_chain_problem(world.tenant.pk)
    assert (problem.seq, problem.kind) == (event.seq, "modified")


def test_a_deleted_event_is_reported_at_its_seq(world):
    busy_log(world)
    event = note("Customer was polite but firm")
    raw("DELETE FROM audit_event WHERE id = %s", [event.pk])
    problem = tenant_chain_problem(world.tenant.pk)
    assert (problem.seq, problem.kind) == (event.seq, "deleted")


def test_a_deleted_event_with_the_rest_renumbered_is_reported_at_its_seq(world):
    busy_log(world)
    event = note("Customer was polite but firm")
    raw("DELETE FROM audit_event WHERE id = %s", [event.pk])
    shift_seqs(world.tenant.pk, event.seq + 1, -1)
    raw("UPDATE audit_chainhead SET seq = seq - 1 WHERE tenant_id = %s", [world.tenant.pk])
    problem = tenant_chain_problem(world.tenant.pk)
    assert (problem.seq, problem.kind) == (event.seq, "deleted")


def test_deleting_the_newest_events_is_reported_at_the_first_missing(world):
    busy_log(world)
    newest = list(Event.objects.filter(tenant=world.tenant).order_by("-seq")[:2])
    ids = [newest[0].pk, newest[1].pk]
    raw("DELETE FROM notifications_outboxmessage WHERE event_id IN (%s, %s)", ids)
    raw("DELETE FROM audit_event WHERE id IN (%s, %s)", ids)
    problem = tenant_chain_problem(world.tenant.pk)
    assert (problem.seq, problem.kind) == (newest[1].seq, "deleted")


def test_swapped_events_are_reported_at_the_first_one_out_of_place(world):
    busy_log(world)
    first, second = note("Customer was polite but firm"), note("Promised a call back by noon")
    assert second.seq == first.seq + 1
    raw("UPDATE audit_event SET seq = -1 WHERE id = %s", [first.pk])
    raw("UPDATE audit_event SET seq = %s WHERE id = %s", [first.seq, second.pk])
    raw("UPDATE audit_event SET seq = %s WHERE id = %s", [second.seq, first.pk])
    problem = tenant_chain_problem(world.tenant.pk)
    assert (problem.seq, problem.kind) == (first.seq, "reordered")


def test_events_moved_far_apart_are_reported_as_reordered(world):
    busy_log(world)
    first = note("Customer was polite but firm")
    last = Event.objects.filter(tenant=world.tenant).order_by("-seq").first()
    raw("UPDATE audit_event SET seq = -1 WHERE id = %s", [first.pk])
    raw("UPDATE audit_event SET seq = %s WHERE id = %s", [first.seq, last.pk])
    raw("UPDATE audit_event SET seq = %s WHERE id = %s", [last.seq, first.pk])
    problem = tenant_chain_problem(world.tenant.pk)
    assert (problem.seq, problem.kind) == (first.seq, "reordered")


def forge_event(tenant_id: int, at: Event, seq: int, prev_hash: str, body: str) -> None:
    """Insert an event that looks right: the predecessor's hash and a correct hash of its own."""
    payload = {**at.chain_payload(), "seq": seq, "data": {"body": body}}
    digest = chain.event_hash(prev_hash, payload)
    raw("INSERT INTO audit_event (tenant_id, seq, escalation_id, type, occurred_at, actor_kind, actor_user_id,"
        " actor_token_id, actor_customer_id, actor_label, data, prev_hash, hash)"
        f" VALUES (%s, %s, %s, %s, %s, %s, %s, NULL, NULL, %s, {json_param()}, %s, %s)",
        [tenant_id, seq, at.escalation_id, at.type, at.occurred_at, at.actor_kind, at.actor_user_id,
         at.actor_label, json.dumps({"body": body}), prev_hash, digest])


def shift_seqs(tenant_id: int, from_seq: int, by: int) -> None:
    # Two steps through negative numbers: the (tenant, seq) unique constraint holds after each.
    raw("UPDATE audit_event SET seq = -(seq + %s) WHERE tenant_id = %s AND seq >= %s", [by, tenant_id, from_seq])
    raw("UPDATE audit_event SET seq = -seq WHERE tenant_id = %s AND seq < 0", [tenant_id])


def test_an_event_inserted_in_the_middle_is_reported_at_its_seq(world):
    busy_log(world)
    victim = note("Customer was polite but firm")
    shift_seqs(world.tenant.pk, victim.seq, +1)
    forge_event(world.tenant.pk, victim, victim.seq, victim.prev_hash, "Customer apologised")
    raw("UPDATE audit_chainhead SET seq = seq + 1 WHERE tenant_id = %s", [world.tenant.pk])
    problem = tenant_chain_problem(world.tenant.pk)
    assert (problem.seq, problem.kind) == (victim.seq, "inserted")


def test_an_event_appended_past_the_head_is_reported_as_inserted(world):
    busy_log(world)
    last = Event.objects.filter(tenant=world.tenant).order_by("-seq").first()
    forge_event(world.tenant.pk, last, last.seq + 1, last.hash, "Case closed to the customer's satisfaction")
    problem = tenant_chain_problem(world.tenant.pk)
    assert (problem.seq, problem.kind) == (last.seq + 1, "inserted")
    assert tenant_chain_problem(world.other_tenant.pk) is None


def test_verify_command_names_the_first_tampered_event(world):
    from django.core.management import CommandError, call_command
    busy_log(world)
    event = note("Promised a call back by noon")
    raw("DELETE FROM audit_event WHERE id = %s", [event.pk])
    out = io.StringIO()
    with pytest.raises(CommandError, match="1 tenant chain"):
        call_command("audit", "verify", stdout=out)
    assert f"ACME: BROKEN at event #{event.seq}: deleted" in out.getvalue()
    assert "GLOBEX" in out.getvalue() and "chain intact" in out.getvalue()


# == chain.verify on its own (what an auditor re-runs over an export) =========================

def synthetic(n: int) -> list[tuple[int, str, str, dict]]:
    rows, prev = [], chain.GENESIS
    for seq in range(1, n + 1):
        payload = {"seq": seq, "data": {"body": f"event {seq}"}}
        digest = chain.event_hash(prev, payload)
        rows.append((seq, prev, digest, payload))
        prev = digest
    return rows


def test_verify_classifies_each_kind_of_tampering():
    rows = synthetic(5)
    assert chain.verify(rows) is None
    assert chain.verify([]) is None
    assert chain.verify(rows, head=(5, rows[-1][2])) is None

    def first(tampered, head=None):
        problem = chain.verify(tampered, head=head)
        return problem.seq, problem.kind

    edited = [*rows[:2], (3, rows[2][1], rows[2][2], {"seq": 3, "data": {"body": "edited"}}), *rows[3:]]
    assert first(edited) == (3, "modified")
    forged = {"seq": 3, "data": {"body": "edited"}}
    rehashed = [*rows[:2], (3, rows[2][1], chain.event_hash(rows[2][1], forged), forged), *rows[3:]]
    assert first(rehashed) == (3, "modified")
    assert first(rows[:2] + rows[3:]) == (3, "deleted")
    assert first(rows[1:]) == (1, "deleted")
    assert first(rows[:4], head=(5, rows[-1][2])) == (5, "deleted")
    assert first(rows[:3] + rows[2:]) == (3, "reordered")
    assert first([rows[0], rows[2], rows[1], *rows[3:]]) == (3, "reordered")
    relinked = [*rows[:2], (3, "f" * 64, rows[2][2], rows[2][3]), *rows[3:]]
    assert first(relinked) == (3, "modified")
    assert first(rows, head=(4, rows[3][2])) == (5, "inserted")
    assert first(rows, head=(5, "e" * 64)) == (5, "modified")


def renumbered(rows, seqs):
    """The rows re-stored under new sequence numbers, as an attacker rewriting the seq column would."""
    return [(new, prev, digest, {**payload, "seq": new}) for new, (_, prev, digest, payload) in zip(seqs, rows, strict=True)]


def test_verify_sees_through_renumbering():
    rows = synthetic(6)
    # Event 3 deleted, the rest moved down to close the gap.
    assert chain.verify(rows[:2] + renumbered(rows[3:], [3, 4, 5])).kind == "deleted"
    assert chain.verify(rows[:2] + renumbered(rows[3:], [3, 4, 5])).seq == 3
    # A well-formed event put in at 3, the rest moved up.
    payload = {"seq": 3, "data": {"body": "forged"}}
    fake = (3, rows[1][2], chain.event_hash(rows[1][2], payload), payload)
    problem = chain.verify([*rows[:2], fake, *renumbered(rows[2:], [4, 5, 6, 7])])
    assert (problem.seq, problem.kind) == (3, "inserted")
    # Events 3 and 4 swapped by their seq column.
    problem = chain.verify([*rows[:2], *renumbered([rows[3], rows[2]], [3, 4]), *rows[4:]])
    assert (problem.seq, problem.kind) == (3, "reordered")


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_any_single_tampering_is_found_at_or_before_the_first_changed_event(data):
    n = data.draw(st.integers(2, 12))
    rows = synthetic(n)
    head = (n, rows[-1][2])
    kind = data.draw(st.sampled_from(KINDS))
    i = data.draw(st.integers(0, n - 1))
    if kind == "modified":
        payload = {"seq": i + 1, "data": {"body": "changed"}}
        rehash = data.draw(st.booleans())
        digest = chain.event_hash(rows[i][1], payload) if rehash else rows[i][2]
        tampered = [*rows[:i], (i + 1, rows[i][1], digest, payload), *rows[i + 1:]]
        expected = {"modified"}
    elif kind == "deleted":
        tampered = rows[:i] + rows[i + 1:]
        expected = {"deleted"}
    elif kind == "inserted":
        payload = {"seq": i + 1, "data": {"body": "forged"}}
        fake = (i + 1, rows[i][1], chain.event_hash(rows[i][1], payload), payload)
        tampered = [*rows[:i], fake, *renumbered(rows[i:], range(i + 2, n + 2))]
        expected = {"inserted"}
    else:
        j = data.draw(st.integers(0, n - 1).filter(lambda j: j != i))
        a, b = sorted((i, j))
        moved = list(rows)
        moved[a], moved[b] = moved[b], moved[a]
        tampered = rows[:a] + renumbered(moved[a:b + 1], range(a + 1, b + 2)) + rows[b + 1:]
        expected = {"reordered"}
        i = a
    problem = chain.verify(tampered, head=head)
    assert problem is not None
    assert (problem.seq, problem.kind in expected) == (i + 1, True), problem
