"""Fetching mail from an IMAP mailbox: unseen messages, in small batches, each processed then marked.

The order is process → commit → flag \\Seen (or move). A crash after the commit and before the
flag leaves the message unseen; the next pass fetches it again and process() finds its Message-ID
already recorded, so it acts once. Messages over the size limit are not downloaded at all: their
headers and the server's size are enough to record the rejection.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone
from imap_tools import AND, MailBox, MailBoxUnencrypted, MailMessage
from imap_tools.utils import check_command_status

from tierline.mailin.process import RETRY_LATER, max_bytes, process
from tierline.runtime import health

log = logging.getLogger("tierline.mailin")
BATCH = 20
TIMEOUT = 60.0
MAIL_KIND = "mail_uid"  # parked-item kind: the IMAP uid in the configured folder


class _Raw(MailMessage):
    """imap-tools keeps only the parsed message; process() wants the bytes exactly as sent."""

    def __init__(self, fetch_data: list) -> None:
        self.raw = self._get_message_data_parts(fetch_data)[0]
        super().__init__(fetch_data)


class ImapError(RuntimeError):
    pass


def config() -> dict:
    """The mailbox settings (TIERLINE_IMAP_* in the environment, see docs/email-intake.md)."""
    conf = settings.TIERLINE
    ssl = bool(conf.get("IMAP_SSL", True))
    return {
        "host": conf.get("IMAP_HOST", ""),
        "port": int(conf.get("IMAP_PORT") or (993 if ssl else 143)),
        "user": conf.get("IMAP_USER", ""),
        "password": conf.get("IMAP_PASSWORD", ""),
        "folder": conf.get("IMAP_FOLDER") or "INBOX",
        "ssl": ssl,
        "processed_folder": conf.get("IMAP_PROCESSED_FOLDER", ""),
    }


def configured() -> bool:
    conf = config()
    return bool(conf["host"] and conf["user"])


def _connect(host: str, port: int, ssl: bool):
    box = MailBox(host, port, timeout=TIMEOUT) if ssl else MailBoxUnencrypted(host, port, timeout=TIMEOUT)
    box.email_message_class = _Raw
    return box


def _done(mailbox, uid: str, processed_folder: str) -> None:
    if processed_folder:
        mailbox.move(uid, processed_folder)
    else:
        # A plain STORE: imap-tools' flag() also EXPUNGEs, which would purge other clients' deletions.
        check_command_status(mailbox.client.uid("STORE", uid, "+FLAGS", "(\\Seen)"), ImapError)


def poll_once(*, host: str, port: int | None = None, user: str, password: str, folder: str = "INBOX",
              ssl: bool = True, now=None, processed_folder: str = "", batch: int = BATCH) -> dict:
    """One pass over the unseen mail of `folder`. Returns counts by outcome, plus `fetched`,
    `duplicate` (already handled: only marked) and `failed` (left unseen for the next pass)."""
    stats: Counter = Counter()
    limit = max_bytes()
    port = port or (993 if ssl else 143)
    with _connect(host, port, ssl).login(user, password, initial_folder=folder) as mailbox:
        if processed_folder and not mailbox.folder.exists(processed_folder):
            mailbox.folder.create(processed_folder)
        # A message whose processing raised is parked (left unseen) until its retry time, so one
        # bad message never holds up the mail behind it.
        hold, retry = health.parked_sets(MAIL_KIND, now or timezone.now())
        uids = [uid for uid in mailbox.uids(AND(seen=False)) if not (uid.isdigit() and int(uid) in hold)]
        for start in range(0, len(uids), batch):
            chunk = uids[start:start + batch]
            heads = {m.uid: m for m in mailbox.fetch(uid_list=chunk, headers_only=True, mark_seen=False,
                                                     bulk=True)}
            small = [uid for uid in chunk if uid in heads and heads[uid].size_rfc822 <= limit]
            # An empty uid_list would make imap-tools fetch the whole folder.
            bodies = {m.uid: m for m in mailbox.fetch(uid_list=small, mark_seen=False, bulk=True)} if small else {}
            for uid in chunk:
                if uid not in heads:
                    continue  # expunged by someone else since the search
                try:
                    if uid in bodies:
                        record = process(bodies[uid].raw, now=now or timezone.now())
                    else:
                        record = process(heads[uid].raw, now=now or timezone.now(), size=heads[uid].size_rfc822)
                except RETRY_LATER:
                    log.exception("mail uid %s: database unavailable; left unseen for the next pass", uid)
                    stats["failed"] += 1
                    return dict(stats)
                except Exception as exc:
                    if not uid.isdigit():
                        raise
                    health.park("mail_intake", MAIL_KIND, int(uid), exc, now or timezone.now())
                    stats["parked"] += 1
                    continue
                stats["fetched"] += 1
                stats["duplicate" if record.duplicate else record.outcome] += 1
                _done(mailbox, uid, processed_folder)
                if uid.isdigit() and int(uid) in retry:
                    health.unpark(MAIL_KIND, int(uid))
    return dict(stats)


def poll_configured(now=None) -> dict:
    conf = config()
    if not (conf["host"] and conf["user"]):
        raise ImapError("TIERLINE_IMAP_HOST and TIERLINE_IMAP_USER are not set")
    return poll_once(now=now, **conf)


def poll_forever(stop: threading.Event, interval: float | None = None) -> None:
    """Loop mode (`tierline mailin poll`, or a worker thread): a failed pass is logged, recorded as
    the mail_intake job's failure (tierline status, /readyz) and retried."""
    interval = float(settings.TIERLINE.get("MAIL_POLL_SECONDS", 60)) if interval is None else interval
    log.info("mail poller started (every %.0f s)", interval)
    while not stop.is_set():
        close_old_connections()
        # An unreachable server or a bad password must not end the loop: run_job records it.
        stats, _ = health.run_job("mail_intake", poll_configured, timezone.now())
        if stats:
            log.info("mail pass: %s", stats)
        stop.wait(interval)
    log.info("mail poller stopped")
