from django.contrib import admin

from tierline.sla.models import Calendar, SlaPolicy


@admin.register(Calendar)
class CalendarAdmin(admin.ModelAdmin):
    list_display = ("name", "tenant", "version")
    list_filter = ("tenant",)
    readonly_fields = ("version",)


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = ("name", "tenant", "rank", "priority", "type", "customer_tier", "acknowledgement",
                    "first_response", "resolution", "version", "is_active")
    list_filter = ("tenant", "is_active", "priority")
    readonly_fields = ("version",)
