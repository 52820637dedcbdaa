"""Escalations as plain dicts, for the API and for exports. Callers prefetch (see queries.py)."""

from __future__ import annotations

from tierline.audit.event_types import EventType
from tierline.escalations import states
from tierline.privacy.masking import NO_MASK, Mask


def user_ref(user) -> dict | None:
    if user is None:
        return None
    return {"id": user.pk, "username": user.username, "name": str(user)}


def escalation_dict(esc, mask: Mask = NO_MASK) -> dict:
    shown = mask.customer(esc.customer) if esc.customer_id else None
    return {
        "id": esc.pk, "reference": esc.reference, "tenant": esc.tenant.code, "title": esc.title,
        "description": esc.description, "type": esc.type, "trigger": esc.trigger, "priority": esc.priority,
        "level": esc.level, "team": {"id": esc.team.pk, "name": esc.team.name, "level": esc.team.level},
        "owner": user_ref(esc.owner), "status": esc.status,
        "customer": {"id": shown["id"], "name": shown["name"], "tier": shown["tier"]} if shown else None,
        "channel": esc.channel, "external_id": esc.external_id,
        "resolution_summary": esc.resolution_summary, "resolution_code": esc.resolution_code,
        "root_cause_category": esc.root_cause_category, "compensation_amount": esc.compensation_amount,
        "compensation_currency": esc.compensation_currency, "csat_score": esc.csat_score,
        "tags": list(esc.tags), "custom_fields": esc.custom_fields,
        "merged_into": esc.merged_into.reference if esc.merged_into_id else None,
        "created_at": esc.created_at, "updated_at": esc.updated_at, "acknowledged_at": esc.acknowledged_at,
        "resolved_at": esc.resolved_at, "closed_at": esc.closed_at, "reopen_count": esc.reopen_count,
        "reassignment_count": esc.reassignment_count, "version": esc.version,
        "matrix_version": esc.matrix_version, "routing_rule": esc.routing_rule,
        "allowed_moves": states.allowed_moves(esc.status),
    }


def event_dict(event, mask: Mask = NO_MASK) -> dict:
    return {
        "seq": event.seq, "type": EventType(event.type).code, "type_id": event.type,
        "occurred_at": event.occurred_at,
        "actor": {"kind": event.actor_kind, "label": event.actor_label, "user": event.actor_user_id},
        "data": mask.event_data(event.data, event.actor_kind), "hash": event.hash,
    }


def detail_dict(esc, events, links_out, links_in, attachments, watchers, mask: Mask = NO_MASK) -> dict:
    data = escalation_dict(esc, mask)
    data["watchers"] = [user_ref(w.user) for w in watchers]
    data["links"] = (
        [{"kind": ln.kind, "direction": "out", "reference": ln.target.reference, "title": ln.target.title,
          "status": ln.target.status} for ln in links_out]
        + [{"kind": ln.kind, "direction": "in", "reference": ln.source.reference, "title": ln.source.title,
            "status": ln.source.status} for ln in links_in]
    )
    data["attachments"] = [
        {"id": a.pk, "filename": a.filename, "content_type": a.content_type, "size": a.size, "sha256": a.sha256,
         "uploaded_at": a.uploaded_at} for a in attachments
    ]
    data["timeline"] = [event_dict(e, mask) for e in events]
    return data
