"""Stable event type codes. Stored as integers; never renumber, only add.

Grouped in ranges: 1xx lifecycle, 2xx routing, 3xx communication, 4xx SLA, 5xx outcome,
6xx links, 7xx bookkeeping, 8xx customer feedback, 9xx files.
"""

from enum import IntEnum


class EventType(IntEnum):
    CREATED = 100
    ACKNOWLEDGED = 110
    STATUS_CHANGED = 120
    PRIORITY_CHANGED = 130
    DETAILS_CHANGED = 140

    ESCALATED = 200
    DE_ESCALATED = 201
    ASSIGNED = 210
    UNASSIGNED = 211
    ROUTED = 220  # the matrix (and assignment) decision taken at intake, with its reasons
    COLLABORATOR_ADDED = 230
    COLLABORATION_ACKNOWLEDGED = 231
    CLIENT_ESCALATION_REQUESTED = 240
    CLIENT_REQUEST_ACKNOWLEDGED = 241
    CLIENT_REQUEST_OVERDUE = 242

    INTERNAL_NOTE = 300
    PUBLIC_REPLY = 301
    CUSTOMER_CONTACTED = 302

    SLA_WARNING = 400
    SLA_BREACH = 401
    SLA_POLICY_APPLIED = 402  # the frozen policy snapshot the clock runs on from here
    SLA_STEP = 403  # a breach step ran (notify, escalate, raise priority); carries its sla_key
    UPDATE_DUE = 410  # the customer-update time came; the owner is reminded to write (data.cadence_key)

    RESOLVED = 500
    CLOSED = 501
    REOPENED = 502
    CANCELLED = 503
    APPROVAL_REQUESTED = 510
    APPROVAL_GRANTED = 511
    APPROVAL_REJECTED = 512

    LINKED = 600
    UNLINKED = 601
    MERGED = 602  # on the survivor: a duplicate was merged into it
    MERGED_INTO = 603  # on the duplicate: it was closed in favour of the survivor
    PROBLEM_LINKED = 610  # the escalation was attached to a problem record
    PROBLEM_UNLINKED = 611
    ROOT_CAUSE_ASSIGNED = 612  # a category of the tenant's root-cause taxonomy (or none)

    WATCHER_ADDED = 700
    WATCHER_REMOVED = 701
    TAGS_CHANGED = 710
    ERASED = 730  # the customer's personal data was erased on request (tierline/privacy)
    ANONYMISED = 731  # the customer was anonymised by the tenant's retention policy

    CSAT_RECEIVED = 800

    ATTACHMENT_ADDED = 900

    @property
    def code(self) -> str:
        return self.name.lower()


EVENT_TYPE_CHOICES = [(t.value, t.code) for t in EventType]
