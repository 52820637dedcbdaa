"""Tenant isolation from the attacker's side: staff in several tenants, client viewers, PII masking."""

from __future__ import annotations

import pytest

from tierline import actions
from tierline.accounts.models import ApiToken
from tierline.core.actors import Actor
from tierline.privacy.masking import MASKED
from tierline.privacy.models import PrivacySettings
from tierline.testing.factories import (
    CustomerFactory,
    MembershipFactory,
    TeamFactory,
    TenantFactory,
    UserFactory,
)


def bearer(user, world, scope="write"):
    _, plain = ApiToken.issue(user, name="t", now=world.now, scope=scope)
    return {"HTTP_AUTHORIZATION": f"Bearer {plain}"}


@pytest.fixture
def three(world):
    """ACME and GLOBEX each with an escalation; INITECH too, which the BPO staff member does not work for."""
    initech = TenantFactory(code="INITECH", name="Initech")
    team = TeamFactory(tenant=initech, name="Initech care", level=1, function="customer_care")
    boss = UserFactory(username="initech_boss")
    MembershipFactory(tenant=initech, user=boss, role="supervisor")
    third = actions.create_escalation(actor=Actor.for_user(boss), now=world.now, tenant=initech, title="Initech's own",
                                      type="technical", priority="P3", team=team, channel="phone",
                                      customer=CustomerFactory(tenant=initech, name="Ivy Initech"))
    staff = UserFactory(username="bpo_staff")
    MembershipFactory(tenant=world.tenant, user=staff, role="supervisor")
    MembershipFactory(tenant=world.other_tenant, user=staff, role="agent")
    return staff, world.escalation(), world.other_escalation(), third


def test_staff_in_two_tenants_see_both_and_only_both(client, world, three):
    staff, acme, globex, initech = three
    auth = bearer(staff, world)
    tenants = client.get("/api/v1/tenants", **auth).json()
    assert {(t["code"], t["role"]) for t in tenants} == {("ACME", "supervisor"), ("GLOBEX", "agent")}
    listed = {e["reference"] for e in client.get("/api/v1/escalations", **auth).json()["items"]}
    assert listed == {acme.reference, globex.reference}
    assert client.get(f"/api/v1/escalations/{initech.reference}", **auth).status_code == 404
    customers = {c["name"] for c in client.get("/api/v1/customers", **auth).json()}
    assert "Ivy Initech" not in customers and {"Dana Customer", "Gus Globex"} <= customers
    client.force_login(staff)
    assert initech.reference not in client.get("/escalations/?view=open").content.decode()
    assert client.get(f"/escalations/{initech.reference}/").status_code == 404


def test_each_tenant_applies_its_own_role(client, world, three):
    staff, acme, globex, _ = three
    auth = bearer(staff, world)
    # Supervisor in ACME may change the priority; agent in GLOBEX may not (their role there).
    ok = client.post(f"/api/v1/escalations/{acme.reference}/priority", data={"priority": "P1"},
                     content_type="application/json", **auth)
    assert ok.status_code == 200, ok.content
    refused = client.post(f"/api/v1/escalations/{globex.reference}/priority", data={"priority": "P1"},
                          content_type="application/json", **auth)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    # Creating in a tenant needs naming it when you work for several; a tenant you do not work for is 404.
    body = {"title": "x", "type": "technical", "priority": "P3", "channel": "phone"}
    unnamed = client.post("/api/v1/escalations", data=body, content_type="application/json", **auth)
    assert unnamed.status_code == 422 and "tenant" in unnamed.json()["error"]["fields"]
    assert client.post("/api/v1/escalations", data={**body, "tenant": "INITECH"}, content_type="application/json",
                       **auth).status_code == 404


def test_a_client_viewer_sees_their_tenant_only_and_cannot_write(client, world, three):
    _, acme, globex, initech = three
    auth = bearer(world.users["client_viewer"], world)
    listed = {e["reference"] for e in client.get("/api/v1/escalations", **auth).json()["items"]}
    assert listed == {acme.reference}
    for other in (globex, initech):
        assert client.get(f"/api/v1/escalations/{other.reference}", **auth).status_code == 404
    note = client.post(f"/api/v1/escalations/{acme.reference}/notes", data={"body": "hi"},
                       content_type="application/json", **auth)
    assert note.status_code == 403


def _customer_reply(world, esc, text):
    actions.customer_reply(esc, text, actor=Actor.for_customer(world.customer), now=world.now)


def test_client_viewers_see_customer_pii_masked_by_default_staff_do_not(client, world):
    world.customer.email, world.customer.phone = "dana@customer.example", "+44 20 7946 0000"
    world.customer.save()
    esc = world.escalation()
    _customer_reply(world, esc, "My flat is above the bakery")
    viewer, staff = bearer(world.users["client_viewer"], world), bearer(world.users["supervisor"], world)

    seen = client.get(f"/api/v1/escalations/{esc.reference}", **viewer).json()
    assert seen["customer"]["name"] == MASKED
    assert "Dana Customer" not in str(seen) and "dana@customer.example" not in str(seen)
    assert "My flat is above the bakery" in str(seen)  # messages are shown unless the tenant masks them
    [listed] = client.get("/api/v1/escalations", **viewer).json()["items"]
    assert listed["customer"]["name"] == MASKED
    customer = client.get(f"/api/v1/customers/{world.customer.pk}", **viewer).json()
    assert (customer["name"], customer["email"]) == (MASKED, MASKED)
    client.force_login(world.users["client_viewer"])
    for page in (f"/escalations/{esc.reference}/", "/escalations/?view=open"):
        html = client.get(page).content.decode()
        assert MASKED in html and "Dana Customer" not in html, page

    full = client.get(f"/api/v1/escalations/{esc.reference}", **staff).json()
    assert full["customer"]["name"] == "Dana Customer"
    assert client.get(f"/api/v1/customers/{world.customer.pk}", **staff).json()["email"] == "dana@customer.example"


def test_the_tenant_chooses_what_is_masked(client, world):
    PrivacySettings.objects.create(tenant=world.tenant, mask_name=False, mask_email=True, mask_phone=True,
                                   mask_text=True)
    esc = world.escalation()
    _customer_reply(world, esc, "My flat is above the bakery")
    actions.add_public_reply(esc, "We will send an engineer", actor=world.actor(), now=world.now)
    seen = client.get(f"/api/v1/escalations/{esc.reference}", **bearer(world.users["client_viewer"], world)).json()
    assert seen["customer"]["name"] == "Dana Customer"
    bodies = [e["data"].get("body") for e in seen["timeline"] if e["type"] == "public_reply"]
    assert bodies == [MASKED, "We will send an engineer"]  # the customer's words masked, ours not
    client.force_login(world.users["client_viewer"])
    html = client.get(f"/escalations/{esc.reference}/").content.decode()
    assert "bakery" not in html and "We will send an engineer" in html
