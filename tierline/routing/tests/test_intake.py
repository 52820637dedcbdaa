"""Intake through the escalation matrix: routing, priority-based bypass, assignment, dry run == intake."""

import datetime as dt
import threading

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tierline.audit.event_types import EventType
from tierline.audit.models import Event
from tierline.core.actors import Actor
from tierline.core.errors import InvalidInput
from tierline.escalations.models import Escalation
from tierline.notifications.models import OutboxMessage
from tierline.routing import services
from tierline.routing.models import AgentProfile, Leave, TeamRouting
from tierline.sla.models import Calendar, SlaPolicy
from tierline.testing.factories import TeamMemberFactory, UserFactory
from tierline.testing.world import build_world

H = dt.timedelta(hours=1)

MATRIX = """
rules:
  - name: Security and outages go to management
    precedence: 10
    when:
      keywords: [outage, data breach]
    then:
      level: 4
      priority: P1
      notify: ["role:manager", "role:executive"]
      trigger: priority_based
  - name: VIP customers
    precedence: 20
    when:
      customer_tier: [vip]
    then:
      team: Service management
      sla_policy: VIP
  - name: Billing to specialists
    precedence: 30
    when:
      type: [billing, compensation]
    then:
      team: Billing specialists
      require: [external_id]
  - name: Everything else to the frontline
    precedence: 100
    when: {}
    then:
      level: 1
"""


def vip_policy(world):
    """The SLA policy MATRIX names: publishing refuses a rule naming a policy that does not exist."""
    found = SlaPolicy.objects.filter(tenant=world.tenant, name="VIP").first()
    if found:
        return found
    cal = Calendar.objects.get_or_create(tenant=world.tenant, name="24x7",
                                         defaults={"spec": {"timezone": "UTC", "always_open": True}})[0]
    return SlaPolicy.objects.create(tenant=world.tenant, name="VIP", calendar=cal, resolution=2 * H,
                                    customer_tier="vip", rank=50)


def publish(world, text=MATRIX, when=None):
    admin = Actor.for_user(world.users["admin"])
    if "sla_policy: VIP" in text:
        vip_policy(world)
    version, warnings = services.import_draft(world.tenant, text, actor=admin, now=world.now)
    services.publish(world.tenant, version.number, actor=admin, now=world.now, effective_from=when)
    return version, warnings


def routed(esc):
    return Event.objects.filter(escalation=esc, type=EventType.ROUTED).get().data


def test_matrix_routes_by_rule_and_records_version_and_reasons(world):
    version, _ = publish(world)
    esc = world.escalation(team=None, type="billing", title="Double charge", external_id="ZD-1")
    assert esc.team == world.teams["billing"] and (esc.matrix_version, esc.routing_rule) == (
        version.number, "Billing to specialists")
    assert esc.trigger == "rule"
    data = routed(esc)
    assert data["rule"] == "Billing to specialists" and data["matrix_version"] == version.number
    assert any("billing" in r for r in data["reasons"])
    catch_all = world.escalation(team=None, type="technical", title="Cannot log in")
    assert catch_all.team == world.teams["l1"] and catch_all.routing_rule == "Everything else to the frontline"


def test_a_rule_can_make_fields_required(world):
    publish(world)
    with pytest.raises(InvalidInput) as err:
        world.escalation(team=None, type="billing", title="Refund please")
    assert err.value.code == "required_by_matrix" and "external_id" in err.value.fields
    assert not Escalation.objects.filter(title="Refund please").exists()


def test_priority_based_rule_goes_straight_to_management_and_alerts(world):
    publish(world)
    esc = world.escalation(team=world.teams["l1"], title="Network outage in Leeds", priority="P3")
    # The agent picked the frontline, but an outage is priority-based: management, P1, managers alerted.
    assert (esc.team, esc.level, esc.priority, esc.trigger) == (world.teams["l4"], 4, "P1", "priority_based")
    data = routed(esc)
    assert "overrides the chosen team" in " ".join(data["reasons"])
    alerted = set(OutboxMessage.objects.filter(escalation=esc).values_list("recipient_user_id", flat=True))
    assert {world.users["manager"].pk, world.users["executive"].pk} <= alerted


def test_no_matrix_and_no_team_is_a_clear_error(world):
    with pytest.raises(InvalidInput) as err:
        world.escalation(team=None)
    assert err.value.code == "no_route" and "team" in err.value.fields


def test_matrix_names_the_sla_policy(world):
    cal = Calendar.objects.create(tenant=world.tenant, name="24x7", spec={"timezone": "UTC", "always_open": True})
    SlaPolicy.objects.create(tenant=world.tenant, name="Standard", calendar=cal, resolution=8 * H)
    vip = vip_policy(world)
    publish(world)
    esc = world.escalation(team=None, customer=world.vip, title="VIP wants a call back")
    assert esc.sla_policy_id == vip.pk
    assert Escalation.objects.get(pk=esc.pk).next_deadline == world.now + 2 * H


def test_a_version_published_for_later_is_not_in_force_yet(world):
    publish(world)
    later = """
rules:
  - name: All to L2
    precedence: 1
    when: {}
    then: {level: 2}
"""
    v2, _ = publish(world, later, when=world.now + 24 * H)
    first = world.escalation(team=None, title="Today")
    assert first.level == 1 and first.matrix_version == v2.number - 1
    tomorrow = world.escalation(team=None, title="Tomorrow", now=world.now + 25 * H)
    assert tomorrow.level == 2 and tomorrow.matrix_version == v2.number


def _round_robin_team(world, n=3):
    team = world.teams["l2"]
    TeamRouting.objects.create(tenant=world.tenant, team=team, strategy="round_robin")
    users = [world.users["specialist"]]
    for i in range(n - 1):
        u = UserFactory(username=f"spec{i}")
        from tierline.testing.factories import MembershipFactory

        MembershipFactory(tenant=world.tenant, user=u, role="specialist")
        TeamMemberFactory(team=team, user=u)
        users.append(u)
    return team, users


def test_round_robin_assignment_at_intake_skips_people_on_leave(world):
    team, users = _round_robin_team(world)
    Leave.objects.create(tenant=world.tenant, user=users[1], starts_at=world.now - H, ends_at=world.now + H)
    owners = [world.escalation(team=team, title=f"Case {i}").owner_id for i in range(6)]
    assert users[1].pk not in owners
    assert sorted(owners.count(u.pk) for u in (users[0], users[2])) == [3, 3]
    data = routed(Escalation.objects.filter(team=team).first())
    assert data["assignment"]["strategy"] == "round_robin"
    assert {"user_id": users[1].pk, "reason": "on_leave"} in data["assignment"]["skipped"]


def test_off_shift_agents_are_skipped_in_their_own_time_zone(world):
    team, users = _round_robin_team(world, n=2)
    # world.now is Monday 09:30 UTC = 17:30 in Manila: the Manila day shift (08:00-17:00) is over.
    AgentProfile.objects.create(tenant=world.tenant, user=users[0], shift={
        "timezone": "Asia/Manila", "hours": {d: [["08:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}})
    AgentProfile.objects.create(tenant=world.tenant, user=users[1], shift={
        "timezone": "Europe/London", "hours": {d: [["08:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}})
    owners = {world.escalation(team=team, title=f"Case {i}").owner_id for i in range(3)}
    assert owners == {users[1].pk}


CASES = st.fixed_dictionaries({
    "type": st.sampled_from(["technical", "billing", "compensation", "security", "product"]),
    "priority": st.sampled_from(["P1", "P2", "P3", "P4"]),
    "title": st.sampled_from(["Cannot log in", "Total outage downtown", "Possible data breach", "Invoice"]),
    "customer": st.sampled_from([None, "customer", "vip"]),
    "channel": st.sampled_from(["phone", "email", "portal"]),
})


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=CASES)
def test_the_dry_run_answers_what_intake_then_does(world, case):
    if not world.extra:  # examples share the test's database: set up once, state accumulates
        publish(world)
        world.extra["team"] = _round_robin_team(world)
        TeamRouting.objects.create(tenant=world.tenant, team=world.teams["l1"], strategy="least_loaded")
    customer = getattr(world, case["customer"]) if case["customer"] else None
    admin = Actor.for_user(world.users["admin"])
    kw = dict(type=case["type"], priority=case["priority"], title=case["title"], channel=case["channel"],
              customer=customer)
    answer = services.dry_run(world.tenant, actor=admin, now=world.now, **kw)
    esc = world.escalation(team=None, external_id="X-1", **kw)
    assert (answer["team"]["id"], answer["priority"], answer["rule"], answer["owner_id"]) == (
        esc.team_id, esc.priority, esc.routing_rule, esc.owner_id)


@pytest.mark.postgres_only
def test_concurrent_intakes_never_take_the_same_round_robin_slot(transactional_db):
    world = build_world()
    team, users = _round_robin_team(world, n=4)
    errors = []

    def intake(offset):
        try:
            for i in range(20):
                world.escalation(team=team, title=f"T{offset}-{i}")
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=intake, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    counts = sorted(Escalation.objects.filter(team=team, owner_id__in=[u.pk for u in users])
                    .values_list("owner_id", flat=True))
    per_user = [counts.count(u.pk) for u in users]
    assert sum(per_user) == 40 and max(per_user) - min(per_user) <= 1
    assert TeamRouting.objects.get(team=team).assignments == 40


def test_a_cached_roster_sees_leave_and_profile_changes_at_once(world):
    team, users = _round_robin_team(world, n=2)
    first = world.escalation(team=team, title="Fills the roster cache").owner_id
    other = next(u for u in users if u.pk != first)
    Leave.objects.create(tenant=world.tenant, user=other, starts_at=world.now - H, ends_at=world.now + H)
    assert world.escalation(team=team, title="Other is away").owner_id == first
    AgentProfile.objects.create(tenant=world.tenant, user=other, capacity=5)
    Leave.objects.filter(user=other).delete()
    assert world.escalation(team=team, title="Other is back").owner_id == other.pk
