"""Contact volumes in by API and CSV (CLI), and the KPI endpoint, from the caller's side."""

import datetime as dt

import pytest
from django.core.management import CommandError, call_command

from tierline.reports.models import ContactVolume
from tierline.reports.tests.history import build

URL = "/api/v1/reports/tenants/{}/contacts"
KPIS = "/api/v1/reports/tenants/{}/kpis"


def post(client, token, code, body):
    return client.post(URL.format(code), data=body, content_type="application/json",
                       HTTP_AUTHORIZATION=f"Bearer {token}")


def test_contacts_import_by_api_upserts(client, world):
    token = world.token("admin")
    body = {"rows": [{"date": "2026-03-02", "channel": "phone", "count": 100},
                     {"date": "2026-03-02", "channel": "chat", "count": 7}]}
    r = post(client, token, "ACME", body)
    assert r.status_code == 200 and r.json() == {"rows": 2, "created": 2, "updated": 0}
    r = post(client, token, "ACME", {"rows": [{"date": "2026-03-02", "channel": "phone", "count": 120}]})
    assert r.json() == {"rows": 1, "created": 0, "updated": 1}
    assert ContactVolume.objects.get(tenant=world.tenant, channel="phone").count == 120


def test_contacts_import_refusals(client, world):
    body = {"rows": [{"date": "2026-03-02", "channel": "phone", "count": 1}]}
    assert post(client, world.token("admin"), "GLOBEX", body).status_code == 404
    assert post(client, world.token("manager"), "ACME", body).status_code == 403
    assert post(client, "forged", "ACME", body).status_code == 401
    bad = post(client, world.token("admin"), "ACME", {"rows": [{"date": "yesterday", "channel": "fax", "count": -1}]})
    assert bad.status_code == 422 and bad.json()["error"]["fields"]
    assert not ContactVolume.objects.exists()


def test_kpi_endpoint_scoped_and_validated(client, world):
    build(world)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {world.token('manager', scope='read')}"}
    r = client.get(KPIS.format("ACME"), {"start": "2026-03-02", "end": "2026-03-03"}, **auth)
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["escalations"] == 3 and body["csat"]["nps"] == 0.0 and body["compensation"] == {"EUR": "20.00"}
    assert client.get(KPIS.format("GLOBEX"), {"start": "2026-03-02", "end": "2026-03-03"}, **auth).status_code == 404
    agent = {"HTTP_AUTHORIZATION": f"Bearer {world.token('agent')}"}
    assert client.get(KPIS.format("ACME"), {"start": "2026-03-02", "end": "2026-03-03"}, **agent).status_code == 403
    backwards = client.get(KPIS.format("ACME"), {"start": "2026-03-03", "end": "2026-03-02"}, **auth)
    assert backwards.status_code == 422
    assert client.get(KPIS.format("ACME"), {"start": "2026-03-02"}, **auth).status_code == 422


def test_cli_imports_a_csv_with_progress(world, tmp_path, capsys):
    path = tmp_path / "contacts.csv"
    lines = ["date,channel,count"] + [f"2026-03-{d:02d},phone,{d * 10}" for d in range(1, 29)]
    path.write_text("\n".join(lines) + "\n")
    call_command("reports", "import-contacts", str(path), "--tenant", "ACME")
    out = capsys.readouterr()
    assert "28 rows: 28 new, 0 replaced" in out.out and "28/28 rows (100 %)" in out.err
    assert ContactVolume.objects.get(tenant=world.tenant, date=dt.date(2026, 3, 5)).count == 50


@pytest.mark.parametrize("content, message", [
    ("day,channel,count\n2026-03-01,phone,1\n", "missing: date"),
    ("date,channel,count\n2026-03-01,phone,1\n2026-03-02,pigeon,1\n", "line 3: channel must be one of"),
    ("date,channel,count\n2026-03-01,phone,many\n", "line 2: count must be a whole number"),
])
def test_cli_refuses_a_bad_file_readably_and_imports_nothing(world, tmp_path, content, message):
    path = tmp_path / "contacts.csv"
    path.write_text(content)
    with pytest.raises(CommandError, match=message):
        call_command("reports", "import-contacts", str(path), "--tenant", "ACME")
    assert not ContactVolume.objects.exists()
    with pytest.raises(CommandError, match="no tenant"):
        call_command("reports", "import-contacts", str(path), "--tenant", "NOPE")
