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
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    # Webhook/chat messages: {"subscription": id, "format": …, "body": …}, fixed when enqueued.
    payload = models.JSONField(null=True, blank=True)

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
