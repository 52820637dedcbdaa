from django.contrib import admin

from tierline.problems.models import CorrectiveAction, Problem, RootCause


@admin.register(RootCause)
class RootCauseAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "path", "tenant", "active")
    list_filter = ("tenant", "active")
    search_fields = ("code", "name")
    list_select_related = ("tenant", "parent")


class CapaInline(admin.TabularInline):
    model = CorrectiveAction
    extra = 0
    fields = ("kind", "title", "owner", "due_date", "status", "completed_at")
    readonly_fields = ("completed_at",)


@admin.register(Problem)
class ProblemAdmin(admin.ModelAdmin):
    list_display = ("reference", "title", "tenant", "status", "root_cause", "owner", "updated_at")
    list_filter = ("tenant", "status")
    search_fields = ("reference", "title")
    readonly_fields = ("reference", "created_at", "updated_at", "resolved_at")
    inlines = [CapaInline]


@admin.register(CorrectiveAction)
class CorrectiveActionAdmin(admin.ModelAdmin):
    list_display = ("title", "problem", "kind", "owner", "due_date", "status")
    list_filter = ("tenant", "status", "kind")
    date_hierarchy = "due_date"
