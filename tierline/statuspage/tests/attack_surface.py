"""Status page patterns for the attacker's-side suite (tierline/testing/attack.py)."""

import datetime as dt

from django.utils import timezone

from tierline.accounts.permissions import Perm
from tierline.core.actors import Actor
from tierline.statuspage.links import issue_link
from tierline.testing.attack import Page, Public


def _esc(world, own):
    return world.escalation("admin") if own else world.other_escalation()


def _revoke_url(world, own):
    esc = _esc(world, own)
    actor = world.actor("admin") if own else Actor.for_user(world.other_user)
    link, _ = issue_link(esc, actor=actor, now=timezone.now())
    return f"/status/manage/{esc.reference}/links/{link.pk}/revoke/"


def _live(world):
    _, token = issue_link(world.escalation("admin"), actor=world.actor("admin"), now=timezone.now())
    return f"/status/{token}/"


def _expired(world):
    past = timezone.now() - dt.timedelta(days=40)
    _, token = issue_link(world.escalation("admin", now=past), actor=world.actor("admin"), now=past, days=1)
    return f"/status/{token}/"


ENTRIES = [
    Page("status/manage/<str:reference>/issue/", perm=Perm.WORK, method="post", data=lambda w, url: {"days": "30"},
         url=lambda w, own: f"/status/manage/{_esc(w, own).reference}/issue/"),
    Page("status/manage/<str:reference>/links/<int:pk>/revoke/", perm=Perm.WORK, method="post", url=_revoke_url,
         ok=(302,)),
    Public("status/<str:token>/", "the customer's page: the signed link is the credential", url=_live,
           forged_url=lambda w: "/status/tl_forged_0123456789abcdef/"),
    Public("status/<str:token>/", "an expired link answers like an unknown one", url=_live, forged_url=_expired),
]
