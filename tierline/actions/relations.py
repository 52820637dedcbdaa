"""Links between escalations and merging duplicates."""

from __future__ import annotations

from django.db import transaction

from tierline.accounts.permissions import Perm
from tierline.actions._base import Op, check_version
from tierline.audit.event_types import EventType
from tierline.core.checks import choice, require_aware, text
from tierline.core.errors import IllegalTransition, InvalidInput, NotFound
from tierline.core.writepath import write_path
from tierline.escalations import states
from tierline.escalations.choices import LinkKind
from tierline.escalations.models import Escalation, Link
from tierline.tenancy import scoping


def _lock_pair(a, b, actor, perm, expected_version=None):
    """Lock both rows in id order (no deadlock between two opposite merges).

    `expected_version` is checked against the first escalation, the one the caller acted on."""
    ids = sorted({a.pk if isinstance(a, Escalation) else a, b.pk if isinstance(b, Escalation) else b})
    if len(ids) < 2:
        raise InvalidInput("an escalation cannot be linked or merged with itself", fields={"target": "same escalation"})
    locked = (Escalation.objects.select_for_update(of=("self",)).select_related("team", "tenant")
              .filter(pk__in=ids).order_by("pk"))
    rows = {e.pk: e for e in locked}
    first = rows.get(a.pk if isinstance(a, Escalation) else a)
    if first is None:
        raise NotFound("escalation not found")
    second = rows.get(b.pk if isinstance(b, Escalation) else b)
    scoping.check(actor, perm, first.tenant_id)
    if second is None or second.tenant_id != first.tenant_id:
        raise NotFound("target escalation not found", fields={"target": "not found"})
    check_version(first, expected_version)
    return first, second


def _finish_pair(ops: list[Op]) -> None:
    for op in ops:
        op.finish()


def link(escalation, other, *, kind: str, actor, now, expected_version=None):
    choice(kind, LinkKind, "kind")
    require_aware(now)
    with write_path("link"), transaction.atomic():
        src, dst = _lock_pair(escalation, other, actor, Perm.WORK, expected_version)
        if Link.objects.filter(source=src, target=dst, kind=kind).exists():
            return src
        Link.objects.create(tenant_id=src.tenant_id, source=src, target=dst, kind=kind, created_at=now)
        a, b = Op(src, actor, now), Op(dst, actor, now)
        a.record(EventType.LINKED, kind=kind, target=dst.pk, target_reference=dst.reference, direction="out")
        b.record(EventType.LINKED, kind=kind, target=src.pk, target_reference=src.reference, direction="in")
        _finish_pair([a, b])
        return src


def unlink(escalation, other, *, kind: str, actor, now, expected_version=None):
    choice(kind, LinkKind, "kind")
    require_aware(now)
    with write_path("unlink"), transaction.atomic():
        src, dst = _lock_pair(escalation, other, actor, Perm.WORK, expected_version)
        deleted, _ = Link.objects.filter(source=src, target=dst, kind=kind).delete()
        if not deleted:
            return src
        a, b = Op(src, actor, now), Op(dst, actor, now)
        a.record(EventType.UNLINKED, kind=kind, target=dst.pk, target_reference=dst.reference, direction="out")
        b.record(EventType.UNLINKED, kind=kind, target=src.pk, target_reference=src.reference, direction="in")
        _finish_pair([a, b])
        return src


def merge(duplicate, survivor, *, actor, now, reason: str = "", expected_version=None):
    """Close `duplicate` in favour of `survivor`; both logs say so and a duplicate_of link stays."""
    reason = text(reason, "reason", required=False, max_length=2000)
    require_aware(now)
    with write_path("merge"), transaction.atomic():
        dup, keep = _lock_pair(duplicate, survivor, actor, Perm.RESOLVE, expected_version)
        if not states.is_open(dup.status):
            raise IllegalTransition(f"{dup.reference} is {dup.status}: only open escalations can be merged",
                                    code="not_open")
        if keep.status in states.TERMINAL or keep.merged_into_id:
            raise IllegalTransition(f"{keep.reference} is {keep.status}: merge into an active escalation",
                                    code="survivor_not_active")
        a, b = Op(dup, actor, now), Op(keep, actor, now)
        a.move("merge_close")
        a.set("merged_into", keep)
        a.set_plain("closed_at", now)
        a.set_plain("next_deadline", None)
        a.record(EventType.MERGED_INTO, survivor=keep.pk, survivor_reference=keep.reference, reason=reason)
        Link.objects.get_or_create(tenant_id=dup.tenant_id, source=dup, target=keep,
                                   kind=LinkKind.DUPLICATE_OF, defaults={"created_at": now})
        b.record(EventType.MERGED, duplicate=dup.pk, duplicate_reference=dup.reference, reason=reason)
        _finish_pair([a, b])
        return keep

