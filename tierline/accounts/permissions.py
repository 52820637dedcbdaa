"""What each role may do, per tenant. The single definition that code enforces.

Issue-level detail (approvals, configuration, exports) grows here; checks call `can()`.
"""

from __future__ import annotations

from enum import StrEnum

from tierline.accounts.roles import Role


class Perm(StrEnum):
    VIEW = "view"
    CREATE = "create"
    WORK = "work"  # acknowledge, notes, replies, pending/resume, tags, watch, link
    ESCALATE = "escalate"
    ASSIGN = "assign"
    RESOLVE = "resolve"  # resolve, close, reopen, cancel, merge
    CHANGE_PRIORITY = "change_priority"
    APPROVE_COMPENSATION = "approve_compensation"
    CONFIGURE = "configure"
    READ_AUDIT = "read_audit"
    EXPORT = "export"
    MANAGE_OUTBOX = "manage_outbox"  # see failed notifications and put them back in the queue
    REPORTS = "reports"  # dashboards and KPI reports of the tenant (read-only figures)


_WORKER = {Perm.VIEW, Perm.CREATE, Perm.WORK, Perm.ESCALATE, Perm.RESOLVE}
_LEAD = _WORKER | {Perm.ASSIGN, Perm.CHANGE_PRIORITY, Perm.EXPORT, Perm.MANAGE_OUTBOX, Perm.REPORTS}

ROLE_PERMISSIONS: dict[str, frozenset[Perm]] = {
    Role.AGENT: frozenset(_WORKER | {Perm.ASSIGN}),
    Role.SPECIALIST: frozenset(_WORKER | {Perm.ASSIGN, Perm.CHANGE_PRIORITY}),
    Role.SUPERVISOR: frozenset(_LEAD),
    Role.MANAGER: frozenset(_LEAD | {Perm.APPROVE_COMPENSATION, Perm.READ_AUDIT}),
    Role.EXECUTIVE: frozenset(_LEAD | {Perm.APPROVE_COMPENSATION, Perm.READ_AUDIT}),
    Role.COMPLIANCE: frozenset({Perm.VIEW, Perm.READ_AUDIT, Perm.EXPORT, Perm.REPORTS}),
    Role.ADMIN: frozenset(set(Perm)),
    Role.CLIENT_VIEWER: frozenset({Perm.VIEW, Perm.REPORTS}),
}

# What a read-only API token may still do regardless of its user's role.
READ_ONLY_PERMS = frozenset({Perm.VIEW, Perm.READ_AUDIT, Perm.EXPORT, Perm.REPORTS})


def role_allows(role: str, perm: Perm) -> bool:
    return perm in ROLE_PERMISSIONS.get(role, frozenset())
