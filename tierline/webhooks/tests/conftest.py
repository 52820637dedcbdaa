import pytest
from django.conf import settings
from django.test import override_settings

from tierline.webhooks.models import WebhookSubscription
from tierline.webhooks.tests.receiver import Receiver


def tierline_settings(**extra):
    return override_settings(TIERLINE={**settings.TIERLINE, **extra})


@pytest.fixture
def allow_private():
    """The test receivers listen on 127.0.0.1, which production refuses."""
    with tierline_settings(WEBHOOK_ALLOW_PRIVATE=True):
        yield


@pytest.fixture
def receiver(world):
    """receiver(**options) starts a real HTTP server; all are stopped after the test."""
    started = []

    def start(**options) -> Receiver:
        r = Receiver(now=world.now.timestamp(), **options).start()
        started.append(r)
        return r

    yield start
    for r in started:
        r.stop()


@pytest.fixture
def subscribe(world):
    """subscribe(receiver, **fields): a subscription pointing at the receiver, whose secret the
    receiver then checks signatures with."""
    def make(target, *, tenant=None, path="/hook", **fields) -> WebhookSubscription:
        fields.setdefault("name", f"sub {WebhookSubscription.objects.count() + 1}")
        sub = WebhookSubscription.objects.create(tenant=tenant or world.tenant, url=target.url + path, **fields)
        target.secret = sub.secret
        return sub
    return make
