"""Subscriptions cannot point the worker at our own network: refused at save and at delivery."""

import socket

import pytest
from django.core.exceptions import ValidationError

from tierline.notifications.delivery import deliver_due
from tierline.notifications.models import OutboxMessage
from tierline.webhooks.models import WebhookSubscription
from tierline.webhooks.ssrf import UnsafeTarget, check_url, refusal
from tierline.webhooks.tests.conftest import tierline_settings

INTERNAL = [
    "http://127.0.0.1/",
    "http://10.0.0.1/",
    "http://[::1]/",
    "http://169.254.169.254/latest/meta-data/",
    "http://localhost:8000/",
    "http://0.0.0.0/",
    "https://192.168.1.10/",
    "http://172.16.0.1/",
    "http://100.64.0.1/",  # carrier-grade NAT
    "http://224.0.0.1/",
    "http://240.0.0.1/",
    "http://[fe80::1]/",
    "http://[fc00::1]/",
    "http://[::ffff:127.0.0.1]/",  # IPv4-mapped loopback
    "http://[2002:7f00:1::]/",  # 6to4 wrapping 127.0.0.1
]


@pytest.mark.parametrize("url", INTERNAL)
def test_internal_targets_are_refused_at_validation_and_at_save(world, url):
    sub = WebhookSubscription(tenant=world.tenant, name="internal", url=url)
    with pytest.raises(ValidationError) as caught:
        sub.full_clean()
    assert "url" in caught.value.message_dict
    with pytest.raises(ValidationError):
        sub.save()
    assert not WebhookSubscription.objects.exists()


@pytest.mark.parametrize("url", ["ftp://93.184.216.34/", "file:///etc/passwd", "gopher://93.184.216.34/",
                                 "http://user:pw@93.184.216.34/", "http:///nohost", "http://[::1/"])
def test_other_schemes_credentials_and_malformed_urls_are_refused(world, url):
    with pytest.raises(UnsafeTarget):
        check_url(url)
    with pytest.raises(ValidationError):
        WebhookSubscription(tenant=world.tenant, name="odd", url=url).save()


def test_a_public_address_is_accepted_and_private_ones_only_when_allowed(world):
    target = check_url("https://93.184.216.34:8443/in?x=1")
    assert (target.host, target.port, target.path, target.addresses) == (
        "93.184.216.34", 8443, "/in?x=1", ("93.184.216.34",))
    WebhookSubscription(tenant=world.tenant, name="public", url="https://93.184.216.34/in").full_clean()
    with tierline_settings(WEBHOOK_ALLOW_PRIVATE=True):
        WebhookSubscription.objects.create(tenant=world.tenant, name="lab", url="http://127.0.0.1:9/")


def test_every_address_is_checked(world, monkeypatch):
    fake_dns(monkeypatch, {"mixed.example.test": ["93.184.216.34", "10.1.2.3"]})
    with pytest.raises(UnsafeTarget, match="private address 10.1.2.3"):
        check_url("https://mixed.example.test/")


def test_refusal_reasons():
    assert refusal("8.8.8.8") is None and refusal("2001:4860:4860::8888") is None
    assert refusal("127.0.0.1") == "loopback address 127.0.0.1"
    assert refusal("fe80::1%eth0") == "link-local address fe80::1"
    assert refusal("::ffff:169.254.169.254") is not None


def fake_dns(monkeypatch, answers):
    """Answers for made-up names; anything else goes to the real resolver. A dict of lists is
    consumed one answer per lookup when its value is a list of lists."""
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host not in answers:
            return real(host, port, *args, **kwargs)
        addresses = answers[host]
        if addresses and isinstance(addresses[0], list):
            addresses = addresses.pop(0) if len(addresses) > 1 else addresses[0]
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
                for a in addresses]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def _pending(world):
    world.escalation()
    return OutboxMessage.objects.get(channel="webhook")


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_internal_targets_are_refused_at_delivery(world, receiver, subscribe, host):
    target = receiver()
    with tierline_settings(WEBHOOK_ALLOW_PRIVATE=True):
        sub = subscribe(target, event_types=["created"])
        WebhookSubscription.objects.filter(pk=sub.pk).update(url=f"http://{host}:{target.port}/hook")
    message = _pending(world)
    # The setting is off now (as in production): the receiver would have answered, had we asked.
    assert deliver_due(world.now)["retry"] == 1
    message.refresh_from_db()
    assert "UnsafeTarget" in message.last_error and "loopback" in message.last_error
    assert target.requests == []


def test_dns_rebinding_to_loopback_after_save_is_refused(world, receiver, monkeypatch):
    target = receiver()
    # Public when the admin saved it, loopback when the worker looks it up.
    fake_dns(monkeypatch, {"hooks.example.test": [["93.184.216.34"], ["127.0.0.1"]]})
    WebhookSubscription.objects.create(tenant=world.tenant, name="rebind", event_types=["created"],
                                       url=f"http://hooks.example.test:{target.port}/hook")
    message = _pending(world)
    assert deliver_due(world.now)["retry"] == 1
    message.refresh_from_db()
    assert "loopback address 127.0.0.1" in message.last_error and target.requests == []


def test_delivery_connects_to_the_checked_address_and_keeps_the_name(world, receiver, subscribe, monkeypatch):
    """The name is resolved once, by the check, and the connection goes to that address: a second
    lookup would answer 127.0.0.2, where nothing listens, and the delivery would fail."""
    target = receiver()
    fake_dns(monkeypatch, {"hooks.example.test": [["127.0.0.1"], ["127.0.0.2"]]})
    with tierline_settings(WEBHOOK_ALLOW_PRIVATE=True):
        sub = subscribe(target, event_types=["created"])
        WebhookSubscription.objects.filter(pk=sub.pk).update(url=f"http://hooks.example.test:{target.port}/hook")
        message = _pending(world)
        deliver_due(world.now)  # also sends the customer's acknowledgement email (not counted here)
    message.refresh_from_db()
    assert message.state == "sent"
    (request,) = target.requests
    assert request.headers["host"] == f"hooks.example.test:{target.port}"
    assert target.processed == [request.headers["x-tierline-delivery"]]
