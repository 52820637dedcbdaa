"""Personal data never reaches the application log: the real handler's output is read back."""

from __future__ import annotations

import io
import logging

import pytest

from tierline.mailin.models import IntakeAddress
from tierline.mailin.process import process
from tierline.mailin.tests.mails import mail
from tierline.privacy import logfilter
from tierline.privacy.logfilter import RedactPII, redact
from tierline.tenancy.models import Customer


@pytest.fixture
def console():
    """The console handler configured by settings.LOGGING, writing into a buffer for the test."""
    [handler] = [h for h in logging.getLogger().handlers
                 if any(isinstance(f, RedactPII) for f in h.filters)]
    buffer = io.StringIO()
    old = handler.setStream(buffer)
    logfilter.names.loaded_at = float("-inf")  # names created by the test are known at once
    try:
        yield buffer
    finally:
        handler.setStream(old)


def test_mail_intake_logs_the_sender_masked(world, console):
    IntakeAddress.objects.create(tenant=world.tenant, address="support@acme.example")
    Customer.objects.create(tenant=world.tenant, name="Philippa Wexford", email="philippa.wexford@example.org")
    process(mail(subject="Help", body="Call me", sender="philippa.wexford@example.org", sender_name="Philippa Wexford"),
            now=world.now)
    out = console.getvalue()
    assert "tierline.mailin" in out and "[email]" in out
    assert "philippa" not in out.lower()


def test_names_phones_and_exceptions_are_masked(world, console):
    Customer.objects.create(tenant=world.tenant, name="Philippa Wexford")
    log = logging.getLogger("tierline.test")
    log.warning("called %s on +44 20 7946 0958 and 020-7946-0959", "PHILIPPA WEXFORD")
    try:
        raise ValueError("bad address philippa@example.org")
    except ValueError:
        log.exception("failed for %s", "Philippa Wexford")
    out = console.getvalue()
    assert "called [name] on [phone] and [phone]" in out
    assert "failed for [name]" in out and "ValueError: bad address [email]" in out
    assert "Wexford" not in out and "7946" not in out


@pytest.mark.parametrize(("text", "kept"), [
    ("escalation ACME-2026-000123 moved to L2", "escalation ACME-2026-000123 moved to L2"),
    ("worker pass: {'sent': 3, 'swept': 12}", "worker pass: {'sent': 3, 'swept': 12}"),
    ("took 1234 ms at 2026-03-02 10:00:00", "took 1234 ms at 2026-03-02 10:00:00"),
])
def test_ordinary_log_lines_are_left_alone(db, text, kept):
    assert redact(text) == kept
