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
from tierline.runtime.health import run_job
from tierline.security.counters import prune_if_due

log = logging.getLogger("tierline.worker")


def _jobs():
    # Timers first: their steps write outbox rows that the delivery below then sends in the same pass.
    return (
        ("sla_sweep", sweep),
        ("client_requests", sweep_client_requests),
        ("report_schedules", run_due),
        ("outbox", deliver_due),
        ("retention", retention_pass),
        ("rollup", update_all),
        ("prune", lambda now: {"pruned": prune_if_due(now.timestamp())}),  # hourly: old rate-limit windows
    )


# Counts that say something went wrong rather than that work was done: they go in the log line but
# do not make the loop go again at once (a failing job would otherwise spin the worker).
_TROUBLE = ("_failed", "_parked")


def run_once(now) -> dict[str, int]:
    """One pass: every job in turn, each fenced (runtime/health.py), so one that raises costs its
    own work only. ``jobs_failed`` counts the jobs that raised."""
    stats: dict[str, int] = {}
    failed = 0
    for name, job in _jobs():
        result, ok = run_job(name, job, now)
        stats.update(result)
        failed += not ok
    stats.pop("pruned", None)  # housekeeping, not worth a log line
    stats["jobs_failed"] = failed
    return stats


def did_work(stats: dict[str, int]) -> bool:
    return any(v for k, v in stats.items() if not k.endswith(_TROUBLE) and k != "failed")


def run_forever(stop: threading.Event, poll: float | None = None) -> None:
    poll = settings.TIERLINE["WORKER_POLL_SECONDS"] if poll is None else poll
    log.info("worker started (poll every %.1f s)", poll)
    while not stop.is_set():
        close_old_connections()
        stats = run_once(timezone.now())
        # Only passes that did (or parked) something: an idle worker keeps the console quiet, and a
        # failing job has its own, throttled, log lines.
        shown = {k: v for k, v in stats.items() if v and k != "jobs_failed"}
        if shown:
            log.info("worker pass: %s", shown)
        if did_work(stats):
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
