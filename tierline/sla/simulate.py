"""The policy simulator: "if an escalation started at S under this calendar and policy, what
happens when?" Runs the real clock over a synthetic, never-paused history."""

from __future__ import annotations

import datetime as dt

from tierline.audit.event_types import EventType
from tierline.calendars.spec import CalendarError, calendar_from_dict
from tierline.sla import clock_marks
from tierline.sla.policy import PolicyError, snapshot_from_dict


def simulate(calendar: dict, policy: dict, start: dt.datetime) -> list[dict]:
    """Every deadline, warning and step, in time order. Raises ValueError with the field named."""
    if start.tzinfo is None:
        raise ValueError("start: needs a time zone offset")
    try:
        zone = calendar_from_dict(calendar).zone
    except CalendarError as exc:
        raise ValueError(f"calendar.{exc}") from None
    snapshot = {**policy, "calendar": calendar, "generation": 1}
    try:
        parsed = snapshot_from_dict(snapshot)
    except PolicyError as exc:
        raise ValueError(f"policy.{exc}") from None
    if not parsed.targets:
        raise ValueError("policy.targets: set at least one target")
    events = [
        {"seq": 1, "type": int(EventType.CREATED), "occurred_at": start, "data": {"changes": {"status": [None, "new"]}}},
        {"seq": 2, "type": int(EventType.SLA_POLICY_APPLIED), "occurred_at": start, "data": {"policy": snapshot}},
    ]
    rows = []
    for mark in clock_marks.marks(events, start):
        what = {"warning": f"{mark.percent} % warning", "breach": "breach"}.get(mark.kind)
        if what is None:
            what = f"step {mark.step_index}: {mark.step.action.replace('_', ' ')}" + (
                f" (repeat {mark.repeat})" if mark.repeat else "")
        at = mark.at.astimezone(zone) if mark.at else None
        rows.append({"target": mark.target, "what": what, "at": at,
                     "at_text": at.strftime("%a %d %b %Y %H:%M %Z") if at else "—",
                     "business_elapsed": mark.threshold, "key": mark.key})
    return rows
