"""process(): one mail, at most one change through the write path, recorded once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Max

from tierline import actions
from tierline.audit.event_types import EventType as T
from tierline.audit.models import Event
from tierline.core.actors import Actor
from tierline.escalations.models import Attachment, ClientRequest, Escalation
from tierline.mailin import process as process_module
from tierline.mailin.models import InboundMail
from tierline.mailin.process import process
from tierline.mailin.tests import mails
from tierline.mailin.tests.mails import mail
from tierline.notifications.models import OutboxMessage
from tierline.routing.models import RoutingSettings
from tierline.routing.services import import_draft, publish
from tierline.tenancy.models import Customer

MIN = dt.timedelta(minutes=1)
Out = InboundMail.Outcome
MATRIX = """
rules:
  - name: Billing mail to specialists
    precedence: 10
    when:
      channel: [email]
      keywords: [invoice]
    then:
      team: Billing specialists
  - name: Everything else to the frontline
    precedence: 100
    when: {}
    then:
      level: 1
"""


def mark() -> int:
    return Event.objects.aggregate(m=Max("pk"))["m"] or 0


def since(m: int) -> list[Event]:
    return list(Event.objects.filter(pk__gt=m).order_by("pk"))


def later(world, minutes=5):
    return world.now + minutes * MIN


def test_reply_matched_by_subject_reference_is_a_public_reply_from_the_customer(mailworld):
    w = mailworld
    esc = w.escalation()
    m = mark()
    record = process(mail(subject=f"Re: [{esc.reference}] Customer cannot log in", body="It still fails.",
                          to="replies@tierline.example"), now=later(w))
    assert (record.outcome, record.escalation_id, record.tenant_id) == (Out.REPLY, esc.pk, w.tenant.pk)
    assert record.sender == mails.CUSTOMER and not record.duplicate
    [event] = since(m)
    assert event.type == T.PUBLIC_REPLY and event.escalation_id == esc.pk
    assert (event.actor_kind, event.actor_customer_id) == ("customer", w.customer.pk)
    assert event.data["body"] == "It still fails." and event.data["source"] == "email"


def test_reply_matched_by_in_reply_to_of_our_outgoing_message_id(mailworld):
    w = mailworld
    esc = w.escalation()
    OutboxMessage.objects.create(
        tenant=w.tenant, channel=OutboxMessage.Channel.EMAIL, idempotency_key=f"ev1:cust{w.customer.pk}:email",
        recipient_address=mails.CUSTOMER, subject="Your case", body="…", escalation=esc,
        next_attempt_at=w.now, created_at=w.now)
    m = mark()
    record = process(mail(subject="Re: Your case", body="Thanks, but no.", to="replies@tierline.example",
                          in_reply_to=f"<ev1:cust{w.customer.pk}:email@tierline>",
                          references="<older@client.example>"), now=later(w))
    assert (record.outcome, record.escalation_id) == (Out.REPLY, esc.pk)
    assert [e.type for e in since(m)] == [T.PUBLIC_REPLY]


def test_reply_on_a_recently_resolved_escalation_reopens_it(mailworld):
    w = mailworld
    esc = w.escalation()
    actions.acknowledge(esc, actor=w.actor(), now=w.now + MIN)
    actions.resolve(esc, actor=w.actor(), now=w.now + 2 * MIN, summary="Reset", resolution_code="fixed")
    m = mark()
    record = process(mail(subject=f"Re: {esc.reference}", body="Broken again.\n\n> Your case was resolved"),
                     now=w.now + dt.timedelta(days=1))
    assert record.outcome == Out.REPLY
    assert [e.type for e in since(m)] == [T.PUBLIC_REPLY, T.REOPENED]
    assert Escalation.objects.get(pk=esc.pk).status == "reopened"


def test_reply_on_a_closed_escalation_is_refused_and_changes_nothing(mailworld):
    w = mailworld
    esc = w.escalation()
    actions.cancel(esc, actor=w.actor(), now=w.now + MIN, reason="duplicate call")
    m = mark()
    record = process(mail(subject=f"Re: {esc.reference}", body="Hello?"), now=later(w))
    assert record.outcome == Out.REFUSED and "not_open" in record.detail
    assert since(m) == []


def test_keyword_in_the_new_text_asks_to_escalate_and_a_second_ask_is_rate_limited(mailworld):
    w = mailworld
    esc = w.escalation()
    m = mark()
    first = process(mail(subject=f"Re: {esc.reference}", body="Three days and nothing. escalate please!"),
                    now=later(w))
    assert first.outcome == Out.CLIENT_ESCALATION
    [event] = since(m)
    assert event.type == T.CLIENT_ESCALATION_REQUESTED and event.actor_kind == "customer"
    assert (event.data["trigger"], event.data["source"]) == ("client_initiated", "email")
    request = ClientRequest.objects.get(escalation=esc)
    assert request.source == "email" and "Three days" in request.reason
    m = mark()
    second = process(mail(subject=f"Re: {esc.reference}", body="ESCALATE"), now=later(w, 10))
    assert second.outcome == Out.CLIENT_ESCALATION_RATE_LIMITED and second.detail
    assert since(m) == [] and ClientRequest.objects.filter(escalation=esc).count() == 1


def test_keyword_only_in_the_quoted_history_is_a_plain_reply(mailworld):
    w = mailworld
    esc = w.escalation()
    body = "Thanks, that helps.\n\nOn Mon, 2 Mar 2026 at 09:30, Tierline <t@tierline.example> wrote:\n> Reply ESCALATE to escalate."
    record = process(mail(subject=f"Re: {esc.reference}", body=body), now=later(w))
    assert record.outcome == Out.REPLY and not ClientRequest.objects.exists()


def test_keyword_is_the_tenants_own_and_a_whole_word(mailworld):
    w = mailworld
    RoutingSettings.objects.create(tenant=w.tenant, client_escalation_keyword="HOCHSTUFEN")
    esc = w.escalation()
    assert process(mail(subject=f"Re: {esc.reference}", body="Please ESCALATE"), now=later(w)).outcome == Out.REPLY
    assert process(mail(subject=f"Re: {esc.reference}", body="Bitte hochstufenx"), now=later(w, 6)).outcome == Out.REPLY
    assert process(mail(subject=f"Re: {esc.reference}", body="Bitte Hochstufen."),
                   now=later(w, 7)).outcome == Out.CLIENT_ESCALATION


@pytest.mark.parametrize("raw", [
    mail(subject="Automatic reply: Out of office", headers={"Auto-Submitted": "auto-replied"}),
    mails.bounce(),
], ids=["auto-reply", "bounce"])
def test_auto_replies_and_bounces_are_ignored_and_write_nothing(mailworld, raw):
    w = mailworld
    esc = w.escalation()
    # Even naming a real escalation from its customer's address changes nothing.
    raw = raw.replace(b"Subject: ", f"Subject: {esc.reference} ".encode(), 1)
    m = mark()
    record = process(raw, now=later(w))
    assert record.outcome == Out.IGNORED_AUTOREPLY and record.detail
    assert record.tenant_id == w.tenant.pk  # sent to the intake address: whose it was is known
    assert since(m) == [] and Escalation.objects.count() == 1


def test_unknown_sender_is_ignored_and_nothing_is_written(mailworld):
    w = mailworld
    esc = w.escalation()
    m = mark()
    record = process(mail(subject=f"Re: {esc.reference}", body="ESCALATE", sender="mallory@evil.example",
                          to="replies@tierline.example"), now=later(w))
    assert (record.outcome, record.escalation_id) == (Out.IGNORED_UNKNOWN_SENDER, None)
    assert since(m) == [] and not ClientRequest.objects.exists()


def test_a_stranger_naming_a_reference_on_an_intake_address_gets_a_case_of_their_own(mailworld):
    w = mailworld
    esc = w.escalation()
    publish_matrix(w)
    m = mark()
    # Same answer whether the reference exists or not: nothing is learnt, nothing is lost.
    record = process(mail(subject=f"Re: {esc.reference}", body="ESCALATE", sender="colleague@customer.example"),
                     now=later(w))
    assert record.outcome == Out.CREATED and record.escalation_id != esc.pk
    assert not [e for e in since(m) if e.escalation_id == esc.pk] and not ClientRequest.objects.exists()


def test_mail_failing_dmarc_is_not_trusted_to_be_the_customer(mailworld):
    w = mailworld
    esc = w.escalation()
    m = mark()
    record = process(mail(subject=f"Re: {esc.reference}", body="ESCALATE", headers={
        "Authentication-Results": "mx.tierline.example; spf=fail smtp.mailfrom=customer.example; dmarc=fail"}),
        now=later(w))
    assert record.outcome == Out.IGNORED_UNKNOWN_SENDER and "DMARC" in record.detail
    assert since(m) == []


def test_another_tenants_reference_from_this_tenants_customer_is_not_matched(mailworld):
    w = mailworld
    other = w.other_escalation()
    m = mark()
    record = process(mail(subject=f"Re: {other.reference}", body="Hello", to="replies@tierline.example"),
                     now=later(w))
    assert record.outcome == Out.IGNORED_UNKNOWN_SENDER and record.escalation_id is None
    assert since(m) == []


def test_a_reference_never_crosses_to_another_tenant_through_an_intake_address(mailworld):
    w = mailworld
    other = w.other_escalation()
    publish_matrix(w)
    # GLOBEX's own customer, but writing to ACME's intake address: not a reply to GLOBEX's case.
    record = process(mail(subject=f"Re: {other.reference}", sender="gus@globex.example"), now=later(w))
    assert record.outcome == Out.CREATED and record.escalation.tenant_id == w.tenant.pk
    assert not Event.objects.filter(escalation=other, type=T.PUBLIC_REPLY).exists()


def publish_matrix(w, text=MATRIX):
    admin = Actor.for_user(w.users["admin"])
    version, _ = import_draft(w.tenant, text, actor=admin, now=w.now)
    publish(w.tenant, version.number, actor=admin, now=w.now)
    return version


def test_new_mail_to_an_intake_address_creates_an_escalation_routed_by_the_matrix(mailworld):
    w = mailworld
    version = publish_matrix(w)
    record = process(mail(subject="Wrong invoice for March", body="You charged me twice.",
                          sender="new.person@home.example", sender_name="New Person", to="Support@ACME.example"),
                     now=later(w))
    assert record.outcome == Out.CREATED and record.tenant_id == w.tenant.pk
    esc = record.escalation
    assert (esc.title, esc.description, esc.channel, esc.type, esc.priority) == (
        "Wrong invoice for March", "You charged me twice.", "email", "customer_experience", "P3")
    assert (esc.team, esc.matrix_version, esc.routing_rule) == (
        w.teams["billing"], version.number, "Billing mail to specialists")
    customer = Customer.objects.get(email="new.person@home.example")
    assert (esc.customer_id, customer.tenant_id, customer.name) == (customer.pk, w.tenant.pk, "New Person")
    created = Event.objects.get(escalation=esc, type=T.CREATED)
    assert created.actor_label == "system:email-intake"
    # A known customer is found, not created twice; an empty subject still makes a title.
    again = process(mail(subject="", body="More", sender="NEW.person@home.example"), now=later(w, 6))
    assert again.escalation.customer_id == customer.pk and again.escalation.title == "(no subject)"
    assert Customer.objects.filter(email__iexact="new.person@home.example").count() == 1


def test_mail_the_matrix_cannot_route_is_unmatched_and_leaves_nothing_behind(mailworld):
    w = mailworld
    customers = Customer.objects.count()
    record = process(mail(subject="Help", sender="stranger@home.example"), now=later(w))
    assert record.outcome == Out.UNMATCHED and "no_route" in record.detail
    assert Escalation.objects.count() == 0 and Customer.objects.count() == customers


def test_mail_to_no_intake_address_naming_nothing_is_unmatched(mailworld):
    record = process(mail(to="someone-else@tierline.example"), now=later(mailworld))
    assert record.outcome == Out.UNMATCHED and record.tenant_id is None


def test_too_large_mail_is_rejected_without_reading_it(mailworld, settings):
    w = mailworld
    esc = w.escalation()
    settings.TIERLINE = {**settings.TIERLINE, "MAIL_MAX_BYTES": 2000}
    m = mark()
    record = process(mail(subject=f"Re: {esc.reference}", files=[("big.pdf", "application/pdf", b"x" * 5000)]),
                     now=later(w))
    assert record.outcome == Out.REJECTED_TOO_LARGE and record.size > 2000 and record.tenant_id == w.tenant.pk
    assert since(m) == []


def test_the_same_message_id_is_processed_once(mailworld):
    w = mailworld
    esc = w.escalation()
    raw = mail(subject=f"Re: {esc.reference}", body="Once only", message_id="<same@client.example>")
    m = mark()
    first = process(raw, now=later(w))
    second = process(raw, now=later(w, 6))
    # The same Message-ID with a differently cased domain is the same message.
    third = process(raw.replace(b"same@client.example", b"same@CLIENT.example"), now=later(w, 7))
    assert (first.duplicate, second.duplicate, third.duplicate) == (False, True, True)
    assert second.pk == first.pk == third.pk and InboundMail.objects.count() == 1
    assert [e.type for e in since(m)] == [T.PUBLIC_REPLY]


def test_attachments_are_kept_as_the_customers_and_refused_types_are_noted(mailworld):
    w = mailworld
    esc = w.escalation()
    m = mark()
    record = process(mail(subject=f"Re: {esc.reference}", body="Screenshot attached", files=[
        ("screen.png", "image/png", b"\x89PNG\r\n\x1a\n\x00"), ("tool.exe", "application/x-msdownload", b"MZ")]),
        now=later(w))
    assert record.outcome == Out.REPLY and "tool.exe" in record.detail
    [kept] = Attachment.objects.filter(escalation=esc)
    assert (kept.filename, kept.content_type, kept.size) == ("screen.png", "image/png", 9)
    events = since(m)
    assert [e.type for e in events] == [T.PUBLIC_REPLY, T.ATTACHMENT_ADDED]
    assert events[1].actor_kind == "customer" and events[1].data["from"] == "customer"


def test_attachments_of_a_new_escalation_are_kept(mailworld):
    w = mailworld
    publish_matrix(w)
    record = process(mail(subject="Invoice copy", files=[("invoice.pdf", "application/pdf", b"%PDF-1.4")]),
                     now=later(w))
    assert record.outcome == Out.CREATED
    assert list(Attachment.objects.filter(escalation=record.escalation).values_list("filename", flat=True)) == [
        "invoice.pdf"]


def test_a_long_reply_is_shortened_and_the_whole_mail_kept(mailworld):
    w = mailworld
    esc = w.escalation()
    record = process(mail(subject=f"Re: {esc.reference}", body="word " * 2000), now=later(w))
    assert record.outcome == Out.REPLY
    reply = Event.objects.get(escalation=esc, type=T.PUBLIC_REPLY)
    assert len(reply.data["body"]) <= 5000 and "message.eml" in reply.data["body"]
    assert Attachment.objects.get(escalation=esc).content_type == "message/rfc822"


def test_a_reply_to_a_merged_duplicate_lands_on_the_survivor(mailworld):
    w = mailworld
    dup, keep = w.escalation(), w.escalation(title="Same problem")
    actions.merge(dup, keep, actor=w.actor(), now=w.now + MIN, reason="same")
    record = process(mail(subject=f"Re: {dup.reference}", body="Any news?"), now=later(w))
    assert (record.outcome, record.escalation_id) == (Out.REPLY, keep.pk)


def test_an_unexpected_failure_is_recorded_as_an_error_and_rolls_back(mailworld, monkeypatch):
    w = mailworld
    esc = w.escalation()

    def broken(*args, **kwargs):
        actions.add_internal_note(esc, "half-done", actor=w.actor(), now=later(w))
        raise ValueError("boom")

    monkeypatch.setattr(process_module.actions, "customer_reply", broken)
    m = mark()
    record = process(mail(subject=f"Re: {esc.reference}"), now=later(w))
    assert record.outcome == Out.ERROR and "boom" in record.detail and record.escalation_id is None
    assert since(m) == []  # the note written before the failure went with it
    assert InboundMail.objects.get(pk=record.pk).outcome == Out.ERROR


@pytest.mark.parametrize("raw", [
    b"", b"\x00\xff\xfe garbage", b"From: <<<@@@>>>\r\nSubject: =?bogus?Q?x?=\r\nContent-Type: text/plain; charset=nonsense"
    b"\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!not base64", b"Message-ID: <x\r\n\r\nbody",
])
def test_bad_mail_never_raises(mailworld, raw):
    record = process(raw, now=later(mailworld))
    assert record.pk is not None and record.outcome in Out.values
    assert process(raw, now=later(mailworld, 6)).duplicate

