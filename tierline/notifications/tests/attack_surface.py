"""Notification pages for the attacker's-side suite (tierline/testing/attack.py)."""

from tierline.accounts.permissions import Perm
from tierline.notifications.models import Notification, OutboxMessage
from tierline.testing.attack import Page, Public

_n = iter(range(10**9))


def _message(world, own, state="sent"):
    tenant = world.tenant if own else world.other_tenant
    user = world.users["admin"] if own else world.other_user
    return OutboxMessage.objects.create(
        tenant=tenant, channel="in_app", idempotency_key=f"attack-{next(_n)}", recipient_user=user,
        recipient_address="a@b.example", subject="s", body="b", state=state, attempts=8 if state == "failed" else 1,
        last_error="SMTPServerDisconnected: gone" if state == "failed" else "", last_attempt_at=world.now,
        next_attempt_at=world.now, created_at=world.now)


def _read_url(world, own):
    source = _message(world, own)
    note = Notification.objects.create(tenant=source.tenant, user=source.recipient_user, source=source, text="t",
                                       created_at=world.now)
    return f"/notifications/{note.pk}/read/"


def _retry_data(world, url):
    # The form posts message ids; the query string only tells this callable whose message to post.
    return {"ids": [_message(world, not url.endswith("?of=other"), state="failed").pk]}


ENTRIES = [
    # A person's own inbox, count and preferences: every signed-in user has them, and they hold
    # only rows addressed to that user, so there is no role to refuse and no tenant id in the URL.
    Page("notifications/", perm=None, cross_tenant=False, url=lambda w, own: "/notifications/"),
    Page("notifications/unread/", perm=None, cross_tenant=False, url=lambda w, own: "/notifications/unread/",
         htmx=True),
    Page("notifications/<int:pk>/read/", perm=None, method="post", url=_read_url, ok=(302,)),
    Page("notifications/read-all/", perm=None, cross_tenant=False, method="post",
         url=lambda w, own: "/notifications/read-all/", ok=(302,)),
    Page("notifications/preferences/", perm=None, cross_tenant=False, url=lambda w, own: "/notifications/preferences/"),
    Page("notifications/preferences/", perm=None, cross_tenant=False, method="post",
         url=lambda w, own: "/notifications/preferences/?tenant=ACME",
         data=lambda w, url: {"tenant": "ACME", "k_assignment": ["in_app"]}, ok=(302,)),
    # Failed deliveries: the page lists every manageable tenant's messages (no id in the URL).
    Page("notifications/outbox/", perm=Perm.MANAGE_OUTBOX, cross_tenant=False,
         url=lambda w, own: "/notifications/outbox/"),
    Page("notifications/outbox/retry/", perm=Perm.MANAGE_OUTBOX, method="post", ok=(302,),
         url=lambda w, own: "/notifications/outbox/retry/" + ("" if own else "?of=other"), data=_retry_data),
]

ENTRIES += [
    # The development mailbox (TIERLINE_DEV only): staff read it; everyone else, signed in or not,
    # gets 404, so the page does not even admit it exists.
    Public("dev/mailbox/", "development mailbox: staff only, 404 for everyone else and outside development"),
    Public("dev/mailbox/<str:key>/", "one development message: staff only, 404 for everyone else",
           url=lambda w: "/dev/mailbox/no-such-message/"),
]
