"""A tenant's routing model: trained from its own history, explained, applied only above its threshold."""

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command

from tierline.audit.event_types import EventType
from tierline.core.errors import InvalidInput
from tierline.learning import routing_models
from tierline.learning.models import LearningSettings, RoutingModel

BILLING = ["Invoice charged twice", "Refund for a double charge", "Wrong amount on the invoice",
           "Card charged after cancelling", "Billing error on the invoice"]
NETWORK = ["No signal at home", "Internet down, outage", "Router offline, no internet",
           "Mobile signal lost", "Outage in the area, no signal"]


def _history(world, rounds=3):
    for i in range(rounds):
        for k, title in enumerate(BILLING):
            world.escalation(title=title, type="billing", team=world.teams["billing"], channel="email",
                             now=world.now + dt.timedelta(hours=10 * i + k))
        for k, title in enumerate(NETWORK):
            world.escalation(title=title, type="technical", team=world.teams["l2"], channel="phone",
                             now=world.now + dt.timedelta(hours=10 * i + 5 + k))


@pytest.fixture
def trained(world):
    _history(world)
    out = io.StringIO()
    call_command("model", "train", "--tenant", "ACME", "--json", stdout=out, stderr=io.StringIO())
    return json.loads(out.getvalue())


def test_training_stores_a_versioned_model_with_its_card(world, trained):
    card = trained["card"]
    assert trained["version"] == 1 and card["version"] == 1
    assert card["n_rows"] == 30 and card["period"]["from"] == "2026-03-02"
    assert set(card["targets"]) == {"team", "type", "priority"}
    team = card["targets"]["team"]
    assert (team["n_train"], team["n_test"]) == (24, 6)
    assert 0 <= team["accuracy"] <= 1
    row = RoutingModel.objects.get(tenant=world.tenant, version=1)
    assert bytes(row.artefact)  # the joblib artefact lives in the database
    call_command("model", "train", "--tenant", "ACME", stdout=io.StringIO(), stderr=io.StringIO())
    assert list(RoutingModel.objects.filter(tenant=world.tenant).values_list("version", flat=True)) == [2, 1]


def test_suggestion_has_confidence_and_reasons(world, trained):
    s = routing_models.suggest(world.tenant.pk, title="I was charged twice, refund please", type="billing",
                               priority="P3", channel="email", customer_tier="standard")
    assert s["team"]["label"] == "Billing specialists"
    assert 0 <= s["team"]["confidence"] <= 1
    assert s["team"]["reasons"]
    assert s["type"]["label"] == "billing"


def test_guidance_panel_shows_the_suggestion(client, world, trained):
    client.force_login(world.users["supervisor"])
    html = client.post("/routing/guidance/", {"tenant": "ACME", "type": "technical", "priority": "P3",
                                              "title": "No internet, router offline", "channel": "phone"}
                       ).content.decode()
    assert "data-learned" in html and "Technical support L2" in html and "confidence" in html


def test_applied_only_above_the_tenant_threshold(world, trained):
    with pytest.raises(InvalidInput):  # default threshold: shown, never applied
        world.escalation(title="Router offline, no internet at all", team=None)
    LearningSettings.objects.create(tenant=world.tenant, auto_route_threshold=0.0)
    esc = world.escalation(title="Router offline, no internet at all", team=None)
    assert esc.team == world.teams["l2"]
    assert esc.trigger == "rule" and esc.routing_rule == "learned routing model v1"
    routed = esc.events.filter(type=EventType.ROUTED).get()
    assert routed.data["learned"]["model_version"] == 1
    assert 0 <= float(routed.data["learned"]["confidence"]) <= 1  # the event log keeps numbers as text


def test_tenant_isolation(world):
    _history(world, rounds=1)
    other = world.other_escalation()
    with pytest.raises(ValueError, match="GLOBEX has 1 escalations"):  # A's ten rows are not GLOBEX's history
        routing_models.train(world.other_tenant, now=world.now)
    routing_models.train(world.tenant, now=world.now)
    assert routing_models.suggest(world.other_tenant.pk, title="Invoice charged twice", type="billing",
                                  priority="P2", channel="email", customer_tier=None) is None
    for _ in range(6):
        world.other_escalation()
    routing_models.train(world.other_tenant, now=world.now)
    s = routing_models.suggest(world.other_tenant.pk, title="Invoice charged twice", type="billing",
                               priority="P2", channel="email", customer_tier=None)
    assert s["team"]["team"] == other.team  # GLOBEX's model only knows GLOBEX's team
    mine = routing_models.suggest(world.tenant.pk, title="Other tenant's escalation", type="billing",
                                  priority="P2", channel="email", customer_tier=None)
    assert mine["team"]["team"].tenant_id == world.tenant.pk
