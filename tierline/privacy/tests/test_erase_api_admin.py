"""Erasure over the API and from the admin, tested from the attacker's side as well."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tierline.accounts.models import User
from tierline.audit.event_types import EventType as T
from tierline.audit.models import Event
from tierline.privacy.models import Erasure
from tierline.tenancy.models import Customer

URL = "/api/v1/privacy/customers/{}/erase"


def post(client, customer_id, token=None):
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return client.post(URL.format(customer_id), content_type="application/json", **auth)


def test_an_admin_erases_a_customer_over_the_api(client, world):
    esc = world.escalation(description="Dana Customer's words")
    response = post(client, world.customer.pk, world.token("admin"))
    assert response.status_code == 200, response.content
    assert response.json() == {"customer": world.customer.pk, "kind": "erased", "escalations": 1, "already": False}
    assert Event.objects.filter(escalation=esc, type=T.ERASED).count() == 1
    assert post(client, world.customer.pk, world.token("admin")).json()["already"] is True


@pytest.mark.parametrize("role", ["agent", "supervisor", "manager", "executive", "compliance", "client_viewer"])
def test_a_lower_role_is_403(client, world, role):
    world.escalation()
    response = post(client, world.customer.pk, world.token(role))
    assert response.status_code == 403 and response.json()["error"]["code"] == "forbidden"
    assert not Erasure.objects.exists()


def test_a_read_only_admin_token_is_403(client, world):
    response = post(client, world.customer.pk, world.token("admin", scope="read"))
    assert response.status_code == 403 and response.json()["error"]["code"] == "token_read_only"


def test_another_tenants_customer_is_404(client, world):
    response = post(client, world.other_customer.pk, world.token("admin"))
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    assert Customer.objects.get(pk=world.other_customer.pk).name == "Gus Globex"


@pytest.mark.parametrize("token", [None, "tl_forged_0000000000000000"])
def test_no_or_a_forged_token_is_401(client, world, token):
    response = post(client, world.customer.pk, token)
    assert response.status_code == 401 and not Erasure.objects.exists()


def test_the_admin_action_erases_the_selected_customers(client, world):
    world.escalation()
    User.objects.filter(pk=world.users["admin"].pk).update(is_staff=True, is_superuser=True)
    client.force_login(world.users["admin"])
    response = client.post("/admin/tenancy/customer/", {"action": "erase_selected",
                                                        "_selected_action": [world.customer.pk]}, follow=True)
    assert "Erased 1 customer(s)." in response.content.decode()
    assert Erasure.objects.get().customer_id == world.customer.pk
    # A staff user who is not an admin of the customer's tenant is refused, per customer.
    response = client.post("/admin/tenancy/customer/", {"action": "erase_selected",
                                                        "_selected_action": [world.other_customer.pk]}, follow=True)
    assert f"customer {world.other_customer.pk}: not found" in [str(m) for m in response.context["messages"]]
    assert Erasure.objects.count() == 1


def test_cli_erase_names_bad_input_readably(world):
    with pytest.raises(CommandError, match="no tenant"):
        call_command("privacy", "erase", "--tenant", "NOPE", "--customer", "1")
    with pytest.raises(CommandError, match="has no customer"):
        call_command("privacy", "erase", "--tenant", "ACME", "--customer", str(world.other_customer.pk))
    out = io.StringIO()
    call_command("privacy", "erase", "--tenant", "ACME", "--customer", str(world.customer.pk), stdout=out)
    assert "erased: 0 escalation(s)" in out.getvalue()
