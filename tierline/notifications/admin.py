"""Outbox and in-app notifications, for looking (the worker owns their state) — except putting
parked messages back in the queue; client contacts, communication settings and preferences."""

from django.contrib import admin, messages
from django.utils import timezone

from tierline.core.admin_base import ReadOnlyAdmin
from tierline.notifications import services
from tierline.notifications.models import (
    ClientContact,
    CommsSettings,
    Notification,
    NotificationPreference,
    OutboxMessage,
)


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    list_display = ("idempotency_key", "tenant", "channel", "state", "attempts", "recipient_user", "subject",
                    "last_attempt_at", "next_attempt_at", "sent_at", "short_error")
    list_filter = ("state", "channel", "tenant")
    list_select_related = ("tenant", "recipient_user")
    search_fields = ("idempotency_key", "subject", "recipient_address")
    actions = ("retry",)

    @admin.display(description="last error")
    def short_error(self, obj):
        return obj.last_error[:120]

    def has_retry_permission(self, request):
        return request.user.is_active and request.user.is_staff

    @admin.action(description="Put failed messages back in the queue (fresh attempts)", permissions=["retry"])
    def retry(self, request, queryset):
        count = services.reset(list(queryset.values_list("pk", flat=True)), timezone.now())
        skipped = queryset.count() - count
        messages.success(request, f"{count} failed message(s) back in the queue"
                         + (f"; {skipped} not failed, left alone." if skipped > 0 else "."))


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("text", "user", "tenant", "escalation", "created_at", "read_at")
    list_filter = ("tenant",)
    list_select_related = ("user", "tenant", "escalation")
    search_fields = ("text", "user__username")


@admin.register(ClientContact)
class ClientContactAdmin(admin.ModelAdmin):
    list_display = ("name", "email", "tenant", "language", "vip_escalations", "management_escalations", "is_active")
    list_filter = ("tenant", "is_active", "vip_escalations", "management_escalations")
    search_fields = ("name", "email")


@admin.register(CommsSettings)
class CommsSettingsAdmin(admin.ModelAdmin):
    list_display = ("tenant", "auto_status_update")


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(ReadOnlyAdmin):
    list_display = ("user", "tenant", "quiet_start", "quiet_end", "updated_at")
    list_filter = ("tenant",)
