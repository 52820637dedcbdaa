"""SLA clocks as people read them: "due Mon 11:00 — 3 h 10 min of business time left"."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from tierline.sla import clock

LABELS = {"acknowledgement": "Acknowledge", "first_response": "First response", "update": "Customer update",
          "resolution": "Resolve"}


def human(delta: dt.timedelta) -> str:
    minutes = int(abs(delta.total_seconds()) // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = ([f"{days} d"] if days else []) + ([f"{hours} h"] if hours else []) + [f"{mins} min"]
    return " ".join(parts[:2])


def sla_rows(events, now: dt.datetime, tz: str = "UTC") -> list[dict]:
    """One row per measured target, from the escalation's already-loaded events (rows or dicts)."""
    dicts = [e if isinstance(e, dict) else {"seq": e.seq, "type": e.type, "occurred_at": e.occurred_at, "data": e.data}
             for e in events]
    report = clock.evaluate(dicts, now)
    zone = ZoneInfo(tz)
    rows = []
    for name, ts in report.targets.items():
        deadline = ts.deadline.astimezone(zone) if ts.deadline else None
        when = deadline.strftime("%a %d %b %H:%M") if deadline else ""
        if ts.phase == "met":
            text = f"met {ts.met_at.astimezone(zone):%a %d %b %H:%M}" + (" (late)" if ts.breached else "")
        elif ts.breached:
            text = f"breached {when} — {human(-ts.remaining)} of business time over"
        elif ts.phase == "paused":
            text = f"paused — {human(ts.remaining)} of business time left"
        elif ts.phase == "running":
            text = f"due {when} — {human(ts.remaining)} of business time left"
        else:
            text = ts.phase
        level = "breached" if ts.breached else ("risk" if ts.percent >= 75 and ts.phase == "running" else "ok")
        rows.append({"name": name, "label": LABELS.get(name, name), "text": text, "level": level,
                     "percent": round(ts.percent)})
    return rows
