"""Pages for people: my notifications (with the unread count in the header), my notification
preferences, and — for supervisors and admins — the messages that could not be delivered."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from tierline.core.errors import DomainError, NotFound, PermissionDenied
from tierline.kit import actor_of, tenants_of, ui_view
from tierline.notifications import preferences, services

PAGE = 50


def _refused(request, exc: DomainError, template: str, context: dict):
    context["error"] = exc.message
    return render(request, template, context, status=exc.http_status)


@ui_view
def inbox(request):
    actor = actor_of(request)
    rows = services.my_notifications(actor).select_related("escalation", "tenant").order_by("-created_at", "-pk")
    if request.GET.get("unread"):
        rows = rows.filter(read_at__isnull=True)
    page = Paginator(rows, PAGE).get_page(request.GET.get("page"))
    return render(request, "notifications/inbox.html",
                  {"page": page, "unread": services.unread_count(actor), "only_unread": bool(request.GET.get("unread")),
                   "can_manage_outbox": bool(services.manageable_tenants(actor))})


@ui_view
def unread_badge(request):
    """The header's count (htmx polls it): a fragment, never cached."""
    response = render(request, "notifications/_unread.html", {"unread": services.unread_count(actor_of(request))})
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@ui_view
def read_one(request, pk: int):
    try:
        note = services.mark_read(pk, actor=actor_of(request), now=timezone.now())
    except DomainError as exc:
        return HttpResponse(exc.message, status=exc.http_status)
    if note.escalation_id and request.POST.get("open"):
        return redirect("escalations:detail", note.escalation.reference)
    target = request.POST.get("next")
    return redirect(target if target and _safe(request) else "notifications:inbox")


def _safe(request) -> bool:
    from django.utils.http import url_has_allowed_host_and_scheme

    return url_has_allowed_host_and_scheme(request.POST.get("next"), allowed_hosts={request.get_host()})


@require_POST
@ui_view
def read_all(request):
    count = services.mark_all_read(actor=actor_of(request), now=timezone.now())
    messages.info(request, f"{count} notification{'s' if count != 1 else ''} marked read.")
    return redirect("notifications:inbox")


# -- preferences -----------------------------------------------------------------------------
class PreferencesForm(forms.Form):
    quiet_start = forms.TimeField(required=False, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
                                  help_text="Quiet hours start (your time zone)")
    quiet_end = forms.TimeField(required=False, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
                                help_text="Quiet hours end")

    def __init__(self, *args, choice: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        for kind, (label, _) in preferences.KINDS.items():
            current = (choice or {}).get(kind, list(preferences.DEFAULT))
            self.fields[f"k_{kind}"] = forms.MultipleChoiceField(
                label=label, required=False, initial=current, widget=forms.CheckboxSelectMultiple,
                choices=[(c, preferences.CHANNEL_LABELS[c]) for c in preferences.CHANNELS])

    def channels(self) -> dict:
        return {kind: self.cleaned_data.get(f"k_{kind}") or [] for kind in preferences.KINDS}

    def kind_fields(self):
        return [self[f"k_{kind}"] for kind in preferences.KINDS]


@ui_view
def preferences_page(request):
    actor = actor_of(request)
    tenants = tenants_of(request.user)
    if not tenants:
        return render(request, "notifications/preferences.html", {"tenants": []})
    code = request.POST.get("tenant") or request.GET.get("tenant")
    tenant = next((t for t in tenants if t.code == code), tenants[0])
    pref = services.preference_for(actor, tenant)
    initial = {"quiet_start": pref.quiet_start, "quiet_end": pref.quiet_end} if pref else {}
    form = PreferencesForm(request.POST or None, initial=initial, choice=pref.channels if pref else None)
    status = 200
    context = {"tenants": tenants, "tenant": tenant, "form": form, "zone": request.user.time_zone or "UTC"}
    if request.method == "POST":
        if form.is_valid():
            try:
                services.save_preferences(tenant, actor=actor, now=timezone.now(), channels=form.channels(),
                                          quiet_start=form.cleaned_data["quiet_start"],
                                          quiet_end=form.cleaned_data["quiet_end"])
            except DomainError as exc:
                for field, problem in exc.fields.items():
                    if field in form.fields:
                        form.add_error(field, problem)
                return _refused(request, exc, "notifications/preferences.html", context)
            messages.success(request, "Your notification preferences are saved.")
            return redirect(f"{request.path}?tenant={tenant.code}")
        status = 422
    return render(request, "notifications/preferences.html", context, status=status)


# -- failed deliveries -----------------------------------------------------------------------
@ui_view
def outbox_problems(request):
    actor = actor_of(request)
    if not services.manageable_tenants(actor):
        return render(request, "notifications/outbox.html", {"forbidden": True}, status=403)
    page = Paginator(services.problem_messages(actor), PAGE).get_page(request.GET.get("page"))
    return render(request, "notifications/outbox.html", {"page": page, "now": timezone.now()})


@require_POST
@ui_view
def outbox_retry(request):
    actor = actor_of(request)
    try:
        count = services.retry_messages(request.POST.getlist("ids"), actor=actor, now=timezone.now())
    except NotFound:
        # Another tenant's message answers like one that does not exist, and a role that may not
        # manage the outbox is refused outright: neither is a form error to show on the page.
        raise Http404("message not found")
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(exc.message)
    except DomainError as exc:
        if request.htmx:
            return HttpResponse(exc.message, status=exc.http_status)
        messages.error(request, exc.message)
        return redirect("notifications:outbox")
    messages.success(request, f"{count} message{'s' if count != 1 else ''} back in the queue.")
    return redirect("notifications:outbox")


