"""Business calendars and SLA policies as tenants configure them.

Escalations never read these rows while their clock runs: the policy (with its calendar) is
frozen into the event log as a snapshot when the clock starts. Editing a policy bumps its
version; open escalations change only through an explicit re-time, which writes events.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models

from tierline.calendars.spec import CalendarError, calendar_from_dict
from tierline.escalations.choices import EscalationType, Priority, Status
from tierline.sla import policy as pure
from tierline.tenancy.choices import CustomerTier
from tierline.tenancy.models import TenantOwned


class Calendar(TenantOwned):
    name = models.CharField(max_length=100)
    spec = models.JSONField(help_text='CAL.json: {"timezone": …, "hours": {"mon": [["09:00","17:00"]], …}, '
                                      '"holidays": {"country": "GB", "subdivision": "ENG"}, "closed": [], '
                                      '"special": {}} or {"timezone": "UTC", "always_open": true}')
    version = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="calendar_name_per_tenant")]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        try:
            calendar_from_dict(self.spec)
        except CalendarError as exc:
            raise ValidationError({"spec": str(exc)})

    def save(self, *args, **kwargs):
        if self.pk:
            self.version += 1
        super().save(*args, **kwargs)


def _seconds(value) -> int | None:
    return int(value.total_seconds()) if value is not None else None


class SlaPolicy(TenantOwned):
    name = models.CharField(max_length=100)
    rank = models.PositiveSmallIntegerField(default=100, help_text="lower rank wins when several policies match")
    is_active = models.BooleanField(default=True)
    # Conditions: empty means "any".
    priority = models.CharField(max_length=2, choices=Priority.choices, blank=True)
    type = models.CharField(max_length=24, choices=EscalationType.choices, blank=True)
    customer_tier = models.CharField(max_length=10, choices=CustomerTier.choices, blank=True)

    calendar = models.ForeignKey(Calendar, on_delete=models.PROTECT, related_name="policies")
    acknowledgement = models.DurationField(null=True, blank=True, help_text="business time to acknowledge")
    first_response = models.DurationField(null=True, blank=True)
    update_cadence = models.DurationField(null=True, blank=True, help_text="customer hears from us at least this often")
    resolution = models.DurationField(null=True, blank=True)
    pause_statuses = models.JSONField(default=list, blank=True, help_text='e.g. ["pending_customer"]')
    warnings = models.JSONField(default=list, blank=True, help_text="percentages, e.g. [75, 90]")
    steps = models.JSONField(default=list, blank=True, help_text='e.g. [{"target": "resolution", "offset": 0, '
                                                                '"action": "escalate_level"}]')
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = "SLA policy"
        verbose_name_plural = "SLA policies"
        ordering = ["tenant", "rank", "name"]
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="sla_policy_name_per_tenant")]

    def __str__(self) -> str:
        return self.name

    def candidate(self) -> pure.Candidate:
        return pure.Candidate(policy_id=self.pk, name=self.name, rank=self.rank, priority=self.priority or None,
                              type=self.type or None, customer_tier=self.customer_tier or None)

    def snapshot_dict(self, generation: int = 1) -> dict:
        return {
            "policy_id": self.pk, "version": self.version, "name": self.name, "generation": generation,
            "calendar": self.calendar.spec, "calendar_version": self.calendar.version,
            "targets": {k: v for k, v in {
                "acknowledgement": _seconds(self.acknowledgement), "first_response": _seconds(self.first_response),
                "update": _seconds(self.update_cadence), "resolution": _seconds(self.resolution)}.items()
                if v is not None},
            "pause_statuses": list(self.pause_statuses or []), "warnings": list(self.warnings or []),
            "steps": list(self.steps or []),
        }

    def clean(self):
        errors = {}
        if self.calendar_id and self.calendar.tenant_id != self.tenant_id:
            errors["calendar"] = "the calendar belongs to another tenant"
        unknown = set(self.pause_statuses or []) - set(Status.values)
        if unknown:
            errors["pause_statuses"] = f"unknown statuses: {', '.join(sorted(unknown))}"
        if not any((self.acknowledgement, self.first_response, self.update_cadence, self.resolution)):
            errors["resolution"] = "set at least one target"
        if self.calendar_id and not errors:
            try:
                pure.snapshot_from_dict(self.snapshot_dict())
            except pure.PolicyError as exc:
                field = str(exc).split(":", 1)[0].split("[", 1)[0].split(".", 1)[0]
                errors[field if field in {"warnings", "steps"} else "steps"] = str(exc)
        if not errors and self.tenant_id and self.is_active:
            others = [p.candidate() for p in SlaPolicy.objects.filter(tenant_id=self.tenant_id, is_active=True)
                      .exclude(pk=self.pk)]
            clashes = [b for a, b in pure.ambiguities([self.candidate(), *others]) if a == self.name]
            if clashes:
                errors["rank"] = (f"matches the same escalations as {', '.join(clashes)} with the same rank and "
                                  "specificity: change the rank or narrow the conditions")
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        if self.pk:
            self.version += 1
        super().save(*args, **kwargs)


def select_policy(tenant_id: int, *, priority: str, type: str, customer_tier: str | None) -> SlaPolicy | None:
    policies = {p.pk: p for p in SlaPolicy.objects.filter(tenant_id=tenant_id, is_active=True)
                .select_related("calendar")}
    chosen = pure.select([p.candidate() for p in policies.values()], priority=priority, type=type,
                         customer_tier=customer_tier)
    return policies[chosen.policy_id] if chosen else None


class SweepLease(models.Model):
    """Who may sweep on a backend without SKIP LOCKED (SQLite). Not tenant data."""

    name = models.CharField(max_length=20, primary_key=True)
    holder = models.CharField(max_length=200)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name}: {self.holder} until {self.expires_at}"
