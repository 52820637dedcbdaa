"""Managing subscriptions. The signing secret is shown once, when created or rotated."""

from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html

from tierline.webhooks.models import EVENT_CODES, WebhookSubscription
from tierline.webhooks.signing import new_secret
from tierline.webhooks.ssrf import host_of


class WebhookSubscriptionForm(forms.ModelForm):
    url = forms.URLField(max_length=2000, assume_scheme="https")
    event_types = forms.MultipleChoiceField(
        choices=[(code, code) for code in EVENT_CODES], required=False, widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every event type.")

    class Meta:
        model = WebhookSubscription
        fields = ("tenant", "name", "url", "format", "event_types", "is_active")


def _show_secret(request, subscription: WebhookSubscription) -> None:
    messages.warning(request, format_html(
        "Signing secret for “{}”: <code>{}</code> — copy it now, it will not be shown again.",
        subscription.name, subscription.secret))


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    form = WebhookSubscriptionForm
    list_display = ("name", "tenant", "format", "target_host", "is_active", "created_at")
    list_filter = ("format", "is_active", "tenant")
    list_select_related = ("tenant",)
    search_fields = ("name",)
    actions = ("rotate_secret",)

    @admin.display(description="host")
    def target_host(self, obj):
        return host_of(obj.url)  # not the whole URL: a chat webhook's path is its credential

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            _show_secret(request, obj)

    @admin.action(description="Rotate the signing secret (shown once)")
    def rotate_secret(self, request, queryset):
        for subscription in queryset:
            subscription.secret = new_secret()
            subscription.save(update_fields=["secret"])
            _show_secret(request, subscription)
