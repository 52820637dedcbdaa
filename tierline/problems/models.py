"""Problem records, the root-cause taxonomy, and corrective and preventive actions (CAPA).

Rows that hang off an escalation (its problem links and its root-cause assignment) are written
only inside the escalation's write path (actions/problems.py), which logs an event
for each change; the rest through problems/services.py.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from tierline.escalations.models import WritePathModel
from tierline.tenancy.models import TenantOwned


class RootCause(TenantOwned):
    """One category of a tenant's root-cause taxonomy; `parent` makes it a tree."""

    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=120)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    description = models.TextField(blank=True, max_length=2000)
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "code"], name="rootcause_code_per_tenant")]
        ordering = ["tenant_id", "code"]

    def __str__(self) -> str:
        return self.path

    @property
    def path(self) -> str:
        names, node, seen = [], self, set()
        while node is not None and node.pk not in seen:
            seen.add(node.pk)
            names.append(node.name)
            node = node.parent
        return " › ".join(reversed(names))

    def clean(self):
        if self.parent_id is None:
            return
        if self.parent.tenant_id != self.tenant_id:
            raise ValidationError({"parent": "the parent belongs to another client"})
        node, depth = self.parent, 0
        while node is not None:
            if node.pk == self.pk and self.pk is not None:
                raise ValidationError({"parent": "a category cannot sit under itself"})
            node, depth = node.parent, depth + 1
            if depth > 10:
                raise ValidationError({"parent": "the taxonomy is at most 10 levels deep"})


class ProblemStatus(models.TextChoices):
    OPEN = "open", "Open"
    KNOWN_ERROR = "known_error", "Known error"
    RESOLVED = "resolved", "Resolved"


class Problem(TenantOwned):
    reference = models.CharField(max_length=32, unique=True)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=20000)
    workaround = models.TextField(blank=True, max_length=5000)
    status = models.CharField(max_length=12, choices=ProblemStatus.choices, default=ProblemStatus.OPEN)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    root_cause = models.ForeignKey(RootCause, null=True, blank=True, on_delete=models.PROTECT, related_name="problems")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["tenant", "status", "-id"], name="problem_tenant_status")]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"


class ProblemLink(WritePathModel):
    # Part of the escalation's record (its log says when it was linked): written by the actions only.
    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="links")
    escalation = models.ForeignKey("escalations.Escalation", on_delete=models.PROTECT, related_name="+")
    linked_at = models.DateTimeField()
    linked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")

    class Meta(WritePathModel.Meta):
        constraints = [models.UniqueConstraint(fields=["problem", "escalation"], name="problem_link_once")]
        indexes = [models.Index(fields=["escalation"], name="problem_link_by_escalation")]


class EscalationRootCause(WritePathModel):
    """The taxonomy category assigned to an escalation (at most one); written by the actions only."""

    escalation = models.OneToOneField("escalations.Escalation", on_delete=models.PROTECT, related_name="+")
    root_cause = models.ForeignKey(RootCause, on_delete=models.PROTECT, related_name="assignments")
    assigned_at = models.DateTimeField()


class CapaKind(models.TextChoices):
    CORRECTIVE = "corrective", "Corrective"
    PREVENTIVE = "preventive", "Preventive"


class CapaStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


CAPA_OPEN = (CapaStatus.OPEN, CapaStatus.IN_PROGRESS)


class CorrectiveAction(TenantOwned):
    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="actions")
    kind = models.CharField(max_length=10, choices=CapaKind.choices)
    title = models.CharField(max_length=200)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    due_date = models.DateField()
    status = models.CharField(max_length=12, choices=CapaStatus.choices, default=CapaStatus.OPEN)
    created_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["tenant", "status", "due_date"], name="capa_due")]
        ordering = ["due_date", "pk"]

    def __str__(self) -> str:
        return self.title

    def is_overdue(self, today: dt.date) -> bool:
        return self.status in CAPA_OPEN and self.due_date < today
