"""The Django side of the KPIs: pick the escalations a filter can touch, load their events, and
hand them to the pure engine (kpi.py); import contact volumes."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from dataclasses import dataclass, fields

from django.db import transaction
from django.db.models import Q, Sum

from tierline.audit.models import Event
from tierline.core.errors import InvalidInput
from tierline.core.inputs import date_problem, parse_int
from tierline.escalations.choices import Channel
from tierline.escalations.models import OPEN_STATUSES, Escalation
from tierline.reports import kpi
from tierline.reports.models import ContactVolume
from tierline.tenancy.models import Customer

CHUNK = 500


@dataclass
class ReportFilter:
    tenant_id: int
    start: dt.datetime
    end: dt.datetime
    type: str | None = None
    level: int | None = None
    team: int | None = None
    agent: int | None = None
    tier: str | None = None
    channel: str | None = None
    grain: str = "week"

    def dims(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)
                if f.name in ("type", "level", "team", "agent", "tier", "channel") and getattr(self, f.name) not in (None, "")}


def matches(f: kpi.EscalationFacts, flt: ReportFilter) -> bool:
    wanted = flt.dims()
    have = {"type": f.type, "level": f.level, "team": f.team, "agent": f.owner, "tier": f.tier, "channel": f.channel}
    return all(have[k] == v for k, v in wanted.items())


def event_dicts_for(ids: list[int]) -> dict[int, list[dict]]:
    out: dict[int, list[dict]] = defaultdict(list)
    for i in range(0, len(ids), CHUNK):
        rows = (Event.objects.filter(escalation_id__in=ids[i:i + CHUNK]).order_by("escalation_id", "seq")
                .values_list("escalation_id", "seq", "type", "occurred_at", "data"))
        for esc_id, seq, typ, at, data in rows:
            out[esc_id].append({"seq": seq, "type": typ, "occurred_at": at, "data": data})
    return out


def candidate_ids(flt: ReportFilter) -> list[int]:
    """Escalations that existed before the end and either changed since the start or are open:
    every other one was finished before the period and contributes nothing to it."""
    qs = Escalation.objects.filter(tenant_id=flt.tenant_id, created_at__lt=flt.end).filter(
        Q(updated_at__gte=flt.start) | Q(status__in=OPEN_STATUSES))
    return list(qs.order_by("id").values_list("id", flat=True))


def load_facts(flt: ReportFilter, *, now: dt.datetime) -> list[kpi.EscalationFacts]:
    as_of = min(flt.end, now)
    tiers = dict(Customer.objects.filter(tenant_id=flt.tenant_id).values_list("id", "tier"))
    ids = candidate_ids(flt)
    out = []
    for i in range(0, len(ids), CHUNK):
        logs = event_dicts_for(ids[i:i + CHUNK])
        for esc_id in ids[i:i + CHUNK]:
            f = kpi.facts(esc_id, logs.get(esc_id, ()), as_of, tiers=tiers, period=(flt.start, flt.end))
            if f is not None and matches(f, flt):
                out.append(f)
    return out


def contacts(flt: ReportFilter) -> int | None:
    qs = ContactVolume.objects.filter(tenant_id=flt.tenant_id, date__gte=flt.start.date(), date__lt=flt.end.date())
    if flt.channel:
        qs = qs.filter(channel=flt.channel)
    total = qs.aggregate(n=Sum("count"))["n"]
    return total


def report(flt: ReportFilter, *, now: dt.datetime) -> dict:
    """Every KPI for the filter, as of min(end, now)."""
    return kpi.compute(load_facts(flt, now=now), flt.start, flt.end, contacts=contacts(flt), grain=flt.grain)


# --- contact volumes --------------------------------------------------------------------------

def _parse_row(row: dict, line: int) -> tuple[dt.date, str, int]:
    where = f"line {line}"
    try:
        day = dt.date.fromisoformat((row.get("date") or "").strip())
        if date_problem(day):
            raise ValueError(date_problem(day))
    except ValueError:
        raise InvalidInput(f"{where}: date must be YYYY-MM-DD", fields={f"{where}.date": "YYYY-MM-DD"})
    channel = (row.get("channel") or "").strip().lower()
    if channel not in Channel.values:
        raise InvalidInput(f"{where}: channel must be one of {', '.join(Channel.values)}",
                           fields={f"{where}.channel": "invalid choice"})
    raw = (row.get("count") or "").strip()
    count = parse_int(raw, lo=0, hi=100_000_000)
    if count is None:
        raise InvalidInput(f"{where}: count must be a whole number from 0 to 100,000,000",
                           fields={f"{where}.count": "not a number"})
    return day, channel, count


def import_contacts(tenant_id: int, rows, *, progress=None) -> dict:
    """Upsert (date, channel) → count; a later row for the same day and channel replaces the count.
    All rows or none: a bad row refuses the whole import with its line number."""
    parsed = [_parse_row(r, i) for i, r in enumerate(rows, start=2)]
    created = updated = 0
    with transaction.atomic():
        for n, (day, channel, count) in enumerate(parsed, start=1):
            _, was_created = ContactVolume.objects.update_or_create(
                tenant_id=tenant_id, date=day, channel=channel, defaults={"count": count})
            created += was_created
            updated += not was_created
            if progress is not None:
                progress(n, len(parsed))
    return {"rows": len(parsed), "created": created, "updated": updated}


def read_contacts_csv(text: str) -> list[dict]:
    reader = csv.DictReader(io.StringIO(text))
    missing = {"date", "channel", "count"} - set(reader.fieldnames or ())
    if missing:
        raise InvalidInput(f"the CSV needs the columns date, channel, count (missing: {', '.join(sorted(missing))})",
                           fields={"file": "missing columns"})
    return list(reader)
