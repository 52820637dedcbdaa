"""The template context: plain dicts of display strings built from an escalation.

Templates never see a model instance. Copying exactly the documented fields (schema.OBJECTS)
into dicts means a template cannot reach the description, internal notes, custom fields, the
owner's e-mail or any relation, whatever the sandbox would or would not allow.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tierline.audit.event_types import EventType
from tierline.audit.models import Event
from tierline.privacy.keys import open_rows
from tierline.sla.display import sla_rows
from tierline.templating.schema import OBJECTS


def _zone(name: str) -> tuple[str, ZoneInfo]:
    try:
        return name, ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return "UTC", ZoneInfo("UTC")


def format_moment(moment: dt.datetime | None, zone: ZoneInfo) -> str:
    # Numeric dates read the same in every language; the zone abbreviation avoids ambiguity.
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z") if moment else ""


def _owner(user) -> dict:
    if user is None:
        return {"name": "", "first_name": ""}
    full = f"{user.first_name} {user.last_name}".strip()
    return {"name": full or user.username, "first_name": user.first_name.strip() or user.username}


def _customer(customer, tenant) -> dict:
    if customer is None:
        return {"name": "", "first_name": "", "language": tenant.default_language}
    name = customer.name.strip()
    return {"name": name, "first_name": name.split()[0] if name else "", "language": customer.language}


def build_context(escalation, *, now: dt.datetime, status_link: str | None = None,
                  events: list[dict] | None = None) -> dict:
    """The documented context (docs/templates.md) for one escalation, as of `now`. `events`: its
    log as dicts (seq, type, occurred_at, data) when the caller already holds it."""
    esc = escalation
    tenant = esc.tenant
    zone_name, zone = _zone(tenant.time_zone or "UTC")
    if events is None:
        events = [{"seq": e.seq, "type": e.type, "occurred_at": e.occurred_at, "data": e.data}
                  for e in Event.objects.filter(escalation=esc).order_by("seq")]
    sla = {name: "" for name in OBJECTS["sla"]}
    if events:
        for row in sla_rows(events, now, zone_name):
            if row["name"] in sla:
                sla[row["name"]] = row["text"]
    sla["next_deadline"] = format_moment(esc.next_deadline, zone)
    replies = [e for e in events if e["type"] == EventType.PUBLIC_REPLY]
    if replies:
        # A log the caller held may carry the customer's text sealed (tierline/privacy): open the
        # one reply the template shows (one key read, only when it is sealed).
        replies[-1] = open_rows([replies[-1]])[0]
    return {
        "escalation": {
            "reference": esc.reference,
            "title": esc.title,
            "status": esc.get_status_display(),
            "status_code": esc.status,
            "priority": esc.get_priority_display(),
            "priority_code": esc.priority,
            "level": esc.level,
            "team": esc.team.name,
            "type": esc.get_type_display(),
            "created_at": format_moment(esc.created_at, zone),
            "resolution_summary": esc.resolution_summary,
            "latest_public_reply": str(replies[-1]["data"].get("body", "")) if replies else "",
        },
        "customer": _customer(esc.customer, tenant),
        "owner": _owner(esc.owner),
        "tenant": {"name": tenant.name},
        "sla": sla,
        "status_page_url": status_link or "",
        "now": format_moment(now, zone),
    }
