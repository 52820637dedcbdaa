"""Every customer email carries a working status-page link: received by a real SMTP server,
followed from the received text, it opens the escalation's page without a login."""

import datetime as dt
import re

from django.utils import timezone

from tierline import actions
from tierline.notifications.delivery import deliver_due
from tierline.statuspage.links import revoke
from tierline.statuspage.models import StatusLink
from tierline.templating.models import CommunicationTemplate

H = dt.timedelta(hours=1)
LINK = re.compile(r"https://desk\.example\.test(/status/[A-Za-z0-9_-]+/)")


def _bodies(message):
    text = message.get_body(preferencelist=("plain",)).get_content()
    html_part = message.get_body(preferencelist=("html",))
    return text, (html_part.get_content() if html_part else "")


def test_every_customer_email_links_to_the_status_page(client, world, smtp, settings):
    settings.TIERLINE = {**settings.TIERLINE, "PUBLIC_BASE_URL": "https://desk.example.test"}
    inbox, _, _ = smtp
    now = timezone.now()  # the page checks expiry against the real clock
    esc = world.escalation(now=now)
    actor = world.actor("specialist")
    esc = actions.acknowledge(esc, actor=actor, now=now)
    esc = actions.add_public_reply(esc, "We found the fault.", actor=actor, now=now + H)
    esc = actions.resolve(esc, actor=actor, now=now + 2 * H, summary="Replaced the line card", resolution_code="fixed")
    deliver_due(now + 3 * H)
    received = [m for m in inbox.messages if m["To"] == world.customer.email]
    kinds = ["acknowledgement", "status_update", "resolved", "satisfaction_survey"]
    assert len(received) == len(kinds)
    urls = set()
    for message in received:
        text, html = _bodies(message)
        (path,) = set(LINK.findall(text))
        assert path in html
        urls.add(path)
    # One link per escalation, reused by every email (the staff sidebar lists one, not four).
    assert len(urls) == 1 and StatusLink.objects.filter(escalation=esc).count() == 1
    page = client.get(urls.pop())
    body = page.content.decode()
    assert page.status_code == 200 and esc.reference in body and "We found the fault." in body


def test_a_tenant_template_without_the_link_still_gets_it_and_a_revoked_link_is_replaced(client, world, smtp, settings):
    settings.TIERLINE = {**settings.TIERLINE, "PUBLIC_BASE_URL": "https://desk.example.test"}
    inbox, _, _ = smtp
    CommunicationTemplate.objects.create(tenant=world.tenant, kind="status_update", language="en",
                                         subject="Update on {{ escalation.reference }}", body_text="Still on it.",
                                         body_html="<p>Still on it.</p>")
    now = timezone.now()
    esc = world.escalation(now=now)
    deliver_due(now)
    first = LINK.findall(_bodies(inbox.messages[-1])[0])[0]
    revoke(StatusLink.objects.get(escalation=esc), actor=world.actor(), now=now)
    assert client.get(first).status_code == 404
    esc = actions.add_public_reply(esc, "Progress", actor=world.actor("specialist"), now=now + H)
    deliver_due(now + H)
    text, html = _bodies(inbox.messages[-1])
    assert text.startswith("Still on it.")
    (second,) = LINK.findall(text)
    assert second != first and second in html
    assert client.get(second).status_code == 200
