"""Forms for the web UI. They only shape and pre-check input; the actions decide.

Every choice list is built from tenant-scoped querysets, so an id from another tenant is
refused as an invalid choice before any action runs (and the action refuses it again).
"""

from __future__ import annotations

from django import forms

from tierline.accounts.models import User
from tierline.core.inputs import INT_MAX, parse_id
from tierline.escalations import states
from tierline.escalations.choices import (
    Channel,
    EscalationType,
    LinkKind,
    Priority,
    ResolutionCode,
    RootCauseCategory,
    Status,
    Trigger,
)
from tierline.escalations.models import Approval
from tierline.routing.decide import settings_for
from tierline.routing.services import escalate_guidance_context
from tierline.tenancy.choices import Role, TeamLevel
from tierline.tenancy.models import Customer, Membership, Team

STATUS_FILTER_CHOICES = [("", "Open (any)"), ("all", "Any status"), *Status.choices]
VIEWS = (("mine", "My escalations"), ("team", "My team's"), ("open", "All open"),
         ("at_risk", "At risk (SLA)"))


def _blank(label: str, choices) -> list:
    return [("", label), *choices]


def split_tags(raw: str) -> list[str]:
    return [t.strip() for t in (raw or "").split(",") if t.strip()]


class TeamChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, team):
        return f"L{team.level} · {team.name}"


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user):
        return f"{user} ({user.username})"


# -- list ------------------------------------------------------------------------------------
class FilterForm(forms.Form):
    view = forms.ChoiceField(choices=VIEWS, required=False, widget=forms.HiddenInput)
    q = forms.CharField(required=False, max_length=200, label="Search",
                        widget=forms.TextInput(attrs={"placeholder": "Title, reference, customer, account or ticket id…",
                                                      "type": "search"}))
    status = forms.ChoiceField(choices=STATUS_FILTER_CHOICES, required=False)
    priority = forms.ChoiceField(choices=_blank("Any priority", Priority.choices), required=False)
    type = forms.ChoiceField(choices=_blank("Any type", EscalationType.choices), required=False)
    level = forms.TypedChoiceField(choices=_blank("Any level", TeamLevel.choices), coerce=int,
                                   empty_value=None, required=False)
    team = TeamChoiceField(queryset=Team.objects.none(), required=False, empty_label="Any team")
    tenant = forms.ChoiceField(choices=(), required=False)

    def __init__(self, *args, tenants, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = Team.objects.filter(tenant__in=tenants).order_by("tenant__code", "level", "name")
        if len(tenants) > 1:
            self.fields["tenant"].choices = _blank("Any client", [(t.code, t.code) for t in tenants])
            self.fields["team"].label_from_instance = lambda t: f"{t.tenant.code} · L{t.level} · {t.name}"
            self.fields["team"].queryset = self.fields["team"].queryset.select_related("tenant")
        else:
            del self.fields["tenant"]


# -- create ----------------------------------------------------------------------------------
class CreateForm(forms.Form):
    tenant = forms.ChoiceField(label="Client", choices=())
    title = forms.CharField(max_length=200)
    description = forms.CharField(required=False, max_length=20000, widget=forms.Textarea(attrs={"rows": 6}))
    type = forms.ChoiceField(choices=EscalationType.choices)
    priority = forms.ChoiceField(choices=Priority.choices, initial=Priority.P3)
    channel = forms.ChoiceField(choices=Channel.choices, initial=Channel.PHONE)
    trigger = forms.ChoiceField(choices=[("", "As the matrix decides"), *Trigger.choices], required=False)
    team = TeamChoiceField(queryset=Team.objects.none(), required=False,
                           empty_label="Let the escalation matrix decide")
    # Picked by type-ahead (the results are radio buttons named "customer"), or by account id:
    # big clients have too many customers for one select.
    customer = forms.CharField(required=False, widget=forms.HiddenInput)
    customer_account = forms.CharField(required=False, max_length=100, label="or customer account id")
    external_id = forms.CharField(required=False, max_length=100, label="External ticket id")
    tags = forms.CharField(required=False, max_length=1000, help_text="Comma separated, e.g. outage, vip")

    def __init__(self, *args, tenants, **kwargs):
        super().__init__(*args, **kwargs)
        self.tenants = {t.code: t for t in tenants}
        self.fields["tenant"].choices = [(t.code, f"{t.code} — {t.name}") for t in tenants]
        code = (self.data.get("tenant") if self.is_bound else None) or self.initial.get("tenant")
        self.tenant = self.tenants.get(code) or tenants[0]
        if len(tenants) == 1:
            self.fields["tenant"].widget = forms.HiddenInput()
        self.initial["tenant"] = self.tenant.code
        self.fields["team"].queryset = Team.objects.filter(tenant=self.tenant).order_by("level", "name")
        picked = str((self.data.get("customer") if self.is_bound else None) or self.initial.get("customer") or "")
        self.picked_customer = (Customer.objects.filter(tenant=self.tenant, pk=int(picked)).first()
                                if picked.isdigit() else None)

    def clean_tenant(self):
        code = self.cleaned_data["tenant"]
        if code not in self.tenants:
            raise forms.ValidationError("Not one of your clients.")
        return self.tenants[code]

    def clean(self):
        data = super().clean()
        tenant = data.get("tenant")
        picked, account = data.get("customer"), (data.get("customer_account") or "").strip()
        data["customer"] = None
        if tenant is None:
            return data
        qs = Customer.objects.filter(tenant=tenant)
        found = []
        if picked:
            customer = qs.filter(pk=pk).first() if (pk := parse_id(picked)) else None
            if customer is None:
                self.add_error("customer", "Customer not found for this client.")
            found.append(customer)
        if account:
            customer = qs.filter(account_id=account).first()
            if customer is None:
                self.add_error("customer_account", "No customer of this client has that account id.")
            found.append(customer)
        found = [c for c in found if c is not None]
        if len({c.pk for c in found}) > 1:
            self.add_error("customer_account", "The selected customer and the account id disagree.")
        elif found:
            data["customer"] = found[0]
        return data


# -- actions on one escalation ---------------------------------------------------------------
class ActionForm(forms.Form):
    """Carries the version the user saw, so a change made meanwhile is refused, not overwritten."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=INT_MAX)

    def __init__(self, *args, esc, action: str, **kwargs):
        kwargs.setdefault("auto_id", f"id_{action}_%s")
        kwargs.setdefault("initial", {}).setdefault("version", esc.version)
        super().__init__(*args, **kwargs)
        self.esc = esc


class ReasonForm(ActionForm):
    reason = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class OptionalReasonForm(ActionForm):
    reason = forms.CharField(max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class BodyForm(ActionForm):
    body = forms.CharField(max_length=20000, label="Message", widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["body"].label = {"reply": "Reply to the customer", "note": "Internal note (staff only)"}.get(
            kwargs.get("action") or "", "Message")


def staff_of(tenant_id: int):

    staff = Membership.objects.filter(tenant_id=tenant_id).exclude(role=Role.CLIENT_VIEWER).values("user_id")
    return User.objects.filter(pk__in=staff, is_active=True).order_by("first_name", "last_name", "username")


class AssignForm(ActionForm):
    owner = StaffChoiceField(queryset=None, empty_label="Choose…")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff_of(self.esc.tenant_id)


class EscalateForm(ActionForm):
    team = TeamChoiceField(queryset=None, required=False, label="To team")
    trigger = forms.ChoiceField(choices=Trigger.choices, initial=Trigger.HIERARCHICAL)
    reason = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        esc = self.esc
        field = self.fields["team"]
        field.queryset = (Team.objects.filter(tenant_id=esc.tenant_id, level__gte=esc.level)
                          .exclude(pk=esc.team_id).order_by("level", "name"))
        parent = esc.team.parent if esc.team.parent_id else None
        field.empty_label = (f"One level up: {parent.name} (L{parent.level})" if parent
                             else "Top of chain: choose a team")
        self.guidance = None
        if not self.is_bound:
            # The guidance panel and the default team come from one plan, so they cannot disagree.
            from django.utils import timezone


            self.guidance = escalate_guidance_context(esc, now=timezone.now())
            routed = self.guidance["routed"]
            if routed is not None and routed.team.pk != (parent.pk if parent else None):
                self.initial.setdefault("team", routed.team.pk)


class DeEscalateForm(ActionForm):
    team = TeamChoiceField(queryset=None, required=False, label="To team",
                           empty_label="Back to the team it came from")
    reason = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = (Team.objects.filter(tenant_id=self.esc.tenant_id, level__lte=self.esc.level)
                                        .exclude(pk=self.esc.team_id).order_by("level", "name"))


class PriorityForm(ActionForm):
    priority = forms.ChoiceField(choices=Priority.choices)
    reason = forms.CharField(max_length=2000, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("priority", self.esc.priority)


class PendingForm(ActionForm):
    waiting_on = forms.ChoiceField(choices=[("customer", "Customer"), ("third_party", "Third party")],
                                   label="Waiting on")
    reason = forms.CharField(max_length=2000, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        moves = states.allowed_moves(self.esc.status)
        field = self.fields["waiting_on"]
        field.choices = [(v, label) for v, label in field.choices if f"pend_{v}" in moves] or field.choices


class ResolveForm(ActionForm):
    summary = forms.CharField(max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))
    resolution_code = forms.ChoiceField(choices=_blank("Choose…", ResolutionCode.choices), label="Resolution")
    root_cause_category = forms.ChoiceField(choices=_blank("Not known yet", RootCauseCategory.choices),
                                            required=False, label="Root cause")
    compensation_amount = forms.DecimalField(required=False, min_value=0, max_digits=12, decimal_places=2,
                                             label="Compensation")
    compensation_currency = forms.CharField(required=False, max_length=3, label="Currency",
                                            widget=forms.TextInput(attrs={"placeholder": "EUR", "size": 4}))
    approval_reason = forms.CharField(required=False, max_length=2000, label="Why (for the approving manager)",
                                      widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)

        self.threshold = settings_for(self.esc.tenant_id).approval_threshold
        approved = (Approval.objects.filter(escalation=self.esc, kind=Approval.Kind.COMPENSATION,
                                            state=Approval.State.APPROVED).order_by("-pk").first())
        if approved is not None and not self.is_bound:  # resolve with what the manager approved
            self.initial.setdefault("compensation_amount", approved.amount)
            self.initial.setdefault("compensation_currency", approved.currency)


class RequestApprovalForm(ResolveForm):
    """The resolve form's "Request approval" button: the same fields, only the money and the why count."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("summary", "resolution_code"):
            self.fields[name].required = False
        self.fields["approval_reason"].required = True


class LinkForm(ActionForm):
    kind = forms.ChoiceField(choices=LinkKind.choices)
    target = forms.CharField(max_length=32, label="Reference",
                             widget=forms.TextInput(attrs={"placeholder": "ACME-2026-000001"}))


class MergeForm(ActionForm):
    into = forms.CharField(max_length=32, label="Merge into",
                           widget=forms.TextInput(attrs={"placeholder": "surviving reference"}))
    reason = forms.CharField(max_length=2000, required=False)


class TagsForm(ActionForm):
    add = forms.CharField(required=False, max_length=1000, label="Add tags",
                          widget=forms.TextInput(attrs={"placeholder": "comma separated"}))
    remove = forms.CharField(required=False, max_length=1000, widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        if not split_tags(data.get("add", "")) and not split_tags(data.get("remove", "")):
            raise forms.ValidationError("Name a tag to add or remove.")
        return data


class BulkForm(forms.Form):
    """Bulk reassign / acknowledge from a list: the rows' checkboxes post `ids`."""

    action = forms.ChoiceField(choices=[("acknowledge", "Acknowledge"), ("reassign", "Reassign to…")],
                               label="Bulk action")
    owner = StaffChoiceField(queryset=None, required=False, empty_label="Choose the new owner…", label="New owner")
    reason = forms.CharField(max_length=2000, label="Reason (recorded on each escalation)")

    def __init__(self, *args, tenants, **kwargs):
        super().__init__(*args, **kwargs)

        staff = (Membership.objects.filter(tenant__in=tenants).exclude(role=Role.CLIENT_VIEWER).values("user_id"))
        self.fields["owner"].queryset = User.objects.filter(pk__in=staff, is_active=True).order_by(
            "first_name", "last_name", "username")

    def clean(self):
        data = super().clean()
        if data.get("action") == "reassign" and not data.get("owner"):
            self.add_error("owner", "Choose who takes these escalations.")
        return data


def apply_domain_error(form: forms.Form, error, aliases: dict[str, str] | None = None) -> None:
    """Put a DomainError's field messages on the matching visible form fields.

    The error's own message is shown by the page as a banner, so nothing else is added here.
    """
    aliases = aliases or {}
    for name, message in (error.fields or {}).items():
        name = aliases.get(name, name)
        if name in form.fields and not form.fields[name].widget.is_hidden:
            form.add_error(name, message)
