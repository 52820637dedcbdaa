"""Escalating hands the case to whoever the escalate panel said: the receiving team's policy picks
the owner, and the form's default team is the panel's recommended team."""

import re

import pytest

from tierline.escalations.models import Escalation
from tierline.routing.models import TeamRouting
from tierline.routing.tests.test_intake import publish
from tierline.tenancy.choices import Role
from tierline.testing.factories import MembershipFactory, TeamMemberFactory, UserFactory


def _panel(client, esc) -> tuple[str, str]:
    html = client.get(f"/escalations/{esc.reference}/guidance/").content.decode()
    team = re.search(r"data-team>([^<]+)<", html).group(1)
    owner = re.search(r'data-owner="(\d*)"', html).group(1)
    return team, owner


def _staff(world, team, *names):
    users = []
    for name in names:
        user = UserFactory(username=name)
        MembershipFactory(tenant=world.tenant, user=user, role=Role.SPECIALIST)
        TeamMemberFactory(team=team, user=user)
        users.append(user)
    return users


@pytest.mark.parametrize("strategy", ["round_robin", "least_loaded"])
def test_escalate_assigns_the_owner_the_panel_predicted(client, world, strategy):
    l2 = world.teams["l2"]
    ewan, fay = _staff(world, l2, "ewan", "fay")
    TeamRouting.objects.create(tenant=world.tenant, team=l2, strategy=strategy)
    # Give the specialist some load so least loaded has a real choice to make.
    world.escalation(team=l2, owner=world.users["specialist"], priority="P1")
    client.force_login(world.users["agent"])
    for _ in range(3):  # the round-robin cursor moves each time; the panel must keep up
        esc = world.escalation(title="Line test needed")
        team, owner = _panel(client, esc)
        assert team == "Technical support L2" and owner
        r = client.post(f"/escalations/{esc.reference}/do/escalate/",
                        {"version": esc.version, "team": "", "trigger": "hierarchical", "reason": "needs L2"})
        assert r.status_code == 302, r.content.decode()[:1500]
        esc = Escalation.objects.get(pk=esc.pk)
        assert esc.team == l2 and esc.owner_id == int(owner)
        assert esc.owner_id in {ewan.pk, fay.pk, world.users["specialist"].pk}
    if strategy == "least_loaded":
        assert esc.owner_id != world.users["specialist"].pk  # the loaded one was passed over


def test_a_manual_team_keeps_the_case_in_its_queue(client, world):
    client.force_login(world.users["agent"])
    esc = world.escalation()
    assert _panel(client, esc)[1] == ""
    client.post(f"/escalations/{esc.reference}/do/escalate/",
                {"version": esc.version, "team": "", "trigger": "hierarchical", "reason": "needs L2"})
    esc = Escalation.objects.get(pk=esc.pk)
    assert esc.team == world.teams["l2"] and esc.owner is None


def test_the_form_defaults_to_the_team_the_panel_recommends(client, world):
    publish(world)
    billing = world.teams["billing"]
    (bea,) = _staff(world, billing, "bea")
    TeamRouting.objects.create(tenant=world.tenant, team=billing, strategy="least_loaded")
    esc = world.escalation(type="billing", title="Charged twice", external_id="ZD-1", team=world.teams["l1"])
    client.force_login(world.users["agent"])
    team, owner = _panel(client, esc)
    assert team == "Billing specialists" and owner == str(bea.pk)
    detail = client.get(f"/escalations/{esc.reference}/").content.decode()
    form = detail[detail.index('data-action="escalate"'):]
    assert f'<option value="{billing.pk}" selected>' in form[:form.index("</select>")]
    client.post(f"/escalations/{esc.reference}/do/escalate/",
                {"version": esc.version, "team": str(billing.pk), "trigger": "functional", "reason": "billing"})
    esc = Escalation.objects.get(pk=esc.pk)
    assert esc.team == billing and esc.owner == bea


def test_de_escalating_hands_it_to_the_lower_teams_policy(client, world):
    l1 = world.teams["l1"]
    TeamRouting.objects.create(tenant=world.tenant, team=l1, strategy="round_robin")
    esc = world.escalation(team=world.teams["l2"], owner=world.users["specialist"])
    client.force_login(world.users["supervisor"])
    r = client.post(f"/escalations/{esc.reference}/do/de-escalate/",
                    {"version": esc.version, "team": str(l1.pk), "reason": "first line can finish it"})
    assert r.status_code == 302
    esc = Escalation.objects.get(pk=esc.pk)
    assert esc.team == l1 and esc.owner in {world.users["agent"], world.users["supervisor"]}
    timeline = client.get(f"/escalations/{esc.reference}/").content.decode()
    assert f"to Frontline care (L1); owner {esc.owner}" in timeline
