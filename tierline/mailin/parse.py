"""Raw RFC 822 bytes → a frozen `Inbound`: who wrote, to whom, about what, the new text, the files.

Pure (stdlib only), so everything process.py decides on can be tested without a database. Mail
is written by every client on earth: nothing here may raise on a malformed header or an unknown
charset — a bad part degrades to less information, never to a lost message.
"""

from __future__ import annotations

import email
import hashlib
import re
from dataclasses import dataclass
from email import policy
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.utils import getaddresses

from tierline.mailin.quotes import html_to_text, strip_quoted

# Our outgoing mail carries Message-ID <{outbox idempotency key}@tierline> (notifications/delivery.py).
OWN_DOMAIN = "@tierline>"
AUTO_PRECEDENCE = {"bulk", "junk", "auto_reply", "list"}
DAEMON_LOCALPARTS = {"mailer-daemon", "postmaster"}
_MSG_ID = re.compile(r"<[^<>\s]+>")
# Control characters have no place in text a person reads, and PostgreSQL refuses NUL outright.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class Inbound:
    message_id: str  # "<…>"; synthesised from the bytes when the mail has none
    from_address: str  # lower case; "" when there is no usable From
    from_name: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    delivered_to: tuple[str, ...]
    subject: str
    in_reply_to: str
    references: tuple[str, ...]
    body: str  # the whole text part (or the HTML part as text)
    new_text: str  # body without the quoted history
    attachments: tuple[Attachment, ...]
    auto_reason: str  # why this is an auto-reply / bounce / list mail; "" for a person's mail
    size: int
    # The receiving server's verdict (RFC 8601): a From that failed DMARC was forged, or may be.
    dmarc_failed: bool = False

    @property
    def recipients(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.to + self.cc + self.delivered_to))

    @property
    def thread_ids(self) -> tuple[str, ...]:
        """Message-IDs this mail answers, most specific first."""
        ids = ([self.in_reply_to] if self.in_reply_to else []) + list(reversed(self.references))
        return tuple(dict.fromkeys(ids))


def parse(raw: bytes, *, headers_only: bool = False, size: int | None = None) -> Inbound:
    """`headers_only`: for mail too large to read (or fetched as headers only): no body, no files."""
    if headers_only:
        msg = BytesHeaderParser(policy=policy.default).parsebytes(raw)
    else:
        msg = email.message_from_bytes(raw, policy=policy.default)
    from_name, from_address = _first_address(msg, "From")
    message_id = _message_id(msg, raw)
    body, files = ("", ()) if headers_only else _body_and_files(msg)
    return Inbound(
        message_id=message_id,
        from_address=from_address,
        from_name=from_name,
        to=_addresses(msg, "To"),
        cc=_addresses(msg, "Cc"),
        delivered_to=_addresses(msg, "Delivered-To") + _addresses(msg, "X-Original-To"),
        subject=" ".join(header(msg, "Subject").split()),
        in_reply_to=next(iter(_MSG_ID.findall(raw_header(msg, "In-Reply-To"))), ""),
        references=tuple(_MSG_ID.findall(raw_header(msg, "References"))),
        body=body,
        new_text=strip_quoted(body),
        attachments=tuple(files),
        auto_reason=auto_reason(msg, from_address, message_id),
        size=len(raw) if size is None else size,
        dmarc_failed=_dmarc_failed(msg),
    )


def message_key(message_id: str) -> str:
    """The idempotency key: Message-IDs can be long and oddly cased in the domain part."""
    left, _, right = message_id.strip().partition("@")
    return hashlib.sha256(f"{left}@{right.lower()}".encode("utf-8", "replace")).hexdigest()


# -- headers -----------------------------------------------------------------------------------

def header(msg, name: str) -> str:
    try:
        value = msg.get(name)
        return "" if value is None else _CONTROL.sub("", str(value)).strip()
    except Exception:  # the parser can trip over some malformed headers: fall back to the raw text
        return raw_header(msg, name)


def raw_header(msg, name: str) -> str:
    """Without the header parser: policy.default reads <ev12:u3:email@tierline> (our own ids,
    with colons) as "<ev12"."""
    for key, raw in msg.raw_items():
        if key.lower() == name.lower():
            return _decode_raw(raw)
    return ""


def _decode_raw(raw) -> str:
    try:
        return _CONTROL.sub("", str(make_header(decode_header(str(raw))))).strip()
    except Exception:
        return _CONTROL.sub("", str(raw)).strip()


def _addresses(msg, name: str) -> tuple[str, ...]:
    return tuple(addr for _, addr in _pairs(msg, name))


def _first_address(msg, name: str) -> tuple[str, str]:
    pairs = _pairs(msg, name)
    return pairs[0] if pairs else ("", "")


def _pairs(msg, name: str) -> list[tuple[str, str]]:
    values = []
    try:
        values = [_CONTROL.sub("", str(v)) for v in msg.get_all(name) or ()]
    except Exception:
        values = [_decode_raw(raw) for key, raw in msg.raw_items() if key.lower() == name.lower()]
    pairs = []
    for display, addr in getaddresses(values):
        addr = addr.strip().strip("<>").lower()
        if "@" in addr and " " not in addr:
            pairs.append((display.strip(), addr))
    return pairs


def _dmarc_failed(msg) -> bool:
    results = [_decode_raw(raw) for key, raw in msg.raw_items() if key.lower() == "authentication-results"]
    return any(re.search(r"\bdmarc\s*=\s*fail\b", r, re.IGNORECASE) for r in results)


def _message_id(msg, raw: bytes) -> str:
    value = raw_header(msg, "Message-ID")
    found = _MSG_ID.findall(value)
    if found:
        return found[0]
    if value:
        return f"<{value.strip('<> ')}>"
    # No Message-ID: the bytes are the identity, so the same mail fetched twice is still one mail.
    return f"<sha256.{hashlib.sha256(raw).hexdigest()}@mailin.invalid>"


def auto_reason(msg, from_address: str, message_id: str) -> str:
    """Why a machine sent this (RFC 3834 and the de facto headers), or "" for a person's mail.
    Answering machines is how mail loops start: such mail is recorded and otherwise ignored."""
    auto = header(msg, "Auto-Submitted").lower()
    if auto and auto.split(";")[0].strip() != "no":
        return f"Auto-Submitted: {auto}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress", "List-Id", "X-Failed-Recipients"):
        if header(msg, name):
            return f"{name} present"
    precedence = header(msg, "Precedence").lower()
    if precedence in AUTO_PRECEDENCE:
        return f"Precedence: {precedence}"
    if "Return-Path" in msg and header(msg, "Return-Path") in ("<>", ""):
        return "empty Return-Path (a bounce)"
    if msg.get_content_type() == "multipart/report":
        report = msg.get_param("report-type", "") or ""
        return f"multipart/report ({report})" if report else "multipart/report"
    if from_address.split("@")[0] in DAEMON_LOCALPARTS:
        return f"sent by {from_address}"
    if message_id.lower().endswith(OWN_DOMAIN):
        return "our own outgoing message came back"
    return ""


# -- body and files ----------------------------------------------------------------------------

def _text_of(part) -> str:
    try:
        text = part.get_content()
    except Exception:  # unknown charset, broken transfer encoding
        payload = part.get_payload(decode=True) or b""
        text = payload.decode("utf-8", "replace")
    if not isinstance(text, str):
        text = bytes(text).decode("utf-8", "replace")
    if part.get_content_type() == "text/html":
        text = html_to_text(text)
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n")).strip()


def _body_and_files(msg: EmailMessage) -> tuple[str, list[Attachment]]:
    body_part, body = None, ""
    # Some clients send an empty text/plain beside the real HTML: take the first part with words.
    for preference in (("plain",), ("html",)):
        try:
            part = msg.get_body(preferencelist=preference)
        except Exception:
            part = None
        if part is not None:
            body_part, body = part, _text_of(part)
            if body:
                break
    return body, list(_files(msg, body_part))


def _filename(part) -> str:
    try:
        name = part.get_filename() or ""
    except Exception:
        name = ""
    # A name is a label, never a path.
    return re.sub(r"[\x00-\x1f/\\]", "_", name).strip()


def _files(part, body_part):
    if part is body_part:
        return
    ctype = part.get_content_type()
    disposition = part.get_content_disposition()
    if ctype == "message/rfc822":
        # A forwarded mail is kept whole, as the .eml it was, not taken apart.
        if disposition == "attachment" or _filename(part):
            try:
                inner = part.get_payload(0).as_bytes()
            except Exception:
                inner = b""
            yield Attachment(_filename(part) or "forwarded.eml", ctype, inner)
        return
    if part.is_multipart():
        for sub in part.iter_parts():
            yield from _files(sub, body_part)
        return
    filename = _filename(part)
    if not filename and disposition != "attachment":
        return  # inline parts without a name: signature logos, alternative bodies, calendar stubs
    try:
        content = part.get_payload(decode=True) or b""
    except Exception:
        content = b""
    yield Attachment(filename or "attachment", ctype, content)
