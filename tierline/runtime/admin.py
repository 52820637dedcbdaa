from django.contrib import admin

from tierline.runtime.models import JobState, ParkedItem


@admin.register(JobState)
class JobStateAdmin(admin.ModelAdmin):
    list_display = ("name", "consecutive_failures", "last_ok_at", "failing_since", "last_error")
    readonly_fields = ("name", "consecutive_failures", "last_ok_at", "last_failed_at", "failing_since", "last_error")


@admin.register(ParkedItem)
class ParkedItemAdmin(admin.ModelAdmin):
    list_display = ("job", "kind", "object_id", "tenant_ref", "attempts", "last_failed_at", "retry_at", "error")
    list_filter = ("job", "kind")
    readonly_fields = ("job", "kind", "object_id", "tenant_ref", "error", "attempts", "first_failed_at",
                       "last_failed_at", "retry_at")
    actions = ["retry_now"]

    @admin.action(description="Retry on the next worker pass")
    def retry_now(self, request, queryset):
        # Forgetting the item is all a retry needs: the job no longer leaves it out.
        queryset.delete()
