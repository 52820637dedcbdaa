"""Routing configuration: the versioned escalation matrix, agent profiles, leave, team strategies.

Escalation rows are never written here; the write path reads these tables to decide where an
escalation goes and who owns it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from tierline.calendars.spec import calendar_from_dict
from tierline.calendars.timecalc import CalendarError
from tierline.tenancy.models import Team, TenantOwned


class MatrixVersion(TenantOwned):
    """One version of a tenant's escalation matrix. Drafts are editable; published ones are not.

    The version in force at an instant is the published one with the latest `effective_from` at or
    before it, so a version can be published ahead of time and history is never rewritten.
    """

    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    number = models.PositiveIntegerField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    spec = models.JSONField(help_text="the matrix in its dict form (see routing/matrix.py)")
    note = models.CharField(max_length=300, blank=True)
    effective_from = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")

    class Meta:
        ordering = ["tenant", "-number"]
        constraints = [models.UniqueConstraint(fields=["tenant", "number"], name="matrix_version_unique")]
        indexes = [models.Index(fields=["tenant", "state", "effective_from"], name="matrix_in_force")]

    def __str__(self) -> str:
        return f"{self.tenant.code} matrix v{self.number} ({self.state})"


class RoutingSettings(TenantOwned):
    """Per-tenant knobs for routing, approvals and client-initiated escalation."""

    calendar = models.ForeignKey("sla.Calendar", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                 help_text="business hours for the matrix's inside/outside-hours conditions")
    approval_threshold = models.DecimalField(
        max_digits=12, decimal_places=2, default=100,
        help_text="compensation/refund above this amount needs a manager's approval")
    client_request_period_hours = models.PositiveIntegerField(
        default=24, help_text="at most one open client escalation request per escalation in this period")
    client_request_ack_minutes = models.PositiveIntegerField(
        default=60, help_text="the supervisor must acknowledge a client escalation request within this")
    client_escalation_keyword = models.CharField(
        max_length=40, default="ESCALATE", help_text="a reply email containing this word asks to escalate")
    type_skills = models.JSONField(default=dict, blank=True,
                                   help_text='escalation type → skills it needs, e.g. {"billing": ["billing"]}')
    keyword_skills = models.JSONField(default=dict, blank=True,
                                      help_text='keyword → skills, e.g. {"sepa": ["payments"]}')

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant"], name="routing_settings_one_per_tenant")]

    def __str__(self) -> str:
        return f"routing settings of {self.tenant.code}"


def _random_version() -> int:
    import secrets

    return secrets.randbits(62)


class TeamRouting(TenantOwned):
    """How a team hands out work, and the round-robin cursor (locked when assigning)."""

    class Strategy(models.TextChoices):
        MANUAL = "manual", "Manual (the team queue)"
        ROUND_ROBIN = "round_robin", "Round robin"
        LEAST_LOADED = "least_loaded", "Least loaded"
        SKILLS = "skills", "Skills-based"

    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="routing")
    strategy = models.CharField(max_length=20, choices=Strategy.choices, default=Strategy.MANUAL)
    cursor = models.BigIntegerField(null=True, blank=True, help_text="user id last given work by round robin")
    assignments = models.BigIntegerField(default=0)
    # Bumped whenever the team's members, their profiles, leave or accounts change: workers keep
    # the team's roster in memory and reload it only when this moves (routing/signals.py).
    # Starts at a random value so a re-created row never matches a roster cached for its predecessor.
    roster_version = models.BigIntegerField(default=_random_version)

    def __str__(self) -> str:
        return f"{self.team}: {self.strategy}"


class AgentProfile(TenantOwned):
    """What routing knows about a person in one tenant: skills, languages, shift, capacity."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agent_profiles")
    skills = models.JSONField(default=list, blank=True)
    languages = models.JSONField(default=list, blank=True)
    shift = models.JSONField(null=True, blank=True,
                             help_text='CAL.json of the person\'s shifts in their time zone; empty = always')
    capacity = models.PositiveIntegerField(null=True, blank=True, help_text="max open escalations owned")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "user"], name="agent_profile_once")]

    def __str__(self) -> str:
        return f"{self.user} in {self.tenant.code}"

    def clean(self):
        from django.core.exceptions import ValidationError


        if self.shift:
            try:
                calendar_from_dict(self.shift)
            except (CalendarError, ValueError, TypeError) as exc:
                raise ValidationError({"shift": str(exc)})


class Leave(TenantOwned):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="leaves")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=120, blank=True)

    class Meta:
        indexes = [models.Index(fields=["tenant", "user", "ends_at"])]

    def __str__(self) -> str:
        return f"{self.user} away {self.starts_at:%Y-%m-%d} – {self.ends_at:%Y-%m-%d}"
