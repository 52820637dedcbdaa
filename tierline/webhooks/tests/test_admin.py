"""The admin: internal URLs and unknown event types refused, the secret shown once."""

import pytest

from tierline.accounts.models import User
from tierline.webhooks.models import WebhookSubscription


@pytest.fixture
def admin_client(world, client):
    User.objects.filter(pk=world.users["admin"].pk).update(is_staff=True, is_superuser=True)
    client.force_login(world.users["admin"])
    return client


def _add(client, world, **fields):
    data = {"tenant": world.tenant.pk, "name": "Ops channel", "url": "https://93.184.216.34/hook",
            "format": "slack", "is_active": "on", **fields}
    return client.post("/admin/webhooks/webhooksubscription/add/", data, follow=True)


def test_adding_shows_the_secret_once(world, admin_client):
    response = _add(admin_client, world, event_types=["escalated", "sla_breach"])
    sub = WebhookSubscription.objects.get()
    assert sub.event_types == ["escalated", "sla_breach"] and sub.format == "slack"
    assert sub.secret in response.content.decode()
    change = admin_client.get(f"/admin/webhooks/webhooksubscription/{sub.pk}/change/").content.decode()
    listing = admin_client.get("/admin/webhooks/webhooksubscription/").content.decode()
    assert sub.secret not in change and sub.secret not in listing
    assert "93.184.216.34" in listing and "/hook" not in listing


def test_rotating_the_secret_shows_the_new_one(world, admin_client):
    _add(admin_client, world)
    old = WebhookSubscription.objects.get().secret
    response = admin_client.post("/admin/webhooks/webhooksubscription/",
                                 {"action": "rotate_secret", "_selected_action": [WebhookSubscription.objects.get().pk]},
                                 follow=True)
    new = WebhookSubscription.objects.get().secret
    assert new != old and new in response.content.decode()


@pytest.mark.parametrize("url", ["http://169.254.169.254/latest/meta-data/", "http://localhost/", "ftp://93.184.216.34/"])
def test_internal_or_non_http_urls_are_refused(world, admin_client, url):
    response = _add(admin_client, world, url=url)
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    assert not WebhookSubscription.objects.exists()


def test_unknown_event_types_are_refused(world):
    from django.core.exceptions import ValidationError

    sub = WebhookSubscription(tenant=world.tenant, name="x", url="https://93.184.216.34/", event_types=["nope"])
    with pytest.raises(ValidationError, match="unknown event types: nope"):
        sub.full_clean()
