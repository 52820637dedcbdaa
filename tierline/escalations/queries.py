"""Reading escalations: filtered, tenant-scoped lists with keyset pagination, and detail loads.

Shared by the API and the UI so both show the same thing for the same filters.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from django.db.models import Q

from tierline.audit.models import Event
from tierline.core.actors import Actor
from tierline.core.compiled import fetch_instances
from tierline.core.errors import InvalidInput
from tierline.escalations.models import OPEN_STATUSES, Attachment, Escalation, Link, Watcher
from tierline.privacy.keys import open_events
from tierline.tenancy.scoping import get_scoped, scoped

LIST_RELATED = ("tenant", "team", "owner", "customer", "merged_into")


@dataclass
class ListFilters:
    status: list[str] | None = None  # values, or ["open"] for every open status
    level: int | None = None
    team: int | None = None
    owner: int | None = None
    unassigned: bool = False
    type: str | None = None
    priority: str | None = None
    customer: int | None = None
    tenant: str | None = None
    created_after: object = None
    created_before: object = None
    updated_after: object = None
    updated_before: object = None
    q: str | None = None


def encode_cursor(pk: int) -> str:
    return base64.urlsafe_b64encode(f"id:{pk}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, value = raw.split(":", 1)
        if kind != "id":
            raise ValueError
        return int(value)
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise InvalidInput("cursor is not valid; use next_cursor from a previous page", fields={"cursor": "invalid"})


def filtered(actor: Actor, f: ListFilters):
    qs = scoped(Escalation.objects.all(), actor)
    if f.status:
        statuses = set()
        for s in f.status:
            statuses |= set(OPEN_STATUSES) if s == "open" else {s}
        qs = qs.filter(status__in=sorted(statuses))
    if f.level is not None:
        qs = qs.filter(level=f.level)
    if f.team is not None:
        qs = qs.filter(team_id=f.team)
    if f.owner is not None:
        qs = qs.filter(owner_id=f.owner)
    if f.unassigned:
        qs = qs.filter(owner__isnull=True)
    if f.type:
        qs = qs.filter(type=f.type)
    if f.priority:
        qs = qs.filter(priority=f.priority)
    if f.customer is not None:
        qs = qs.filter(customer_id=f.customer)
    if f.tenant:
        qs = qs.filter(tenant__code=f.tenant)
    if f.created_after:
        qs = qs.filter(created_at__gte=f.created_after)
    if f.created_before:
        qs = qs.filter(created_at__lt=f.created_before)
    if f.updated_after:
        qs = qs.filter(updated_at__gte=f.updated_after)
    if f.updated_before:
        qs = qs.filter(updated_at__lt=f.updated_before)
    if f.q:
        term = f.q.strip()[:200]
        qs = qs.filter(Q(title__icontains=term) | Q(description__icontains=term) | Q(reference__iexact=term)
                       | Q(external_id__iexact=term))
    return qs


def page(actor: Actor, f: ListFilters, *, cursor: str | None = None, limit: int = 50):
    qs = filtered(actor, f).select_related(*LIST_RELATED).order_by("-id")
    if cursor:
        qs = qs.filter(id__lt=decode_cursor(cursor))
    rows = list(qs[: limit + 1])
    next_cursor = encode_cursor(rows[limit - 1].pk) if len(rows) > limit else None
    return rows[:limit], next_cursor


def get_escalation(actor: Actor, reference: str) -> Escalation:
    return get_scoped(Escalation.objects.select_related(*LIST_RELATED), actor, reference=reference)


def load_detail(esc: Escalation):
    """Everything the detail view shows, in a fixed number of queries. Every API detail and
    every action's answer runs these five, so they are compiled once (core/compiled.py)."""

    events = fetch_instances("detail_events", lambda: Event.objects.filter(escalation=0).order_by("seq"), [esc.pk])
    open_events(events)  # what Event's queryset does on load: customer text opened (or "[erased]")
    links_out = fetch_instances("detail_links_out", lambda: Link.objects.filter(source=0).select_related("target"),
                                [esc.pk])
    links_in = fetch_instances("detail_links_in", lambda: Link.objects.filter(target=0).select_related("source"),
                               [esc.pk])
    attachments = fetch_instances("detail_attachments", lambda: Attachment.objects.filter(escalation=0)
                                  .order_by("uploaded_at"), [esc.pk])
    watchers = fetch_instances("detail_watchers", lambda: Watcher.objects.filter(escalation=0).select_related("user"),
                               [esc.pk])
    return events, links_out, links_in, attachments, watchers
