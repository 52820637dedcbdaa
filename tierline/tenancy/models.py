"""Tenants (client companies), their customers, teams and who belongs where."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models

from tierline.tenancy.choices import CustomerTier, Role, TeamFunction, TeamLevel

tenant_code_validator = RegexValidator(
    r"^[A-Z][A-Z0-9]{1,11}$", "2–12 capital letters or digits, starting with a letter (e.g. ACME)."
)


class Tenant(models.Model):
    code = models.CharField(max_length=12, unique=True, validators=[tenant_code_validator])
    name = models.CharField(max_length=200)
    time_zone = models.CharField(max_length=64, default="UTC")
    default_language = models.CharField(max_length=16, default="en")
    # JSON Schema (draft 2020-12) for Escalation.custom_fields; empty means no custom fields allowed.
    custom_field_schema = models.JSONField(default=dict, blank=True)
    # Customer emails go out in the client's name; replies come back to its intake address.
    email_from = models.CharField(max_length=320, blank=True, help_text='e.g. "Acme Support <care@acme.example>"')
    email_reply_to = models.EmailField(blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"


class TenantOwned(models.Model):
    """Every table carries its tenant so the schema can be sharded by tenant."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT)

    class Meta:
        abstract = True


class Membership(TenantOwned):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "user"], name="membership_one_role_per_tenant")]

    def __str__(self) -> str:
        return f"{self.user} as {self.role} in {self.tenant.code}"


class Customer(TenantOwned):
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    account_id = models.CharField(max_length=100, blank=True)
    tier = models.CharField(max_length=10, choices=CustomerTier.choices, default=CustomerTier.STANDARD)
    language = models.CharField(max_length=16, default="en")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["tenant", "account_id"])]

    def __str__(self) -> str:
        return self.name


class Team(TenantOwned):
    name = models.CharField(max_length=120)
    level = models.PositiveSmallIntegerField(choices=TeamLevel.choices)
    function = models.CharField(max_length=20, choices=TeamFunction.choices)
    # The hierarchical chain: escalating "one level up" goes to the parent team.
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, through="TeamMember", related_name="teams")

    class Meta:
        ordering = ["tenant", "level", "name"]
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="team_unique_name_per_tenant")]

    def __str__(self) -> str:
        return f"{self.name} (L{self.level})"

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.parent_id:
            if self.parent.tenant_id != self.tenant_id:
                raise ValidationError({"parent": "The parent team must belong to the same tenant."})
            if self.parent.level <= self.level:
                raise ValidationError({"parent": "The parent team must be at a higher level."})


class TeamMember(TenantOwned):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="team_memberships")
    is_lead = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "user"], name="team_member_once")]

    def __str__(self) -> str:
        return f"{self.user} in {self.team}"
