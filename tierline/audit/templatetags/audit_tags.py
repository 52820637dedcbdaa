"""The audit card on the staff escalation page: recent reads and the evidence-bundle button."""

from django import template
from django.urls import reverse

from tierline.accounts.permissions import Perm, role_allows
from tierline.audit.models import EscalationAccess

register = template.Library()


@register.inclusion_tag("audit/_card.html", takes_context=True)
def audit_card(context):
    esc, role = context.get("esc"), context.get("role")
    if esc is None or not role or not role_allows(role, Perm.READ_AUDIT):
        return {"hidden": True}
    recent = (EscalationAccess.objects.filter(escalation_id=esc.pk).select_related("user")
              .order_by("-at", "-pk")[:10])
    return {"esc": esc, "recent": list(recent),
            "bundle_url": reverse("audit:bundle", args=[esc.reference]) if role_allows(role, Perm.EXPORT) else "",
            "log_url": reverse("audit:access-log", args=[esc.reference])}
