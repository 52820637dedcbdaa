"""The transactional outbox and in-app notifications."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from tierline.tenancy.models import TenantOwned


class OutboxMessage(TenantOwned):
    class Channel(models.TextChoices):
        IN_APP = "in_app", "In-app"
        EMAIL = "email", "Email"
        WEBHOOK = "webhook", "Webhook"
        CHAT = "chat", "Chat (Slack/Teams)"

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed (gave up)"

    channel = models.CharField(max_length=10, choices=Channel.choices)
    # Unique: writing the same message twice (a retried action, a re-run step) is a no-op.
    idempotency_key = models.CharField(max_length=200, unique=True)
    recipient_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    recipient_address = models.CharField(max_length=320, blank=True)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    escalation = models.ForeignKey(
        "escalations.Escalation", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    event = models.ForeignKey("audit.Event", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_error = models.TextField(blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    # Webhook/chat messages: {"subscription": id, "format": …, "body": …}, fixed when enqueued.
    payload = models.JSONField(null=True, blank=True)
    # Customer emails, rendered at delivery (notifications/customer_mail.py): which template
    # (kind, language asked for, "tenant:<lang>:v<version>" or "builtin:en"), its text pinned at
    # enqueue (so a later edit changes nothing already queued), and the context as it was then.
    template_kind = models.CharField(max_length=24, blank=True)
    template_language = models.CharField(max_length=16, blank=True)
    template_source = models.CharField(max_length=40, blank=True)
    template_pin = models.JSONField(null=True, blank=True)
    render_context = models.JSONField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["next_attempt_at"], name="outbox_due",
                         condition=models.Q(state="pending")),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.idempotency_key} ({self.state})"


class Notification(TenantOwned):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    escalation = models.ForeignKey(
        "escalations.Escalation", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # The outbox message it came from: unique, so a redelivery never shows twice.
    source = models.OneToOneField(OutboxMessage, on_delete=models.CASCADE, related_name="notification")
    text = models.CharField(max_length=300)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "read_at"], name="notification_unread")]

    def __str__(self) -> str:
        return self.text


class ClientContact(TenantOwned):
    """A person at the client company who hears about its serious escalations by email: those of
    VIP customers, and/or those that reach management level (L4) or above."""

    name = models.CharField(max_length=200)
    email = models.EmailField()
    language = models.CharField(max_length=16, default="en")
    vip_escalations = models.BooleanField(default=True, help_text="Escalations of VIP customers")
    management_escalations = models.BooleanField(default=True, help_text="Escalations at level 4 (management) or above")
    is_active = models.BooleanField(default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "email"], name="clientcontact_unique_email")]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


class CommsSettings(TenantOwned):
    """Per-tenant communication switches (one row per tenant; no row = the defaults)."""

    # When the SLA's customer-update time comes: True sends the status-update template to the
    # customer by itself; False reminds the owner to write one.
    auto_status_update = models.BooleanField(default=False)

    class Meta:
        verbose_name = verbose_name_plural = "communication settings"
        constraints = [models.UniqueConstraint(fields=["tenant"], name="commssettings_one_per_tenant")]

    def __str__(self) -> str:
        return f"communication settings of tenant {self.tenant_id}"


class NotificationPreference(TenantOwned):
    """One person's choices in one tenant: channels per kind of event, and quiet hours (in the
    person's own time zone, User.time_zone). No row = in-app for everything, no quiet hours."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # {kind: ["in_app", "email"]} for the kinds in notifications/preferences.py; a kind left out
    # keeps its default.
    channels = models.JSONField(default=dict, blank=True)
    quiet_start = models.TimeField(null=True, blank=True)
    quiet_end = models.TimeField(null=True, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "user"], name="notificationpref_one_per_user")]

    def __str__(self) -> str:
        return f"preferences of user {self.user_id} in tenant {self.tenant_id}"
