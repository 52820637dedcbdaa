"""Calendar and SLA policy screens for a tenant's admins, with the due-at preview, the simulator
in plain units, and the re-time of open escalations after an edit.

Saving a calendar or a policy never changes a running clock by itself (the policy is frozen into
each escalation's log when its clock starts); the page then offers to re-time the open
escalations, one `retime_sla` verb call each, so every change is an event on its escalation.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from tierline.calendars.spec import CalendarError, calendar_from_dict
from tierline.calendars.timecalc import add_business_time
from tierline.escalations.models import OPEN_STATUSES, Escalation
from tierline.sla.admin import retime_open
from tierline.sla.forms import STEP_FIELDS, CalendarForm, PolicyForm, PreviewForm
from tierline.sla.models import Calendar, SlaPolicy
from tierline.sla.policy import NOTIFY_WHOM, STEP_ACTIONS, TARGETS
from tierline.sla.simulate import simulate
from tierline.tenancy.choices import Role
from tierline.tenancy.views import config_view


def _open_on(policies) -> int:
    return Escalation.objects.filter(sla_policy__in=policies, status__in=OPEN_STATUSES).count()


def _calendar(tenant, pk: int) -> Calendar:
    found = Calendar.objects.filter(tenant=tenant, pk=pk).first()
    if found is None:
        raise Http404("no such calendar")
    return found


def _policy(tenant, pk: int) -> SlaPolicy:
    found = SlaPolicy.objects.filter(tenant=tenant, pk=pk).select_related("calendar").first()
    if found is None:
        raise Http404("no such policy")
    return found


def _hm(seconds) -> str:
    if seconds is None:
        return "—"
    minutes = int(seconds) // 60
    hours, minutes = divmod(abs(minutes), 60)
    text = f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"
    return f"-{text}" if seconds < 0 else text


# -- calendars -------------------------------------------------------------------------------------
@config_view
def calendars(request, tenant):
    rows = [(c, SlaPolicy.objects.filter(calendar=c).count()) for c in Calendar.objects.filter(tenant=tenant)
            .order_by("name")]
    return render(request, "sla/config/calendars.html", {"tenant": tenant, "rows": rows, "section": "calendars"})


@config_view
def calendar_edit(request, tenant, pk: int | None = None):
    instance = _calendar(tenant, pk) if pk else None
    form = CalendarForm(request.POST or None, tenant=tenant, instance=instance)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            cal = instance or Calendar(tenant=tenant)
            cal.name, cal.spec = form.cleaned_data["name"], form.cleaned_data["spec"]
            cal.save()
        messages.success(request, f"Calendar “{cal.name}” saved (version {cal.version}).")
        return redirect("sla-config:calendar", code=tenant.code, pk=cal.pk)
    waiting = _open_on(SlaPolicy.objects.filter(calendar=instance)) if instance else 0
    return render(request, "sla/config/calendar.html", {
        "tenant": tenant, "form": form, "calendar": instance, "section": "calendars", "waiting": waiting,
        "preview": PreviewForm(initial={"hours": 8, "minutes": 0,
                                        "start": timezone.localtime().strftime("%Y-%m-%dT%H:%M")})},
        status=422 if form.errors else 200)


@config_view
def calendar_preview(request, tenant):
    """Due at: the business-time deadline of a start and a duration under the calendar as typed."""
    form, preview = CalendarForm(request.POST, tenant=tenant), PreviewForm(request.POST)
    ctx = {"error": None, "due": None}
    # The name is not needed to preview; everything else is checked as on save.
    if not form.is_valid() and set(form.errors) - {"name"}:
        ctx["error"] = "; ".join(f"{e}" for errs in form.errors.values() for e in errs)
    elif not preview.is_valid():
        ctx["error"] = "; ".join(f"{name}: {e}" for name, errs in preview.errors.items() for e in errs)
    else:
        try:
            cal = calendar_from_dict(form.cleaned_data["spec"])
            start = _as_calendar_time(preview.cleaned_data["start"], cal)
            due = add_business_time(start, preview.cleaned_data["duration"], cal)
            # Formatted here: the date filter would show them in the viewer's zone, not the calendar's.
            ctx.update(due=f"{due.astimezone(cal.zone):%a %d %b %Y %H:%M}", start=f"{start:%a %d %b %Y %H:%M}",
                       duration=_hm(
                preview.cleaned_data["duration"].total_seconds()), zone=cal.timezone)
        except (CalendarError, ValueError, OverflowError, TypeError) as exc:
            ctx["error"] = str(exc)
    return render(request, "sla/config/_due.html", ctx)


def _as_calendar_time(start: dt.datetime, cal) -> dt.datetime:
    """The preview's start is typed as wall time in the calendar's own zone."""
    wall = timezone.make_naive(start) if timezone.is_aware(start) else start
    return wall.replace(tzinfo=cal.zone)


@require_POST
@config_view
def calendar_retime(request, tenant, pk: int):
    cal = _calendar(tenant, pk)
    policies = SlaPolicy.objects.filter(calendar=cal)
    _report(request, *retime_open(request, Escalation.objects.filter(sla_policy__in=policies),
                                  f"calendar {cal.name} edited (v{cal.version})"))
    return redirect("sla-config:calendar", code=tenant.code, pk=cal.pk)


def _report(request, done: int, refused: list[str]) -> None:
    messages.success(request, f"Re-timed {done} open escalation(s).")
    if refused:
        messages.warning(request, f"Not re-timed: {'; '.join(refused[:10])}")


# -- policies --------------------------------------------------------------------------------------
@config_view
def policies(request, tenant):
    rows = SlaPolicy.objects.filter(tenant=tenant).select_related("calendar").order_by("rank", "name")
    return render(request, "sla/config/policies.html", {
        "tenant": tenant, "section": "policies",
        "rows": [(p, {t: _hm(getattr(p, t).total_seconds() if getattr(p, t) else None)
                      for t in ("first_response", "update_cadence", "resolution")}) for p in rows]})


@config_view
def policy_edit(request, tenant, pk: int | None = None):
    instance = _policy(tenant, pk) if pk else SlaPolicy(tenant=tenant)
    form = PolicyForm(request.POST or None, instance=instance, tenant=tenant)
    if not Calendar.objects.filter(tenant=tenant).exists():
        messages.info(request, "Make a business calendar first: every policy runs on one.")
        return redirect("sla-config:calendar-new", code=tenant.code)
    if request.method == "POST" and form.is_valid():
        policy = form.save()
        messages.success(request, f"SLA policy “{policy.name}” saved (version {policy.version}).")
        return redirect("sla-config:policy", code=tenant.code, pk=policy.pk)
    schedule = _schedule(instance) if instance.pk else None
    return render(request, "sla/config/policy.html", {
        "tenant": tenant, "form": form, "policy": instance if instance.pk else None, "section": "policies",
        "waiting": _open_on([instance]) if instance.pk else 0, "schedule": schedule,
        "step_rows": form.step_rows + [{} for _ in range(2)], "targets": TARGETS, "actions": STEP_ACTIONS,
        "whom": [w for w in NOTIFY_WHOM if w != "user"], "roles": Role.choices, "teams": form.teams,
        "step_fields": STEP_FIELDS}, status=422 if form.errors else 200)


def _schedule(policy: SlaPolicy) -> dict:
    """The simulator over the saved policy: an escalation opened now and never paused."""
    snapshot = policy.snapshot_dict()
    start = timezone.now().replace(second=0, microsecond=0)
    try:
        rows = simulate(snapshot["calendar"], snapshot, start)
    except (ValueError, OverflowError) as exc:
        return {"error": str(exc), "rows": []}
    for row in rows:
        row["elapsed"] = _hm(row["business_elapsed"].total_seconds() if isinstance(
            row["business_elapsed"], dt.timedelta) else row["business_elapsed"])
    return {"error": None, "rows": rows, "start": start}


@require_POST
@config_view
def policy_retime(request, tenant, pk: int):
    policy = _policy(tenant, pk)
    _report(request, *retime_open(request, Escalation.objects.filter(sla_policy=policy),
                                  f"SLA policy {policy.name} edited (v{policy.version})"))
    return redirect("sla-config:policy", code=tenant.code, pk=policy.pk)
