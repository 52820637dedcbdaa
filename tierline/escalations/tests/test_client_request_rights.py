"""Who may write a client-escalation request, and who decides its source — from the attacker's
side: each role posts one through the API; a caller tries to choose the source."""

import datetime as dt

import pytest
from django.utils import timezone

from tierline import actions
from tierline.accounts.permissions import ROLE_PERMISSIONS, Perm
from tierline.audit.event_types import EventType
from tierline.audit.models import Event
from tierline.core.errors import PermissionDenied
from tierline.escalations.models import ClientRequest
from tierline.statuspage.links import issue_link
from tierline.tenancy.choices import Role


def _post(client, world, role, esc, body):
    auth = {"HTTP_AUTHORIZATION": f"Bearer {world.token(role)}"}
    return client.post(f"/api/v1/escalations/{esc.reference}/client-escalation", body,
                       content_type="application/json", **auth)


def _requests(esc):
    return (ClientRequest.objects.filter(escalation=esc).count(),
            Event.objects.filter(escalation=esc, type=EventType.CLIENT_ESCALATION_REQUESTED).count())


@pytest.mark.parametrize("role", Role.values)
def test_each_role_over_the_api(client, world, role):
    esc = world.escalation()
    response = _post(client, world, role, esc, {"reason": "The customer asked on the phone"})
    if Perm.WORK in ROLE_PERMISSIONS[role]:
        assert response.status_code == 200, response.content
        assert ClientRequest.objects.get(escalation=esc).source == "api"
    else:  # client viewers and compliance officers only look
        assert response.status_code == 403, response.content
        assert response.json()["error"]["code"] == "forbidden"
        assert _requests(esc) == (0, 0)


@pytest.mark.parametrize("role", ["client_viewer", "compliance"])
def test_view_only_roles_cannot_write_one_through_the_action_either(world, role):
    esc = world.escalation()
    with pytest.raises(PermissionDenied):
        actions.request_client_escalation(esc, reason="x", source="api", actor=world.actor(role), now=world.now)
    assert _requests(esc) == (0, 0)


@pytest.mark.parametrize("source", ["status_page", "email", "api", "phone"])
def test_the_caller_cannot_choose_the_source(client, world, source):
    esc = world.escalation()
    response = _post(client, world, "supervisor", esc, {"reason": "Customer insists", "source": source})
    assert response.status_code == 422
    assert "source" in response.json()["error"]["fields"]
    assert _requests(esc) == (0, 0)


def test_the_status_page_records_status_page_whatever_the_form_says(client, world):
    base = timezone.now() - dt.timedelta(days=2)
    esc = world.escalation(now=base)
    _, token = issue_link(esc, actor=world.actor(), now=base)
    response = client.post(f"/status/{token}/", {"form": "escalate", "reason": "Third outage", "source": "api"})
    assert response.status_code == 302
    assert ClientRequest.objects.get(escalation=esc).source == "status_page"
