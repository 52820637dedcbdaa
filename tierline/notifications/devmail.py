"""The development mailbox: with TIERLINE_DEV=1 and no mail server configured, email goes into a
Maildir under var/mail and staff read it at /dev/mailbox/, instead of retrying against
localhost:25 for hours. The outbox is unchanged: a message in the mailbox counts as sent, and its
Message-ID is still the idempotency key. Production (no TIERLINE_DEV) always uses SMTP.
"""

from __future__ import annotations

import email
import email.policy
import mailbox
from email.header import decode_header, make_header
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.mail.backends.base import BaseEmailBackend
from django.http import Http404
from django.shortcuts import render

LIST_LIMIT = 200


def folder() -> Path:
    return Path(settings.TIERLINE_DEV_MAILBOX)


class MaildirBackend(BaseEmailBackend):
    def send_messages(self, email_messages) -> int:
        # Maildir writes each message to tmp/ and renames it into new/: a reader never sees half a message.
        box = mailbox.Maildir(folder(), create=True)
        for message in email_messages:
            box.add(message.message().as_bytes())
        return len(email_messages)


def _box() -> mailbox.Maildir | None:
    return mailbox.Maildir(folder(), create=False) if (folder() / "new").is_dir() else None


def _parse(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)


def _summary(key: str, raw: bytes) -> dict:
    # The headers as written (compat32, decoded): the modern parser drops the part of a Message-ID
    # after a ':', and our Message-IDs are idempotency keys such as <report:7:2026-03-02@tierline>.
    head = email.message_from_bytes(raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0])

    def text(name: str) -> str:
        value = head.get(name)
        return str(make_header(decode_header(value))) if value else ""

    return {"key": key, "subject": text("Subject") or "(no subject)", "to": text("To"), "from": text("From"),
            "date": text("Date"), "message_id": text("Message-ID")}


def _delivered(key: str) -> tuple[int, int]:
    """Maildir keys start "<seconds>.M<microseconds>P…": the delivery time, without opening the file."""
    seconds, _, rest = key.partition(".M")
    micro = rest.split("P", 1)[0]
    return (int(seconds) if seconds.isdigit() else 0, int(micro) if micro.isdigit() else 0)


def _guard(request) -> None:
    # Development only, and staff only: these are other people's messages.
    if not settings.DEV_MODE or not request.user.is_staff:
        raise Http404


@login_required
def mailbox_list(request):
    _guard(request)
    box = _box()
    keys = sorted(box.keys(), key=_delivered, reverse=True) if box is not None else []
    rows = [_summary(key, box.get_bytes(key)) for key in keys[:LIST_LIMIT]]
    return render(request, "notifications/dev_mailbox.html", {
        "mails": rows, "total": len(keys), "folder": folder()})


@login_required
def mailbox_message(request, key: str):
    _guard(request)
    box = _box()
    try:
        raw = box.get_bytes(key) if box is not None else None
    except KeyError:
        raw = None
    if raw is None:
        raise Http404
    msg = _parse(raw)
    body = msg.get_body(preferencelist=("plain", "html"))
    attachments = [(part.get_filename(), part.get_content_type(), len(part.get_payload(decode=True) or b""))
                   for part in msg.iter_attachments()]
    return render(request, "notifications/dev_mailbox_message.html", {
        "m": _summary(key, raw), "body": body.get_content() if body is not None else "", "attachments": attachments})
