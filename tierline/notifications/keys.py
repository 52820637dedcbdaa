"""What an outbox idempotency key says a message is about.

Most messages announce one event: `ev<event id>`. A message the SLA engine causes (a warning, a
breach, a step, an update reminder or the automatic update) is about a mark of the clock instead:
`sla<escalation>:<mark key>:t<event type>`, where the mark key is target:cycle:generation:mark
(sla/clock_marks.py). A tick that is done again — its transaction rolled back after a crash, or
a batch of ticks redone — writes new event rows with new ids, but the same marks: the unique key
makes its messages no-ops instead of second sends.
"""

from __future__ import annotations


def source(event) -> str:
    data = event.data or {}
    mark = data.get("sla_key") or data.get("cadence_key")
    if isinstance(mark, str) and mark:
        return f"sla{event.escalation_id}:{mark}:t{int(event.type)}"
    return f"ev{event.pk}"
