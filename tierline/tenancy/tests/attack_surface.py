"""Tenancy read API for the attacker's-side suite (tierline/testing/attack.py)."""

from tierline.accounts.permissions import Perm
from tierline.testing.attack import Operation

ENTRIES = [
    Operation("get", "/api/v1/tenants", Perm.VIEW, cross_tenant=False),
    Operation("get", "/api/v1/teams", Perm.VIEW, cross_tenant=False),
    Operation("get", "/api/v1/teams/{team_id}", Perm.VIEW,
              lambda w, own: ({"team_id": (w.teams["l1"] if own else w.other_team).pk}, None)),
    Operation("get", "/api/v1/customers", Perm.VIEW, cross_tenant=False),
    Operation("get", "/api/v1/customers/{customer_id}", Perm.VIEW,
              lambda w, own: ({"customer_id": (w.customer if own else w.other_customer).pk}, None)),
]

from tierline.testing.attack import Page  # noqa: E402

ENTRIES += [
    # The configuration home lists only the tenants where the role may configure.
    Page("config/", perm=Perm.CONFIGURE, cross_tenant=False, url=lambda w, own: "/config/"),
]
