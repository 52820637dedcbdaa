"""Privacy settings per tenant; the erasure log; "erase personal data" on selected customers."""

from django.contrib import admin, messages
from django.utils import timezone

from tierline.actions.erasure import erase_customer
from tierline.core.actors import Actor
from tierline.core.errors import DomainError
from tierline.privacy.models import Erasure, PrivacySettings


@admin.register(PrivacySettings)
class PrivacySettingsAdmin(admin.ModelAdmin):
    list_display = ("tenant", "retention_days", "mask_name", "mask_email", "mask_phone", "mask_text")
    list_select_related = ("tenant",)
    readonly_fields = ("next_retention_at",)


@admin.register(Erasure)
class ErasureAdmin(admin.ModelAdmin):
    list_display = ("customer", "tenant", "kind", "done_at", "done_by", "escalations")
    list_filter = ("tenant", "kind")
    list_select_related = ("tenant", "customer")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.action(description="Erase personal data of the selected customers (irreversible)")
def erase_selected(modeladmin, request, queryset):
    """Each customer in their own transaction, checked against the admin's role in its tenant."""
    actor, done = Actor.for_user(request.user), 0
    for customer in queryset.order_by("pk"):
        try:
            if not erase_customer(customer, actor=actor, now=timezone.now()).already:
                done += 1
        except DomainError as exc:
            modeladmin.message_user(request, f"customer {customer.pk}: {exc.message}", messages.ERROR)
    modeladmin.message_user(request, f"Erased {done} customer(s).", messages.SUCCESS)
