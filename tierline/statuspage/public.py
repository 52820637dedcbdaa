"""What the customer may see of an escalation, and nothing else.

An allow-list, not a filter: an event type appears only if it is named here, and only with the
words written here, so internal notes, routing reasons, SLA internals, approvals, tags, staff
usernames and any event type added later stay off the page unless someone decides otherwise.
"""

from __future__ import annotations

import datetime as dt

from tierline.accounts.models import User
from tierline.audit.event_types import EventType as T
from tierline.sla import clock
from tierline.tenancy.models import Team

# In the customer's words rather than the desk's.
STATUS_LABELS = {
    "new": "Received", "acknowledged": "Acknowledged", "in_progress": "In progress",
    "pending_customer": "Waiting for your reply", "pending_third_party": "Waiting for a third party",
    "resolved": "Resolved", "reopened": "Reopened", "closed": "Closed", "cancelled": "Cancelled",
}
SUPPORT = "Support team"


def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status.replace("_", " ").capitalize())


def first_name(user) -> str:
    return (getattr(user, "first_name", "") or "").strip() or SUPPORT


class _Lookup:
    """Staff first names and team names for the events, two queries for the whole page."""

    def __init__(self, esc, events):
        user_ids = {e.actor_user_id for e in events if e.actor_user_id}
        team_ids = {e.data.get("to_team") for e in events if e.type == T.ESCALATED} - {None}
        self.users = {u.pk: u for u in User.objects.filter(pk__in=user_ids).only("pk", "first_name")}
        self.teams = dict(Team.objects.filter(tenant_id=esc.tenant_id, pk__in=team_ids).values_list("pk", "name"))

    def who(self, ev) -> str:
        if ev.actor_kind == "customer":
            return "You"
        if ev.actor_user_id:
            return first_name(self.users.get(ev.actor_user_id))
        return SUPPORT


def _entry(ev, names: _Lookup) -> tuple[str, str] | None:
    """(headline, body) for one event, or None to leave it off the page."""
    d = ev.data or {}
    status = (d.get("changes") or {}).get("status")
    from_customer = ev.actor_kind == "customer" or d.get("from") == "customer"
    if ev.type == T.CREATED:
        return "Case opened", ""
    if ev.type == T.PUBLIC_REPLY:
        return ("You wrote" if from_customer else "Reply from support"), d.get("body", "")
    if ev.type == T.ESCALATED:
        team = names.teams.get(d.get("to_team"))
        return (f"Escalated to {team}" if team else "Escalated"), ""
    if ev.type == T.RESOLVED:
        return "Resolved", ((d.get("changes") or {}).get("resolution_summary") or [None, ""])[1] or ""
    if ev.type == T.CSAT_RECEIVED:
        return f"Rated {d.get('score')} out of 5", d.get("comment", "")
    if ev.type == T.ATTACHMENT_ADDED and from_customer:
        return f"You attached {d.get('filename', 'a file')}", ""
    if ev.type == T.CLIENT_ESCALATION_REQUESTED and ev.actor_kind == "customer":
        return "You asked us to escalate this case", ""
    if ev.type == T.MERGED_INTO:
        return "Closed — handled together with a related case", ""
    if status and status[1]:
        # Status moves however they were made (acknowledge, reopen, close …), never their reasons.
        return f"Status: {status_label(status[1])}", ""
    return None


def public_timeline(esc, events) -> list[dict]:
    names = _Lookup(esc, events)
    entries = []
    for ev in events:
        described = _entry(ev, names)
        if described is None:
            continue
        text, body = described
        entries.append({"seq": ev.seq, "at": ev.occurred_at, "who": names.who(ev), "text": text, "body": body,
                        "mine": ev.actor_kind == "customer"})
    return entries


def next_update(esc, events, now: dt.datetime) -> dict | None:
    """When the customer should next hear from us: the update cadence, else the resolution target."""
    if not esc.is_open or not esc.sla_generation:
        return None
    dicts = [{"seq": e.seq, "type": e.type, "occurred_at": e.occurred_at, "data": e.data} for e in events]
    targets = clock.evaluate(dicts, now).targets
    for name, label in (("update", "Next update due"), ("resolution", "Resolution due")):
        ts = targets.get(name)
        if ts is None or ts.phase not in ("running", "paused"):
            continue
        if ts.phase == "paused":
            text = ("once you reply" if esc.status == "pending_customer"
                    else "on hold while we wait for a third party")
        elif ts.breached:
            text = "we are behind our target; your case is being chased"
        else:
            text = f"by {ts.deadline.astimezone(dt.UTC):%a %d %b %Y, %H:%M} UTC"
        return {"label": label, "text": text, "breached": ts.breached}
    return None
