"""Every CSV and XLSX the product writes goes through here, so that no cell runs as a formula.

A spreadsheet treats a cell starting with = + - @ (or a tab or carriage return, which some
strip before parsing) as a formula: `=HYPERLINK("http://x","y")` in an escalation title would
become a live link, `-2+3` a sum. Text cells are neutralised the way OWASP recommends — a single
quote in front — and XLSX cells are typed as strings explicitly, never as formulas. Numbers and
dates stay numbers and dates.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable
from typing import Any

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """A text value that a spreadsheet could take for a formula, quoted; anything else unchanged."""
    if isinstance(value, str) and value.startswith(TRIGGERS):
        return "'" + value
    return value


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, bool | int | float):
        return value
    return neutralise(str(value))


def csv_text(header: Iterable[Any] | None, rows: Iterable[Iterable[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    if header is not None:
        writer.writerow([_csv_value(v) for v in header])
    writer.writerows([_csv_value(v) for v in row] for row in rows)
    return out.getvalue()


def xlsx_append(sheet, row: Iterable[Any]) -> None:
    """Append a row to an openpyxl worksheet: text neutralised and stored as a string cell."""
    sheet.append([neutralise(v) for v in row])
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"  # openpyxl would type a leading "=" as a formula
