from django.contrib import admin

from tierline.reports.models import ContactVolume, ReportSchedule


@admin.register(ContactVolume)
class ContactVolumeAdmin(admin.ModelAdmin):
    list_display = ("tenant", "date", "channel", "count")
    list_filter = ("tenant", "channel")
    date_hierarchy = "date"


@admin.register(ReportSchedule)
class ReportScheduleAdmin(admin.ModelAdmin):
    list_display = ("tenant", "recipient", "frequency", "format", "time_zone", "next_run_at", "is_active")
    list_filter = ("tenant", "frequency", "is_active")
    readonly_fields = ("last_period_start",)
