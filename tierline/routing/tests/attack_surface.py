"""Routing pages and matrix API for the attacker's-side suite (tierline/testing/attack.py)."""

from tierline.accounts.permissions import Perm
from tierline.routing import services
from tierline.routing.tests.test_intake import MATRIX, vip_policy
from tierline.testing.attack import Operation, Page

M = "/api/v1/routing/tenants/{code}/matrix"


def _code(world, own):
    return world.tenant.code if own else world.other_tenant.code


def _draft(world, own):
    if not own:  # the tenant lookup refuses before the number matters
        return {"code": world.other_tenant.code, "number": 1}, {}
    vip_policy(world)
    version, _ = services.import_draft(world.tenant, MATRIX, actor=world.actor("admin"), now=world.now)
    return {"code": world.tenant.code, "number": version.number}, {}


def _published(world, own):
    if own:
        vip_policy(world)
        version, _ = services.import_draft(world.tenant, MATRIX, actor=world.actor("admin"), now=world.now)
        services.publish(world.tenant, version.number, actor=world.actor("admin"), now=world.now)
    return {"code": _code(world, own)}, None


def _config(suffix=""):
    def url(world, own):
        number = _draft(world, own)[0]["number"] if "{n}" in suffix else 0
        return f"/config/{_code(world, own)}/matrix/" + suffix.format(n=number)
    return url


ENTRIES = [
    Page("config/<str:code>/matrix/", perm=Perm.CONFIGURE, url=_config()),
    Page("config/<str:code>/matrix/dry-run/", perm=Perm.CONFIGURE, url=_config("dry-run/")),
    Page("config/<str:code>/matrix/<int:number>/", perm=Perm.CONFIGURE, url=_config("{n}/")),
    Page("config/<str:code>/matrix/<int:number>/publish/", perm=Perm.CONFIGURE, url=_config("{n}/publish/")),
    Page("config/<str:code>/matrix/<int:number>/discard/", perm=Perm.CONFIGURE, url=_config("{n}/discard/"),
         method="post", data=lambda w, url: {}, ok=(302,)),
    Page("routing/guidance/", perm=Perm.CREATE, cross_tenant=False,
         url=lambda w, own: "/routing/guidance/?tenant=ACME&type=technical&priority=P2", htmx=True),
    Page("routing/matrix/", cross_tenant=False, url=lambda w, own: "/routing/matrix/", ok=(302,)),
    Page("routing/<str:code>/matrix/", url=lambda w, own: f"/routing/{_code(w, own)}/matrix/"),
    Page("escalations/<str:reference>/guidance/", perm=Perm.ESCALATE, htmx=True,
         url=lambda w, own: f"/escalations/{(w.escalation('admin') if own else w.other_escalation()).reference}"
                            "/guidance/"),
    Operation("get", M, Perm.VIEW, lambda w, own: ({"code": _code(w, own)}, None)),
    Operation("get", f"{M}/export", Perm.VIEW, _published),
    Operation("post", f"{M}/drafts", Perm.CONFIGURE, lambda w, own: ({"code": _code(w, own)}, {"yaml": MATRIX})),
    Operation("post", f"{M}/versions/{{number}}/publish", Perm.CONFIGURE, _draft),
    Operation("post", f"{M}/dry-run", Perm.VIEW,
              lambda w, own: ({"code": _code(w, own)}, {"type": "technical", "priority": "P2", "title": "t", "channel": "phone"}),
              writes=False),
]
