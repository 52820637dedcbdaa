"""The documented template context: the only names and fields a template may use.

Pure (no Django): the static check, the admin's variable list, the preview and docs/templates.md
all read these tables, so what is documented, what is checked and what is built cannot drift apart.
"""

from __future__ import annotations

# object name -> {field: what it holds}. Every value is a plain string or int; nothing callable.
OBJECTS: dict[str, dict[str, str]] = {
    "escalation": {
        "reference": "the escalation reference, e.g. ACME-2026-000123",
        "title": "the escalation title",
        "status": "status label, e.g. 'In progress'",
        "status_code": "stable status code, e.g. 'in_progress' (for {% if %} tests)",
        "priority": "priority label, e.g. 'P1 critical'",
        "priority_code": "stable priority code: P1, P2, P3 or P4",
        "level": "current level as a number, 1 (frontline) … 5 (executive)",
        "team": "name of the team working on it",
        "type": "type label, e.g. 'Billing / payment'",
        "created_at": "when it was raised, 'YYYY-MM-DD HH:MM TZ' in the client's time zone",
        "resolution_summary": "the resolution summary ('' until resolved)",
        "latest_public_reply": "the most recent public reply to the customer ('' if none)",
    },
    "customer": {
        "name": "the customer's full name ('' if the escalation has no customer)",
        "first_name": "the first word of the customer's name",
        "language": "the customer's language code, e.g. 'pt-BR'",
    },
    "owner": {
        "name": "the owner's first and last name, or username ('' when unassigned)",
        "first_name": "the owner's first name (or username; '' when unassigned)",
    },
    "tenant": {
        "name": "the client company's name",
    },
    "sla": {
        "next_deadline": "the next SLA moment, 'YYYY-MM-DD HH:MM TZ' ('' when none is running)",
        "acknowledgement": "acknowledgement target as text, e.g. 'met Mon 02 Mar 09:40' ('' if not measured)",
        "first_response": "first-response target as text ('' if not measured)",
        "update": "customer-update cadence target as text ('' if not measured)",
        "resolution": "resolution target as text, e.g. 'due Mon 02 Mar 17:30 — 8 h of business time left'",
    },
}

SCALARS: dict[str, str] = {
    "status_page_url": "link to the customer's status page ('' when there is none)",
    "now": "the moment of sending, 'YYYY-MM-DD HH:MM TZ' in the client's time zone",
}

ROOT_NAMES = frozenset(OBJECTS) | frozenset(SCALARS)

# A fixed, believable escalation for the admin preview and for checking templates at save time:
# no database row is needed, and every field is non-empty so every branch shows something.
SAMPLE_CONTEXT: dict = {
    "escalation": {
        "reference": "ACME-2026-000123",
        "title": "Intermittent loss of broadband service",
        "status": "In progress",
        "status_code": "in_progress",
        "priority": "P2 high",
        "priority_code": "P2",
        "level": 2,
        "team": "Technical support L2",
        "type": "Technical",
        "created_at": "2026-03-02 09:30 CET",
        "resolution_summary": "We replaced the faulty line card at your local exchange.\nService is stable again.",
        "latest_public_reply": "Our engineers have identified the faulty equipment and a fix is scheduled.",
    },
    "customer": {"name": "Dana Example", "first_name": "Dana", "language": "en"},
    "owner": {"name": "Sam Rivera", "first_name": "Sam"},
    "tenant": {"name": "Acme Telecom"},
    "sla": {
        "next_deadline": "2026-03-02 15:30 CET",
        "acknowledgement": "met Mon 02 Mar 09:40",
        "first_response": "met Mon 02 Mar 10:05",
        "update": "due Mon 02 Mar 13:05 — 2 h 10 min of business time left",
        "resolution": "due Mon 02 Mar 17:30 — 6 h 35 min of business time left",
    },
    "status_page_url": "https://status.example.com/s/7f3c9a",
    "now": "2026-03-02 10:55 CET",
}


def variable_names() -> list[str]:
    """Every usable expression, e.g. 'escalation.reference', in documentation order."""
    names = [f"{obj}.{name}" for obj, fields in OBJECTS.items() for name in fields]
    return names + list(SCALARS)
