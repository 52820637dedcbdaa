"""Report pages and API for the attacker's-side suite (tierline/testing/attack.py)."""

from tierline.accounts.permissions import Perm
from tierline.testing.attack import Operation, Page


def _code(world, own):
    return (world.tenant if own else world.other_tenant).code


def _report(suffix=""):
    return lambda w, own: f"/reports/{_code(w, own)}/{suffix}"


ENTRIES = [
    # The list of tenants the user may report on (one tenant: straight to its dashboard).
    Page("reports/", perm=Perm.REPORTS, cross_tenant=False, url=lambda w, own: "/reports/", ok=(302,)),
    # The queue's export: the filters pick among the user's own exportable tenants only.
    Page("reports/escalations.<str:fmt>", perm=Perm.EXPORT, cross_tenant=False,
         url=lambda w, own: "/reports/escalations.csv?view=all"),
    Page("reports/<str:code>/", perm=Perm.REPORTS, url=_report()),
    Page("reports/<str:code>/", perm=Perm.REPORTS, url=lambda w, own: _report()(w, own) + "?format=csv"),
    Page("reports/<str:code>/supervisor/", perm=Perm.REPORTS, url=_report("supervisor/")),
    Page("reports/<str:code>/management/", perm=Perm.REPORTS, url=_report("management/")),
    Operation("post", "/api/v1/reports/tenants/{code}/contacts", Perm.CONFIGURE,
              lambda w, own: ({"code": _code(w, own)},
                              {"rows": [{"date": "2026-03-01", "channel": "phone", "count": 12}]})),
    Operation("get", "/api/v1/reports/tenants/{code}/kpis", Perm.REPORTS,
              lambda w, own: ({"code": _code(w, own)}, None), query=lambda w, own: "start=2026-02-01&end=2026-03-01"),
    Operation("get", "/api/v1/reports/tenants/{code}/schedules", Perm.CONFIGURE,
              lambda w, own: ({"code": _code(w, own)}, None)),
    Operation("post", "/api/v1/reports/tenants/{code}/schedules", Perm.CONFIGURE,
              lambda w, own: ({"code": _code(w, own)},
                              {"recipient": "admin" if own else "other", "frequency": "weekly",
                               "time_zone": "Europe/London"})),
]
