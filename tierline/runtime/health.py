"""Each worker job runs and fails on its own; each failing item is parked with its error.

``run_job`` is the fence around one job of a pass: an exception is logged (a traceback when the
job starts failing, then at most one line a minute while it keeps failing) and recorded in
JobState, and the pass moves on. ``park`` records one item a job could not process; the job
leaves it out until its retry time (backing off to an hour), and ``unpark`` forgets it once a
retry succeeds.

Recording costs no write while all is well, beyond one heartbeat a minute per job and process:
an idle worker must not keep the (SQLite: single) writer busy.
"""

from __future__ import annotations

import datetime as dt
import logging
import time

from django.conf import settings
from django.db import OperationalError, transaction
from django.db.models import F

from tierline.notifications.models import OutboxMessage
from tierline.privacy.logfilter import redact
from tierline.runtime.models import JobState, ParkedItem

log = logging.getLogger("tierline.worker")
HEARTBEAT_SECONDS = 60.0
MAX_RETRY = dt.timedelta(hours=1)
# job name -> (failing?, monotonic time of the last write, of the last log line)
_known: dict[str, tuple[bool, float, float]] = {}


def failure_threshold() -> int:
    return int(settings.TIERLINE.get("JOB_FAILURE_THRESHOLD", 3))


def error_text(exc: BaseException) -> str:
    # Shown in `tierline status`, on dashboards and at /readyz: personal data is masked first.
    return redact(f"{type(exc).__name__}: {exc}")[:2000]


def run_job(name: str, fn, now: dt.datetime) -> tuple[dict[str, int], bool]:
    """Run one job; returns (its stats, whether it succeeded). Never raises an Exception."""
    try:
        stats = fn(now)
    except Exception as exc:
        _failed(name, exc, now)
        return {}, False
    _succeeded(name, now)
    return stats or {}, True


def _failed(name: str, exc: Exception, now: dt.datetime) -> None:
    failing, _, logged = _known.get(name, (False, 0.0, 0.0))
    clock = time.monotonic()
    if not failing or clock - logged > HEARTBEAT_SECONDS:
        log.exception("worker job %s failed; the other jobs go on", name)
        logged = clock
    try:
        with transaction.atomic():
            state, _ = JobState.objects.select_for_update().get_or_create(name=name)
            state.consecutive_failures = F("consecutive_failures") + 1
            state.last_failed_at = now
            state.failing_since = state.failing_since or now
            state.last_error = error_text(exc)
            state.save()
    except Exception:  # the database itself may be what failed: the log line is all we can do
        log.warning("could not record the failure of job %s", name, exc_info=True)
    _known[name] = (True, clock, logged)


def _succeeded(name: str, now: dt.datetime) -> None:
    failing, written, logged = _known.get(name, (True, 0.0, 0.0))
    clock = time.monotonic()
    if not failing and clock - written < HEARTBEAT_SECONDS:
        return
    try:
        JobState.objects.update_or_create(name=name, defaults={
            "consecutive_failures": 0, "last_ok_at": now, "failing_since": None})
    except OperationalError as exc:
        # A heartbeat that met a busy SQLite writer (a demo load, an import) is tried again at the
        # next pass: one line, not a traceback, in the console.
        log.warning("could not record the run of job %s: %s", name, exc)
        return
    except Exception:
        log.warning("could not record the run of job %s", name, exc_info=True)
        return
    if failing and name in _known:
        log.info("worker job %s recovered", name)
    _known[name] = (False, clock, logged)


def retry_delay(attempts: int) -> dt.timedelta:
    return min(dt.timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_RETRY)


def park(job: str, kind: str, object_id: int, exc: BaseException, now: dt.datetime,
         tenant_id: int | None = None) -> None:
    """Record an item the job could not process; it is left out until retry_at."""
    log.warning("%s: %s %s parked: %s", job, kind, object_id, error_text(exc))
    try:
        with transaction.atomic():
            item = ParkedItem.objects.select_for_update().filter(kind=kind, object_id=object_id).first()
            if item is None:
                ParkedItem.objects.create(job=job, kind=kind, object_id=object_id, tenant_ref=tenant_id,
                                          error=error_text(exc), first_failed_at=now, last_failed_at=now,
                                          retry_at=now + retry_delay(1))
                return
            item.attempts += 1
            item.error, item.last_failed_at = error_text(exc), now
            item.retry_at = now + retry_delay(item.attempts)
            item.save(update_fields=["attempts", "error", "last_failed_at", "retry_at"])
    except Exception:
        log.warning("could not park %s %s", kind, object_id, exc_info=True)


def unpark(kind: str, object_id: int) -> None:
    ParkedItem.objects.filter(kind=kind, object_id=object_id).delete()


def held(kind: str, now: dt.datetime):
    """The ids of parked items not yet due for a retry, as a subquery for .exclude(pk__in=…)."""
    return ParkedItem.objects.filter(kind=kind, retry_at__gt=now).values("object_id")


def parked_sets(kind: str, now: dt.datetime) -> tuple[set[int], set[int]]:
    """(ids to leave out now, ids parked but due for a retry: unpark them when they succeed)."""
    hold, retry = set(), set()
    for object_id, retry_at in ParkedItem.objects.filter(kind=kind).values_list("object_id", "retry_at"):
        (hold if retry_at > now else retry).add(object_id)
    return hold, retry


def snapshot(now: dt.datetime, *, tenant_id: int | None = None, limit: int = 50) -> dict:
    """What needs an operator: jobs failing now, parked items, outbox messages given up on.
    ``ready`` is False when a job failed its last JOB_FAILURE_THRESHOLD runs or anything is
    parked. With ``tenant_id`` the items are that tenant's only (jobs are everyone's)."""

    threshold = failure_threshold()
    jobs = [{"job": s.name, "consecutive_failures": s.consecutive_failures,
             "failing_since": _iso(s.failing_since), "last_ok_at": _iso(s.last_ok_at), "last_error": s.last_error}
            for s in JobState.objects.filter(consecutive_failures__gt=0).order_by("name")]
    items = ParkedItem.objects.order_by("first_failed_at", "id")
    failed = OutboxMessage.objects.filter(state=OutboxMessage.State.FAILED)
    if tenant_id is not None:
        items, failed = items.filter(tenant_ref=tenant_id), failed.filter(tenant_id=tenant_id)
    parked = [{"job": p.job, "kind": p.kind, "id": p.object_id, "tenant_id": p.tenant_ref, "error": p.error,
               "attempts": p.attempts, "since": _iso(p.first_failed_at), "retry_at": _iso(p.retry_at)}
              for p in items[:limit]]
    parked_total = items.count() if len(parked) == limit else len(parked)
    outbox = [{"job": "outbox", "kind": "outbox_message", "id": m.pk, "tenant_id": m.tenant_id,
               "error": m.last_error, "attempts": m.attempts, "since": _iso(m.last_attempt_at), "retry_at": None}
              for m in failed.order_by("-last_attempt_at", "-id")[:limit]]
    outbox_total = failed.count() if len(outbox) == limit else len(outbox)
    failing = [j for j in jobs if j["consecutive_failures"] >= threshold]
    return {
        "ready": not failing and not parked_total and not outbox_total,
        "failing_jobs": failing,
        "jobs_with_errors": jobs,
        "parked_total": parked_total + outbox_total,
        "parked": parked + outbox,
        "failure_threshold": threshold,
    }


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None
