"""The "viewed" log: who read which escalation, when.

Recording is one INSERT on the read path; reading the log needs the read-audit permission
(compliance, managers, admins) in the escalation's tenant.
"""

from __future__ import annotations

import datetime as dt

from tierline.accounts.permissions import Perm
from tierline.audit.models import EscalationAccess
from tierline.core.actors import Actor
from tierline.tenancy import scoping


def record_view(esc, actor: Actor, channel: str, now: dt.datetime) -> None:
    if actor.kind not in ("user", "api_token"):
        return  # customers read their own case on the status page; system reads are not views
    EscalationAccess.objects.create(tenant_id=esc.tenant_id, escalation_id=esc.pk, user=actor.user,
                                    token=actor.token, channel=channel, at=now)


def access_log(esc, actor: Actor, limit: int | None = None) -> list[EscalationAccess]:
    scoping.check(actor, Perm.READ_AUDIT, esc.tenant_id)
    rows = (EscalationAccess.objects.filter(escalation_id=esc.pk).select_related("user", "token")
            .order_by("-at", "-pk"))
    return list(rows[:limit] if limit else rows)


def access_dict(row: EscalationAccess) -> dict:
    return {"at": row.at, "channel": row.channel,
            "user": ({"id": row.user_id, "username": row.user.username} if row.user_id else None),
            "token": row.token.prefix if row.token_id else None}
