"""Admin for people and their API tokens."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from tierline.accounts.models import ApiToken, User
from tierline.tenancy.models import Membership


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ("tenant", "role")


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    fieldsets = (*DjangoUserAdmin.fieldsets, ("Tierline", {"fields": ("display_name", "time_zone", "language")}))
    add_fieldsets = (*DjangoUserAdmin.add_fieldsets,
                     ("Tierline", {"fields": ("display_name", "time_zone", "language")}))
    list_display = ("username", "display_name", "email", "first_name", "last_name", "is_staff", "is_active")
    search_fields = ("username", "display_name", "email", "first_name", "last_name")
    inlines = [MembershipInline]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are issued by ApiToken.issue (the secret is shown once); here they are only
    inspected and revoked, so the digest and prefix can never be edited."""

    list_display = ("name", "user", "prefix", "scope", "created_at", "expires_at", "revoked_at", "last_used_at")
    list_filter = ("scope",)
    list_select_related = ("user",)
    search_fields = ("name", "prefix", "user__username")
    fields = ("user", "name", "prefix", "digest", "scope", "created_at", "expires_at", "revoked_at", "last_used_at")
    readonly_fields = ("user", "name", "prefix", "digest", "scope", "created_at", "last_used_at")

    def has_add_permission(self, request):
        return False
