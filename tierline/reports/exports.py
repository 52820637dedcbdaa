"""Files out: CSV and XLSX of a report (its figures and charts) and of escalation lists, and the
PDF report a BPO sends its client (fpdf2, charts embedded as PNG)."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable

from fpdf import FPDF
from openpyxl import Workbook

from tierline.core.spreadsheet import csv_text, xlsx_append
from tierline.privacy.masking import Mask
from tierline.reports.charts import Chart

LIST_COLUMNS = ("reference", "title", "status", "priority", "type", "level", "team", "owner", "customer",
                "channel", "created_at", "acknowledged_at", "resolved_at", "closed_at", "reopen_count",
                "reassignment_count", "sla_breach_at")


def hours(seconds) -> str:
    return "–" if seconds is None else f"{seconds / 3600:.2f} h"


def pct(value) -> str:
    return "–" if value is None else f"{value:.1f} %"


def figure_rows(r: dict, names: dict | None = None) -> list[tuple[str, str]]:
    """The report as (label, value) lines: what the KPI table, the XLSX and the PDF all show."""
    names = names or {}
    rows = [
        ("Escalations created", str(r["escalations"])),
        ("Contacts handled", "–" if r["contacts"] is None else str(r["contacts"])),
        ("Escalation rate", pct(r["escalation_rate_pct"])),
    ]
    for what, key in (("acknowledge", "time_to_acknowledge"), ("resolve", "time_to_resolve")):
        for basis in ("business", "wall"):
            s = r[key][basis]
            rows.append((f"Time to {what} ({basis}): median / p90 / mean",
                         f"{hours(s['median'])} / {hours(s['p90'])} / {hours(s['mean'])} (n={s['count']})"))
    for target, s in r["sla"].items():
        rows.append((f"SLA compliance: {target.replace('_', ' ')}",
                     f"{pct(s['compliance_pct'])} ({s['met']} of {s['decided']})"))
    rows.append(("SLA breaches", str(r["breaches_total"]) + (
        " (" + ", ".join(f"{k}: {v}" for k, v in r["breaches"].items()) + ")" if r["breaches"] else "")))
    rows += [
        ("Resolved", str(r["resolved"])),
        ("First-level resolution rate", pct(r["first_level_resolution_pct"])),
        ("Reassignments per resolved escalation", "–" if r["reassignments"]["per_escalation"] is None
         else f"{r['reassignments']['per_escalation']:.2f}"),
        ("Ping-pong escalations (returned to an earlier team)", str(r["reassignments"]["ping_pong"])),
        ("Reopen rate", pct(r["reopen_rate_pct"])),
        ("Backlog (open at period end)", str(r["backlog"])),
    ]
    for label, n in r["ageing"].items():
        rows.append((f"Backlog aged {label}", str(n)))
    for lvl, t in r["time_per_level"].items():
        rows.append((f"Mean time at level {lvl} (business / wall)",
                     f"{hours(t['mean_business'])} / {hours(t['mean_wall'])}"))
    c = r["csat"]
    rows += [
        ("CSAT responses", str(c["responses"])),
        ("CSAT average (1–5)", "–" if c["average"] is None else f"{c['average']:.2f}"),
        ("NPS (from CSAT)", "–" if c["nps"] is None else f"{c['nps']:.0f}"),
    ]
    rows.append(("Compensation paid", ", ".join(f"{v} {k}" for k, v in r["compensation"].items()) or "none"))
    for customer, n in r["top_repeat_customers"]:
        rows.append((f"Repeat escalations: {names.get(customer, customer)}", str(n)))
    return rows


def report_csv(rows: list[tuple[str, str]]) -> str:
    return csv_text(["figure", "value"], rows)


def _sheet_name(text: str) -> str:
    return "".join(ch for ch in text if ch not in "[]:*?/\\")[:31]


def report_xlsx(title: str, rows: list[tuple[str, str]], charts: list[Chart] = ()) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "Figures"
    xlsx_append(ws, [title])
    xlsx_append(ws, ["figure", "value"])
    for row in rows:
        xlsx_append(ws, row)
    ws.column_dimensions["A"].width = 55
    ws.column_dimensions["B"].width = 45
    for chart in charts:
        sheet = wb.create_sheet(_sheet_name(chart.slug))
        xlsx_append(sheet, chart.columns)
        for row in chart.rows:
            xlsx_append(sheet, row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _cell(value):
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).replace(tzinfo=None)  # XLSX has no zones: UTC, said in the header
    return value


def list_rows(escalations, mask_of: Callable[[int], Mask]) -> list[list]:
    """`mask_of(tenant_id)`: what the reader may see of that tenant's customers (privacy.masking)."""
    return [[e.reference, e.title, e.status, e.priority, e.type, e.level,
             e.team.name if e.team_id else "", str(e.owner) if e.owner_id else "",
             mask_of(e.tenant_id).name(e.customer.name) if e.customer_id else "", e.channel, e.created_at, e.acknowledged_at, e.resolved_at,
             e.closed_at, e.reopen_count, e.reassignment_count, e.sla_breach_at] for e in escalations]


def list_csv(rows: list[list]) -> str:
    return csv_text(LIST_COLUMNS, rows)


def list_xlsx(rows: list[list]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "Escalations"
    xlsx_append(ws, [c + (" (UTC)" if c.endswith("_at") else "") for c in LIST_COLUMNS])
    for row in rows:
        xlsx_append(ws, [_cell(v) for v in row])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _latin(text: str) -> str:
    """fpdf2's core fonts are Latin-1: replace what they cannot draw rather than fail."""
    return (text.replace("–", "-").replace("—", "-").replace("≥", ">=").replace("…", "...").replace("•", "*")
            .encode("latin-1", "replace").decode("latin-1"))


def report_pdf(*, tenant_name: str, period_label: str, rows: list[tuple[str, str]], charts: list[Chart],
               generated_at: dt.datetime) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, _latin(f"Escalation report - {tenant_name}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    pdf.cell(0, 6, _latin(f"Period: {period_label}"), new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 6, _latin(f"Generated {generated_at.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC from the audited "
                          "event log"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font("Helvetica", "", 9)
    with pdf.table(col_widths=(60, 40), text_align=("LEFT", "LEFT")) as table:
        header = table.row()
        header.cell("Figure")
        header.cell("Value")
        for label, value in rows:
            row = table.row()
            row.cell(_latin(label))
            row.cell(_latin(value))
    for chart in charts:
        if pdf.get_y() > 200:
            pdf.add_page()
        pdf.ln(4)
        pdf.image(io.BytesIO(chart.png()), w=180)
    return bytes(pdf.output())


PDF_LIMIT = 2000  # a PDF is read by people: beyond this, the CSV or XLSX
PDF_COLUMNS = (("Reference", 22, 0), ("Title", 62, 1), ("Status", 22, 2), ("Priority", 14, 3), ("Level", 10, 5),
               ("Team", 30, 6), ("Customer", 30, 8), ("Created (UTC)", 28, 10))


def list_pdf(rows: list[list], *, total: int, generated_at: dt.datetime) -> bytes:
    """The escalation list as a landscape table (the same rows as list_csv, fewer columns)."""
    pdf = FPDF(format="A4", orientation="landscape")
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 9, "Escalations", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9)
    shown = f"{len(rows)} escalation{'s' if len(rows) != 1 else ''}" + (
        f" (the first {len(rows)} of {total}; the CSV and XLSX hold them all)" if total > len(rows) else "")
    pdf.cell(0, 6, _latin(f"{shown}. Generated {generated_at.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC."),
             new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("Helvetica", "", 7)
    with pdf.table(col_widths=tuple(w for _, w, _ in PDF_COLUMNS), text_align="LEFT") as table:
        header = table.row()
        for label, _, _ in PDF_COLUMNS:
            header.cell(label)
        for row in rows:
            line = table.row()
            for _, _, index in PDF_COLUMNS:
                value = row[index]
                if isinstance(value, dt.datetime):
                    value = f"{value.astimezone(dt.UTC):%Y-%m-%d %H:%M}"
                line.cell(_latin("" if value is None else str(value)))
    return bytes(pdf.output())
