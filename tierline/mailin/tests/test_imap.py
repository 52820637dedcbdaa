"""Polling a real IMAP server (dovecot, started by the test): fetch, process, mark — once."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from imap_tools import AND

from tierline.audit.event_types import EventType as T
from tierline.audit.models import Event
from tierline.mailin import imap
from tierline.mailin.models import InboundMail
from tierline.mailin.tests import mails
from tierline.mailin.tests.mails import mail

Out = InboundMail.Outcome
MIN = dt.timedelta(minutes=1)


def poll(server, now, **kw):
    return imap.poll_once(host=server.host, port=server.port, user=server.user, password=server.password,
                          ssl=False, now=now, **kw)


def unseen(box, folder="INBOX"):
    box.folder.set(folder)
    return box.uids(AND(seen=False))


def test_poll_processes_unseen_mail_and_marks_it_seen(mailworld, dovecot_server, imap_box):
    w = mailworld
    esc = w.escalation()
    imap_box.append(mail(subject=f"Re: {esc.reference}", body="Still down."))
    imap_box.append(mail(subject="Out of office", headers={"Auto-Submitted": "auto-replied"}))
    imap_box.append(mails.bounce())
    imap_box.append(mail(subject=f"Re: {esc.reference}", sender="mallory@evil.example", body="ESCALATE",
                         to="replies@tierline.example"))
    imap_box.append(mail(subject="Already read", body="x"), flag_set=["\\Seen"])
    stats = poll(dovecot_server, w.now + MIN, batch=2)  # several batches
    assert stats == {"fetched": 4, Out.REPLY: 1, Out.IGNORED_AUTOREPLY: 2, Out.IGNORED_UNKNOWN_SENDER: 1}
    assert unseen(imap_box) == [] and len(imap_box.uids()) == 5
    assert [e.type for e in Event.objects.filter(escalation=esc).order_by("pk")][-1] == T.PUBLIC_REPLY
    assert poll(dovecot_server, w.now + 2 * MIN) == {}


def test_a_crash_between_processing_and_flagging_does_not_process_twice(mailworld, dovecot_server, imap_box,
                                                                        monkeypatch):
    w = mailworld
    esc = w.escalation()
    imap_box.append(mail(subject=f"Re: {esc.reference}", body="Reply once"))

    def crash(*args, **kwargs):
        raise ConnectionResetError("the poller died before it could flag the mail")

    with monkeypatch.context() as m:
        m.setattr(imap, "_done", crash)
        with pytest.raises(ConnectionResetError):
            poll(dovecot_server, w.now + MIN)
    assert len(unseen(imap_box)) == 1  # processed, committed, but still unseen on the server
    assert InboundMail.objects.get().outcome == Out.REPLY
    stats = poll(dovecot_server, w.now + 2 * MIN)
    assert stats == {"fetched": 1, "duplicate": 1}
    assert unseen(imap_box) == [] and InboundMail.objects.count() == 1
    assert Event.objects.filter(escalation=esc, type=T.PUBLIC_REPLY).count() == 1


def test_processed_mail_can_be_moved_to_a_folder(mailworld, dovecot_server, imap_box):
    w = mailworld
    esc = w.escalation()
    imap_box.append(mail(subject=f"Re: {esc.reference}", body="Move me"))
    stats = poll(dovecot_server, w.now + MIN, processed_folder="Processed")
    assert stats == {"fetched": 1, Out.REPLY: 1}
    imap_box.folder.set("INBOX")
    assert imap_box.uids() == []
    imap_box.folder.set("Processed")
    assert len(imap_box.uids()) == 1


def test_too_large_mail_is_rejected_from_its_headers(mailworld, dovecot_server, imap_box, settings):
    w = mailworld
    esc = w.escalation()
    settings.TIERLINE = {**settings.TIERLINE, "MAIL_MAX_BYTES": 4000}
    raw = mail(subject=f"Re: {esc.reference}", files=[("big.pdf", "application/pdf", b"%PDF" + b"x" * 8000)])
    imap_box.append(raw)
    imap_box.append(mail(subject=f"Re: {esc.reference}", body="small one"))
    stats = poll(dovecot_server, w.now + MIN)
    assert stats == {"fetched": 2, Out.REJECTED_TOO_LARGE: 1, Out.REPLY: 1}
    rejected = InboundMail.objects.get(outcome=Out.REJECTED_TOO_LARGE)
    assert rejected.size >= len(raw) - 100 and rejected.sender == mails.CUSTOMER  # the server's size
    assert unseen(imap_box) == []


def test_the_command_polls_once_from_the_settings(mailworld, dovecot_server, imap_box, settings):
    w = mailworld
    esc = w.escalation()
    imap_box.append(mail(subject=f"Re: {esc.reference}", body="via the command"))
    settings.TIERLINE = {**settings.TIERLINE, "IMAP_HOST": dovecot_server.host, "IMAP_PORT": dovecot_server.port,
                         "IMAP_USER": dovecot_server.user, "IMAP_PASSWORD": dovecot_server.password,
                         "IMAP_SSL": False, "IMAP_FOLDER": "INBOX"}
    out = io.StringIO()
    call_command("mailin", "poll", "--once", stdout=out)
    assert json.loads(out.getvalue()) == {"fetched": 1, Out.REPLY: 1}
    assert unseen(imap_box) == []


def test_a_wrong_password_is_an_error_not_a_silent_pass(mailworld, dovecot_server, imap_box):
    from imap_tools.errors import MailboxLoginError

    with pytest.raises(MailboxLoginError):
        imap.poll_once(host=dovecot_server.host, port=dovecot_server.port, user=dovecot_server.user,
                       password="wrong", ssl=False, now=mailworld.now)
