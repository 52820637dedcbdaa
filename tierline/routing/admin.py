from django import forms
from django.contrib import admin, messages
from django.utils import timezone
from django.utils.html import format_html

from tierline.core.actors import Actor
from tierline.core.errors import DomainError
from tierline.routing import services
from tierline.routing.matrix import matrix_from_dict, matrix_to_dict
from tierline.routing.matrix_yaml import dump_matrix_yaml
from tierline.routing.models import AgentProfile, Leave, MatrixVersion, RoutingSettings, TeamRouting


class MatrixDraftForm(forms.ModelForm):
    """Admins edit the matrix as YAML; it is parsed (line and column on errors) when saved."""

    yaml = forms.CharField(widget=forms.Textarea(attrs={"rows": 30, "cols": 110, "class": "mono"}),
                           help_text="rules: [{name, precedence, when: {…}, then: {…}}] — see docs/routing.md")

    class Meta:
        model = MatrixVersion
        fields = ("tenant", "note")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.spec:

            self.fields["yaml"].initial = dump_matrix_yaml(matrix_from_dict(self.instance.spec))

    def clean_yaml(self):
        try:
            self.matrix = services.parse_yaml(self.cleaned_data["yaml"])
        except DomainError as exc:
            raise forms.ValidationError(exc.fields.get("yaml", exc.message))
        return self.cleaned_data["yaml"]


@admin.register(MatrixVersion)
class MatrixVersionAdmin(admin.ModelAdmin):
    form = MatrixDraftForm
    list_display = ("tenant", "number", "state", "effective_from", "note", "created_at")
    list_filter = ("tenant", "state")
    readonly_fields = ("number", "state", "effective_from", "published_at", "published_by", "checks")
    actions = ["publish_now"]

    def has_change_permission(self, request, obj=None):
        # Published versions are history: never edited, only superseded by a newer one.
        return super().has_change_permission(request, obj) and (obj is None or obj.state == "draft")

    def checks(self, obj):
        if not obj or not obj.pk:
            return "—"

        found = services.warnings_for(obj.tenant_id, matrix_from_dict(obj.spec), timezone.now())
        if not found:
            return "no warnings"
        return format_html("<br>".join("{}: {} — {}" for _ in found),
                           *[x for w in found for x in (w["code"], ", ".join(w["rules"]), w["message"])])

    def save_model(self, request, obj, form, change):
        from django.db.models import Max


        obj.spec = matrix_to_dict(form.matrix)
        if not change:
            obj.number = (MatrixVersion.objects.filter(tenant=obj.tenant).aggregate(n=Max("number"))["n"] or 0) + 1
            obj.created_at, obj.created_by = timezone.now(), request.user
        super().save_model(request, obj, form, change)

    @admin.action(description="Publish the selected drafts now")
    def publish_now(self, request, queryset):
        for version in queryset.order_by("number"):
            try:
                services.publish(version.tenant, version.number, actor=Actor.for_user(request.user),
                                 now=timezone.now())
                self.message_user(request, f"{version} published", messages.SUCCESS)
            except DomainError as exc:
                self.message_user(request, f"{version}: {exc.message}", messages.WARNING)


@admin.register(RoutingSettings)
class RoutingSettingsAdmin(admin.ModelAdmin):
    list_display = ("tenant", "calendar", "approval_threshold", "client_request_period_hours",
                    "client_request_ack_minutes")


@admin.register(TeamRouting)
class TeamRoutingAdmin(admin.ModelAdmin):
    list_display = ("team", "strategy", "assignments")
    list_filter = ("tenant", "strategy")
    readonly_fields = ("cursor", "assignments")


@admin.register(AgentProfile)
class AgentProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "tenant", "capacity")
    list_filter = ("tenant",)
    search_fields = ("user__username",)


@admin.register(Leave)
class LeaveAdmin(admin.ModelAdmin):
    list_display = ("user", "tenant", "starts_at", "ends_at", "reason")
    list_filter = ("tenant",)
