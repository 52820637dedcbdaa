"""Agent guidance in the UI: the matrix's answer before submitting, and the matrix page."""

from tierline.escalations.models import Escalation
from tierline.routing.tests.test_intake import publish


def test_create_form_shows_where_the_case_will_go_and_why(client, world):
    publish(world)
    client.force_login(world.users["agent"])
    html = client.post("/routing/guidance/", {"tenant": "ACME", "type": "billing", "priority": "P3",
                                              "channel": "phone", "title": "Charged twice"}).content.decode()
    assert 'data-rule>Billing to specialists<' in html and "data-team>Billing specialists<" in html
    assert "data-required>external_id<" in html
    outage = client.post("/routing/guidance/", {"tenant": "ACME", "type": "technical", "priority": "P4",
                                                "channel": "phone", "title": "Outage on the north ring"}).content.decode()
    assert "priority-based" in outage and "data-priority>P1<" in outage and "data-team>Service management<" in outage


def test_guidance_without_a_matrix_says_so(client, world):
    client.force_login(world.users["agent"])
    html = client.post("/routing/guidance/", {"tenant": "ACME", "type": "billing", "priority": "P3",
                                              "channel": "phone", "title": "x"}).content.decode()
    assert "no published escalation matrix" in html


def test_create_form_without_a_team_is_routed_by_the_matrix(client, world):
    publish(world)
    client.force_login(world.users["agent"])
    r = client.post("/escalations/new/", {"tenant": "ACME", "title": "Refund missing", "type": "billing",
                                           "priority": "P3", "channel": "phone", "team": "", "trigger": "",
                                           "external_id": "ZD-9"})
    assert r.status_code == 302, r.content.decode()[:2000]
    esc = Escalation.objects.get(title="Refund missing")
    assert esc.team == world.teams["billing"] and esc.routing_rule == "Billing to specialists"
    detail = client.get(r["Location"]).content.decode()
    assert "Routed by matrix rule" in detail


def test_escalate_panel_explains_the_matrix_and_the_next_level(client, world):
    publish(world)
    esc = world.escalation(title="Login fails")
    client.force_login(world.users["agent"])
    detail = client.get(f"/escalations/{esc.reference}/").content.decode()
    # The panel is rendered with the page (the same plan sets the form's default team).
    assert 'id="guidance"' in detail and "next level up" in detail
    html = client.get(f"/escalations/{esc.reference}/guidance/").content.decode()
    assert "Technical support L2" in html and "next level up" in html


def test_matrix_page_lists_rules_in_order_and_hides_other_tenants(client, world):
    publish(world)
    client.force_login(world.users["agent"])
    html = client.get("/routing/ACME/matrix/").content.decode()
    assert html.index("Security and outages") < html.index("VIP customers") < html.index("Everything else")
    assert client.get("/routing/GLOBEX/matrix/").status_code == 404
    assert client.get("/routing/matrix/")["Location"].endswith("/routing/ACME/matrix/")
