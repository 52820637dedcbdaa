"""Approvals, client-initiated escalation and collaborating teams, as the people involved see them."""

import datetime as dt

import pytest

from tierline import actions
from tierline.actions.coordination import RateLimited
from tierline.actions.sweep import sweep_client_requests
from tierline.audit.event_types import EventType
from tierline.audit.models import Event
from tierline.core.actors import Actor
from tierline.core.errors import IllegalTransition, InvalidInput, PermissionDenied
from tierline.escalations.models import Approval, ClientRequest, Escalation
from tierline.notifications.models import OutboxMessage
from tierline.routing.models import RoutingSettings

H = dt.timedelta(hours=1)


def types(esc):
    return [EventType(t).code for t in Event.objects.filter(escalation=esc).order_by("seq").values_list("type", flat=True)]


def in_progress(world, **kw):
    esc = world.escalation(**kw)
    esc = actions.acknowledge(esc, actor=world.actor("specialist"), now=world.now)
    return actions.start_progress(esc, actor=world.actor("specialist"), now=world.now)


# -- approvals -----------------------------------------------------------------------------------
def test_compensation_above_the_threshold_needs_a_managers_approval(world):
    RoutingSettings.objects.create(tenant=world.tenant, approval_threshold=50)
    esc = in_progress(world, type="compensation")
    resolve = dict(summary="Refunded", resolution_code="refund", compensation_amount="80.00",
                   compensation_currency="GBP")
    with pytest.raises(InvalidInput) as err:
        actions.resolve(esc, actor=world.actor("specialist"), now=world.now, **resolve)
    assert err.value.code == "approval_required" and "compensation_amount" in err.value.fields
    esc, approval = actions.request_approval(esc, kind="compensation", amount="80", currency="GBP",
                                             reason="Three days without service", actor=world.actor("specialist"),
                                             now=world.now)
    # The managers hear about it.
    assert OutboxMessage.objects.filter(escalation=esc, recipient_user=world.users["manager"]).exists()
    with pytest.raises(PermissionDenied):  # a supervisor cannot approve money
        actions.decide_approval(esc, approval.pk, approve=True, actor=world.actor("supervisor"), now=world.now)
    esc, approval = actions.decide_approval(esc, approval.pk, approve=True, actor=world.actor("manager"),
                                            now=world.now + H)
    assert approval.state == "approved" and approval.decided_by == world.users["manager"]
    esc = actions.resolve(esc, actor=world.actor("specialist"), now=world.now + 2 * H, **resolve)
    assert esc.status == "resolved"
    assert types(esc)[-3:] == ["approval_requested", "approval_granted", "resolved"]


def test_an_approval_for_less_does_not_cover_more(world):
    RoutingSettings.objects.create(tenant=world.tenant, approval_threshold=50)
    esc = in_progress(world)
    esc, approval = actions.request_approval(esc, kind="compensation", amount="60", currency="GBP", reason="r",
                                             actor=world.actor("specialist"), now=world.now)
    actions.decide_approval(esc, approval.pk, approve=True, actor=world.actor("manager"), now=world.now)
    with pytest.raises(InvalidInput):
        actions.resolve(esc, summary="s", resolution_code="refund", compensation_amount="90",
                        compensation_currency="GBP", actor=world.actor("specialist"), now=world.now)
    # Below the threshold, no approval is needed at all.
    other = in_progress(world)
    assert actions.resolve(other, summary="s", resolution_code="refund", compensation_amount="20",
                           compensation_currency="GBP", actor=world.actor("specialist"), now=world.now).status == "resolved"


def test_nobody_approves_their_own_request_and_rejection_needs_a_note(world):
    esc = in_progress(world)
    esc, approval = actions.request_approval(esc, kind="policy_exception", reason="Waive the fee",
                                             actor=world.actor("manager"), now=world.now)
    with pytest.raises(PermissionDenied) as err:
        actions.decide_approval(esc, approval.pk, approve=True, actor=world.actor("manager"), now=world.now)
    assert err.value.code == "four_eyes"
    with pytest.raises(InvalidInput):
        actions.decide_approval(esc, approval.pk, approve=False, actor=world.actor("executive"), now=world.now)
    esc, approval = actions.decide_approval(esc, approval.pk, approve=False, note="Not within policy",
                                            actor=world.actor("executive"), now=world.now)
    assert approval.state == "rejected"
    with pytest.raises(InvalidInput):  # a rejected exception does not let it be resolved as one
        actions.resolve(esc, summary="s", resolution_code="policy_exception", actor=world.actor("specialist"),
                        now=world.now)
    with pytest.raises(IllegalTransition):
        actions.decide_approval(esc, approval.pk, approve=True, actor=world.actor("executive"), now=world.now)


# -- client-initiated escalation -----------------------------------------------------------------
def test_customer_request_goes_to_the_supervisor_and_is_rate_limited(world):
    RoutingSettings.objects.create(tenant=world.tenant, client_request_period_hours=24, client_request_ack_minutes=30)
    esc = world.escalation()
    customer = Actor.for_customer(world.customer)
    esc = actions.request_client_escalation(esc, reason="Nobody called me back", source="status_page",
                                            actor=customer, now=world.now)
    event = Event.objects.filter(escalation=esc, type=EventType.CLIENT_ESCALATION_REQUESTED).get()
    assert event.data["trigger"] == "client_initiated" and event.actor_kind == "customer"
    assert world.users["supervisor"].pk in event.data["notify_users"]  # the lead of the current team
    with pytest.raises(RateLimited):  # one open request at a time
        actions.request_client_escalation(esc, reason="Again", source="status_page", actor=customer,
                                          now=world.now + dt.timedelta(minutes=5))
    with pytest.raises(PermissionDenied):  # an agent is not the supervisor
        actions.acknowledge_client_request(esc, actor=world.actor("agent"), now=world.now)
    esc = actions.acknowledge_client_request(esc, escalate=True, note="Taking it up", actor=world.actor("supervisor"),
                                             now=world.now + dt.timedelta(minutes=10))
    escalated = Event.objects.filter(escalation=esc, type=EventType.ESCALATED).get()
    assert escalated.data["trigger"] == "client_initiated" and esc.level == 2
    with pytest.raises(RateLimited):  # acknowledged, but still inside the period
        actions.request_client_escalation(esc, reason="More", source="api", actor=customer, now=world.now + 2 * H)
    again = actions.request_client_escalation(esc, reason="Still broken", source="email", actor=customer,
                                              now=world.now + 25 * H)
    assert ClientRequest.objects.filter(escalation=again).count() == 2


def test_only_the_escalations_own_customer_can_ask(world):
    from tierline.core.errors import NotFound

    esc = world.escalation()
    for stranger in (world.other_customer, world.vip):  # another tenant's customer; same tenant, other customer
        with pytest.raises(NotFound):
            actions.request_client_escalation(esc, reason="x", source="api", actor=Actor.for_customer(stranger),
                                              now=world.now)
    assert not ClientRequest.objects.exists()


def test_unacknowledged_request_is_reported_once_when_overdue(world):
    RoutingSettings.objects.create(tenant=world.tenant, client_request_ack_minutes=30)
    esc = world.escalation()
    actions.request_client_escalation(esc, reason="Call me", source="api", actor=Actor.for_customer(world.customer),
                                      now=world.now)
    assert sweep_client_requests(world.now + dt.timedelta(minutes=29)) == {"client_requests_overdue": 0, "client_requests_parked": 0}
    assert sweep_client_requests(world.now + dt.timedelta(minutes=31)) == {"client_requests_overdue": 1, "client_requests_parked": 0}
    assert sweep_client_requests(world.now + dt.timedelta(minutes=40)) == {"client_requests_overdue": 0, "client_requests_parked": 0}
    overdue = Event.objects.filter(escalation=esc, type=EventType.CLIENT_REQUEST_OVERDUE).get()
    assert overdue.actor_label == "system:client-request-timer"
    # The next level's lead (L2 has none, so L3 … L4's manager) hears about it.
    assert world.users["manager"].pk in overdue.data["notify_users"]
    late = actions.acknowledge_client_request(esc, actor=world.actor("supervisor"), now=world.now + H)
    ack = Event.objects.filter(escalation=late, type=EventType.CLIENT_REQUEST_ACKNOWLEDGED).get()
    assert ack.data["late"] is True


# -- collaborating teams -------------------------------------------------------------------------
def test_collaborating_team_acknowledges_its_own_part(world):
    esc = world.escalation(team=world.teams["l2"])
    billing = world.teams["billing"]
    esc = actions.add_collaborator(esc, billing, reason="Refund side", actor=world.actor("supervisor"), now=world.now)
    with pytest.raises(InvalidInput):
        actions.add_collaborator(esc, billing, reason="again", actor=world.actor("supervisor"), now=world.now)
    with pytest.raises(PermissionDenied):  # the L2 specialist is not in billing
        actions.acknowledge_collaboration(esc, billing, actor=world.actor("specialist"), now=world.now)
    from tierline.testing.factories import TeamMemberFactory

    TeamMemberFactory(team=billing, user=world.users["agent"])
    esc = actions.acknowledge_collaboration(esc, billing, actor=world.actor("agent"), now=world.now + H)
    assert types(esc)[-2:] == ["collaborator_added", "collaboration_acknowledged"]
    assert Escalation.objects.get(pk=esc.pk).collaborations.get().acknowledged_by == world.users["agent"]
    assert Approval.objects.count() == 0


def test_coordination_endpoints_over_the_api(client, world):
    esc = world.escalation()
    token = world.token("supervisor")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    url = f"/api/v1/escalations/{esc.reference}"
    r = client.post(f"{url}/client-escalation", {"reason": "Customer insists"}, content_type="application/json", **auth)
    assert r.status_code == 200, r.content
    r = client.post(f"{url}/client-escalation", {"reason": "Again"}, content_type="application/json", **auth)
    assert r.status_code == 429 and r.json()["error"]["code"] == "rate_limited"
    r = client.post(f"{url}/collaborators", {"team": world.other_team.pk, "reason": "x"},
                    content_type="application/json", **auth)
    assert r.status_code == 404  # another tenant's team
    r = client.post(f"{url}/approvals", {"kind": "compensation", "reason": "x"}, content_type="application/json", **auth)
    assert r.status_code == 422 and "amount" in r.json()["error"]["fields"]
