"""Every page, download and scheduled report that names customers shows a client viewer the
masked value, from the client viewer's side: they fetch each one and look for the name."""

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from tierline.privacy.masking import MASKED, Mask
from tierline.reports import exports, schedules
from tierline.reports.tests.history import MON, build

KPI = {"start": "2026-03-02", "end": "2026-03-03", "grain": "day"}
NAME = "Dana Customer"  # two escalations in the period: listed under "Repeat escalations"


@pytest.fixture
def hist(world):
    return build(world)


def _kpi(client, user, **extra):
    client.force_login(user)
    response = client.get(reverse("reports:kpi", args=["ACME"]), {**KPI, **extra})
    assert response.status_code == 200
    return response


def _texts(response, fmt) -> str:
    if fmt == "pdf":
        return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    if fmt == "xlsx":
        wb = load_workbook(io.BytesIO(response.content))
        return "\n".join(str(v) for ws in wb for row in ws.iter_rows(values_only=True) for v in row)
    return response.content.decode()


@pytest.mark.parametrize("fmt", [None, "csv", "xlsx", "pdf"])
def test_client_viewer_sees_repeat_customers_masked_in_the_kpi_report(client, world, hist, fmt):
    shown = _texts(_kpi(client, world.users["client_viewer"], **({"format": fmt} if fmt else {})), fmt)
    assert NAME not in shown
    # The PDF's core fonts are Latin-1: the mask is drawn as ***.
    assert f"Repeat escalations: {'***' if fmt == 'pdf' else MASKED}" in shown
    # The same report for staff names the customer: the mask is the viewer's, not the report's.
    assert NAME in _texts(_kpi(client, world.users["manager"], **({"format": fmt} if fmt else {})), fmt)


def test_client_viewer_csv_rows_are_masked(client, world, hist):
    rows = dict(csv.reader(io.StringIO(_kpi(client, world.users["client_viewer"], format="csv").content.decode())))
    assert rows[f"Repeat escalations: {MASKED}"] == "2"


def test_a_scheduled_report_to_a_client_viewer_is_masked(world, hist):
    end = MON + dt.timedelta(days=2)
    for fmt in ("xlsx", "pdf"):
        viewer = schedules.create_schedule(tenant=world.tenant, recipient=world.users["client_viewer"],
                                           frequency="weekly", format=fmt, now=world.now)
        _, content, _ = schedules.build(viewer, MON, end, end)
        staff = schedules.create_schedule(tenant=world.tenant, recipient=world.users["manager"],
                                          frequency="weekly", format=fmt, now=world.now)
        _, staff_content, _ = schedules.build(staff, MON, end, end)
        if fmt == "xlsx":
            def cells(data):
                return [v for ws in load_workbook(io.BytesIO(data)) for r in ws.iter_rows(values_only=True) for v in r]
            assert f"Repeat escalations: {MASKED}" in cells(content) and NAME not in str(cells(content))
            assert f"Repeat escalations: {NAME}" in cells(staff_content)
        else:
            def text(data):
                return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
            assert NAME not in text(content) and NAME in text(staff_content)


def test_customer_api_masks_the_account_id_with_the_name(client, world):
    world.customer.account_id = "ACC-4711"
    world.customer.save()
    viewer = {"HTTP_AUTHORIZATION": f"Bearer {world.token('client_viewer', scope='read')}"}
    body = client.get("/api/v1/customers", **viewer).json()
    body = body["items"] if isinstance(body, dict) else body
    dana = next(c for c in body if c["id"] == world.customer.pk)
    assert dana["name"] == MASKED and dana["account_id"] == MASKED
    staff = {"HTTP_AUTHORIZATION": f"Bearer {world.token('supervisor', scope='read')}"}
    body = client.get("/api/v1/customers", **staff).json()
    body = body["items"] if isinstance(body, dict) else body
    assert next(c for c in body if c["id"] == world.customer.pk)["account_id"] == "ACC-4711"


def test_escalation_detail_page_masks_the_account_id(client, world):
    world.customer.account_id = "ACC-4711"
    world.customer.save()
    esc = world.escalation()
    client.force_login(world.users["client_viewer"])
    html = client.get(reverse("escalations:detail", args=[esc.reference])).content.decode()
    assert "ACC-4711" not in html and NAME not in html
    client.force_login(world.users["supervisor"])
    assert "ACC-4711" in client.get(reverse("escalations:detail", args=[esc.reference])).content.decode()


def test_list_export_rows_name_customers_through_the_mask(world, hist):
    from tierline.escalations.models import Escalation

    qs = Escalation.objects.filter(tenant=world.tenant).select_related("customer", "team", "owner")
    masked = exports.list_rows(qs, lambda tenant_id: Mask(frozenset({"name"})))
    assert {r[8] for r in masked} == {MASKED}
    assert NAME in {r[8] for r in exports.list_rows(qs, lambda tenant_id: Mask())}


def test_nothing_a_client_viewer_can_open_names_the_customer(client, world, hist):
    """Every page, download and API read of the tenant a client viewer may open, fetched as one."""
    world.customer.account_id = "ACC-4711"
    world.customer.save()
    esc = hist["e1"]
    client.force_login(world.users["client_viewer"])
    token = {"HTTP_AUTHORIZATION": f"Bearer {world.token('client_viewer', scope='read')}"}
    pages = [
        (reverse("escalations:list"), {"view": "open", "status": "all"}),
        (reverse("escalations:detail", args=[esc.reference]), {}),
        (reverse("reports:kpi", args=["ACME"]), KPI),
        (reverse("reports:kpi", args=["ACME"]), {**KPI, "chart": "trend"}),
        (reverse("reports:supervisor", args=["ACME"]), {}),
        (reverse("reports:supervisor", args=["ACME"]), {"format": "xlsx"}),
        (reverse("reports:management", args=["ACME"]), {}),
        (reverse("reports:management", args=["ACME"]), {"format": "xlsx"}),
        (reverse("notifications:inbox"), {}),
    ]
    for url, params in pages:
        response = client.get(url, params)
        assert response.status_code == 200, url
        body = _texts(response, "xlsx" if params.get("format") == "xlsx" else None)
        assert NAME not in body and "ACC-4711" not in body, url
    for url in ("/api/v1/escalations", f"/api/v1/escalations/{esc.reference}", "/api/v1/customers",
                "/api/v1/reports/tenants/ACME/kpis?start=2026-03-02&end=2026-03-03"):
        response = client.get(url, **token)
        assert response.status_code == 200, url
        assert NAME not in response.content.decode() and "ACC-4711" not in response.content.decode(), url
    # The list export is not theirs to take at all.
    assert client.get(reverse("reports:escalation-export", args=["csv"])).status_code == 403
