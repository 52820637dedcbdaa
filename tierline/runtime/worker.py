"""The background worker: a loop over due work stored in the database.

No timers live in memory: everything due (outbox messages now, SLA deadlines later) is a row
with a due time, so a restart loses nothing and any number of workers can run side by side.
"""

from __future__ import annotations

import logging
import threading

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from tierline.actions.retention import retention_pass
from tierline.actions.sweep import sweep, sweep_client_requests
from tierline.mailin import imap
from tierline.notifications.delivery import deliver_due
from tierline.reports.rollups import update_all
from tierline.reports.schedules import run_due
from tierline.security.counters import prune_if_due

log = logging.getLogger("tierline.worker")


def run_once(now) -> dict[str, int]:

    # Timers first: their steps write outbox rows that the delivery below then sends in the same pass.
    return {**sweep(now), **sweep_client_requests(now), **run_due(now), **deliver_due(now), **retention_pass(now),
            **update_all(now)}


def run_forever(stop: threading.Event, poll: float | None = None) -> None:
    poll = settings.TIERLINE["WORKER_POLL_SECONDS"] if poll is None else poll
    log.info("worker started (poll every %.1f s)", poll)
    while not stop.is_set():
        close_old_connections()
        try:

            now = timezone.now()
            prune_if_due(now.timestamp())  # hourly: old rate-limit windows
            stats = run_once(now)
        except Exception:  # a bad pass must not kill the worker; the next pass retries
            log.exception("worker pass failed")
            stats = {}
        if any(stats.values()):
            log.info("worker pass: %s", stats)
            continue  # there may be more: go again at once
        stop.wait(poll)
    log.info("worker stopped")


def start_mail_poller(stop: threading.Event) -> threading.Thread | None:
    """Inbound email in its own thread: an IMAP round trip takes seconds and must not hold up the
    SLA sweep and the outbox, which run every second. Idle unless TIERLINE_IMAP_HOST is set."""

    if not imap.configured():
        return None
    thread = threading.Thread(target=imap.poll_forever, args=(stop,), name="tierline-mailin", daemon=True)
    thread.start()
    log.info("mail poller started")
    return thread
