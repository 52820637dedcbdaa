"""The matrix over the API and from the shell: import, publish, export, dry run, and refusals."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tierline.routing.models import MatrixVersion
from tierline.routing.tests.test_intake import MATRIX, vip_policy


def _auth(world, role="admin"):
    return {"HTTP_AUTHORIZATION": f"Bearer {world.token(role)}"}


def test_import_publish_dry_run_and_export_over_the_api(client, world):
    vip_policy(world)
    base = "/api/v1/routing/tenants/ACME/matrix"
    r = client.post(f"{base}/drafts", {"yaml": MATRIX, "note": "first"}, content_type="application/json",
                    **_auth(world))
    assert r.status_code == 201, r.content
    number = r.json()["version"]["number"]
    assert r.json()["version"]["state"] == "draft" and r.json()["version"]["rules"] == 4
    r = client.post(f"{base}/versions/{number}/publish", {}, content_type="application/json", **_auth(world))
    assert r.status_code == 200 and r.json()["state"] == "published"
    again = client.post(f"{base}/versions/{number}/publish", {}, content_type="application/json", **_auth(world))
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_published"
    r = client.post(f"{base}/dry-run", {"type": "billing", "priority": "P3", "title": "Invoice wrong",
                                        "channel": "email"}, content_type="application/json", **_auth(world, "agent"))
    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["rule"], body["team"]["name"], body["require"]) == (
        "Billing to specialists", "Billing specialists", ["external_id"])
    assert any(n["rule"] for n in body["near_misses"]) or body["near_misses"] == []
    r = client.get(f"{base}/export", **_auth(world, "agent"))
    assert r.status_code == 200 and "Billing to specialists" in r.content.decode()
    assert client.get(base, **_auth(world, "agent")).json()["in_force"] == number


def test_bad_yaml_is_a_422_with_line_and_column(client, world):
    bad = MATRIX.replace("priority: P1", "priority: P9")
    r = client.post("/api/v1/routing/tenants/ACME/matrix/drafts", {"yaml": bad}, content_type="application/json",
                    **_auth(world))
    assert r.status_code == 422
    fields = r.json()["error"]["fields"]
    assert fields["line"] == str(bad.splitlines().index("      priority: P9") + 1)
    assert "P9" in fields["yaml"] or "priority" in fields["yaml"]
    assert MatrixVersion.objects.count() == 0


def test_matrix_endpoints_refuse_attackers(client, world):
    base = "/api/v1/routing/tenants"
    # Another tenant's matrix: not found, never forbidden (no leak that it exists).
    r = client.post(f"{base}/GLOBEX/matrix/drafts", {"yaml": MATRIX}, content_type="application/json", **_auth(world))
    assert r.status_code == 404
    assert client.get(f"{base}/GLOBEX/matrix", **_auth(world)).status_code == 404
    # A lower role cannot change the matrix.
    r = client.post(f"{base}/ACME/matrix/drafts", {"yaml": MATRIX}, content_type="application/json",
                    **_auth(world, "supervisor"))
    assert r.status_code == 403
    # No or a forged token.
    assert client.get(f"{base}/ACME/matrix").status_code == 401
    assert client.get(f"{base}/ACME/matrix", HTTP_AUTHORIZATION="Bearer tl_forged_0000").status_code == 401
    # Another tenant's team in a dry run.
    r = client.post(f"{base}/ACME/matrix/dry-run", {"type": "billing", "priority": "P3", "title": "x",
                                                    "channel": "email", "team": world.other_team.pk},
                    content_type="application/json", **_auth(world))
    assert r.status_code == 404


def test_cli_import_export_and_dry_run(world, tmp_path, capsys):
    vip_policy(world)
    path = tmp_path / "matrix.yaml"
    path.write_text(MATRIX)
    call_command("matrix", "import", str(path), "--tenant", "ACME", "--publish")
    out = capsys.readouterr().out
    assert "imported and published (4 rules)" in out
    call_command("matrix", "export", "--tenant", "ACME")
    exported = capsys.readouterr().out
    path.write_text(exported)
    call_command("matrix", "import", str(path), "--tenant", "ACME")  # the export imports back
    assert MatrixVersion.objects.get(number=2).spec == MatrixVersion.objects.get(number=1).spec
    capsys.readouterr()
    call_command("matrix", "dry-run", "--tenant", "ACME", "--json", json.dumps(
        {"type": "technical", "priority": "P3", "title": "Data breach suspected", "customer_tier": "vip",
         "channel": "phone"}))
    result = json.loads(capsys.readouterr().out)
    assert result["rule"] == "Security and outages go to management" and result["level"] == 4
    assert result["priority"] == "P1" and result["team"] == "Service management"
    assert {"rule", "level", "team", "priority", "sla_policy", "near_misses"} <= set(result)


@pytest.mark.parametrize("args, message", [
    (["import", "--tenant", "NOPE", "x.yaml"], "no tenant with code 'NOPE'"),
    (["import", "--tenant", "ACME", "/nonexistent.yaml"], "cannot read"),
    (["dry-run", "--tenant", "ACME", "--json", "{nope"], "not valid JSON"),
    (["dry-run", "--tenant", "ACME", "--json", '{"type": "billing"}'], "missing"),
    (["dry-run", "--tenant", "ACME", "--json", '{"type": "x", "priority": "P1", "title": "t", "channel": "phone"}'],
     "type must be one of"),
    (["export", "--tenant", "ACME"], "no published escalation matrix"),
])
def test_cli_errors_are_readable(world, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("matrix", *args)


def test_cli_bad_yaml_names_line_and_column(world, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("rules:\n  - name: x\n    precedence: [\n")
    with pytest.raises(CommandError, match=r"line \d+, column \d+"):
        call_command("matrix", "import", str(path), "--tenant", "ACME")
