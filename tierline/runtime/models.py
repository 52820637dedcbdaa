"""What the worker knows about its own health: each job's run record and the items it parked.

A job (SLA sweep, outbox delivery, …) that raises is recorded here and the pass goes on with the
next job; an item (one schedule, one tenant's rollup, one due escalation) that raises is parked
here with its error and left out until its retry time, so one bad row never holds up the rest.
`tierline status`, /readyz and the supervisor dashboard read these tables.
"""

from __future__ import annotations

from django.db import models


class JobState(models.Model):
    name = models.CharField(max_length=40, unique=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    last_ok_at = models.DateTimeField(null=True, blank=True)
    last_failed_at = models.DateTimeField(null=True, blank=True)
    failing_since = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        verbose_name = "worker job"

    def __str__(self) -> str:
        return f"{self.name} ({'failing' if self.consecutive_failures else 'ok'})"


class ParkedItem(models.Model):
    """One item a job could not process. Deleting the row (admin: "retry now") or a successful
    retry at retry_at puts it back in the queue."""

    job = models.CharField(max_length=40)
    kind = models.CharField(max_length=40)  # what object_id names: "report_schedule", "escalation", …
    object_id = models.BigIntegerField()
    # The tenant it belongs to (plain id: parking must never block a tenant's deletion).
    tenant_ref = models.BigIntegerField(null=True, blank=True)
    error = models.TextField()
    attempts = models.PositiveIntegerField(default=1)
    first_failed_at = models.DateTimeField()
    last_failed_at = models.DateTimeField()
    retry_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "object_id"], name="parked_once_per_item")]
        indexes = [models.Index(fields=["kind", "retry_at"], name="parked_kind_retry")]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id}: {self.error[:80]}"
