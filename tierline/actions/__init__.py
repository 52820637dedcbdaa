"""The write path. Every change to an escalation is one of these functions.

Each takes keyword-only `actor` and `now`, runs in one transaction with the row locked, checks
the state machine and the actor's permission, writes the row, appends hash-chained events and
outbox rows, and writes nothing at all when the call would change nothing.
"""

from tierline.actions.approvals import decide_approval, request_approval
from tierline.actions.communication import add_attachment, add_internal_note, add_public_reply
from tierline.actions.coordination import (
    acknowledge_client_request,
    acknowledge_collaboration,
    add_collaborator,
    client_request_tick,
    request_client_escalation,
)
from tierline.actions.create import create_escalation, next_reference
from tierline.actions.customer import customer_attach, customer_reply, record_csat
from tierline.actions.lifecycle import (
    acknowledge,
    cancel,
    close,
    reopen,
    resolve,
    resume,
    set_pending,
    start_progress,
)
from tierline.actions.privacy import erase_personal_data
from tierline.actions.problems import assign_root_cause, link_problem, unlink_problem
from tierline.actions.relations import link, merge, unlink
from tierline.actions.routing import assign, change_priority, de_escalate, escalate, unassign
from tierline.actions.sla import retime_sla, sla_tick
from tierline.actions.tags import edit_details, set_tags, unwatch, watch

__all__ = [
    "acknowledge", "acknowledge_client_request", "acknowledge_collaboration", "add_collaborator",
    "client_request_tick", "decide_approval", "request_approval", "request_client_escalation", "add_attachment", "add_internal_note", "add_public_reply", "assign", "cancel",
    "change_priority", "close", "create_escalation", "de_escalate", "edit_details", "escalate", "link",
    "merge", "next_reference", "reopen", "resolve", "resume", "retime_sla", "sla_tick", "set_pending", "set_tags", "start_progress",
    "unassign", "unlink", "unwatch", "watch",
    "customer_attach", "customer_reply", "record_csat", "erase_personal_data",
    "assign_root_cause", "link_problem", "unlink_problem",
]
