"""The escalation list's downloads: the file holds the rows on screen (tab and filters as the
page has them now), the PDF link gives a PDF, and no cell of any CSV or XLSX runs as a formula."""

import csv
import html
import io
import re
from pathlib import Path

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

import tierline
from tierline import actions

HYPERLINK = '=HYPERLINK("http://x","y")'


@pytest.fixture
def many(world):
    """Six open escalations: one P1, five P3."""
    made = [world.escalation(title=f"Routine {n}", priority="P3") for n in range(5)]
    made.append(world.escalation(title="The urgent one", priority="P1"))
    return made


def _export_links(fragment: str) -> dict[str, str]:
    return {fmt: html.unescape(href) for href, fmt in
            re.findall(r'href="(/reports/escalations\.(\w+)\?[^"]*)"', fragment)}


def _csv_rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_the_export_link_follows_the_filters_on_screen(client, world, many):
    client.force_login(world.users["supervisor"])
    page = client.get(reverse("escalations:list"), {"view": "open"}).content.decode()
    assert len(_csv_rows(client.get(_export_links(page)["csv"]))) == 6
    # The filter changes through htmx: only the results fragment is swapped, links included.
    fragment = client.get(reverse("escalations:list"), {"view": "open", "priority": "P1", "q": ""},
                          HTTP_HX_REQUEST="true").content.decode()
    shown = re.findall(r'data-reference="([^"]+)"', fragment)
    links = _export_links(fragment)
    assert set(links) == {"csv", "xlsx", "pdf"}
    assert [r["reference"] for r in _csv_rows(client.get(links["csv"]))] == shown == [many[-1].reference]
    ws = load_workbook(io.BytesIO(client.get(links["xlsx"]).content)).active
    assert [r[0] for r in ws.iter_rows(min_row=2, values_only=True)] == shown


def test_the_export_applies_the_tab_as_the_list_does(client, world, many):
    actions.assign(many[0], world.users["supervisor"], actor=world.actor(), now=world.now)
    client.force_login(world.users["supervisor"])
    page = client.get(reverse("escalations:list")).content.decode()  # no view: "My escalations"
    shown = re.findall(r'data-reference="([^"]+)"', page)
    exported = [r["reference"] for r in _csv_rows(client.get(_export_links(page)["csv"]))]
    assert exported == shown == [many[0].reference]


def test_the_pdf_link_returns_a_pdf(client, world, many):
    client.force_login(world.users["supervisor"])
    response = client.get(reverse("reports:escalation-export", args=["pdf"]), {"view": "open", "priority": "P1"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content[:4] == b"%PDF"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert many[-1].reference in text and "The urgent one" in text and "Routine" not in text
    assert client.get("/reports/escalations.exe").status_code == 404


@pytest.fixture
def hostile(world):
    return [world.escalation(title=HYPERLINK), world.escalation(title="-2+3"), world.escalation(title="@SUM(A1)")]


def test_formula_titles_are_neutralised_in_the_list_csv_and_xlsx(client, world, hostile):
    client.force_login(world.users["supervisor"])
    titles = {r["title"] for r in _csv_rows(client.get(reverse("reports:escalation-export", args=["csv"]),
                                                       {"view": "open"}))}
    assert titles == {"'" + HYPERLINK, "'-2+3", "'@SUM(A1)"}
    ws = load_workbook(io.BytesIO(client.get(reverse("reports:escalation-export", args=["xlsx"]),
                                             {"view": "open"}).content)).active
    cells = [row[1] for row in ws.iter_rows(min_row=2)]
    assert {c.value for c in cells} == titles
    assert all(c.data_type == "s" for c in cells)  # text, never a formula ("f")


def test_formula_titles_are_neutralised_in_the_compliance_export(client, world, hostile):
    auth = {"HTTP_AUTHORIZATION": f"Bearer {world.token('compliance', scope='read')}"}
    rows = _csv_rows(client.get("/api/v1/compliance/tenants/ACME/export.csv", **auth))
    assert {r["title"] for r in rows} == {"'" + HYPERLINK, "'-2+3", "'@SUM(A1)"}


def test_report_xlsx_never_writes_a_formula():
    from tierline.reports import exports
    from tierline.reports.charts import Chart

    data = exports.report_xlsx(HYPERLINK, [(HYPERLINK, "-2+3")], [Chart("c", "c", ["x", "=1+1"], [["+cmd", -4]])])
    wb = load_workbook(io.BytesIO(data))
    cells = [c for ws in wb for row in ws.iter_rows() for c in row if c.value is not None]
    assert all(c.data_type != "f" for c in cells)
    values = {c.value for c in cells}
    assert {"'" + HYPERLINK, "'-2+3", "'=1+1", "'+cmd", -4} <= values  # numbers stay numbers


def test_every_spreadsheet_writer_goes_through_the_shared_helper():
    """A new export that builds its own csv.writer or appends to a sheet would bypass the
    neutralising: only core/spreadsheet.py may."""
    root = Path(tierline.__file__).parent
    offenders = []
    for path in root.rglob("*.py"):
        if "tests" in path.parts or path.name == "spreadsheet.py":
            continue
        source = path.read_text()
        if re.search(r"csv\.writer\(|csv\.DictWriter\(|\b(ws|sheet)\.append\(|xlsxwriter", source):
            offenders.append(str(path.relative_to(root)))
    assert offenders == []
