"""Audit pages and API (access log, evidence bundles, export) for the attacker's-side suite
(tierline/testing/attack.py)."""

from tierline.accounts.permissions import Perm
from tierline.testing.attack import Operation, Page, Public


def _ref(world, own):
    return (world.escalation("admin") if own else world.other_escalation()).reference


ENTRIES = [
    # The form lists the tenants where the user may read the audit trail and export: no id to swap.
    Page("audit/export/", perm=Perm.READ_AUDIT, cross_tenant=False, url=lambda w, own: "/audit/export/"),
    Page("audit/export/", perm=Perm.READ_AUDIT, method="post", url=lambda w, own: f"/audit/export/?r={_ref(w, own)}",
         data=lambda w, url: {"references": url.split("?r=")[1]}),
    Page("audit/escalations/<str:reference>/access/", perm=Perm.READ_AUDIT,
         url=lambda w, own: f"/audit/escalations/{_ref(w, own)}/access/"),
    Page("audit/escalations/<str:reference>/bundle/", perm=Perm.READ_AUDIT,
         url=lambda w, own: f"/audit/escalations/{_ref(w, own)}/bundle/"),
    Public("api/v1/audit/public-key", "the evidence-signing public key: bundle receivers check signatures with it"),
    Operation("get", "/api/v1/audit/escalations/{reference}/access-log", Perm.READ_AUDIT,
              lambda w, own: ({"reference": _ref(w, own)}, None)),
    Operation("get", "/api/v1/audit/escalations/{reference}/bundle", Perm.READ_AUDIT,
              lambda w, own: ({"reference": _ref(w, own)}, None)),
    # A POST that only reads: a read-only token may export evidence (READ_ONLY_PERMS).
    Operation("post", "/api/v1/audit/exports", Perm.READ_AUDIT,
              lambda w, own: ({}, {"references": [_ref(w, own)]}), writes=False),
]
