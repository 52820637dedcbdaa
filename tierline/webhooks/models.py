"""Webhook and chat subscriptions: where a tenant's escalation events are pushed."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models

from tierline.audit.event_types import EventType
from tierline.tenancy.models import TenantOwned
from tierline.webhooks.signing import new_secret
from tierline.webhooks.ssrf import UnsafeTarget, check_url

EVENT_CODES = [t.code for t in EventType]


class WebhookSubscription(TenantOwned):
    class Format(models.TextChoices):
        JSON = "json", "JSON (signed)"
        SLACK = "slack", "Slack incoming webhook"
        TEAMS = "teams", "Microsoft Teams (Adaptive Card)"

    name = models.CharField(max_length=120)
    url = models.URLField(max_length=2000, validators=[URLValidator(schemes=["http", "https"])])
    format = models.CharField(max_length=8, choices=Format.choices, default=Format.JSON)
    # Event type codes ("escalated", "sla_breach", …); empty means every event.
    event_types = models.JSONField(default=list, blank=True)
    # Kept in clear because every delivery is signed with it; shown to the admin only once.
    secret = models.CharField(max_length=100, default=new_secret, editable=False)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="webhook_unique_name_per_tenant")]
        indexes = [models.Index(fields=["tenant", "is_active"], name="webhook_by_tenant")]

    def __str__(self) -> str:
        return f"{self.name} ({self.format})"

    @property
    def channel(self) -> str:
        return "webhook" if self.format == self.Format.JSON else "chat"

    def wants(self, event_type: int) -> bool:
        return not self.event_types or EventType(event_type).code in self.event_types

    def _check_target(self) -> None:
        try:
            check_url(self.url)
        except UnsafeTarget as exc:
            raise ValidationError({"url": str(exc)}) from None

    def clean(self):
        if not isinstance(self.event_types, list):
            raise ValidationError({"event_types": "a list of event type codes"})
        unknown = sorted(set(map(str, self.event_types)) - set(EVENT_CODES))
        if unknown:
            raise ValidationError({"event_types": f"unknown event types: {', '.join(unknown)}"})
        if self.url:
            self._check_target()

    def save(self, *args, **kwargs):
        # Also here, not only in clean(): code paths that never run a form must not bypass it.
        # Switching a subscription off must work even when its host no longer resolves; delivery
        # checks again anyway, and switching it back on passes through here.
        update_fields = kwargs.get("update_fields")
        if self.is_active and (update_fields is None or "url" in update_fields or "is_active" in update_fields):
            self._check_target()
        super().save(*args, **kwargs)
