from django.contrib import admin, messages
from django.utils import timezone

from tierline import actions
from tierline.core.actors import Actor
from tierline.core.errors import DomainError
from tierline.escalations.models import OPEN_STATUSES, Escalation
from tierline.sla.models import Calendar, SlaPolicy


def retime_open(request, escalations, why: str) -> tuple[int, list[str]]:
    """Re-time each open escalation through the write path (one event each, permission-checked)."""
    done, refused = 0, []
    for esc in escalations.filter(status__in=OPEN_STATUSES).order_by("pk"):
        try:
            actions.retime_sla(esc, actor=Actor.for_user(request.user), now=timezone.now(), reason=why)
            done += 1
        except DomainError as exc:
            refused.append(f"{esc.reference}: {exc.message}")
    return done, refused


def _report(modeladmin, request, done, refused):
    modeladmin.message_user(request, f"Re-timed {done} open escalation(s).", messages.SUCCESS)
    if refused:
        modeladmin.message_user(request, f"Not re-timed: {'; '.join(refused[:10])}", messages.WARNING)


@admin.register(Calendar)
class CalendarAdmin(admin.ModelAdmin):
    list_display = ("name", "tenant", "version")
    list_filter = ("tenant",)
    readonly_fields = ("version",)
    actions = ["retime"]

    @admin.action(description="Re-time open escalations whose policy uses these calendars")
    def retime(self, request, queryset):
        policies = SlaPolicy.objects.filter(calendar__in=queryset)
        done, refused = retime_open(request, Escalation.objects.filter(sla_policy__in=policies),
                                    "calendar edited")
        _report(self, request, done, refused)


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = ("name", "tenant", "rank", "priority", "type", "customer_tier", "acknowledgement",
                    "first_response", "resolution", "version", "is_active")
    list_filter = ("tenant", "is_active", "priority")
    readonly_fields = ("version",)
    actions = ["retime"]

    @admin.action(description="Re-time open escalations running on these policies")
    def retime(self, request, queryset):
        done, refused = retime_open(request, Escalation.objects.filter(sla_policy__in=queryset), "policy edited")
        _report(self, request, done, refused)
