"""The evidence record as a PDF people can read. No Django: rendered from record.json alone.

Uncompressed on purpose: the checker (bundle_check.check_pdf) finds the record's sha256 in
the metadata and every event's hash in the page text without a PDF parser.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping

from fpdf import FPDF

_W = 0  # full width


def _latin(text) -> str:
    # Core PDF fonts are Latin-1; anything else is shown as "?" rather than failing the export.
    return str(text).encode("latin-1", "replace").decode("latin-1")


class _Doc(FPDF):
    reference = ""

    def footer(self):
        self.set_y(-12)
        self.set_font("Helvetica", size=7)
        self.cell(_W, 6, _latin(f"Evidence record {self.reference} - page {self.page_no()}/{{nb}}"), align="C")


def render(record: Mapping, record_sha256: str) -> bytes:
    esc = record["escalation"]
    pdf = _Doc(format="A4")
    pdf.reference = esc.get("reference", "")
    pdf.set_compression(False)
    generated = dt.datetime.fromisoformat(record["generated_at"])
    pdf.set_creation_date(generated)
    pdf.set_title(_latin(f"Evidence record {esc.get('reference')}"))
    pdf.set_creator("Tierline")
    pdf.set_keywords(f"record-sha256:{record_sha256}")
    pdf.alias_nb_pages()
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()

    def heading(text):
        pdf.ln(2)
        pdf.set_font("Helvetica", "B", 11)
        pdf.multi_cell(_W, 6, _latin(text), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=8)

    def line(text, mono=False):
        pdf.set_font("Courier" if mono else "Helvetica", size=7 if mono else 8)
        pdf.multi_cell(_W, 4, _latin(text), new_x="LMARGIN", new_y="NEXT")

    pdf.set_font("Helvetica", "B", 14)
    pdf.multi_cell(_W, 8, _latin(f"{esc.get('reference')} - {esc.get('title')}"), new_x="LMARGIN", new_y="NEXT")
    line(f"Tenant {record['tenant']['code']} ({record['tenant']['name']}). Generated {record['generated_at']} "
         f"by {record['generated_by']}. Signing key {record['installation']['key_id']}.")
    line(f"record.json sha256: {record_sha256}", mono=True)

    heading("Escalation")
    for key in ("status", "type", "priority", "level", "channel", "created_at", "resolved_at", "closed_at",
                "resolution_code", "resolution_summary", "root_cause_category"):
        if esc.get(key) not in (None, ""):
            line(f"{key.replace('_', ' ')}: {esc[key]}")
    if esc.get("description"):
        line(f"description: {esc['description']}")

    heading(f"Events ({len(record['events'])}) - tenant chain positions {record['chain'].get('first_seq')}"
            f"..{record['chain'].get('last_seq')}")
    for ev in record["events"]:
        pdf.set_font("Helvetica", "B", 8)
        pdf.multi_cell(_W, 4, _latin(f"#{ev['seq']} {ev['occurred_at']} {ev['type_code']} by {ev['actor']['label']}"),
                       new_x="LMARGIN", new_y="NEXT")
        data = json.dumps(ev["data"], ensure_ascii=False, sort_keys=True)
        line(data[:1500] + (" ..." if len(data) > 1500 else ""))
        line(f"prev {ev['prev_hash']}", mono=True)
        line(f"hash {ev['hash']}", mono=True)

    if record.get("attachments"):
        heading("Attachments")
        for a in record["attachments"]:
            line(f"{a['filename']} ({a['size']} bytes, {a['content_type']}), uploaded {a['uploaded_at']}")
            line(f"sha256 {a['sha256']}", mono=True)
    if record.get("sla"):
        heading("SLA")
        for t in record["sla"]:
            line(f"{t['target']}: {t['state']}, elapsed {t['elapsed_seconds']} s of {t['target_seconds']} s"
                 + (f", deadline {t['deadline']}" if t.get("deadline") else ""))
            for s in t["segments"]:
                line(f"    {s['start']} -> {s['end']} {s['kind']} ({s['business_seconds']} s business)")
    heading(f"Access log ({len(record['access_log'])} reads)")
    for a in record["access_log"]:
        who = a["user"]["username"] if a.get("user") else "?"
        line(f"{a['at']} {who} via {a['channel']}" + (f" (token {a['token']})" if a.get("token") else ""))
    return bytes(pdf.output())
