"""The problem card on the staff escalation page: its root cause and the problems it belongs to."""

from django import template

from tierline.accounts.permissions import Perm, role_allows
from tierline.problems.models import RootCause
from tierline.problems.queries import for_escalation

register = template.Library()


@register.inclusion_tag("problems/_card.html", takes_context=True)
def problems_card(context):
    esc, role = context.get("esc"), context.get("role")
    if esc is None or not role:
        return {"hidden": True}
    problems, cause = for_escalation(esc)
    causes = []
    if role_allows(role, Perm.WORK):
        causes = list(RootCause.objects.filter(tenant_id=esc.tenant_id, active=True).select_related("parent"))
    return {"esc": esc, "problems": problems, "cause": cause, "causes": causes,
            "csrf_token": context.get("csrf_token")}
