"""Development email: the outbox delivers into a local Maildir (counted as sent, once) and staff
read it at /dev/mailbox/; nobody else does, and production never serves the page."""

import base64

from tierline.accounts.models import User
from tierline.notifications.delivery import deliver_due
from tierline.notifications.models import OutboxMessage


def _setup(settings, tmp_path):
    settings.EMAIL_BACKEND = "tierline.notifications.devmail.MaildirBackend"
    settings.TIERLINE_DEV_MAILBOX = tmp_path / "mail"
    settings.DEV_MODE = True


def _report(world, now):
    return OutboxMessage.objects.create(
        tenant=world.tenant, channel="email", idempotency_key="report:7:2026-03-02", recipient_address="m@acme.example",
        subject="Acme Telecom: weekly escalation report", body="Attached: the weekly report.", next_attempt_at=now,
        created_at=now, payload={"kind": "report", "attachments": [
            {"filename": "ACME-weekly.pdf", "content_type": "application/pdf",
             "content_b64": base64.b64encode(b"%PDF-1.4 tiny").decode()}]})


def test_dev_email_lands_in_the_mailbox_page_and_counts_as_sent(world, settings, tmp_path, client):
    _setup(settings, tmp_path)
    message = _report(world, world.now)
    assert deliver_due(world.now) == {"sent": 1, "retry": 0, "failed": 0}
    message.refresh_from_db()
    assert message.state == "sent" and message.attempts == 1
    assert deliver_due(world.now) == {"sent": 0, "retry": 0, "failed": 0}  # sent once, not again

    staff = User.objects.create_user("dev", password="a-long-passphrase-9", is_staff=True)
    client.force_login(staff)
    page = client.get("/dev/mailbox/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Acme Telecom: weekly escalation report" in text and "m@acme.example" in text
    key = page.context["mails"][0]["key"]
    one = client.get(f"/dev/mailbox/{key}/").content.decode()
    assert "Attached: the weekly report." in one and "ACME-weekly.pdf" in one
    assert "&lt;report:7:2026-03-02@tierline&gt;" in one  # the idempotency key travels as Message-ID
    assert client.get("/dev/mailbox/1.M2P3Q4.nohost/").status_code == 404
    assert client.get("/dev/mailbox/..%2F..%2Fetc%2Fpasswd/").status_code == 404


def test_dev_mailbox_is_for_staff_in_development_only(world, settings, tmp_path, client):
    _setup(settings, tmp_path)
    _report(world, world.now)
    deliver_due(world.now)
    assert client.get("/dev/mailbox/").status_code == 302  # to the login page
    client.force_login(world.users["admin"])  # a tenant admin is not staff: other clients' mail is not theirs
    assert client.get("/dev/mailbox/").status_code == 404
    staff = User.objects.create_user("dev", password="a-long-passphrase-9", is_staff=True)
    client.force_login(staff)
    assert client.get("/dev/mailbox/").status_code == 200
    settings.DEV_MODE = False
    assert client.get("/dev/mailbox/").status_code == 404


def test_empty_mailbox_says_so(world, settings, tmp_path, client):
    _setup(settings, tmp_path)
    client.force_login(User.objects.create_user("dev", password="a-long-passphrase-9", is_staff=True))
    assert "No email yet." in client.get("/dev/mailbox/").content.decode()
