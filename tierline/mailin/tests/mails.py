"""Building raw RFC 822 messages the way mail clients and mail servers write them."""

from __future__ import annotations

import datetime as dt
import itertools
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime

_counter = itertools.count(1)

INTAKE = "support@acme.example"
CUSTOMER = "dana@customer.example"


def mail(*, subject: str = "Hello", body: str = "Hello there", sender: str = CUSTOMER, sender_name: str = "Dana",
         to: str = INTAKE, message_id: str | None = None, in_reply_to: str = "", references: str = "",
         headers: dict | None = None, html: str | None = None, files=()) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"{sender_name} <{sender}>" if sender_name else sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC))
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    for filename, ctype, content in files:
        maintype, subtype = ctype.split("/")
        msg.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    # Written by hand: the header classes of policy.default mangle ids with colons (ours have them).
    ids = {"Message-ID": message_id or f"<m{next(_counter)}.{id(msg)}@client.example>",
           "In-Reply-To": in_reply_to, "References": references}
    return "".join(f"{k}: {v}\r\n" for k, v in ids.items() if v).encode() + msg.as_bytes(policy=SMTP)


def bounce(*, to: str = INTAKE) -> bytes:
    """A delivery status notification (RFC 3464) as Postfix writes it."""
    return (
        "Return-Path: <>\r\n"
        "From: MAILER-DAEMON@mx.example (Mail Delivery System)\r\n"
        f"To: {to}\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        f"Message-ID: <bounce{next(_counter)}@mx.example>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B1"\r\n'
        "\r\n--B1\r\nContent-Type: text/plain\r\n\r\n"
        "I'm sorry to have to inform you that your message could not be delivered.\r\n"
        "\r\n--B1\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example\r\n\r\nFinal-Recipient: rfc822; x@y.example\r\nAction: failed\r\n"
        "Status: 5.1.1\r\n"
        "\r\n--B1--\r\n"
    ).encode()
