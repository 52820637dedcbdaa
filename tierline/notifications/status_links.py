"""The status-page link every customer email carries (docs/templates.md: `status_page_url`).

One mail link per escalation, reused by every email while it has at least REISSUE_BEFORE left
(so the staff sidebar lists one, not one per email), then replaced. Only the digest is stored,
as for links staff issue; the mail link's token is an HMAC of the row's escalation and creation
time under SECRET_KEY, so the mailer can recompute it, and a copy of the database alone yields no
usable link. A revoked mail link is never reused. Tenant templates that leave the variable out
still get the link, appended as a last line, so the customer can always reach the page.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import html

from django.conf import settings
from django.urls import reverse

from tierline.core.actors import Actor
from tierline.core.compiled import db_datetime, fetch_rows
from tierline.statuspage.models import StatusLink

_MAILER = Actor.system("customer-mail")
MAIL_LINK_DAYS = 30
REISSUE_BEFORE = dt.timedelta(days=7)


def absolute(path: str) -> str:
    base = settings.TIERLINE.get("PUBLIC_BASE_URL", "").rstrip("/")
    return f"{base}{path}"


def _token(esc_id: int, created_at: dt.datetime) -> str:
    mac = hmac.new(settings.SECRET_KEY.encode(), f"status-mail:{esc_id}:{created_at.isoformat()}".encode(),
                   hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def mail_token(esc, now: dt.datetime) -> str:
    """The token of the escalation's live mail link, issuing one when none is usable."""

    # Compiled once (fetch_rows): every customer email of every action asks. The parameters go in
    # the order Django compiled the filter to: created_by, escalation, expiry.
    for created_at, digest in fetch_rows("mail_link", lambda: StatusLink.objects.filter(
            created_by=_MAILER.label, escalation_id=0, expires_at__gt=dt.datetime(2000, 1, 1, tzinfo=dt.UTC),
            revoked_at__isnull=True).order_by("-pk").values_list("created_at", "digest")[:1],
            [_MAILER.label, esc.pk, db_datetime(now + REISSUE_BEFORE)]):
        token = _token(esc.pk, created_at)
        if StatusLink.digest_of(token) == digest:  # not so after a SECRET_KEY rotation
            return token
    token = _token(esc.pk, now)
    StatusLink.objects.get_or_create(
        digest=StatusLink.digest_of(token),
        defaults={"tenant_id": esc.tenant_id, "escalation": esc, "created_at": now, "created_by": _MAILER.label,
                  "expires_at": now + dt.timedelta(days=MAIL_LINK_DAYS)})
    return token


_PAGE_PATHS: dict[tuple, tuple[str, str]] = {}


def page_path(token: str) -> str:
    """reverse("statuspage:page", args=[token]), reversed once per script prefix and urlconf:
    every customer email asks, and reversing cost as much as the rest of the link. Tokens are
    URL-safe base64, which the path takes as it is."""
    from django.urls import get_script_prefix, get_urlconf

    key = (get_script_prefix(), get_urlconf(), settings.ROOT_URLCONF)
    parts = _PAGE_PATHS.get(key)
    if parts is None:
        marker = "TIERLINETOKEN"
        parts = _PAGE_PATHS[key] = tuple(reverse("statuspage:page", args=[marker]).split(marker, 1))
    return f"{parts[0]}{token}{parts[1]}"


def issue_for_mail(esc, now: dt.datetime) -> str:
    return absolute(page_path(mail_token(esc, now)))


def ensure_link(rendered, url: str):
    """`rendered` with the link appended to each body that does not already show it."""
    text, body_html = rendered.text, rendered.html
    if url and url not in text:
        text = f"{text.rstrip()}\n\nFollow your case: {url}\n"
    if url and body_html is not None and html.escape(url) not in body_html and url not in body_html:
        body_html += f'\n<p><a href="{html.escape(url)}">Follow your case</a></p>'
    return rendered._replace(text=text, html=body_html)
