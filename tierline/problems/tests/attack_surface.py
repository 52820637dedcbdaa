"""Problem pages and API for the attacker's-side suite (tierline/testing/attack.py)."""

import datetime as dt

from tierline import actions
from tierline.accounts.permissions import Perm
from tierline.core.actors import Actor
from tierline.problems import services
from tierline.problems.models import RootCause
from tierline.testing.attack import Operation, Page

P = "/api/v1/problems"
DUE = (dt.date(2026, 3, 2) + dt.timedelta(days=14)).isoformat()


def _actor(world, own):
    return world.actor("admin") if own else Actor.for_user(world.other_user)


def _tenant(world, own):
    return world.tenant if own else world.other_tenant


def _problem(world, own):
    return services.create_problem(_tenant(world, own), actor=_actor(world, own), now=world.now, title="Router reboots")


def _capa(world, own):
    p = _problem(world, own)
    owner = world.users["admin"] if own else world.other_user
    a = services.add_action(p, actor=_actor(world, own), now=world.now, kind="corrective", title="Patch firmware",
                            owner=owner, due_date=dt.date.fromisoformat(DUE))
    return p, a


def _cause(world, own):
    return RootCause.objects.create(tenant=_tenant(world, own), code="firmware", name="Firmware")


def _esc(world, own):
    return world.escalation("admin") if own else world.other_escalation()


def _link(world, own, linked=False):
    esc, p = _esc(world, own), _problem(world, own)
    if linked:
        actions.link_problem(esc, p, actor=_actor(world, own), now=world.now)
    return {"reference": esc.reference}, {"problem": p.pk}


def _tq(world, own):
    return f"tenant={_tenant(world, own).code}"


def _root_cause_page(world, own):
    esc = _esc(world, own)
    return f"/problems/escalations/{esc.reference}/root-cause/?c={_cause(world, own).pk}&v={esc.version}"


def _query(url, key):
    return dict(part.split("=") for part in url.split("?")[1].split("&"))[key]


ENTRIES = [
    # pages
    Page("problems/", cross_tenant=False, url=lambda w, own: "/problems/"),
    Page("problems/", perm=Perm.WORK, method="post", ok=(302,), url=lambda w, own: f"/problems/?{_tq(w, own)}",
         data=lambda w, url: {"tenant": _query(url, "tenant"), "title": "Router reboots"}),
    Page("problems/recurring/", url=lambda w, own: f"/problems/recurring/?{_tq(w, own)}"),
    Page("problems/recurring/chart.svg", url=lambda w, own: f"/problems/recurring/chart.svg?{_tq(w, own)}"),
    Page("problems/recurring.csv", perm=Perm.EXPORT, url=lambda w, own: f"/problems/recurring.csv?{_tq(w, own)}"),
    Page("problems/<int:pk>/", url=lambda w, own: f"/problems/{_problem(w, own).pk}/"),
    Page("problems/<int:pk>/do/<str:what>/", perm=Perm.WORK, method="post", ok=(302,),
         url=lambda w, own: f"/problems/{_problem(w, own).pk}/do/update/",
         data=lambda w, url: {"status": "known_error", "workaround": "Reboot twice"}),
    Page("problems/escalations/<str:reference>/root-cause/", perm=Perm.WORK, method="post", ok=(302,),
         url=_root_cause_page, data=lambda w, url: {"root_cause": _query(url, "c"), "version": _query(url, "v")}),
    # API
    Operation("get", f"{P}/root-causes", Perm.VIEW, query=_tq),
    Operation("get", f"{P}/recurring", Perm.VIEW, query=_tq),
    Operation("get", P, Perm.VIEW, cross_tenant=False),
    Operation("post", P, Perm.WORK, lambda w, own: ({}, {"tenant": _tenant(w, own).code, "title": "Router reboots"})),
    Operation("get", f"{P}/{{problem_id}}", Perm.VIEW, lambda w, own: ({"problem_id": _problem(w, own).pk}, None)),
    Operation("post", f"{P}/{{problem_id}}", Perm.WORK,
              lambda w, own: ({"problem_id": _problem(w, own).pk}, {"status": "known_error"})),
    Operation("post", f"{P}/{{problem_id}}/actions", Perm.WORK,
              lambda w, own: ({"problem_id": _problem(w, own).pk},
                              {"kind": "preventive", "title": "Monitor", "owner": w.users["admin"].pk, "due_date": DUE})),
    Operation("post", f"{P}/{{problem_id}}/actions/{{action_id}}", Perm.WORK,
              lambda w, own: (dict(zip(("problem_id", "action_id"), [o.pk for o in _capa(w, own)], strict=True)),
                              {"status": "in_progress"})),
    Operation("post", "/api/v1/escalations/{reference}/problems", Perm.WORK, lambda w, own: _link(w, own)),
    Operation("post", "/api/v1/escalations/{reference}/problems-unlink", Perm.WORK,
              lambda w, own: _link(w, own, linked=True)),
    Operation("post", "/api/v1/escalations/{reference}/root-cause", Perm.WORK,
              lambda w, own: ({"reference": _esc(w, own).reference}, {"root_cause": _cause(w, own).pk})),
]
