from django.contrib import admin

from tierline.security.models import TenantSecurity


@admin.register(TenantSecurity)
class TenantSecurityAdmin(admin.ModelAdmin):
    list_display = ("tenant", "totp_required_roles")
    search_fields = ("tenant__code", "tenant__name")
