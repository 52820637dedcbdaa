"""The status-link card on the staff escalation page, so that page needs one line to show it."""

from django import template
from django.utils import timezone

from tierline.accounts.permissions import Perm, role_allows
from tierline.statuspage.links import live_links

register = template.Library()


@register.inclusion_tag("statuspage/_staff_card.html", takes_context=True)
def status_links_card(context):
    esc, role = context.get("esc"), context.get("role")
    # Only people who may issue links see them: a link is a credential to the customer's view.
    if esc is None or not role or not role_allows(role, Perm.WORK):
        return {"hidden": True}
    return {"esc": esc, "links": live_links(esc, now=timezone.now()), "csrf_token": context.get("csrf_token")}
