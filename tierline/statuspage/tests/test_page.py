"""The customer's status page through the Django test client: what it shows, what it hides, what
its forms do, and how it refuses."""

import datetime as dt
import re

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from tierline import actions
from tierline.audit.event_types import EventType as T
from tierline.audit.models import Event
from tierline.core.actors import Actor
from tierline.escalations.models import Attachment, ClientRequest, Escalation
from tierline.sla.models import Calendar, SlaPolicy
from tierline.statuspage.links import issue_link, revoke
from tierline.testing.factories import MembershipFactory, TeamMemberFactory, UserFactory

MIN = dt.timedelta(minutes=1)
PRIVATE = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}


def assert_private(response):
    for name, value in PRIVATE.items():
        assert response[name] == value, name
    # Neither policy ever sends the path (the token). A page with a POST form needs the origin
    # sent (strict-origin), or browsers post `Origin: null` and CSRF refuses: see test_browser.py.
    has_form = b'method="post"' in response.content
    assert response["Referrer-Policy"] == ("strict-origin" if has_form else "no-referrer")


def page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200
    assert_private(response)
    return response.content.decode()


def events(esc, type_=None):
    qs = Event.objects.filter(escalation=esc).order_by("seq")
    return list(qs.filter(type=type_) if type_ is not None else qs)


def resolve(world, esc, at):
    actions.acknowledge(esc, actor=world.actor(), now=at - MIN)
    actions.resolve(esc, actor=world.actor(), now=at, summary="We replaced the router", resolution_code="fixed")


# -- reading -----------------------------------------------------------------------------------

def test_the_link_shows_the_case(client, world, opened):
    esc, url = opened
    html = page(client, url)
    for text in (esc.reference, "Customer cannot log in", "Received", "P3", "Frontline care", "Case opened"):
        assert text in html
    assert 'class="topbar"' not in html and 'class="topnav"' not in html and "Log out" not in html  # no staff nav
    assert "tierline/tierline.css" in html and "https://" not in html  # own static CSS, no CDN


def test_unknown_expired_and_revoked_links_give_the_same_404(client, world, base):
    esc = world.escalation(now=base)
    _, expired = issue_link(esc, actor=world.actor(), now=timezone.now() - dt.timedelta(days=31))
    link, revoked = issue_link(esc, actor=world.actor(), now=base)
    _, working = issue_link(esc, actor=world.actor(), now=base, days=1)
    assert client.get(f"/status/{revoked}/").status_code == 200
    revoke(link, actor=world.actor(), now=timezone.now())
    bodies = set()
    for token in (expired, revoked, "x" * 43, "nope"):
        response = client.get(f"/status/{token}/")
        assert response.status_code == 404
        assert_private(response)
        assert esc.reference not in response.content.decode()
        bodies.add(response.content)
    assert len(bodies) == 1
    # A one-day link issued two days ago has expired too.
    assert client.get(f"/status/{working}/").content in bodies


def test_a_token_shows_only_its_own_escalation(client, world, base):
    mine = world.escalation(now=base, title="Billing twice for March")
    other = world.escalation(now=base, title="Roaming data not working", customer=world.vip)
    _, token = issue_link(mine, actor=world.actor(), now=base)
    html = page(client, f"/status/{token}/")
    assert mine.reference in html and "Billing twice for March" in html
    assert other.reference not in html and "Roaming data" not in html
    # Posting through it touches only that escalation.
    before = [e.pk for e in events(other)]
    client.post(f"/status/{token}/", {"form": "reply", "body": "Any news?"})
    assert [e.pk for e in events(other)] == before
    assert not Event.objects.filter(escalation=other, type=T.PUBLIC_REPLY).exists()
    assert Event.objects.filter(escalation=mine, type=T.PUBLIC_REPLY).count() == 1


def test_internal_notes_reasons_and_staff_usernames_never_appear(client, world, base):
    jamie = UserFactory(username="jdoe-staff-9731", first_name="Jamie", last_name="Doeson",
                        display_name="Jamie Doeson (night shift)")
    MembershipFactory(tenant=world.tenant, user=jamie, role="agent")
    TeamMemberFactory(team=world.teams["l1"], user=jamie)
    esc = world.escalation(now=base, description="DESCRIPTION-INTERNAL", external_id="EXT-77123")
    staff = Actor.for_user(jamie)
    actions.acknowledge(esc, actor=staff, now=base + MIN)
    actions.add_internal_note(esc, "SECRET-NOTE", actor=world.actor(), now=base + 2 * MIN)
    actions.add_public_reply(esc, "We are looking into it", actor=staff, now=base + 3 * MIN)
    actions.start_progress(esc, actor=staff, now=base + 4 * MIN)
    actions.set_pending(esc, waiting_on="third_party", reason="PENDING-REASON", actor=staff, now=base + 5 * MIN)
    actions.resume(esc, actor=staff, now=base + 6 * MIN)
    _, token = issue_link(esc, actor=world.actor(), now=base)
    html = page(client, f"/status/{token}/")
    assert "Frontline care — Jamie" in html and "We are looking into it" in html
    assert "Status: Waiting for a third party" in html
    actions.escalate(esc, reason="ESCALATION-REASON", trigger="hierarchical", actor=world.actor(),
                     now=base + 7 * MIN)
    html = page(client, f"/status/{token}/")
    assert "Escalated to Technical support L2" in html
    for secret in ("SECRET-NOTE", "PENDING-REASON", "ESCALATION-REASON", "DESCRIPTION-INTERNAL", "EXT-77123",
                   "jdoe-staff-9731", "Doeson", "night shift", "user:", ">supervisor<", "hierarchical"):
        assert secret not in html, secret


def test_the_next_update_comes_from_the_sla(client, world):
    cal = Calendar.objects.create(tenant=world.tenant, name="24x7", spec={"timezone": "UTC", "always_open": True})
    SlaPolicy.objects.create(tenant=world.tenant, name="Std", calendar=cal, update_cadence=dt.timedelta(hours=4),
                             resolution=dt.timedelta(hours=48))
    created = timezone.now().replace(microsecond=0) - MIN
    esc = world.escalation(now=created)
    _, token = issue_link(esc, actor=world.actor(), now=created)
    html = page(client, f"/status/{token}/")
    due = created + dt.timedelta(hours=4)
    assert re.search(r"Next update due</dt><dd data-next-update>by " + re.escape(f"{due:%a %d %b %Y, %H:%M} UTC"),
                     html)
    actions.acknowledge(esc, actor=world.actor(), now=created)
    actions.start_progress(esc, actor=world.actor(), now=created)
    actions.set_pending(esc, waiting_on="customer", actor=world.actor(), now=created)
    assert "once you reply" in page(client, f"/status/{token}/")


def test_no_sla_no_promise(client, opened):
    assert "data-next-update" not in page(client, opened[1])


# -- the customer's forms --------------------------------------------------------------------

def test_a_reply_is_recorded_as_the_customer_and_shown_escaped(client, world, opened):
    esc, url = opened
    response = client.post(url, {"form": "reply", "body": "<script>alert(1)</script> still broken"})
    assert response.status_code == 302 and response["Location"] == f"{url}?done=reply"
    assert_private(response)
    [event] = events(esc, T.PUBLIC_REPLY)
    assert (event.actor_kind, event.actor_customer_id, event.data["from"]) == ("customer", world.customer.pk,
                                                                              "customer")
    html = page(client, response["Location"])
    assert "your message has been added" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; still broken" in html and "<script>alert" not in html
    assert "You wrote" in html


def test_reply_errors_are_inline(client, world, opened):
    esc, url = opened
    for body, status in (("", 422), ("x" * 5001, 422)):
        response = client.post(url, {"form": "reply", "body": body})
        assert response.status_code == status
        assert 'data-error="reply"' in response.content.decode()
    assert client.post(url, {"form": "nonsense"}).status_code == 400
    assert not events(esc, T.PUBLIC_REPLY)


def test_a_reply_soon_after_resolution_reopens(client, world, opened):
    esc, url = opened
    resolve(world, esc, timezone.now() - dt.timedelta(days=3))
    html = page(client, url)
    assert "Writing here reopens it" in html and "We replaced the router" in html
    client.post(url, {"form": "reply", "body": "It broke again"})
    row = Escalation.objects.get(pk=esc.pk)
    assert (row.status, row.reopen_count) == ("reopened", 1)
    assert events(esc, T.REOPENED)[0].actor_kind == "customer"
    assert "Status: Reopened" in page(client, url)


def test_no_reply_long_after_resolution(client, world):
    start = timezone.now() - dt.timedelta(days=10)
    esc = world.escalation(now=start)
    _, token = issue_link(esc, actor=world.actor(), now=start)
    resolve(world, esc, start + dt.timedelta(days=1))
    url = f"/status/{token}/"
    html = page(client, url)
    assert 'id="reply"' not in html and 'id="rate"' in html
    refused = client.post(url, {"form": "reply", "body": "hello?"})
    assert refused.status_code == 409 and "more than 7 days ago" in refused.content.decode()
    assert Escalation.objects.get(pk=esc.pk).status == "resolved"


def test_rating_only_after_resolution_and_only_once(client, world, opened):
    esc, url = opened
    assert 'id="rate"' not in page(client, url)
    refused = client.post(url, {"form": "rate", "score": "5"})
    assert refused.status_code == 409 and "once it is resolved" in refused.content.decode()
    resolve(world, esc, timezone.now() - MIN)
    assert 'id="rate"' in page(client, url)
    for bad in ("9", "0", "", "four"):
        invalid = client.post(url, {"form": "rate", "score": bad})
        assert invalid.status_code == 422 and 'data-error="rate"' in invalid.content.decode()
    assert client.post(url, {"form": "rate", "score": "4", "comment": "Good <b>job</b>"}).status_code == 302
    row = Escalation.objects.get(pk=esc.pk)
    assert (row.csat_score, row.csat_comment) == (4, "Good <b>job</b>")
    html = page(client, url)
    assert 'id="rate"' not in html and "Rated 4 out of 5" in html and "Good &lt;b&gt;job" in html
    again = client.post(url, {"form": "rate", "score": "1"})
    assert again.status_code == 409 and "already been rated" in again.content.decode()
    assert len(events(esc, T.CSAT_RECEIVED)) == 1


def test_asking_to_escalate_then_asking_again_is_rate_limited(client, world, opened):
    esc, url = opened
    empty = client.post(url, {"form": "escalate", "reason": "  "})
    assert empty.status_code == 422 and 'data-error="escalate"' in empty.content.decode()
    assert client.post(url, {"form": "escalate", "reason": "Third outage this week"}).status_code == 302
    request = ClientRequest.objects.get(escalation=esc)
    assert (request.source, request.reason) == ("status_page", "Third outage this week")
    [event] = events(esc, T.CLIENT_ESCALATION_REQUESTED)
    assert event.data["trigger"] == "client_initiated" and event.actor_kind == "customer"
    again = client.post(url, {"form": "escalate", "reason": "Still waiting"})
    assert again.status_code == 429
    html = again.content.decode()
    assert 'data-error="escalate"' in html and "already open" in html
    assert ClientRequest.objects.filter(escalation=esc).count() == 1
    assert "You asked us to escalate this case" in page(client, url)


def test_files_within_the_limit_are_attached_and_larger_ones_refused(client, world, opened, settings):
    settings.TIERLINE = {**settings.TIERLINE, "ATTACHMENT_MAX_BYTES": 100}
    esc, url = opened
    big = SimpleUploadedFile("trace.txt", b"x" * 101, content_type="text/plain")
    response = client.post(url, {"form": "attach", "file": big})
    assert response.status_code == 422
    assert 'data-error="attach"' in response.content.decode() and "too large" in response.content.decode()
    exe = SimpleUploadedFile("run.exe", b"MZ", content_type="application/x-msdownload")
    assert client.post(url, {"form": "attach", "file": exe}).status_code == 422
    assert client.post(url, {"form": "attach"}).status_code == 422
    assert not Attachment.objects.filter(escalation=esc).exists()
    ok = SimpleUploadedFile("trace.txt", b"x" * 100, content_type="text/plain")
    assert client.post(url, {"form": "attach", "file": ok}).status_code == 302
    attachment = Attachment.objects.get(escalation=esc)
    assert (attachment.filename, attachment.size) == ("trace.txt", 100)
    assert "You attached trace.txt" in page(client, url)


def test_closed_cases_offer_only_the_rating(client, world, opened):
    esc, url = opened
    resolve(world, esc, timezone.now() - MIN)
    actions.close(esc, actor=world.actor(), now=timezone.now())
    html = page(client, url)
    assert 'id="rate"' in html
    assert not any(f'id="{f}"' in html for f in ("reply", "attach", "escalate"))
    refused = client.post(url, {"form": "reply", "body": "hello"})
    assert refused.status_code == 409 and "no further replies" in refused.content.decode()


def test_posts_need_the_csrf_token(world, opened):
    esc, url = opened
    browser = Client(enforce_csrf_checks=True)
    assert browser.post(url, {"form": "reply", "body": "forged"}).status_code == 403
    browser.get(url)
    token = browser.cookies["csrftoken"].value
    response = browser.post(url, {"form": "reply", "body": "real", "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert [e.data["body"] for e in events(esc, T.PUBLIC_REPLY)] == ["real"]


# -- rate limits -------------------------------------------------------------------------------

def test_too_many_views_get_a_readable_429(client, opened, settings):
    settings.TIERLINE = {**settings.TIERLINE, "STATUS_PAGE_LIMITS": {"GET": (3, 60)}}
    _, url = opened
    for _ in range(3):
        assert client.get(url).status_code == 200
    response = client.get(url)
    assert response.status_code == 429
    assert_private(response)
    assert int(response["Retry-After"]) > 0 and "Too many requests" in response.content.decode()
    assert client.get(url, REMOTE_ADDR="10.9.9.9").status_code == 429  # per token, whatever the address


def test_probing_tokens_from_one_address_is_limited(client, settings, db):
    settings.TIERLINE = {**settings.TIERLINE, "STATUS_PAGE_LIMITS": {"GET": (3, 60)}}
    codes = [client.get(f"/status/{'abcdefgh' * 5}{n:03d}/").status_code for n in range(5)]
    assert codes == [404, 404, 404, 429, 429]
    assert client.get(f"/status/{'z' * 43}/", REMOTE_ADDR="10.1.1.1").status_code == 404


def test_thirty_posts_per_ten_minutes(client, opened):
    esc, url = opened
    codes = [client.post(url, {"form": "reply", "body": ""}).status_code for _ in range(31)]
    assert codes == [422] * 30 + [429]
    assert client.get(url).status_code == 200  # reading still works


def test_times_are_shown_in_utc_whatever_the_server_zone(client, world, opened, settings):
    settings.TIME_ZONE = "Asia/Tokyo"
    esc, url = opened
    created = Escalation.objects.get(pk=esc.pk).created_at
    assert f'{created.astimezone(dt.UTC):%d %b %Y %H:%M} UTC' in page(client, url)


def test_the_form_origin_that_browsers_send_passes_csrf_and_a_null_one_does_not(world, opened):
    esc, url = opened
    browser = Client(enforce_csrf_checks=True)
    response = browser.get(url)
    assert response["Referrer-Policy"] == "strict-origin"
    data = {"form": "reply", "body": "from a browser", "csrfmiddlewaretoken": browser.cookies["csrftoken"].value}
    # What a browser sends under no-referrer: refused, which is why the page does not use it.
    assert browser.post(url, data, HTTP_ORIGIN="null").status_code == 403
    assert browser.post(url, data, HTTP_ORIGIN="http://testserver").status_code == 302
    assert len(events(esc, T.PUBLIC_REPLY)) == 1
