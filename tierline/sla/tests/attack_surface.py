"""SLA pages for the attacker's-side suite (tierline/testing/attack.py)."""

from tierline.testing.attack import Page

ENTRIES = [
    # Pure arithmetic on what the user pastes in: no tenant data, so any signed-in user.
    Page("sla/simulator/", perm=None, cross_tenant=False, url=lambda w, own: "/sla/simulator/"),
]
