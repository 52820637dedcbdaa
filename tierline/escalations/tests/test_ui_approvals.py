"""Approvals in the web UI, as each person meets them: the agent asks from the resolve form, the
manager decides on the approvals page, the agent is told and resolves. Lower roles and other
tenants are refused from the attacker's side."""

import datetime as dt

import pytest
from django.utils import timezone

from tierline import actions
from tierline.escalations.models import Approval, Escalation
from tierline.routing.models import RoutingSettings

RESOLVE = {"summary": "Refunded the double charge", "resolution_code": "fixed", "root_cause_category": "",
           "compensation_amount": "150", "compensation_currency": "EUR"}


@pytest.fixture
def case(world):
    RoutingSettings.objects.create(tenant=world.tenant, approval_threshold=100)
    esc = world.escalation(title="Charged twice", owner=world.users["agent"])
    return actions.acknowledge(esc, actor=world.actor("agent"), now=world.now)


def _inbox(client) -> str:
    """The requester's inbox once the outbox worker has run (it turns in-app rows into notifications)."""
    from tierline.notifications.delivery import deliver_due

    deliver_due(timezone.now() + dt.timedelta(minutes=1))
    return client.get("/notifications/").content.decode()


def _post(client, esc, action, data):
    esc = Escalation.objects.get(pk=esc.pk)
    return client.post(f"/escalations/{esc.reference}/do/{action}/", {"version": esc.version, **data})


def _request(client, world, esc):
    client.force_login(world.users["agent"])
    return _post(client, esc, "request-approval", {**RESOLVE, "approval_reason": "Customer charged twice in May"})


def test_resolve_form_offers_a_request_when_compensation_needs_approval(client, world, case):
    client.force_login(world.users["agent"])
    detail = client.get(f"/escalations/{case.reference}/").content.decode()
    assert "data-request-approval" in detail and "Compensation above 100" in detail
    refused = _post(client, case, "resolve", RESOLVE)
    assert refused.status_code == 422 and "needs a manager" in refused.content.decode()
    assert Escalation.objects.get(pk=case.pk).status != "resolved"
    # Asking without saying why is a form error, and nothing is requested.
    no_reason = _post(client, case, "request-approval", RESOLVE)
    assert no_reason.status_code == 422 and not Approval.objects.exists()
    r = _request(client, world, case)
    assert r.status_code == 302
    approval = Approval.objects.get()
    assert (approval.kind, approval.amount, approval.currency, approval.state) == (
        "compensation", 150, "EUR", "requested")
    # Within the threshold there is nothing to ask for.
    small = _post(client, case, "request-approval", {**RESOLVE, "compensation_amount": "20",
                                                     "approval_reason": "small"})
    assert small.status_code == 422 and "needs no approval" in small.content.decode()


def test_manager_approves_the_requester_is_told_and_resolves(client, world, case):
    _request(client, world, case)
    client.force_login(world.users["manager"])
    home = client.get("/escalations/").content.decode()
    assert "data-nav-approvals" in home and 'Approvals <span class="count">1</span>' in home
    queue = client.get("/approvals/").content.decode()
    assert case.reference in queue and "150.00 EUR" in queue and "Customer charged twice in May" in queue
    approval = Approval.objects.get()
    r = client.post(f"/approvals/{approval.pk}/decide/", {"decision": "approve", "note": "Goodwill, OK"})
    assert r.status_code == 302
    approval.refresh_from_db()
    assert approval.state == "approved" and approval.decided_by == world.users["manager"]
    assert 'Approvals <span class="count">0</span>' in client.get("/approvals/").content.decode()

    client.force_login(world.users["agent"])
    assert f"{case.reference}: approval granted" in _inbox(client)
    detail = client.get(f"/escalations/{case.reference}/").content.decode()
    assert 'data-approval-state="approved"' in detail and "Goodwill, OK" in detail
    assert _post(client, case, "resolve", RESOLVE).status_code == 302
    assert Escalation.objects.get(pk=case.pk).status == "resolved"


def test_reject_needs_a_reason_and_the_requester_reads_it(client, world, case):
    _request(client, world, case)
    approval = Approval.objects.get()
    client.force_login(world.users["manager"])
    r = client.post(f"/approvals/{approval.pk}/decide/", {"decision": "reject", "note": ""})
    assert r.status_code == 422 and "Say why" in r.content.decode()
    assert Approval.objects.get().state == "requested"
    client.post(f"/approvals/{approval.pk}/decide/", {"decision": "reject", "note": "Above goodwill policy"})
    assert Approval.objects.get().state == "rejected"
    client.force_login(world.users["agent"])
    assert f"{case.reference}: approval rejected" in _inbox(client)
    assert _post(client, case, "resolve", RESOLVE).status_code == 422


@pytest.mark.parametrize("role", ["agent", "specialist", "supervisor", "compliance", "client_viewer"])
def test_lower_roles_cannot_see_the_queue_or_decide(client, world, case, role):
    _request(client, world, case)
    approval = Approval.objects.get()
    client.force_login(world.users[role])
    assert "data-nav-approvals" not in client.get("/escalations/").content.decode()
    assert client.get("/approvals/").status_code == 403
    r = client.post(f"/approvals/{approval.pk}/decide/", {"decision": "approve", "note": "me"})
    assert r.status_code == 403
    assert Approval.objects.get().state == "requested"


def test_another_tenants_manager_cannot_find_the_approval(client, world, case):
    from tierline.testing.factories import MembershipFactory, UserFactory

    _request(client, world, case)
    outsider = UserFactory(username="globex_manager")
    MembershipFactory(tenant=world.other_tenant, user=outsider, role="manager")
    client.force_login(outsider)
    approval = Approval.objects.get()
    assert "data-approval=" not in client.get("/approvals/").content.decode()
    assert client.post(f"/approvals/{approval.pk}/decide/", {"decision": "approve"}).status_code == 404
    assert Approval.objects.get().state == "requested"


def test_nobody_approves_their_own_request(client, world, case):
    client.force_login(world.users["manager"])
    _post(client, case, "request-approval", {**RESOLVE, "approval_reason": "mine"})
    approval = Approval.objects.get()
    r = client.post(f"/approvals/{approval.pk}/decide/", {"decision": "approve", "note": ""})
    assert r.status_code == 403 and "own request" in r.content.decode()
    assert Approval.objects.get().state == "requested"
