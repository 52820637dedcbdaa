"""SLA pages for the attacker's-side suite (tierline/testing/attack.py)."""

import datetime as dt

from tierline.accounts.permissions import Perm
from tierline.sla.models import Calendar, SlaPolicy
from tierline.testing.attack import Page


def _objects(world, own):
    tenant = world.tenant if own else world.other_tenant
    cal = Calendar.objects.get_or_create(tenant=tenant, name="Office",
                                         defaults={"spec": {"timezone": "UTC", "always_open": True}})[0]
    policy = SlaPolicy.objects.get_or_create(tenant=tenant, name="Standard",
                                             defaults={"calendar": cal, "resolution": dt.timedelta(hours=8)})[0]
    return tenant.code, cal.pk, policy.pk


def _url(pattern):
    def url(world, own):
        code, cal, policy = _objects(world, own)
        return "/config/" + pattern.format(code=code, cal=cal, policy=policy)
    return url


PREVIEW = {"name": "x", "timezone": "Europe/London", "hours_mon": "09:00-17:00", "start": "2026-03-02T16:00",
           "hours": "2", "minutes": "0"}

ENTRIES = [
    # Pure arithmetic on what the user pastes in: no tenant data, so any signed-in user.
    Page("sla/simulator/", perm=None, cross_tenant=False, url=lambda w, own: "/sla/simulator/"),
    Page("config/<str:code>/calendars/", perm=Perm.CONFIGURE, url=_url("{code}/calendars/")),
    Page("config/<str:code>/calendars/new/", perm=Perm.CONFIGURE, url=_url("{code}/calendars/new/")),
    Page("config/<str:code>/calendars/preview/", perm=Perm.CONFIGURE, url=_url("{code}/calendars/preview/"),
         method="post", data=lambda w, url: PREVIEW, htmx=True),
    Page("config/<str:code>/calendars/<int:pk>/", perm=Perm.CONFIGURE, url=_url("{code}/calendars/{cal}/")),
    Page("config/<str:code>/calendars/<int:pk>/retime/", perm=Perm.CONFIGURE, method="post",
         url=_url("{code}/calendars/{cal}/retime/"), data=lambda w, url: {}, ok=(302,)),
    Page("config/<str:code>/policies/", perm=Perm.CONFIGURE, url=_url("{code}/policies/")),
    Page("config/<str:code>/policies/new/", perm=Perm.CONFIGURE, url=_url("{code}/policies/new/")),
    Page("config/<str:code>/policies/<int:pk>/", perm=Perm.CONFIGURE, url=_url("{code}/policies/{policy}/")),
    Page("config/<str:code>/policies/<int:pk>/retime/", perm=Perm.CONFIGURE, method="post",
         url=_url("{code}/policies/{policy}/retime/"), data=lambda w, url: {}, ok=(302,)),
]
