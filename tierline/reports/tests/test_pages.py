"""The report pages and files, from the user's side: scoped to the tenant, refused to lower roles,
and the downloads open and carry the figures."""

import csv
import datetime as dt
import io
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from tierline.accounts.models import User
from tierline.reports import exports, services
from tierline.reports.tests.history import MON, WED, build
from tierline.tenancy.models import Membership


@pytest.fixture
def hist(world):
    return build(world)


def login(client, world, role):
    client.force_login(world.users[role])
    return client


def globex_viewer(world):
    user = User.objects.create_user(username="globex_viewer", password="x")
    Membership.objects.create(tenant=world.other_tenant, user=user, role="client_viewer")
    return user


KPI = {"start": "2026-03-02", "end": "2026-03-03", "grain": "day"}


def test_kpi_page_shows_the_figures(client, world, hist):
    response = login(client, world, "manager").get(reverse("reports:kpi", args=["ACME"]), KPI)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Escalations created</th><td>3<" in html
    assert html.count("<svg") == 2 and "Download CSV" in html and "Table view" in html


@pytest.mark.parametrize("name", ["reports:kpi", "reports:supervisor", "reports:management"])
def test_client_viewer_of_globex_never_sees_acme(client, world, hist, name):
    client.force_login(globex_viewer(world))
    assert client.get(reverse(name, args=["ACME"]), KPI).status_code == 404
    own = client.get(reverse(name, args=["GLOBEX"]), KPI)
    assert own.status_code == 200
    # Whole words: the page's random CSRF token may contain "E1" by chance.
    assert not re.search(r"\b(E1|Acme)\b", own.content.decode())


def test_globex_viewer_sees_only_globex_figures(client, world, hist):
    client.force_login(globex_viewer(world))
    rows = dict(csv.reader(io.StringIO(client.get(reverse("reports:kpi", args=["GLOBEX"]),
                                                  {**KPI, "format": "csv"}).content.decode())))
    assert rows["Escalations created"] == "1"


@pytest.mark.parametrize("name", ["reports:kpi", "reports:supervisor", "reports:management"])
def test_agent_role_is_refused_with_403(client, world, hist, name):
    response = login(client, world, "agent").get(reverse(name, args=["ACME"]))
    assert response.status_code == 403


def test_anonymous_is_sent_to_log_in(client, world):
    response = client.get(reverse("reports:kpi", args=["ACME"]))
    assert response.status_code == 302 and "login" in response["Location"]


def test_xlsx_opens_and_contains_the_figures(client, world, hist):
    response = login(client, world, "manager").get(reverse("reports:kpi", args=["ACME"]), {**KPI, "format": "xlsx"})
    assert response.status_code == 200 and response["Content-Disposition"].endswith('.xlsx"')
    wb = load_workbook(io.BytesIO(response.content))
    figures = {row[0]: row[1] for row in wb["Figures"].iter_rows(min_row=3, values_only=True)}
    assert figures["Escalations created"] == "3"
    assert figures["SLA compliance: acknowledgement"] == "66.7 % (2 of 3)"
    assert figures["Compensation paid"] == "20.00 EUR"
    trend = list(wb["trend"].iter_rows(values_only=True))
    assert trend == [("day", "created"), ("2026-03-02", 2), ("2026-03-03", 1)]
    assert ("acknowledgement", 66.7) in list(wb["sla"].iter_rows(values_only=True))


def test_pdf_opens_and_contains_the_figures(client, world, hist):
    response = login(client, world, "manager").get(reverse("reports:kpi", args=["ACME"]), {**KPI, "format": "pdf"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Acme Telecom" in text and "2026-03-02 to 2026-03-03" in text
    assert "Escalations created" in text and "66.7 % (2 of 3)" in text and "20.00 EUR" in text
    assert sum(len(page.images) for page in reader.pages) == 2  # the two charts, as images


def test_chart_csv_download_matches_the_table(client, world, hist):
    response = login(client, world, "supervisor").get(reverse("reports:kpi", args=["ACME"]), {**KPI, "chart": "trend"})
    assert list(csv.reader(io.StringIO(response.content.decode()))) == [
        ["day", "created"], ["2026-03-02", "2"], ["2026-03-03", "1"]]


def test_supervisor_dashboard_live_figures(client, world, hist, settings):
    from tierline import actions

    # Something breaching now: a fresh escalation whose 1 h acknowledgement passed long ago.
    actions.create_escalation(actor=world.actor(), now=dt.datetime.now(dt.UTC) - dt.timedelta(days=3),
                              tenant=world.tenant, title="Late", type="technical", priority="P2",
                              team=world.teams["l1"], channel="phone")
    response = login(client, world, "supervisor").get(reverse("reports:supervisor", args=["ACME"]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-figure="open">2<' in html  # E3 and the late one
    assert 'data-figure="breaching">2<' in html
    level_csv = client.get(reverse("reports:supervisor", args=["ACME"]), {"chart": "open-by-level"}).content.decode()
    assert "L1,2" in level_csv
    xlsx = client.get(reverse("reports:supervisor", args=["ACME"]), {"format": "xlsx"})
    figures = {r[0]: r[1] for r in load_workbook(io.BytesIO(xlsx.content))["Figures"].iter_rows(min_row=3,
                                                                                                values_only=True)}
    assert figures["Open escalations"] == "2" and figures["Breaching now"] == "2"


def test_management_dashboard_from_the_rollup(client, world, hist):
    from tierline.reports.rollups import update_all

    update_all(WED)
    response = login(client, world, "executive").get(reverse("reports:management", args=["ACME"]),
                                                     {"grain": "month"})
    assert response.status_code == 200
    assert response.content.decode().count("<svg") == 4
    volume = client.get(reverse("reports:management", args=["ACME"]), {"grain": "month", "chart": "volume"})
    rows = list(csv.reader(io.StringIO(volume.content.decode())))
    assert ["2026-03", "3", "3"] in rows  # created 3; resolved 3 times (E1 twice, E2 once)
    assert client.get(reverse("reports:management", args=["ACME"]), {"chart": "nope"}).status_code == 404
    assert client.get(reverse("reports:management", args=["ACME"]), {"team": "x"}).status_code == 400
    xlsx = client.get(reverse("reports:management", args=["ACME"]), {"format": "xlsx"})
    assert load_workbook(io.BytesIO(xlsx.content))["volume"]["A1"].value == "week"


def test_escalation_list_exports_use_the_queue_filters_and_scope(client, world, hist):
    login(client, world, "supervisor")
    response = client.get(reverse("reports:escalation-export", args=["csv"]), {"view": "open", "status": "all"})
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert sorted(r["title"] for r in rows) == ["E1", "E2", "E3"]  # never GLOBEX's
    only_open = client.get(reverse("reports:escalation-export", args=["xlsx"]), {"view": "open"})
    ws = load_workbook(io.BytesIO(only_open.content)).active
    assert [r[1] for r in ws.iter_rows(min_row=2, values_only=True)] == ["E3"]
    client.force_login(world.users["agent"])  # agents have no export permission
    assert client.get(reverse("reports:escalation-export", args=["csv"])).status_code == 403


def test_figure_rows_survive_an_empty_period(world):
    r = services.report(services.ReportFilter(tenant_id=world.tenant.pk, start=MON, end=WED), now=WED)
    rows = dict(exports.figure_rows(r))
    assert rows["Escalations created"] == "0" and rows["Escalation rate"] == "–"
    assert exports.report_pdf(tenant_name="Acme", period_label="x", rows=list(rows.items()), charts=[],
                              generated_at=WED)[:4] == b"%PDF"
