"""The problem card on the staff escalation page: its root cause and the problems it belongs to.

Two queries whatever the taxonomy's size: the problem links, and either the tenant's categories
(marked with the assigned one, for people who may change it) or the assignment alone.
"""

from django import template
from django.db.models import Exists, OuterRef

from tierline.accounts.permissions import Perm, role_allows
from tierline.problems.models import EscalationRootCause, ProblemLink, RootCause

register = template.Library()


@register.inclusion_tag("problems/_card.html", takes_context=True)
def problems_card(context):
    esc, role = context.get("esc"), context.get("role")
    if esc is None or not role:
        return {"hidden": True}
    problems = [ln.problem for ln in ProblemLink.objects.filter(escalation=esc).select_related("problem")]
    causes, cause = [], None
    if role_allows(role, Perm.WORK):
        assigned = EscalationRootCause.objects.filter(escalation_id=esc.pk, root_cause_id=OuterRef("pk"))
        causes = list(RootCause.objects.filter(tenant_id=esc.tenant_id)
                      .annotate(assigned=Exists(assigned)).select_related("parent__parent"))
        cause = next((c for c in causes if c.assigned), None)
        causes = [c for c in causes if c.active or c.assigned]
    else:
        row = EscalationRootCause.objects.filter(escalation_id=esc.pk).select_related("root_cause__parent").first()
        cause = row.root_cause if row else None
    return {"esc": esc, "problems": problems, "cause": cause, "causes": causes,
            "csrf_token": context.get("csrf_token")}
