"""The escalation record and the rows that hang off it.

All of these are written only by tierline.actions (see core.writepath): the
models refuse saves, bulk updates and deletes made anywhere else.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from tierline.core.writepath import require_write_path
from tierline.escalations.choices import Channel, EscalationType, LinkKind, Priority, Status, Trigger
from tierline.escalations.states import OPEN
from tierline.tenancy.models import TenantOwned

OPEN_STATUSES = sorted(s.value for s in OPEN)


class GuardedQuerySet(models.QuerySet):
    def update(self, **kwargs):
        require_write_path(self.model.__name__)
        return super().update(**kwargs)

    def delete(self):
        require_write_path(self.model.__name__)
        return super().delete()

    def bulk_create(self, objs, *args, **kwargs):
        require_write_path(self.model.__name__)
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs, *args, **kwargs):
        require_write_path(self.model.__name__)
        return super().bulk_update(objs, *args, **kwargs)


class WritePathModel(TenantOwned):
    objects = GuardedQuerySet.as_manager()

    class Meta:
        abstract = True
        # Related managers (esc.tag_rows.add(), …) write through the base manager: guard it too.
        base_manager_name = "objects"

    def save(self, *args, **kwargs):
        require_write_path(type(self).__name__)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        require_write_path(type(self).__name__)
        return super().delete(*args, **kwargs)


class Escalation(WritePathModel):
    reference = models.CharField(max_length=32, unique=True)
    title = models.CharField(max_length=200)
    description = models.TextField(max_length=20000, blank=True)
    type = models.CharField(max_length=24, choices=EscalationType.choices)
    trigger = models.CharField(max_length=20, choices=Trigger.choices)
    priority = models.CharField(max_length=2, choices=Priority.choices)
    level = models.PositiveSmallIntegerField()
    team = models.ForeignKey("tenancy.Team", on_delete=models.PROTECT, related_name="escalations")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="owned_escalations"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW)
    customer = models.ForeignKey(
        "tenancy.Customer", null=True, blank=True, on_delete=models.PROTECT, related_name="escalations"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    external_id = models.CharField(max_length=100, blank=True)

    resolution_summary = models.TextField(max_length=5000, blank=True)
    resolution_code = models.CharField(max_length=24, blank=True)
    root_cause_category = models.CharField(max_length=24, blank=True)
    compensation_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    compensation_currency = models.CharField(max_length=3, blank=True)
    csat_score = models.PositiveSmallIntegerField(null=True, blank=True)
    csat_comment = models.TextField(max_length=2000, blank=True)

    tags = models.JSONField(default=list, blank=True)  # mirror of EscalationTag, for display
    custom_fields = models.JSONField(default=dict, blank=True)
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    reopen_count = models.PositiveIntegerField(default=0)
    reassignment_count = models.PositiveIntegerField(default=0)
    # The matrix version and rule that routed it at intake (None: routed by hand).
    matrix_version = models.PositiveIntegerField(null=True, blank=True)
    routing_rule = models.CharField(max_length=120, blank=True)
    routing_requires = models.JSONField(default=list, blank=True)  # fields the matrix made required
    # The SLA policy in force (its frozen snapshot is in the event log) and its generation, which
    # an explicit re-time or a priority change bumps so steps run once per generation.
    sla_policy = models.ForeignKey("sla.SlaPolicy", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    sla_generation = models.PositiveIntegerField(default=0)
    # The SLA engine's next due moment; the worker claims rows by it. Null when nothing is due.
    next_deadline = models.DateTimeField(null=True, blank=True)
    # The earliest breach (past or projected) of a running SLA target: the "at risk" queue's order.
    sla_breach_at = models.DateTimeField(null=True, blank=True)
    # Optimistic concurrency: bumped by every action; API callers send it back as If-Match.
    version = models.PositiveIntegerField(default=1)

    class Meta(WritePathModel.Meta):
        indexes = [
            models.Index(fields=["tenant", "status", "-id"], name="esc_tenant_status"),
            models.Index(fields=["tenant", "team", "status"], name="esc_tenant_team"),
            models.Index(fields=["tenant", "owner", "status"], name="esc_tenant_owner"),
            models.Index(fields=["tenant", "-created_at"], name="esc_tenant_created"),
            models.Index(fields=["next_deadline"], name="esc_next_deadline",
                         condition=models.Q(next_deadline__isnull=False)),
            models.Index(fields=["tenant", "sla_breach_at"], name="esc_at_risk",
                         condition=models.Q(sla_breach_at__isnull=False)),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def etag(self) -> str:
        return f'"{self.version}"'


class EscalationTag(WritePathModel):
    escalation = models.ForeignKey(Escalation, on_delete=models.CASCADE, related_name="tag_rows")
    name = models.CharField(max_length=50)

    class Meta(WritePathModel.Meta):
        constraints = [models.UniqueConstraint(fields=["escalation", "name"], name="tag_once")]
        indexes = [models.Index(fields=["tenant", "name"], name="tag_by_name")]

    def __str__(self) -> str:
        return self.name


class Watcher(WritePathModel):
    escalation = models.ForeignKey(Escalation, on_delete=models.CASCADE, related_name="watcher_rows")
    # PROTECT: deleting a user must not silently drop audited watcher rows; deactivate users instead.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="watching")

    class Meta(WritePathModel.Meta):
        constraints = [models.UniqueConstraint(fields=["escalation", "user"], name="watch_once")]

    def __str__(self) -> str:
        return f"{self.user} watches {self.escalation_id}"


class Link(WritePathModel):
    source = models.ForeignKey(Escalation, on_delete=models.CASCADE, related_name="links_out")
    target = models.ForeignKey(Escalation, on_delete=models.CASCADE, related_name="links_in")
    kind = models.CharField(max_length=16, choices=LinkKind.choices)
    created_at = models.DateTimeField()

    class Meta(WritePathModel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["source", "target", "kind"], name="link_once"),
            models.CheckConstraint(condition=~models.Q(source=models.F("target")), name="link_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.source_id} {self.kind} {self.target_id}"


def attachment_path(instance, filename):
    return f"{instance.tenant_id}/{instance.escalation_id}/{instance.sha256[:16]}"


class Attachment(WritePathModel):
    escalation = models.ForeignKey(Escalation, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=255)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.filename


class ReferenceCounter(TenantOwned):
    """Last issued number per tenant and year; bumped with an atomic upsert."""

    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "year"], name="refcounter_unique")]

    def __str__(self) -> str:
        return f"{self.tenant_id}/{self.year}: {self.last_number}"


class IdempotencyRecord(TenantOwned):
    """The first answer to a create carrying an Idempotency-Key, replayed for retries."""

    principal = models.CharField(max_length=64)  # user id or token prefix: keys are per caller
    key = models.CharField(max_length=200)
    request_digest = models.CharField(max_length=64)
    escalation = models.ForeignKey(Escalation, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "principal", "key"], name="idempotency_once")
        ]

    def __str__(self) -> str:
        return self.key



class Collaboration(WritePathModel):
    """Another team working on the escalation beside the owning team, with its own acknowledgement."""

    escalation = models.ForeignKey(Escalation, on_delete=models.CASCADE, related_name="collaborations")
    team = models.ForeignKey("tenancy.Team", on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=2000)
    added_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                        on_delete=models.PROTECT, related_name="+")

    class Meta(WritePathModel.Meta):
        constraints = [models.UniqueConstraint(fields=["escalation", "team"], name="collaboration_once")]


class Approval(WritePathModel):
    """A compensation/refund above the tenant's threshold, or a policy exception, awaiting a manager."""

    class Kind(models.TextChoices):
        COMPENSATION = "compensation", "Compensation / refund"
        POLICY_EXCEPTION = "policy_exception", "Policy exception"

    class State(models.TextChoices):
        REQUESTED = "requested", "Requested"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    escalation = models.ForeignKey(Escalation, on_delete=models.CASCADE, related_name="approvals")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    reason = models.CharField(max_length=2000)
    state = models.CharField(max_length=10, choices=State.choices, default=State.REQUESTED)
    requested_by_label = models.CharField(max_length=200)
    requested_at = models.DateTimeField()
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=2000, blank=True)


class ClientRequest(WritePathModel):
    """The customer asked to escalate; the supervisor of the current team must acknowledge in time."""

    escalation = models.ForeignKey(Escalation, on_delete=models.CASCADE, related_name="client_requests")
    reason = models.CharField(max_length=2000)
    source = models.CharField(max_length=20)  # status_page, email, api
    requested_at = models.DateTimeField()
    team = models.ForeignKey("tenancy.Team", on_delete=models.PROTECT, related_name="+")
    ack_due_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                        on_delete=models.PROTECT, related_name="+")
    overdue_at = models.DateTimeField(null=True, blank=True)  # when the worker reported it overdue

    class Meta(WritePathModel.Meta):
        indexes = [models.Index(fields=["ack_due_at"], name="client_request_due",
                                condition=models.Q(acknowledged_at__isnull=True, overdue_at__isnull=True))]
