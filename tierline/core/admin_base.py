from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """Admin pages for rows only the write path or the worker may change: readable, never editable."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
