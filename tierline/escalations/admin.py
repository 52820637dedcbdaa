"""Escalations are read-only here: every change goes through tierline.actions,
which the admin's generic forms would bypass (no event, no version, no permission check)."""

from django.contrib import admin

from tierline.core.admin_base import ReadOnlyAdmin
from tierline.escalations.models import Attachment, Escalation, Link


@admin.register(Escalation)
class EscalationAdmin(ReadOnlyAdmin):
    list_display = ("reference", "title", "tenant", "priority", "status", "level", "team", "owner", "created_at",
                    "updated_at")
    list_filter = ("tenant", "status", "priority", "level", "type")
    list_select_related = ("tenant", "team", "owner")
    search_fields = ("reference", "title", "external_id")
    date_hierarchy = "created_at"
    ordering = ("-id",)


@admin.register(Link)
class LinkAdmin(ReadOnlyAdmin):
    list_display = ("source", "kind", "target", "tenant", "created_at")
    list_select_related = ("source", "target", "tenant")


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyAdmin):
    list_display = ("filename", "escalation", "content_type", "size", "uploaded_at")
    list_select_related = ("escalation",)
    search_fields = ("filename", "sha256", "escalation__reference")
