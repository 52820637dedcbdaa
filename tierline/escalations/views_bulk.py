"""Bulk reassign and bulk acknowledge from a list, for leads. Each escalation goes through the
same verb a single action uses, and the reason is written on each one's timeline as a note."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from tierline import actions
from tierline.core.errors import DomainError
from tierline.escalations import forms
from tierline.escalations.models import Escalation
from tierline.escalations.views_lists import bulk_tenant_ids
from tierline.kit import actor_of, tenants_of, ui_view
from tierline.tenancy import scoping

BULK_LIMIT = 200


def _refuse(request, status: int, message: str):
    return render(request, "escalations/message.html", {"title": "Not done", "message": message}, status=status)


@ui_view
@require_POST
def bulk(request):
    user, actor = request.user, actor_of(request)
    allowed = bulk_tenant_ids(user)
    if not allowed:
        return _refuse(request, 403, "Your role does not allow bulk changes.")
    back = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = ""
    form = forms.BulkForm(request.POST, tenants=[t for t in tenants_of(user) if t.pk in allowed])
    raw = request.POST.getlist("ids")
    if not raw:
        return _refuse(request, 400, "Select at least one escalation.")
    if len(raw) > BULK_LIMIT or not all(x.isdigit() for x in raw):
        return _refuse(request, 400, f"Select between 1 and {BULK_LIMIT} escalations from the list.")
    if not form.is_valid():
        errors = "; ".join(f"{name}: {', '.join(e)}" for name, e in form.errors.items())
        return _refuse(request, 400, f"Please correct the bulk form: {errors}")
    ids = {int(x) for x in raw}
    found = list(scoping.scoped(Escalation.objects.filter(pk__in=ids), actor).select_related("tenant", "owner"))
    if len(found) != len(ids):
        # Another tenant's ids look exactly like ids that do not exist: nothing is done.
        return _refuse(request, 404, "Some of the selected escalations are not in your clients; nothing was changed.")
    if any(esc.tenant_id not in allowed for esc in found):
        return _refuse(request, 403, "Your role does not allow bulk changes for one of these clients.")
    d = form.cleaned_data
    done, skipped = [], []
    for esc in sorted(found, key=lambda e: e.pk):
        now = timezone.now()
        try:
            if d["action"] == "reassign":
                actions.assign(esc, d["owner"], actor=actor, now=now)
                note = f"Bulk reassign to {d['owner']} — reason: {d['reason']}"
            else:
                actions.acknowledge(esc, actor=actor, now=now)
                note = f"Bulk acknowledge — reason: {d['reason']}"
            actions.add_internal_note(esc, note, actor=actor, now=now)
            done.append(esc.reference)
        except DomainError as err:
            skipped.append(f"{esc.reference} ({err.message})")
    verb = "reassigned" if d["action"] == "reassign" else "acknowledged"
    if done:
        messages.success(request, f"{len(done)} {verb}: {', '.join(done)}.")
    if skipped:
        messages.warning(request, f"{len(skipped)} not {verb}: {'; '.join(skipped)}.")
    return redirect(back or "escalations:list")
