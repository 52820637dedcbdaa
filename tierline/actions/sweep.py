"""The SLA sweep: find escalations whose next deadline has come and tick them, a group per
transaction, each tick under its own savepoint.

Cost follows the due count, not the open count: the partial index on next_deadline answers
"anything due?" without touching the rest. On PostgreSQL each claim is FOR UPDATE SKIP LOCKED,
so any number of workers share the work; on SQLite (one writer anyway) a lease lets a single
worker sweep at a time.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket

from django.conf import settings
from django.db import connection, transaction

from tierline.actions import client_request_tick
from tierline.actions.sla import sla_tick_locked
from tierline.core.batchmemo import batch_memo
from tierline.core.compiled import db_datetime, fetch_instances
from tierline.escalations.models import ClientRequest, Escalation
from tierline.runtime import health
from tierline.runtime.health import parked_sets
from tierline.sla.models import SweepLease

log = logging.getLogger("tierline.sla")
HOLDER = f"{socket.gethostname()}:{os.getpid()}"
ESCALATION, CLIENT_REQUEST = "escalation", "client_request"  # parked-item kinds


def _holds_lease(now: dt.datetime) -> bool:
    if connection.vendor == "postgresql":
        return True  # row locks with SKIP LOCKED do the sharing
    with transaction.atomic():
        lease, _ = SweepLease.objects.get_or_create(name="sla", defaults={"holder": HOLDER, "expires_at": now})
        if lease.holder != HOLDER and lease.expires_at > now:
            return False
        SweepLease.objects.filter(name="sla").update(holder=HOLDER, expires_at=now + dt.timedelta(seconds=settings.TIERLINE["SLA_LEASE_SECONDS"]))
    return True


def _due_query():
    # The row with what a tick reads next — its team and the team's parent (notifications, a
    # hierarchical step), tenant, customer and owner (the customer's email) — locking only the
    # escalation row.
    qs = (Escalation.objects.filter(next_deadline__lte=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
          .select_related("team__parent", "tenant", "customer", "owner").order_by("next_deadline"))
    if connection.features.has_select_for_update_skip_locked:
        of = ("self",) if connection.features.has_select_for_update_of else ()
        qs = qs.select_for_update(skip_locked=True, of=of)
    return qs[:1]


def _claim_one(now: dt.datetime, skip: set[int]) -> Escalation | None:
    """The most overdue escalation not in `skip`, whole row, locked until the transaction ends
    (FOR UPDATE SKIP LOCKED on PostgreSQL: a row another worker holds is passed over)."""
    if skip:  # only after a failed tick: rare enough for the plain queryset
        qs = Escalation.objects.filter(next_deadline__lte=now).exclude(pk__in=skip).order_by("next_deadline")
        if connection.features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True)
        return qs.first()
    found = fetch_instances("sla_due", _due_query, [db_datetime(now)])
    return found[0] if found else None


def sweep(now: dt.datetime, batch: int = 200) -> dict[str, int]:
    stats = {"sla_ticked": 0, "sla_failed": 0}
    # A read first: when nothing is due (the common case) the sweep costs one index probe and
    # takes no lease, so an idle worker never writes.
    due = Escalation.objects.filter(next_deadline__lte=now)
    if not due.exists():
        return stats

    # Escalations whose tick raised before are left out until their retry time (runtime/health.py);
    # with any left out, the claim takes the plain (slower) query: rare, and each one is logged.
    skip, retry = parked_sets(ESCALATION, now)
    if skip and not due.exclude(pk__in=skip).exists():
        return stats
    if not _holds_lease(now):
        return stats
    with batch_memo():
        _sweep_batch(now, batch, skip, stats, retry)
    return stats


def _tick_commit_sql() -> str | None:
    """On PostgreSQL a tick's commit does not wait for its WAL flush (synchronous_commit off for
    that transaction only): the flush per escalation was most of a tick's time. This is what
    SQLite in WAL mode with synchronous=NORMAL already does for every commit. A worker killed
    at any point loses nothing (the server has the commit); a server crash can lose the last
    fraction of a second of ticks, which only roll back whole: their deadlines stay due and the
    next pass ticks them again. Nothing outside the database can have acted on a lost tick:
    the outbox delivery claims its messages in a transaction that commits synchronously before
    anything is sent, and that flush covers every commit before it, the tick's included."""
    if connection.vendor == "postgresql" and settings.TIERLINE.get("SLA_ASYNC_COMMIT", True):
        return "SET LOCAL synchronous_commit = off"
    return None


def _sweep_batch(now: dt.datetime, batch: int, skip: set[int], stats: dict[str, int], retry: set[int]) -> None:
    """Up to `batch` ticks, SLA_TICKS_PER_TRANSACTION of them per transaction, each tick (its
    claim included) under a savepoint: a tick that raises rolls back alone and is parked, the
    others of its group commit. One commit per group instead of per tick is what grouping buys;
    what it costs is that a worker killed mid-group loses the whole uncommitted group — whose
    deadlines are then still due, and whose redone messages carry the same keys (keys.py)."""
    per_transaction = max(1, int(settings.TIERLINE.get("SLA_TICKS_PER_TRANSACTION", 1)))
    commit_mode = _tick_commit_sql()
    left = batch
    while left > 0:
        done, failed, exhausted = [], [], False
        with transaction.atomic():
            if commit_mode:
                with connection.cursor() as cursor:
                    cursor.execute(commit_mode)
            for _ in range(min(per_transaction, left)):
                pk = tenant_id = None
                try:
                    with transaction.atomic():  # a savepoint: this tick alone rolls back
                        esc = _claim_one(now, skip)
                        if esc is None:
                            exhausted = True
                            break
                        pk, tenant_id = esc.pk, esc.tenant_id
                        sla_tick_locked(esc, now=now)
                except Exception as exc:  # one bad escalation must not stop the sweep: it is parked
                    if pk is None:
                        raise  # the claim itself failed: the whole job has, not one escalation
                    log.exception("SLA tick failed for escalation %s", pk)
                    failed.append((pk, tenant_id, exc))
                    skip.add(pk)
                    continue
                done.append(pk)
        # Parked and unparked once the group committed: its ticks are then facts.
        left -= len(done) + len(failed)
        stats["sla_ticked"] += len(done)
        stats["sla_failed"] += len(failed)
        for pk, tenant_id, exc in failed:
            health.park("sla_sweep", ESCALATION, pk, exc, now, tenant_id=tenant_id)
        for pk in done:
            if pk in retry:
                health.unpark(ESCALATION, pk)
                retry.discard(pk)
        if exhausted or not (done or failed):
            break


def sweep_client_requests(now: dt.datetime, batch: int = 100) -> dict[str, int]:
    """Client escalation requests nobody acknowledged in time: reported once each (partial index)."""

    due = list(ClientRequest.objects.filter(acknowledged_at__isnull=True, overdue_at__isnull=True,
                                            ack_due_at__lte=now)
               .exclude(pk__in=health.held(CLIENT_REQUEST, now)).order_by("ack_due_at")
               .values_list("pk", "tenant_id")[:batch])
    done = parked = 0
    for pk, tenant_id in due:  # the tick re-checks under the escalation's row lock: racing workers act once
        try:
            done += client_request_tick(pk, now=now)
        except Exception as exc:
            log.exception("client request timer failed for request %s", pk)
            health.park("client_requests", CLIENT_REQUEST, pk, exc, now, tenant_id=tenant_id)
            parked += 1
        else:
            health.unpark(CLIENT_REQUEST, pk)  # a once-only timer: a delete per request is cheap
    return {"client_requests_overdue": done, "client_requests_parked": parked}


def lag(now: dt.datetime) -> dt.timedelta:
    """How late the oldest unprocessed deadline is (zero when the worker is keeping up)."""
    oldest = (Escalation.objects.filter(next_deadline__lte=now).order_by("next_deadline")
              .values_list("next_deadline", flat=True).first())
    return now - oldest if oldest else dt.timedelta(0)
