"""Signed evidence bundles: one escalation's complete record (JSON + PDF + Ed25519 signature).

`bundle(esc, actor, now)` returns the zip's bytes; `export(escalations, actor, now)` packs several
bundles with a signed index. What is inside, and how a third party checks it: bundle_check.py.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile

from tierline.accounts.permissions import Perm
from tierline.audit import access, signing
from tierline.audit.bundle_check import BUNDLE_FORMAT, EXPORT_FORMAT, sha256
from tierline.audit.evidence_pdf import render
from tierline.audit.models import AccessChannel, ChainHead, EscalationAccess, Event
from tierline.core.actors import Actor
from tierline.core.canonical import dumps, jsonable
from tierline.core.errors import InvalidInput, NotFound
from tierline.escalations import queries
from tierline.escalations.models import Escalation
from tierline.escalations.serializers import escalation_dict
from tierline.sla import clock
from tierline.tenancy import scoping

# Links (seq, prev_hash, hash) of other escalations' events between this one's first and last
# event. Past this many the bundle says how many were left out (a long-lived escalation in a
# busy tenant) and the checker tells the reader that continuity was checked between neighbours.
MAX_LINKS = 200_000
MAX_EXPORT = 500
_NOTES = {300: "internal_note", 301: "public_reply"}

README = """Tierline evidence bundle.

Check it with:  tierline audit check-bundle THIS.zip --public-key installation.pem
(or: python -m tierline.audit.bundle_check THIS.zip). The checker verifies the Ed25519 signature
of manifest.json, the sha256 of record.json and record.pdf, that every event re-hashes to its
recorded hash, that the events join up in the tenant's hash chain, and that the PDF renders
this JSON. Confirm the key id against the installation's published key
(GET /api/v1/audit/public-key).
"""


def require(actor: Actor, tenant_id: int) -> None:
    # The record includes the access log (audit) and leaves the system (export).
    scoping.check(actor, Perm.READ_AUDIT, tenant_id)
    scoping.check(actor, Perm.EXPORT, tenant_id)


def _sla(events, now) -> list[dict]:
    dicts = [{"seq": e.seq, "type": e.type, "occurred_at": e.occurred_at, "data": e.data} for e in events]
    report = clock.evaluate(dicts, now)
    return [{
        "target": name, "state": ts.state, "target_seconds": int(ts.target.total_seconds()),
        "elapsed_seconds": int(ts.elapsed.total_seconds()), "deadline": ts.deadline, "met_at": ts.met_at,
        "segments": [{"start": s.start, "end": s.end, "kind": s.kind, "business_seconds": int(s.business_seconds)}
                     for s in ts.segments],
    } for name, ts in report.targets.items()]


def _links(tenant_id: int, esc_id: int, first: int, last: int) -> tuple[list, int]:
    others = Event.objects.filter(tenant_id=tenant_id, seq__gt=first, seq__lt=last).exclude(escalation_id=esc_id)
    count = others.count()
    if count > MAX_LINKS:
        return [], count
    return [list(r) for r in others.order_by("seq").values_list("seq", "prev_hash", "hash")], 0


def record(esc, actor: Actor, now: dt.datetime) -> dict:
    events = list(Event.objects.filter(escalation=esc).order_by("seq"))
    _, links_out, links_in, attachments, watchers = queries.load_detail(esc)
    first, last = (events[0].seq, events[-1].seq) if events else (None, None)
    links, omitted = _links(esc.tenant_id, esc.pk, first, last) if events else ([], 0)
    head = ChainHead.objects.filter(tenant_id=esc.tenant_id).values_list("seq", "hash").first()
    rec = {
        "format": BUNDLE_FORMAT,
        "generated_at": now, "generated_by": actor.label,
        "installation": {"key_id": signing.fingerprint()},
        "tenant": {"code": esc.tenant.code, "name": esc.tenant.name},
        "escalation": {**escalation_dict(esc), "watchers": [w.user.username for w in watchers],
                       "links": [{"kind": ln.kind, "direction": "out", "reference": ln.target.reference}
                                 for ln in links_out]
                       + [{"kind": ln.kind, "direction": "in", "reference": ln.source.reference} for ln in links_in]},
        "events": [{
            "seq": e.seq, "type": e.type, "type_code": e.type_code, "occurred_at": e.occurred_at,
            "actor": {"kind": e.actor_kind, "label": e.actor_label, "user": e.actor_user_id},
            "data": e.data, "prev_hash": e.prev_hash, "hash": e.hash, "payload": e.chain_payload(),
        } for e in events],
        "chain": {"tenant": esc.tenant_id, "first_seq": first, "last_seq": last, "links": links,
                  "links_omitted": omitted, "head_at_export": {"seq": head[0], "hash": head[1]} if head else None},
        "attachments": [{"id": a.pk, "filename": a.filename, "content_type": a.content_type, "size": a.size,
                         "sha256": a.sha256, "uploaded_at": a.uploaded_at} for a in attachments],
        "notes": [{"seq": e.seq, "kind": _NOTES[e.type], "at": e.occurred_at, "author": e.actor_label,
                   "body": e.data.get("body", "")} for e in events if e.type in _NOTES],
        "sla": _sla(events, now) if esc.sla_generation else [],
        "access_log": [access.access_dict(r) for r in access.access_log(esc, actor)]
        if actor.kind != "system" else [access.access_dict(r) for r in _all_access(esc)],
    }
    return jsonable(rec)


def _all_access(esc):
    return EscalationAccess.objects.filter(escalation_id=esc.pk).select_related("user", "token").order_by("-at", "-pk")


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return buf.getvalue()


def bundle(esc, actor: Actor, now: dt.datetime) -> bytes:
    """The signed zip of one escalation. The read is logged first, so the bundle shows it too."""
    if actor.kind != "system":
        require(actor, esc.tenant_id)
        access.record_view(esc, actor, AccessChannel.BUNDLE, now)
    rec = record(esc, actor, now)
    record_bytes = dumps(rec).encode()
    pdf = render(rec, sha256(record_bytes))
    manifest = dumps({
        "format": BUNDLE_FORMAT, "reference": esc.reference, "tenant": esc.tenant.code, "generated_at": now,
        "key_id": signing.fingerprint(),
        "files": {"record.json": sha256(record_bytes), "record.pdf": sha256(pdf)},
    }).encode()
    return _zip({"manifest.json": manifest, "manifest.sig": signing.sign(manifest), "record.json": record_bytes,
                 "record.pdf": pdf, "public_key.pem": signing.public_pem(), "README.txt": README.encode()})


def select(actor: Actor, references: list[str]) -> list:
    refs = list(dict.fromkeys(r.strip() for r in references if r and r.strip()))
    if not refs:
        raise InvalidInput("choose at least one escalation", fields={"references": "required"})
    if len(refs) > MAX_EXPORT:
        raise InvalidInput(f"at most {MAX_EXPORT} escalations per export", fields={"references": "too many"})
    # Each reference through the scoped lookup: another tenant's is "not found", like everywhere.
    return [queries.get_escalation(actor, ref) for ref in refs] if actor.kind != "system" else _by_ref(refs)


def _by_ref(refs: list[str]) -> list:
    found = {e.reference: e for e in Escalation.objects.select_related(*queries.LIST_RELATED).filter(reference__in=refs)}
    missing = [r for r in refs if r not in found]
    if missing:
        raise NotFound(f"no escalation {missing[0]}", fields={"references": f"not found: {', '.join(missing[:10])}"})
    return [found[r] for r in refs]


def export(escalations: list, actor: Actor, now: dt.datetime) -> bytes:
    """Several escalations' bundles in one zip, with a signed index of their sha256."""
    if actor.kind != "system":
        for tenant_id in {e.tenant_id for e in escalations}:
            require(actor, tenant_id)
    members = {f"{e.reference}.zip": bundle(e, actor, now) for e in escalations}
    index = dumps({"format": EXPORT_FORMAT, "generated_at": now, "generated_by": actor.label,
                   "key_id": signing.fingerprint(),
                   "bundles": {name: sha256(data) for name, data in members.items()}}).encode()
    return _zip({"index.json": index, "index.sig": signing.sign(index), "public_key.pem": signing.public_pem(),
                 "README.txt": README.encode(), **members})
