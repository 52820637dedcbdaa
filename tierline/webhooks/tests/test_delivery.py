"""Webhooks from the receiver's side: a real HTTP server, the real outbox worker pass."""

import datetime as dt

import pytest

from tierline import actions
from tierline.actions.outbox_webhooks import enqueue_webhooks
from tierline.notifications.delivery import deliver_due
from tierline.notifications.models import OutboxMessage
from tierline.webhooks import delivery
from tierline.webhooks.signing import verify_signature
from tierline.webhooks.tests.conftest import tierline_settings

pytestmark = pytest.mark.usefixtures("allow_private")


def escalate(world, esc):
    return actions.escalate(esc, actor=world.actor("supervisor"), now=world.now, reason="needs L2",
                            trigger="hierarchical")


def hooks(**filters):
    return OutboxMessage.objects.filter(channel__in=["webhook", "chat"], **filters).order_by("id")


def test_an_action_posts_one_signed_request_per_matching_subscription(world, receiver, subscribe):
    everything, only_escalated = receiver(), receiver()
    sub_all = subscribe(everything)
    sub_esc = subscribe(only_escalated, event_types=["escalated"])
    esc = escalate(world, world.escalation(owner=world.users["agent"]))

    stats = deliver_due(world.now)
    assert stats["retry"] == stats["failed"] == 0
    assert [r.json["event"]["type"] for r in everything.requests] == ["created", "escalated"]
    assert [r.json["event"]["type"] for r in only_escalated.requests] == ["escalated"]
    keys = {m.idempotency_key for m in hooks()}
    assert keys == {f"wh{sub_all.pk}:ev{e.pk}" for e in esc.events.all()} | {
        f"wh{sub_esc.pk}:ev{esc.events.get(type=200).pk}"}
    for r in everything.requests + only_escalated.requests:
        assert r.path == "/hook"
        assert r.headers["content-type"] == "application/json"
        assert r.headers["x-tierline-timestamp"] == str(int(world.now.timestamp()))
        assert r.headers["x-tierline-delivery"] in keys
        assert r.json["delivery_id"] == r.headers["x-tierline-delivery"]
    for target, sub in ((everything, sub_all), (only_escalated, sub_esc)):
        for r in target.requests:
            assert verify_signature(sub.secret, r.headers["x-tierline-timestamp"], r.body,
                                    r.headers["x-tierline-signature"], now=world.now)
            assert not verify_signature(sub_all.secret if sub is sub_esc else sub_esc.secret,
                                        r.headers["x-tierline-timestamp"], r.body,
                                        r.headers["x-tierline-signature"], now=world.now)
    assert everything.bad_signatures == only_escalated.bad_signatures == 0

    body = only_escalated.requests[0].json
    event = esc.events.get(type=200)
    assert body["event"] == {"id": event.pk, "seq": event.seq, "type": "escalated",
                             "occurred_at": "2026-03-02T09:30:00+00:00", "changed": ["level", "owner", "team"],
                             "trigger": "hierarchical", "from_level": 1, "to_level": 2}
    assert body["escalation"] == {
        "reference": esc.reference, "title": "Customer cannot log in", "status": "new", "priority": "P3",
        "level": 2, "team": "Technical support L2", "customer": "Dana Customer",
        "link": f"/escalations/{esc.reference}/"}
    assert body["tenant"] == "ACME" and body["api_version"] == 1
    # Nothing personal beyond the customer's name, and no free text from the log.
    raw = b"".join(r.body for r in everything.requests).decode()
    assert world.customer.email not in raw and "needs L2" not in raw

    assert deliver_due(world.now + dt.timedelta(hours=1)) == {"sent": 0, "retry": 0, "failed": 0}
    assert len(everything.requests) == 2 and len(only_escalated.requests) == 1


def test_a_failed_delivery_is_retried_with_the_same_id_and_processed_once(world, receiver, subscribe):
    flaky = receiver(answers=[500])
    subscribe(flaky, event_types=["created"])
    world.escalation()
    message = hooks().get()

    assert deliver_due(world.now)["retry"] == 1
    message.refresh_from_db()
    assert message.state == "pending" and message.attempts == 1 and "HTTP 500" in message.last_error
    assert flaky.processed == []
    later = world.now + dt.timedelta(seconds=30)
    flaky.now = later.timestamp()
    assert deliver_due(later)["sent"] == 1
    message.refresh_from_db()
    assert message.state == "sent" and message.attempts == 2

    assert [r.headers["x-tierline-delivery"] for r in flaky.requests] == [message.idempotency_key] * 2
    assert [r.headers["x-tierline-timestamp"] for r in flaky.requests] == [
        str(int(world.now.timestamp())), str(int(later.timestamp()))]
    assert flaky.requests[0].body == flaky.requests[1].body  # fixed at enqueue time
    assert flaky.processed == [message.idempotency_key] and flaky.bad_signatures == 0

    # The worker died after the receiver said 200 but before the row was marked: sent again,
    # and the receiver recognises the delivery id.
    OutboxMessage.objects.filter(pk=message.pk).update(state="pending", next_attempt_at=later)
    deliver_due(later)
    assert len(flaky.requests) == 3 and flaky.duplicates == 1 and flaky.processed == [message.idempotency_key]


def test_enqueueing_twice_writes_nothing_new(world, receiver, subscribe):
    subscribe(receiver())
    esc = world.escalation()
    before = list(hooks().values_list("idempotency_key", flat=True))
    assert before
    enqueue_webhooks(esc, list(esc.events.all()))
    assert list(hooks().values_list("idempotency_key", flat=True)) == before


def test_another_tenants_subscriptions_never_receive(world, receiver, subscribe):
    ours, theirs = receiver(), receiver()
    sub = subscribe(ours)
    subscribe(theirs, tenant=world.other_tenant, name="globex hook")
    escalate(world, world.escalation())
    # Not even enqueued: delivery's own tenant check is a second line, not the only one.
    assert {m.payload["subscription"] for m in hooks()} == {sub.pk}
    assert deliver_due(world.now)["retry"] == 0
    assert len(ours.requests) == 2 and theirs.requests == []

    other = world.other_escalation()
    deliver_due(world.now)
    assert len(ours.requests) == 2
    assert {r.json["escalation"]["reference"] for r in theirs.requests} == {other.reference}
    assert {r.json["tenant"] for r in theirs.requests} == {"GLOBEX"}
    assert set(hooks(escalation=other).values_list("tenant_id", flat=True)) == {world.other_tenant.pk}


def test_switched_off_subscriptions_get_nothing(world, receiver, subscribe):
    target = receiver()
    sub = subscribe(target, is_active=False)
    esc = world.escalation()
    assert not hooks().exists()
    # Switched off after the message was written: held back (retried) rather than sent.
    sub.is_active = True
    sub.save()
    escalate(world, esc)
    sub.is_active = False
    sub.save()
    assert deliver_due(world.now)["retry"] == 1
    assert target.requests == [] and "switched off" in hooks().get().last_error


def test_slack_and_teams_messages_have_their_documented_shapes(world, receiver, subscribe):
    slack, teams = receiver(), receiver()
    subscribe(slack, format="slack", event_types=["escalated"])
    subscribe(teams, format="teams", event_types=["escalated"])
    with tierline_settings(WEBHOOK_ALLOW_PRIVATE=True, PUBLIC_BASE_URL="https://tierline.example.com/"):
        esc = escalate(world, world.escalation(title="Refund <!channel> & <https://evil.example|click>"))
    assert set(hooks().values_list("channel", flat=True)) == {"chat"}
    deliver_due(world.now)
    link = f"https://tierline.example.com/escalations/{esc.reference}/"

    (message,) = [r.json for r in slack.requests]
    assert set(message) == {"text", "blocks"}
    section, context = message["blocks"]
    assert section["type"] == "section" and section["text"]["type"] == "mrkdwn"
    assert section["text"]["text"].startswith(f"*<{link}|{esc.reference}>* escalated to Technical support L2 (L2)")
    # User text cannot mention @channel or smuggle a link.
    assert "&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;" in section["text"]["text"]
    assert "<!channel>" not in message["text"]
    assert context["type"] == "context" and context["elements"][0]["type"] == "mrkdwn"
    assert "ACME · P3 · L2 Technical support L2 · new" in context["elements"][0]["text"]

    (message,) = [r.json for r in teams.requests]
    assert message["type"] == "message"
    (attachment,) = message["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    assert card["body"][0] == {"type": "TextBlock", "text": f"{esc.reference} escalated to Technical support L2 (L2)",
                               "weight": "Bolder", "size": "Medium", "wrap": True}
    facts = {f["title"]: f["value"] for f in card["body"][2]["facts"]}
    assert facts["Priority"] == "P3" and facts["Customer"] == "Dana Customer" and facts["Tenant"] == "ACME"
    assert card["actions"] == [{"type": "Action.OpenUrl", "title": f"Open {esc.reference}", "url": link}]
    # Chat deliveries are signed like the rest (Slack and Teams ignore the headers).
    assert slack.bad_signatures == teams.bad_signatures == 0 and len(slack.processed) == len(teams.processed) == 1


def test_redirects_are_not_followed(world, receiver, subscribe):
    target = receiver(answers=[302])
    subscribe(target, event_types=["created"])
    world.escalation()
    assert deliver_due(world.now)["retry"] == 1
    assert [r.path for r in target.requests] == ["/hook"]
    assert "HTTP 302" in hooks().get().last_error


def test_a_slow_receiver_times_out_and_is_retried(world, receiver, subscribe, monkeypatch):
    monkeypatch.setattr(delivery, "TIMEOUT", 0.3)
    target = receiver(delay=1.5)
    subscribe(target, event_types=["created"])
    world.escalation()
    assert deliver_due(world.now)["retry"] == 1
    assert "timed out" in hooks().get().last_error and target.processed == []


def test_an_unreachable_receiver_is_retried_and_the_path_is_not_logged(world, receiver, subscribe):
    target = receiver()
    subscribe(target, path="/services/T000/B000/s3cr3t", event_types=["created"], format="slack")
    target.stop()  # nothing listens on that port any more
    world.escalation()
    assert deliver_due(world.now)["retry"] == 1
    error = hooks().get().last_error
    assert "127.0.0.1" in error and "Connection refused" in error and "s3cr3t" not in error


def test_a_message_is_only_sent_through_a_subscription_of_its_own_tenant(world, receiver, subscribe):
    theirs = receiver()
    other_sub = subscribe(theirs, tenant=world.other_tenant, name="globex hook")
    OutboxMessage.objects.create(
        tenant=world.tenant, channel="webhook", idempotency_key="forged", subject="x", body="x",
        payload={"subscription": other_sub.pk, "format": "json", "body": {}},
        next_attempt_at=world.now, created_at=world.now)
    assert deliver_due(world.now)["retry"] == 1
    assert theirs.requests == [] and "no longer exists" in hooks().get().last_error
