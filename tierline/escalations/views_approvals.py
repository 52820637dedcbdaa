"""Approvals in the UI: the managers' queue, and approve/reject with a reason. Requests are made
from the resolve form (the `request-approval` action in views.ACTIONS); both write through
actions/approvals.py, and the decision reaches the requester's inbox through the outbox."""

from __future__ import annotations

from django import forms as djforms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from tierline import actions
from tierline.accounts.permissions import Perm
from tierline.core.errors import DomainError
from tierline.escalations.models import Approval
from tierline.kit import actor_of, tenants_of, ui_view
from tierline.tenancy import scoping


class DecideForm(djforms.Form):
    decision = djforms.ChoiceField(choices=[("approve", "Approve"), ("reject", "Reject")])
    note = djforms.CharField(max_length=2000, required=False, label="Reason",
                             widget=djforms.Textarea(attrs={"rows": 2}))

    def clean(self):
        data = super().clean()
        if data.get("decision") == "reject" and not (data.get("note") or "").strip():
            self.add_error("note", "Say why it is rejected: the requester reads this.")
        return data


def pending_count(user) -> int:
    tenants = [t.pk for t in tenants_of(user, Perm.APPROVE_COMPENSATION)]
    if not tenants:
        return 0
    return Approval.objects.filter(tenant_id__in=tenants, state=Approval.State.REQUESTED).count()


def _queue(request, *, failed=None, error=None, status=200):
    tenants = tenants_of(request.user, Perm.APPROVE_COMPENSATION)
    if not tenants:
        return render(request, "escalations/message.html", {
            "title": "Not allowed", "message": "Only managers decide approvals."}, status=403)
    base = Approval.objects.filter(tenant__in=tenants).select_related("escalation", "tenant", "decided_by")
    waiting = list(base.filter(state=Approval.State.REQUESTED).order_by("requested_at", "pk"))
    for approval in waiting:
        approval.form = (failed[1] if failed and failed[0] == approval.pk
                         else DecideForm(auto_id=f"id_a{approval.pk}_%s"))
    decided = list(base.exclude(state=Approval.State.REQUESTED).order_by("-decided_at", "-pk")[:20])
    return render(request, "escalations/approvals.html", {
        "waiting": waiting, "decided": decided, "error": error, "multi_tenant": len(tenants) > 1}, status=status)


@ui_view
def approvals_queue(request):
    return _queue(request)


@ui_view
@require_POST
def approval_decide(request, pk: int):
    actor = actor_of(request)
    visible = [t.pk for t in tenants_of(request.user)]
    approval = Approval.objects.filter(pk=pk, tenant_id__in=visible).select_related("escalation").first()
    if approval is None:
        raise Http404("no such approval")  # another tenant's looks like one that does not exist
    form = DecideForm(request.POST, auto_id=f"id_a{pk}_%s")
    try:
        scoping.check(actor, Perm.APPROVE_COMPENSATION, approval.tenant_id)
        if not form.is_valid():
            return _queue(request, failed=(pk, form), error="Please correct the decision below.", status=422)
        d = form.cleaned_data
        actions.decide_approval(approval.escalation, approval.pk, actor=actor, now=timezone.now(),
                                approve=d["decision"] == "approve", note=d["note"])
    except DomainError as err:
        if err.http_status == 403:
            return render(request, "escalations/message.html", {"title": "Not allowed", "message": err.message},
                          status=403)
        return _queue(request, failed=(pk, form), error=err.message, status=err.http_status)
    verb = "approved" if d["decision"] == "approve" else "rejected"
    messages.success(request, f"{approval.escalation.reference}: {approval.get_kind_display().lower()} {verb}.")
    return redirect("escalations:approvals")
