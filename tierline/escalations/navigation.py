"""What the top navigation offers: only pages the signed-in person's roles open (no link that
answers 403), and the number of approvals waiting for a manager."""

from __future__ import annotations

from tierline.accounts.permissions import Perm, role_allows
from tierline.escalations.views_approvals import pending_count
from tierline.tenancy import scoping


def nav(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    roles = set(scoping.roles_of(user).values())

    def can(perm: Perm) -> bool:
        return any(role_allows(role, perm) for role in roles)

    approvals = None
    if can(Perm.APPROVE_COMPENSATION):

        approvals = pending_count(user)
    return {"nav": {"create": can(Perm.CREATE), "reports": can(Perm.REPORTS), "work": can(Perm.WORK),
                    "approvals": approvals, "any_role": bool(roles)}}
