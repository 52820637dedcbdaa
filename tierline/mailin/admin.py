"""Intake addresses are configuration; inbound mail records are for looking only."""

from django.contrib import admin

from tierline.core.admin_base import ReadOnlyAdmin
from tierline.mailin.models import InboundMail, IntakeAddress


@admin.register(IntakeAddress)
class IntakeAddressAdmin(admin.ModelAdmin):
    list_display = ("address", "tenant", "channel", "is_active", "created_at")
    list_filter = ("tenant", "is_active")
    list_select_related = ("tenant",)
    search_fields = ("address",)


@admin.register(InboundMail)
class InboundMailAdmin(ReadOnlyAdmin):
    list_display = ("received_at", "tenant", "sender", "subject", "outcome", "escalation", "size")
    list_filter = ("outcome", "tenant")
    list_select_related = ("tenant", "escalation")
    search_fields = ("message_id", "sender", "subject", "escalation__reference")
    date_hierarchy = "received_at"
