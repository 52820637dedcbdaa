"""Per-customer sealing keys, each tenant's privacy settings, and the record of erasures."""

from __future__ import annotations

from django.db import models

from tierline.tenancy.models import Customer, Tenant, TenantOwned


class CustomerKey(TenantOwned):
    """A key that seals personal text in event data: one per escalation and customer it had (a
    "stint"; customer empty while the escalation has none). Deleting rows is the erasure: the
    sealed text can no longer be read, and the hash chain is untouched.

    Keys made before stints existed have no escalation: one per customer, for all their
    escalations (they still open what they sealed, and go when that customer is erased)."""

    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="privacy_keys")
    escalation = models.ForeignKey("escalations.Escalation", null=True, blank=True, on_delete=models.CASCADE,
                                   related_name="+")
    key = models.BinaryField(max_length=32)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["escalation", "customer"], name="privacy_key_per_stint",
                                    condition=models.Q(customer__isnull=False, escalation__isnull=False)),
            models.UniqueConstraint(fields=["escalation"], name="privacy_key_per_stint_without_customer",
                                    condition=models.Q(customer__isnull=True, escalation__isnull=False)),
            models.UniqueConstraint(fields=["customer"], name="privacy_key_per_customer_before_stints",
                                    condition=models.Q(escalation__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"key {self.pk} of escalation {self.escalation_id}, customer {self.customer_id}"


class PrivacySettings(models.Model):
    """One row per tenant; a tenant without a row keeps everything and masks nothing."""

    tenant = models.OneToOneField(Tenant, on_delete=models.CASCADE, primary_key=True,
                                  related_name="privacy_settings")
    retention_days = models.PositiveIntegerField(
        null=True, blank=True,
        help_text="Anonymise a customer this many days after their last escalation closed; empty keeps them.")
    mask_name = models.BooleanField(default=True, help_text="Client viewers see the customer's name masked.")
    mask_email = models.BooleanField(default=True, help_text="Client viewers see the customer's email masked.")
    mask_phone = models.BooleanField(default=True, help_text="Client viewers see the customer's phone masked.")
    mask_text = models.BooleanField(
        default=False, help_text="Client viewers see the customer's own messages (replies, comments) masked.")
    # When the worker next looks for customers due for anonymisation; claimed with a conditional
    # UPDATE so that one worker runs each tenant's pass.
    next_retention_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "privacy settings"
        verbose_name_plural = "privacy settings"

    def __str__(self) -> str:
        return f"privacy settings of {self.tenant_id}"


class Erasure(TenantOwned):
    """A customer whose personal data was erased (on request) or anonymised (retention)."""

    class Kind(models.TextChoices):
        ERASED = "erased", "Erased on request"
        ANONYMISED = "anonymised", "Anonymised by retention"

    customer = models.OneToOneField(Customer, on_delete=models.PROTECT, related_name="erasure")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    done_at = models.DateTimeField()
    done_by = models.CharField(max_length=200)
    escalations = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"customer {self.customer_id} {self.kind} at {self.done_at:%Y-%m-%d}"
