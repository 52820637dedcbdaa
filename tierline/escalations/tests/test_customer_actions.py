"""The customer's own actions: reply, rate, attach — through the write path, as the customer."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Max

from tierline import actions
from tierline.actions.coordination import RateLimited
from tierline.audit.event_types import EventType as T
from tierline.audit.models import Event
from tierline.core.actors import Actor
from tierline.core.errors import IllegalTransition, InvalidInput, NotFound, PermissionDenied
from tierline.escalations.models import Attachment, ClientRequest, Escalation
from tierline.sla.models import Calendar, SlaPolicy

MIN = dt.timedelta(minutes=1)


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def reload(esc) -> Escalation:
    return Escalation.objects.get(pk=esc.pk)


def mark() -> int:
    return Event.objects.aggregate(m=Max("pk"))["m"] or 0


def since(m: int) -> list[Event]:
    return list(Event.objects.filter(pk__gt=m).order_by("pk"))


def resolved(world, at):
    esc = world.escalation()
    actions.acknowledge(esc, actor=world.actor(), now=at - 2 * MIN)
    return actions.resolve(esc, actor=world.actor(), now=at, summary="Router replaced", resolution_code="fixed")


def unchanged(esc, call, error, code=None):
    before, version, m = reload(esc), reload(esc).version, mark()
    with pytest.raises(error) as info:
        call()
    after = reload(esc)
    assert (after.version, after.status, after.csat_score, since(m)) == (version, before.status, before.csat_score, [])
    if code:
        assert info.value.code == code
    return info.value


# -- reply -----------------------------------------------------------------------------------

def test_customer_reply_is_a_public_reply_from_the_customer(world):
    esc = world.escalation()
    customer = Actor.for_customer(world.customer)
    m = mark()
    row = actions.customer_reply(esc, "  It still drops every hour  ", actor=customer, now=world.now + MIN)
    [event] = since(m)
    assert event.type == T.PUBLIC_REPLY
    assert event.data == {"body": "It still drops every hour", "from": "customer", "source": "status_page"}
    assert (event.actor_kind, event.actor_customer_id, event.actor_user_id) == ("customer", world.customer.pk, None)
    assert event.actor_label == f"customer:{world.customer.pk}"
    assert row.version == esc.version + 1 and row.status == "new"


def test_another_customer_cannot_reply_and_sees_not_found(world):
    esc = world.escalation()
    unchanged(esc, lambda: actions.customer_reply(esc, "hi", actor=Actor.for_customer(world.vip), now=world.now),
              NotFound)
    other = Actor.for_customer(world.other_customer)
    unchanged(esc, lambda: actions.customer_reply(esc, "hi", actor=other, now=world.now), NotFound)


def test_staff_record_a_customer_reply_only_with_work_permission(world):
    esc = world.escalation()
    unchanged(esc, lambda: actions.customer_reply(esc, "by phone", actor=world.actor("client_viewer"),
                                                  now=world.now + MIN), PermissionDenied)
    actions.customer_reply(esc, "by phone", actor=world.actor("agent"), now=world.now + MIN, source="phone")
    event = Event.objects.filter(escalation=esc).latest("seq")
    assert (event.actor_kind, event.data["from"], event.data["source"]) == ("user", "customer", "phone")


def test_reply_validation(world):
    esc = world.escalation()
    customer = Actor.for_customer(world.customer)
    unchanged(esc, lambda: actions.customer_reply(esc, "   ", actor=customer, now=world.now), InvalidInput)
    unchanged(esc, lambda: actions.customer_reply(esc, "x" * 5001, actor=customer, now=world.now), InvalidInput)
    actions.customer_reply(esc, "x" * 5000, actor=customer, now=world.now)


def test_reply_when_pending_customer_resumes_work(world):
    esc = world.escalation()
    for step in (actions.acknowledge, actions.start_progress):
        step(esc, actor=world.actor(), now=world.now)
    actions.set_pending(esc, waiting_on="customer", actor=world.actor(), now=world.now + MIN)
    m = mark()
    row = actions.customer_reply(esc, "Here is the serial", actor=Actor.for_customer(world.customer),
                                 now=world.now + 5 * MIN)
    reply, change = since(m)
    assert (reply.type, change.type) == (T.PUBLIC_REPLY, T.STATUS_CHANGED)
    assert change.data["changes"] == {"status": ["pending_customer", "in_progress"]}
    assert row.status == "in_progress"


def test_reply_within_seven_days_of_resolution_reopens(world):
    at = world.now + 10 * MIN
    esc = resolved(world, at)
    m = mark()
    row = actions.customer_reply(esc, "Not fixed after all", actor=Actor.for_customer(world.customer),
                                 now=at + dt.timedelta(days=7))
    reply, reopened = since(m)
    assert (reply.type, reopened.type) == (T.PUBLIC_REPLY, T.REOPENED)
    assert reopened.data["changes"] == {"status": ["resolved", "reopened"]}
    assert (row.status, row.resolved_at, row.reopen_count) == ("reopened", None, 1)
    assert reopened.actor_kind == "customer"


def test_reply_long_after_resolution_is_refused_and_writes_nothing(world):
    at = world.now + 10 * MIN
    esc = resolved(world, at)
    err = unchanged(esc, lambda: actions.customer_reply(esc, "hello?", actor=Actor.for_customer(world.customer),
                                                        now=at + dt.timedelta(days=7, seconds=1)),
                    IllegalTransition, "reply_window_closed")
    assert "7 days" in err.message


def test_no_reply_on_a_closed_escalation(world):
    at = world.now + 10 * MIN
    esc = resolved(world, at)
    actions.close(esc, actor=world.actor(), now=at + MIN)
    unchanged(esc, lambda: actions.customer_reply(esc, "hi", actor=Actor.for_customer(world.customer),
                                                  now=at + 2 * MIN), IllegalTransition, "not_open")


def test_a_customer_reply_does_not_meet_our_first_response_target(world):
    # The clock tells replies apart by data["from"]: otherwise the customer writing would count as
    # our answer and quietly satisfy the first-response and update targets.
    from tierline.sla.display import sla_rows

    cal = Calendar.objects.create(tenant=world.tenant, name="24x7", spec={"timezone": "UTC", "always_open": True})
    SlaPolicy.objects.create(tenant=world.tenant, name="Std", calendar=cal, first_response=dt.timedelta(hours=1))
    esc = world.escalation()
    actions.customer_reply(esc, "anyone there?", actor=Actor.for_customer(world.customer), now=world.now + MIN)
    rows = {r["name"]: r for r in sla_rows(Event.objects.filter(escalation=esc).order_by("seq"), world.now + 2 * MIN)}
    assert not rows["first_response"]["text"].startswith("met")


# -- CSAT ------------------------------------------------------------------------------------

def test_csat_only_after_resolution(world):
    esc = world.escalation()
    unchanged(esc, lambda: actions.record_csat(esc, 5, "", actor=Actor.for_customer(world.customer), now=world.now),
              IllegalTransition, "not_resolved")


def test_csat_once_then_refused(world):
    at = world.now + 10 * MIN
    esc = resolved(world, at)
    customer = Actor.for_customer(world.customer)
    m = mark()
    row = actions.record_csat(esc, 4, " Quick and polite ", actor=customer, now=at + MIN)
    [event] = since(m)
    assert event.type == T.CSAT_RECEIVED
    assert event.data == {"score": 4, "comment": "Quick and polite", "changes": {"csat_score": [None, 4]}}
    assert (row.csat_score, row.csat_comment, row.status) == (4, "Quick and polite", "resolved")
    err = unchanged(esc, lambda: actions.record_csat(esc, 1, "changed my mind", actor=customer, now=at + 2 * MIN),
                    IllegalTransition, "csat_already_given")
    assert "already" in err.message
    assert reload(esc).csat_comment == "Quick and polite"


def test_csat_on_a_closed_escalation_and_score_validation(world):
    at = world.now + 10 * MIN
    esc = resolved(world, at)
    actions.close(esc, actor=world.actor(), now=at + MIN)
    customer = Actor.for_customer(world.customer)
    for bad in (0, 6, "x", True, 2.5, None):
        unchanged(esc, lambda b=bad: actions.record_csat(esc, b, "", actor=customer, now=at + 2 * MIN), InvalidInput)
    unchanged(esc, lambda: actions.record_csat(esc, 3, "x" * 2001, actor=customer, now=at + 2 * MIN), InvalidInput)
    assert actions.record_csat(esc, "5", "", actor=customer, now=at + 2 * MIN).csat_score == 5


def test_csat_refused_for_cancelled_and_for_other_customers(world):
    at = world.now + 10 * MIN
    esc = resolved(world, at)
    unchanged(esc, lambda: actions.record_csat(esc, 5, "", actor=Actor.for_customer(world.vip), now=at), NotFound)
    cancelled = world.escalation()
    actions.cancel(cancelled, reason="duplicate call", actor=world.actor(), now=at)
    unchanged(cancelled, lambda: actions.record_csat(cancelled, 5, "", actor=Actor.for_customer(world.customer),
                                                     now=at + MIN), IllegalTransition, "not_resolved")


# -- files -----------------------------------------------------------------------------------

def test_customers_cannot_use_the_staff_attachment_action(world):
    esc = world.escalation()
    unchanged(esc, lambda: actions.add_attachment(esc, filename="a.txt", content=b"x", content_type="text/plain",
                                                  actor=Actor.for_customer(world.customer), now=world.now),
              PermissionDenied)


def test_customer_attach_applies_the_same_limits(world, settings):
    settings.TIERLINE = {**settings.TIERLINE, "ATTACHMENT_MAX_BYTES": 10}
    esc = world.escalation()
    customer = Actor.for_customer(world.customer)

    def attach(content, content_type="text/plain"):
        return actions.customer_attach(esc, filename="../log.txt", content=content, content_type=content_type,
                                       actor=customer, now=world.now + MIN)

    assert unchanged(esc, lambda: attach(b"x" * 11), InvalidInput).code == "too_large"
    assert unchanged(esc, lambda: attach(b"MZ", "application/x-msdownload"), InvalidInput).code == "unsupported_type"
    unchanged(esc, lambda: attach(b""), InvalidInput)
    m = mark()
    attach(b"x" * 10, "text/plain; charset=utf-8")
    [event] = since(m)
    attachment = Attachment.objects.get(escalation=esc)
    assert (attachment.filename, attachment.size, attachment.content_type) == (".._log.txt", 10, "text/plain")
    assert event.type == T.ATTACHMENT_ADDED and event.data["from"] == "customer"
    assert event.actor_kind == "customer"


# -- asking to escalate ------------------------------------------------------------------------

def test_the_customer_can_ask_to_escalate_once_per_period(world):
    esc = world.escalation()
    customer = Actor.for_customer(world.customer)
    actions.request_client_escalation(esc, reason="Third outage this week", source="status_page",
                                      actor=customer, now=world.now + MIN)
    request = ClientRequest.objects.get(escalation=esc)
    assert (request.source, request.reason) == ("status_page", "Third outage this week")
    event = Event.objects.filter(escalation=esc, type=T.CLIENT_ESCALATION_REQUESTED).get()
    assert event.data["trigger"] == "client_initiated" and event.actor_kind == "customer"
    with pytest.raises(RateLimited):
        actions.request_client_escalation(esc, reason="again", source="status_page", actor=customer,
                                          now=world.now + 2 * MIN)
