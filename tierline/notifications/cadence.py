"""The customer-update cadence: what happens when the SLA policy's update time comes.

The SLA tick calls `on_update_due` under the row lock, right after it records the update target's
breach mark — which happens exactly once per update cycle (the mark's key), so neither the
reminder nor the automatic update can go out twice, whatever the worker does.

* Tenant with `CommsSettings.auto_status_update` and a customer with an email address: a
  PUBLIC_REPLY by the system actor (`data.from = "system"`, `auto = True`). The customer mail
  module turns it into the tenant's status-update template; as a reply it also meets the update
  cycle, so the clock starts the next one.
* Otherwise: an UPDATE_DUE event naming the owner (or, unowned, the supervisor chain) in
  `notify_users`, which the outbox turns into a reminder through their chosen channels.
"""

from __future__ import annotations

from tierline.audit.event_types import EventType
from tierline.notifications.models import CommsSettings
from tierline.tenancy.supervisors import supervisor_chain

AUTO_UPDATE_TEXT = ("This is an automatic update: your case is {status} with our {team} team. "
                    "We will write again as soon as there is news.")


def _auto_enabled(tenant_id: int) -> bool:

    return CommsSettings.objects.filter(tenant_id=tenant_id, auto_status_update=True).exists()


def on_update_due(op, mark) -> None:
    """Called by the SLA tick when `mark` (target "update", kind "breach") fires."""
    esc = op.esc
    customer = esc.customer if esc.customer_id else None
    if customer is not None and customer.email and _auto_enabled(esc.tenant_id):
        status = esc.get_status_display().lower()
        team = esc.team.name if esc.team_id else "support"
        op.record(EventType.PUBLIC_REPLY, body=AUTO_UPDATE_TEXT.format(status=status, team=team),
                  **{"from": "system"}, auto=True, cadence_key=mark.key)
        return
    users = [esc.owner_id] if esc.owner_id else sorted(supervisor_chain(esc.team))
    op.record(EventType.UPDATE_DUE, cadence_key=mark.key, target=mark.target, due_at=mark.at,
              notify_users=users)
