"""Outbox and in-app notifications, for looking only: the worker owns their state."""

from django.contrib import admin

from tierline.core.admin_base import ReadOnlyAdmin
from tierline.notifications.models import Notification, OutboxMessage


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    list_display = ("idempotency_key", "tenant", "channel", "state", "attempts", "recipient_user", "subject",
                    "next_attempt_at", "sent_at")
    list_filter = ("state", "channel", "tenant")
    list_select_related = ("tenant", "recipient_user")
    search_fields = ("idempotency_key", "subject", "recipient_address")


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("text", "user", "tenant", "escalation", "created_at", "read_at")
    list_filter = ("tenant",)
    list_select_related = ("user", "tenant", "escalation")
    search_fields = ("text", "user__username")
