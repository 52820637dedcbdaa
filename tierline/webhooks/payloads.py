"""What a subscriber receives: the event document, and its Slack and Teams renderings.

Built when the message is enqueued, inside the action's transaction, so a retry hours later
sends the same facts the event announced, not whatever the escalation looks like by then.
Only the customer's name leaves Tierline: no email, phone, description, notes or reply text.
"""

from __future__ import annotations

import json

from django.conf import settings

from tierline.audit.event_types import EventType

API_VERSION = 1

# Event data keys that carry no free text or personal data, copied through as they are.
_SAFE_DATA = ("target", "percent", "action", "trigger", "due_at", "from_level", "to_level")

_HEADLINES = {
    EventType.ESCALATED: "escalated to {team} (L{level})",
    EventType.DE_ESCALATED: "de-escalated to {team} (L{level})",
    EventType.PRIORITY_CHANGED: "priority is now {priority}",
    EventType.SLA_WARNING: "{target} SLA at {percent}%",
    EventType.SLA_BREACH: "{target} SLA breached",
    EventType.SLA_STEP: "SLA step: {target} {action}",
}


def link_path(reference: str) -> str:
    return f"/escalations/{reference}/"


def absolute_link(path: str) -> str | None:
    base = getattr(settings, "TIERLINE", {}).get("PUBLIC_BASE_URL", "")
    return base.rstrip("/") + path if base else None


def event_document(esc, event, delivery_id: str) -> dict:
    type_ = EventType(event.type)
    data = event.data or {}
    document = {
        "api_version": API_VERSION,
        "delivery_id": delivery_id,
        "tenant": esc.tenant.code,
        "event": {
            "id": event.pk,
            "seq": event.seq,
            "type": type_.code,
            "occurred_at": event.occurred_at.isoformat(),
            "changed": sorted(data.get("changes", {})),  # field names only: values may be free text
        },
        "escalation": {
            "reference": esc.reference,
            "title": esc.title,
            "status": esc.status,
            "priority": esc.priority,
            "level": esc.level,
            "team": esc.team.name if esc.team_id else None,
            "customer": esc.customer.name if esc.customer_id else None,
            "link": link_path(esc.reference),
        },
    }
    for key in _SAFE_DATA:
        if isinstance(data.get(key), str | int | float):
            document["event"][key] = data[key]
    return document


def headline(document: dict) -> str:
    esc, event = document["escalation"], document["event"]
    template = _HEADLINES.get(EventType[event["type"].upper()], event["type"].replace("_", " "))
    values = {"target": "", "percent": "", "action": "", **esc, **event}
    return template.format(**values)


def _slack_escape(text: str) -> str:
    # Slack reads <…> as links and mentions (<!channel>): user text must not be able to ping.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_message(document: dict) -> dict:
    esc = document["escalation"]
    url = absolute_link(esc["link"])
    ref = f"<{url}|{esc['reference']}>" if url else esc["reference"]
    what = _slack_escape(headline(document))
    context = " · ".join(_slack_escape(str(part)) for part in (
        document["tenant"], esc["priority"], f"L{esc['level']} {esc['team'] or '-'}",
        esc["status"].replace("_", " "), document["event"]["occurred_at"]) if part)
    return {
        "text": _slack_escape(f"{esc['reference']} {headline(document)}: {esc['title']}"),  # notification fallback
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": f"*{ref}* {what}\n{_slack_escape(esc['title'])}"}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": context}]},
        ],
    }


def teams_message(document: dict) -> dict:
    esc = document["escalation"]
    url = absolute_link(esc["link"])
    facts = [
        {"title": "Tenant", "value": document["tenant"]},
        {"title": "Priority", "value": esc["priority"]},
        {"title": "Level / team", "value": f"L{esc['level']} {esc['team'] or '-'}"},
        {"title": "Status", "value": esc["status"].replace("_", " ")},
        {"title": "Customer", "value": esc["customer"] or "-"},
        {"title": "When", "value": document["event"]["occurred_at"]},
    ]
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [
            {"type": "TextBlock", "text": f"{esc['reference']} {headline(document)}", "weight": "Bolder",
             "size": "Medium", "wrap": True},
            {"type": "TextBlock", "text": esc["title"], "wrap": True},
            {"type": "FactSet", "facts": facts},
        ],
    }
    if url:
        card["actions"] = [{"type": "Action.OpenUrl", "title": f"Open {esc['reference']}", "url": url}]
    return {"type": "message", "attachments": [
        {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}]}


RENDERERS = {"json": lambda document: document, "slack": slack_message, "teams": teams_message}


def render(format_: str, document: dict) -> dict:
    return RENDERERS[format_](document)


def encode(body: dict) -> bytes:
    """The exact bytes sent (and signed): compact, key-sorted UTF-8 JSON."""
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
