"""Reporting tables: imported contact volumes, the daily rollup the dashboards read, its cursor,
and report schedules. None of them is part of the escalation record; all carry the tenant."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from tierline.accounts.permissions import Perm, role_allows
from tierline.escalations.choices import Channel
from tierline.reports.schedule_math import is_time_zone
from tierline.tenancy.models import Membership, TenantOwned


class ContactVolume(TenantOwned):
    """Contacts the desk handled on a day and channel (the escalation rate's denominator)."""

    date = models.DateField()
    channel = models.CharField(max_length=10, choices=Channel.choices)
    count = models.PositiveIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "date", "channel"], name="contacts_once_per_day")]

    def __str__(self) -> str:
        return f"{self.tenant_id} {self.date} {self.channel}: {self.count}"


class DailyMeasures(models.Model):
    """The summed measures (rollup_math.MEASURES) that DailyRollup and DailyTotal both carry."""

    created = models.IntegerField(default=0)
    acknowledged = models.IntegerField(default=0)
    ack_wall_s = models.BigIntegerField(default=0)
    resolved = models.IntegerField(default=0)
    resolve_wall_s = models.BigIntegerField(default=0)
    reopened = models.IntegerField(default=0)
    breaches = models.IntegerField(default=0)
    reassignments = models.IntegerField(default=0)
    csat_responses = models.IntegerField(default=0)
    csat_sum = models.IntegerField(default=0)
    promoters = models.IntegerField(default=0)
    detractors = models.IntegerField(default=0)

    class Meta:
        abstract = True


class DailyRollup(TenantOwned, DailyMeasures):
    """Sums per UTC day and creation dimensions, folded in from the event log by the worker."""

    day = models.DateField()
    team_ref = models.BigIntegerField(default=0)  # team id (0: none); plain, so a rollup never blocks a delete
    type = models.CharField(max_length=24)
    level = models.PositiveSmallIntegerField()
    tier = models.CharField(max_length=10)
    channel = models.CharField(max_length=10)

    class Meta:
        constraints = [models.UniqueConstraint(
            fields=["tenant", "day", "team_ref", "type", "level", "tier", "channel"],
            name="rollup_once_per_key")]
        indexes = [models.Index(fields=["tenant", "day"], name="rollup_tenant_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.type} L{self.level} {self.tier} {self.channel}"


class DailyTotal(TenantOwned, DailyMeasures):
    """DailyRollup summed over every dimension: what the unfiltered management dashboard reads
    (one row per tenant and day instead of hundreds). Kept by the same fold, in the same
    transaction."""

    day = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "day"], name="total_once_per_day")]

    def __str__(self) -> str:
        return f"{self.day} (all)"


class RollupCursor(TenantOwned):
    """The last event seq of the tenant's chain folded into DailyRollup."""

    last_seq = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant"], name="rollup_cursor_per_tenant")]


class ReportSchedule(TenantOwned):
    class Frequency(models.TextChoices):
        WEEKLY = "weekly", "Weekly (Monday, for the week before)"
        MONTHLY = "monthly", "Monthly (the 1st, for the month before)"

    class Format(models.TextChoices):
        PDF = "pdf", "PDF"
        XLSX = "xlsx", "Excel (XLSX)"

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    frequency = models.CharField(max_length=8, choices=Frequency.choices)
    format = models.CharField(max_length=4, choices=Format.choices, default=Format.PDF)
    time_zone = models.CharField(max_length=64, default="UTC", help_text="the recipient's; periods and send "
                                                                        "time (07:00) are in it")
    is_active = models.BooleanField(default=True)
    next_run_at = models.DateTimeField(db_index=True)
    last_period_start = models.DateTimeField(null=True, blank=True)  # the last period delivered

    def __str__(self) -> str:
        return f"{self.frequency} {self.format} to {self.recipient}"

    def clean(self) -> None:
        """Refused when saved (admin, API), not found out by the worker at 07:00 on Monday."""
        from django.core.exceptions import ValidationError


        errors = {}
        if not is_time_zone(self.time_zone or ""):
            errors["time_zone"] = f"unknown time zone {self.time_zone!r} (an IANA name such as Europe/Paris)"
        if self.tenant_id and self.recipient_id:
            role = (Membership.objects.filter(tenant_id=self.tenant_id, user_id=self.recipient_id)
                    .values_list("role", flat=True).first())
            if role is None:
                errors["recipient"] = "not a user of this client"
            elif not role_allows(role, Perm.REPORTS):
                errors["recipient"] = "this user may not see this client's reports"
        if errors:
            raise ValidationError(errors)
