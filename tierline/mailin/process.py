"""One inbound mail → at most one change, through the write path, recorded once.

    process(raw, now=…) -> InboundMail

Order of questions: seen before? too large? sent by a machine? does it answer one of our
escalations, from that escalation's customer? does it ask to escalate? else, was it sent to a
tenant's intake address? Every answer is recorded on the InboundMail row; no mail is ever sent
back from here (an answer to an auto-reply is how mail loops start, and an answer to a stranger
would confirm that a reference exists).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re

from django.conf import settings
from django.db import IntegrityError, InterfaceError, OperationalError, transaction

from tierline import actions
from tierline.actions.coordination import RateLimited
from tierline.core.actors import Actor
from tierline.core.errors import DomainError, InvalidInput
from tierline.escalations.models import Escalation
from tierline.mailin import parse
from tierline.mailin.models import InboundMail, IntakeAddress
from tierline.notifications.models import OutboxMessage
from tierline.routing.decide import settings_for
from tierline.tenancy.models import Customer

log = logging.getLogger("tierline.mailin")
Outcome = InboundMail.Outcome

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
REFERENCE = re.compile(r"\b[A-Z][A-Z0-9]{1,11}-\d{4}-\d{6}\b")
REASON_MAX = 2000
REPLY_MAX = 5000
DESCRIPTION_MAX = 20000
INTAKE_ACTOR = "email-intake"
# Transient database trouble: the mail must stay unread on the server and be tried again.
# Anything else a message provokes is that message's problem and is recorded as its outcome.
RETRY_LATER = (OperationalError, InterfaceError)


def max_bytes() -> int:
    return int(settings.TIERLINE.get("MAIL_MAX_BYTES", DEFAULT_MAX_BYTES))


def process(raw: bytes, *, now: dt.datetime, size: int | None = None) -> InboundMail:
    """Handle one message. `size`: the server's size when only the headers were fetched.
    The returned row has `duplicate = True` when the Message-ID had been handled before."""
    size = len(raw) if size is None else size
    too_large = size > max_bytes()
    try:
        mail = parse.parse(raw, headers_only=too_large, size=size)
    except Exception as exc:  # not even the headers parse: keep a trace, drop the mail
        mail = None
        problem = f"unreadable mail: {type(exc).__name__}: {exc}"
    key = parse.message_key(mail.message_id) if mail else hashlib.sha256(raw).hexdigest()
    seen = InboundMail.objects.filter(message_key=key).first()
    if seen is not None:
        seen.duplicate = True
        return seen
    record = InboundMail(
        message_key=key, message_id=mail.message_id if mail else f"<unparsed {key}>", received_at=now,
        sender=(mail.from_address if mail else "")[:320], subject=(mail.subject if mail else "")[:300],
        size=size, outcome=Outcome.ERROR,
    )
    try:
        with transaction.atomic():
            # Claim the Message-ID first: a second poller on the same mail waits here, then fails.
            record.save(force_insert=True)
            if mail is None:
                record.detail = problem
            elif too_large:
                record.tenant_id = _intake_tenant(mail)
                record.outcome, record.detail = Outcome.REJECTED_TOO_LARGE, f"{size} bytes > {max_bytes()}"
            else:
                _decide_safely(record, mail, raw, now)
            record.save()
    except IntegrityError:
        seen = InboundMail.objects.filter(message_key=key).first()
        if seen is None:
            raise
        seen.duplicate = True
        return seen
    record.duplicate = False
    log.info("mail %s from %s: %s %s", record.message_id, record.sender, record.outcome, record.detail[:200])
    return record


def _decide_safely(record: InboundMail, mail: parse.Inbound, raw: bytes, now) -> None:
    try:
        with transaction.atomic():  # a savepoint: a failure leaves no half-done change behind
            _decide(record, mail, raw, now)
    except RETRY_LATER:
        raise
    except Exception as exc:
        log.exception("mail %s could not be handled", mail.message_id)
        record.outcome, record.escalation = Outcome.ERROR, None
        record.detail = f"{type(exc).__name__}: {exc}"[:4000]


def _decide(record: InboundMail, mail: parse.Inbound, raw: bytes, now) -> None:
    intake = _intake_addresses(mail)
    record.tenant_id = intake[0].tenant_id if intake else None
    if mail.auto_reason:
        record.outcome, record.detail = Outcome.IGNORED_AUTOREPLY, mail.auto_reason
        return
    if mail.dmarc_failed:
        # Anyone can write any From; the receiving server's DMARC check is the one proof we get.
        record.outcome = Outcome.IGNORED_UNKNOWN_SENDER
        record.detail = "the sender's domain failed DMARC at the receiving server: the From may be forged"
        return
    esc, customer, candidates = _match(mail, {a.tenant_id for a in intake})
    if esc is not None:
        record.tenant_id, record.escalation = esc.tenant_id, esc
        _answer(record, mail, raw, esc, customer, now)
    elif intake:
        _create(record, mail, raw, intake[0], now)
    elif candidates:
        # Someone who is not the customer wrote about a real reference: record it, say nothing.
        record.outcome = Outcome.IGNORED_UNKNOWN_SENDER
        record.detail = "the sender is not the customer of the escalation named in the mail"
    else:
        record.outcome = Outcome.UNMATCHED
        record.detail = "no escalation reference and not sent to an intake address"


def _intake_tenant(mail: parse.Inbound) -> int | None:
    found = _intake_addresses(mail)
    return found[0].tenant_id if found else None


def _intake_addresses(mail: parse.Inbound) -> list[IntakeAddress]:
    """The tenant's intake addresses among the recipients, in the order the mail names them."""
    if not mail.recipients:
        return []
    rows = {a.address: a for a in IntakeAddress.objects.filter(address__in=mail.recipients, is_active=True)}
    return [rows[r] for r in mail.recipients if r in rows]


def _candidates(mail: parse.Inbound) -> list[int]:
    """Escalations the mail names: our Message-IDs it answers first (the client wrote those
    headers), then references in the subject (which people edit)."""
    keys = [mid[1:-len(parse.OWN_DOMAIN)] for mid in mail.thread_ids if mid.lower().endswith(parse.OWN_DOMAIN)]
    ids: list[int] = []
    if keys:
        found = dict(OutboxMessage.objects.filter(idempotency_key__in=keys, escalation__isnull=False)
                     .values_list("idempotency_key", "escalation_id"))
        ids += [found[k] for k in keys if k in found]
    refs = list(dict.fromkeys(REFERENCE.findall(mail.subject)))
    if refs:
        found = dict(Escalation.objects.filter(reference__in=refs).values_list("reference", "pk"))
        ids += [found[r] for r in refs if r in found]
    return list(dict.fromkeys(ids))


def _match(mail: parse.Inbound, tenants: set[int]):
    """The first named escalation whose customer sent this mail. When the mail went to intake
    addresses, only those tenants' escalations count: a reference never crosses tenants."""
    candidates = _candidates(mail)
    for pk in candidates:
        esc = Escalation.objects.select_related("customer").get(pk=pk)
        for _ in range(5):  # a reply to a merged duplicate belongs to the case it was merged into
            if esc.merged_into_id is None:
                break
            esc = Escalation.objects.select_related("customer").get(pk=esc.merged_into_id)
        if tenants and esc.tenant_id not in tenants:
            continue
        customer = esc.customer
        if customer is not None and mail.from_address and customer.email.strip().lower() == mail.from_address:
            return esc, customer, candidates
    return None, None, candidates


def asks_to_escalate(text: str, keyword: str) -> bool:
    keyword = (keyword or "").strip()
    return bool(keyword) and re.search(rf"(?<!\w){re.escape(keyword)}(?!\w)", text, re.IGNORECASE) is not None


def _answer(record, mail: parse.Inbound, raw: bytes, esc: Escalation, customer: Customer, now) -> None:

    actor = Actor.for_customer(customer)
    text = mail.new_text.strip()
    try:
        if asks_to_escalate(text, settings_for(esc.tenant_id).client_escalation_keyword):
            if esc.status == "resolved":
                # "ESCALATE, it is still broken" on a resolved case: the reply reopens it, then the ask.
                esc = actions.customer_reply(esc, text[:REPLY_MAX], actor=actor, now=now, source="email")
                record.detail = "the reply reopened the escalation"
            try:
                actions.request_client_escalation(esc, actor=actor, now=now, reason=text[:REASON_MAX],
                                                  source="email")
            except RateLimited as exc:
                record.outcome = Outcome.CLIENT_ESCALATION_RATE_LIMITED
                record.detail = f"{record.detail}\n{exc.message}".strip()
                return
            record.outcome = Outcome.CLIENT_ESCALATION
        elif text:
            shortened = len(text) > REPLY_MAX
            body = text[:REPLY_MAX - 80].rstrip() + "\n\n[… shortened; the whole mail is attached as message.eml]" \
                if shortened else text
            actions.customer_reply(esc, body, actor=actor, now=now, source="email")
            record.outcome = Outcome.REPLY
            if shortened:
                _attach(record, esc, actor, now, [parse.Attachment("message.eml", "message/rfc822", raw)])
        elif mail.attachments:
            kept = _attach(record, esc, actor, now, mail.attachments)
            record.outcome = Outcome.REPLY if kept else Outcome.REFUSED
            record.detail = f"no text, {kept} of {len(mail.attachments)} file(s) kept\n{record.detail}".strip()
            return
        else:
            record.outcome, record.detail = Outcome.REFUSED, "the mail has no new text"
            return
    except DomainError as exc:
        # Closed case, reply window over, a request already open: the action said no, nothing changed.
        record.outcome, record.detail = Outcome.REFUSED, f"{exc.code}: {exc.message}"
        return
    _attach(record, esc, actor, now, mail.attachments)


def _attach(record, esc, actor, now, files) -> int:
    """Each file on its own: one refused file (type, size) does not cost the customer the others."""
    kept = 0
    for f in files:
        try:
            actions.customer_attach(esc, filename=f.filename, content=f.content, content_type=f.content_type,
                                    actor=actor, now=now)
            kept += 1
        except DomainError as exc:
            note = f"file {f.filename!r} not kept: {exc.message}"
            record.detail = f"{record.detail}\n{note}".strip()
    return kept


def _customer(tenant_id: int, mail: parse.Inbound) -> Customer:
    found = (Customer.objects.filter(tenant_id=tenant_id, email__iexact=mail.from_address)
             .order_by("pk").first())
    if found is not None:
        return found
    name = (mail.from_name or mail.from_address.split("@")[0])[:200]
    return Customer.objects.create(tenant_id=tenant_id, name=name, email=mail.from_address)


def _create(record, mail: parse.Inbound, raw: bytes, intake: IntakeAddress, now) -> None:
    if not mail.from_address:
        record.outcome, record.detail = Outcome.UNMATCHED, "no sender address to answer"
        return
    title = mail.subject[:200].strip() or "(no subject)"
    description = mail.body[:DESCRIPTION_MAX]
    try:
        with transaction.atomic():  # an unroutable mail leaves no new customer behind either
            customer = _customer(intake.tenant_id, mail)
            esc = actions.create_escalation(
                actor=Actor.system(INTAKE_ACTOR), now=now, tenant=intake.tenant, title=title,
                description=description, type="customer_experience", priority="P3", team=None,
                channel=intake.channel, customer=customer)
    except InvalidInput as exc:
        if exc.code != "no_route":
            record.outcome, record.detail = Outcome.REFUSED, f"{exc.code}: {exc.message}"
        else:
            record.outcome, record.detail = Outcome.UNMATCHED, f"no_route: {exc.message}"
        return
    except DomainError as exc:
        record.outcome, record.detail = Outcome.REFUSED, f"{exc.code}: {exc.message}"
        return
    record.outcome, record.escalation = Outcome.CREATED, esc
    files = list(mail.attachments)
    if len(mail.body) > DESCRIPTION_MAX:
        files.append(parse.Attachment("message.eml", "message/rfc822", raw))
    _attach(record, esc, Actor.for_customer(customer), now, files)
