"""Admin for configuration rows: clients, teams, customers and who belongs where."""

from django.contrib import admin

from tierline.privacy.admin import erase_selected
from tierline.tenancy.models import Customer, Membership, Team, TeamMember, Tenant


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "time_zone", "default_language", "is_active", "created_at")
    list_filter = ("is_active",)
    search_fields = ("code", "name")
    readonly_fields = ("created_at",)


class TeamMemberInline(admin.TabularInline):
    model = TeamMember
    extra = 0
    fields = ("user", "is_lead")
    autocomplete_fields = ("user",)


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "tenant", "level", "function", "parent")
    list_filter = ("tenant", "level", "function")
    list_select_related = ("tenant", "parent")
    search_fields = ("name", "tenant__code")
    inlines = [TeamMemberInline]

    def save_formset(self, request, form, formset, change):
        # A team member row carries its team's tenant; the inline form has no tenant field.
        for obj in formset.save(commit=False):
            obj.tenant_id = form.instance.tenant_id
            obj.save()
        for obj in formset.deleted_objects:
            obj.delete()
        formset.save_m2m()


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("name", "tenant", "tier", "account_id", "email", "language")
    list_filter = ("tenant", "tier")
    list_select_related = ("tenant",)
    search_fields = ("name", "email", "account_id")
    readonly_fields = ("created_at",)
    actions = [erase_selected]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "tenant", "role")
    list_filter = ("tenant", "role")
    list_select_related = ("tenant", "user")
    search_fields = ("user__username", "user__email", "tenant__code")
    autocomplete_fields = ("user",)
