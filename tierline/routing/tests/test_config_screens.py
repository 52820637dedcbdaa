"""The matrix editor: a matrix naming a missing team is refused at publish by every path (screen,
API, CLI); publishing needs a confirmation; versions are diffed; the dry run answers on a page."""

import re

import pytest
from django.core.management import CommandError, call_command

from tierline.core.errors import InvalidInput
from tierline.routing import services
from tierline.routing.decide import version_in_force
from tierline.routing.models import MatrixVersion
from tierline.routing.tests.test_intake import MATRIX, vip_policy

BAD = MATRIX.replace("team: Billing specialists", "team: Billing experts")
OTHER_TENANTS_TEAM = MATRIX.replace("team: Billing specialists", "team: Globex care")


def _draft(world, text):
    version, warnings = services.import_draft(world.tenant, text, actor=world.actor("admin"), now=world.now)
    return version, warnings


def test_publish_refuses_a_rule_naming_a_missing_team_or_policy(world):
    vip_policy(world)
    for text, problem in ((BAD, "Billing experts"), (OTHER_TENANTS_TEAM, "Globex care"),
                          (MATRIX.replace("sla_policy: VIP", "sla_policy: Platinum"), "Platinum")):
        version, _ = _draft(world, text)
        with pytest.raises(InvalidInput) as err:
            services.publish(world.tenant, version.number, actor=world.actor("admin"), now=world.now)
        assert err.value.code == "matrix_not_publishable" and problem in err.value.message
        assert MatrixVersion.objects.get(pk=version.pk).state == "draft"
    assert version_in_force(world.tenant.pk, world.now) is None
    # Billing cases still go somewhere: nothing broken was put in force.
    good, _ = _draft(world, MATRIX)
    services.publish(world.tenant, good.number, actor=world.actor("admin"), now=world.now)
    esc = world.escalation(team=None, type="billing", title="Charged twice", external_id="ZD-1")
    assert esc.team == world.teams["billing"]


def test_api_and_cli_get_the_same_refusal(client, world, tmp_path):
    vip_policy(world)
    token = {"HTTP_AUTHORIZATION": f"Bearer {world.token('admin')}"}
    base = "/api/v1/routing/tenants/ACME/matrix"
    number = client.post(f"{base}/drafts", {"yaml": BAD}, content_type="application/json", **token).json()[
        "version"]["number"]
    r = client.post(f"{base}/versions/{number}/publish", {}, content_type="application/json", **token)
    assert r.status_code == 422
    body = r.json()["error"]
    assert body["code"] == "matrix_not_publishable" and "Billing experts" in body["message"]
    assert body["fields"] == {"rules.Billing to specialists": "team 'Billing experts' does not exist"}
    path = tmp_path / "m.yaml"
    path.write_text(BAD)
    with pytest.raises(CommandError, match="cannot be published.*Billing experts"):
        call_command("matrix", "import", str(path), "--tenant", "ACME", "--publish")


def _rows(world, **override):
    """The editor's POST for the MATRIX rules as the table shows them."""
    data = {"mode": "table", "rows": "4", "note": "from the table"}
    rules = [("10", "Security and outages go to management", "", "", "outage, data breach", "", "4", "P1"),
             ("20", "VIP customers", "", "vip", "", "Service management", "", ""),
             ("30", "Billing to specialists", "billing, compensation", "", "", "Billing specialists", "", ""),
             ("100", "Everything else to the frontline", "", "", "", "", "1", "")]
    for i, (prec, name, types, tier, words, team, level, pri) in enumerate(rules):
        data.update({f"r{i}-precedence": prec, f"r{i}-name": name, f"r{i}-type": types, f"r{i}-customer_tier": tier,
                     f"r{i}-keywords": words, f"r{i}-team": team, f"r{i}-level": level, f"r{i}-set_priority": pri})
    data.update(override)
    return data


def test_editor_saves_a_draft_blocks_publishing_then_publishes_after_the_fix(client, world):
    client.force_login(world.users["admin"])
    r = client.post("/config/ACME/matrix/", _rows(world, **{"r2-team": "Billing experts"}))
    assert r.status_code == 302
    draft = MatrixVersion.objects.get(tenant=world.tenant)
    assert r["Location"] == f"/config/ACME/matrix/{draft.number}/"
    page = client.get(r["Location"]).content.decode()
    assert "cannot be published" in page and "Billing experts" in page and 'id="publish-link"' not in page
    # Forcing the POST is refused by the service, not only hidden by the page.
    refused = client.post(f"/config/ACME/matrix/{draft.number}/publish/", {"confirm": "1"})
    assert refused.status_code == 422 and "Billing experts" in refused.content.decode()
    assert MatrixVersion.objects.get(pk=draft.pk).state == "draft"

    fixed = client.post("/config/ACME/matrix/", _rows(world))
    number = MatrixVersion.objects.filter(tenant=world.tenant).order_by("-number").first().number
    assert fixed["Location"] == f"/config/ACME/matrix/{number}/"
    confirm = client.get(f"/config/ACME/matrix/{number}/publish/").content.decode()
    # The diff against the previous draft names the one change.
    assert "-      team: Billing experts" in confirm and "+      team: Billing specialists" in confirm
    unconfirmed = client.post(f"/config/ACME/matrix/{number}/publish/", {})
    assert unconfirmed.status_code == 422 and "Tick the confirmation" in unconfirmed.content.decode()
    assert version_in_force(world.tenant.pk, world.now) is None
    done = client.post(f"/config/ACME/matrix/{number}/publish/", {"confirm": "1"})
    assert done.status_code == 302
    assert MatrixVersion.objects.get(tenant=world.tenant, number=number).state == "published"


def test_editor_names_the_row_with_a_bad_code_and_keeps_the_input(client, world):
    client.force_login(world.users["admin"])
    r = client.post("/config/ACME/matrix/", _rows(world, **{"r1-customer_tier": "platinum"}))
    html = r.content.decode()
    assert r.status_code == 422 and "unknown customer tier &#x27;platinum&#x27;" in html
    assert 'data-row="1" class="has-error"' in html and 'value="platinum"' in html
    assert not MatrixVersion.objects.exists()


def test_editing_in_the_table_keeps_the_parts_it_does_not_show(client, world):
    vip_policy(world)
    version, _ = _draft(world, MATRIX)
    client.force_login(world.users["admin"])
    html = client.get(f"/config/ACME/matrix/?from={version.number}").content.decode()
    assert "trigger: priority_based" in html  # the summary of what the table does not show
    data = {"mode": "table", "rows": "6", "note": ""}
    for name, value in re.findall(r'name="(r\d+-[a-z_]+)" value="([^"]*)"', html):
        if name.endswith("-remove"):
            continue  # a checkbox: sent only when ticked
        data[name] = value.replace("&quot;", '"').replace("&#x27;", "'").replace("&amp;", "&")
    for name, value in re.findall(r'<select name="(r\d+-[a-z_]+)"[^>]*>.*?<option value="([^"]*)" selected', html):
        data[name] = value
    for name, value in re.findall(r'<select name="(r\d+-set_priority)"[^>]*>.*?<option selected>([^<]*)<', html):
        data[name] = value
    r = client.post("/config/ACME/matrix/", data)
    assert r.status_code == 302, r.content.decode()[:3000]
    newest = MatrixVersion.objects.filter(tenant=world.tenant).order_by("-number").first()
    assert newest.spec == version.spec


def test_yaml_errors_show_line_and_column(client, world):
    client.force_login(world.users["admin"])
    r = client.post("/config/ACME/matrix/", {"mode": "yaml", "yaml": "rules:\n  - name: x\n    precedense: 1\n"})
    assert r.status_code == 422 and "line 3, column 5" in r.content.decode()


def test_dry_run_page_says_where_and_why(client, world):
    vip_policy(world)
    version, _ = _draft(world, MATRIX)
    services.publish(world.tenant, version.number, actor=world.actor("admin"), now=world.now)
    client.force_login(world.users["admin"])
    html = client.post("/config/ACME/matrix/dry-run/", {"type": "billing", "priority": "P3", "channel": "email",
                                                         "title": "Charged twice"}).content.decode()
    assert "data-rule>Billing to specialists<" in html and "type is billing" in html
    partial = client.post("/config/ACME/matrix/dry-run/", {"type": "technical", "customer_tier": "vip",
                                                            "title": "x"}, HTTP_HX_REQUEST="true").content.decode()
    assert partial.startswith('<div class="guidance"') and "data-rule>VIP customers<" in partial


def test_lower_roles_and_other_tenants_cannot_configure(client, world):
    client.force_login(world.users["manager"])
    assert client.get("/config/ACME/matrix/").status_code == 403
    assert client.post("/config/ACME/matrix/", _rows(world)).status_code == 403
    assert client.get("/config/").status_code == 403
    assert not MatrixVersion.objects.exists()
    assert "nav-config" not in client.get("/escalations/").content.decode()
    client.force_login(world.users["admin"])
    assert client.get("/config/GLOBEX/matrix/").status_code == 404
    assert 'id="nav-config"' in client.get("/escalations/").content.decode()
    other, _ = services.import_draft(world.other_tenant, MATRIX.replace("Billing specialists", "Globex care"),
                                     actor=world.actor("admin").system("test"), now=world.now)
    assert client.get(f"/config/ACME/matrix/{other.number + 5}/").status_code == 404


def test_the_django_admin_is_for_superusers_and_never_loops(client, world):
    from tierline.accounts.models import User

    User.objects.filter(pk=world.users["manager"].pk).update(is_staff=True)
    client.force_login(world.users["manager"])
    r = client.get("/admin/", follow=True)
    assert r.status_code == 403 and len(r.redirect_chain) == 1
    assert "The Django admin is for superusers" in r.content.decode()
    client.force_login(world.users["admin"])
    page = client.get("/admin/", follow=True).content.decode()
    assert 'href="/config/"' in page
    User.objects.filter(pk=world.users["admin"].pk).update(is_staff=True, is_superuser=True)
    assert client.get("/admin/").status_code == 200
