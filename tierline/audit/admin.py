"""The event log in the admin: readable, never writable (it is append-only and hash-chained)."""

from django.contrib import admin

from tierline.audit.models import ChainHead, Event
from tierline.core.admin_base import ReadOnlyAdmin


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ("seq", "tenant", "escalation", "type_code", "actor_label", "occurred_at")
    list_filter = ("tenant", "type", "actor_kind")
    list_select_related = ("tenant", "escalation")
    search_fields = ("escalation__reference", "actor_label")
    ordering = ("-id",)

    @admin.display(description="type", ordering="type")
    def type_code(self, obj):
        return obj.type_code


@admin.register(ChainHead)
class ChainHeadAdmin(ReadOnlyAdmin):
    list_display = ("tenant", "seq", "hash")
