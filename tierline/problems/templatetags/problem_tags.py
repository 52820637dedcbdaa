"""The problem card on the staff escalation page: its root cause and the problems it belongs to."""

from django import template

from tierline.problems.queries import for_escalation

register = template.Library()


@register.inclusion_tag("problems/_card.html", takes_context=True)
def problems_card(context):
    esc, role = context.get("esc"), context.get("role")
    if esc is None or not role:
        return {"hidden": True}
    problems, cause = for_escalation(esc)
    return {"problems": problems, "cause": cause}
