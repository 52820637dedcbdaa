"""Security settings per tenant and the shared request counters behind the rate limits."""

from __future__ import annotations

from django.db import models

from tierline.tenancy.choices import Role

# The tenants' two-factor policies, cached by security.twofactor; every save here clears it.
POLICY_CACHE_KEY = "tierline:security:totp-policies"


class TenantSecurity(models.Model):
    """Per-tenant security policy, edited by an admin in the Django admin."""

    tenant = models.OneToOneField("tenancy.Tenant", on_delete=models.CASCADE, related_name="security")
    totp_required_roles = models.CharField(
        max_length=200, blank=True,
        help_text="Comma-separated roles whose members must enter a TOTP code at login in this tenant "
                  f"({', '.join(Role.values)}).",
    )

    class Meta:
        verbose_name = "tenant security policy"
        verbose_name_plural = "tenant security policies"

    def __str__(self) -> str:
        return f"security policy of {self.tenant}"

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        from django.core.cache import cache


        cache.delete(POLICY_CACHE_KEY)

    def delete(self, *args, **kwargs):
        from django.core.cache import cache


        cache.delete(POLICY_CACHE_KEY)
        return super().delete(*args, **kwargs)

    def required_roles(self) -> set[str]:
        return {r.strip() for r in self.totp_required_roles.split(",") if r.strip()}

    def clean(self):
        from django.core.exceptions import ValidationError

        unknown = self.required_roles() - set(Role.values)
        if unknown:
            raise ValidationError({"totp_required_roles": f"unknown roles: {', '.join(sorted(unknown))}"})


class RateCounter(models.Model):
    """One fixed-window counter. Kept in the database so every web process counts together.

    Not tenant data: the key is a hashed client address or token prefix, never a person.
    """

    bucket_key = models.CharField(max_length=120, primary_key=True)
    window_start = models.BigIntegerField(db_index=True)  # epoch seconds
    hits = models.IntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.bucket_key} @ {self.window_start}: {self.hits}"
