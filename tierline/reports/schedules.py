"""Scheduled reports: the worker claims due schedules, builds the report for the period that just
ended and puts an email with it attached in the outbox.

Exactly once per period: the outbox row's idempotency key names the schedule and the period, and
it is written in the same transaction that moves next_run_at on, so a crash, a restart or two
workers at once send each period once.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
import zoneinfo

from django.core.exceptions import ValidationError
from django.db import transaction

from tierline.accounts.permissions import Perm, role_allows
from tierline.core.actors import Actor
from tierline.core.errors import InvalidInput
from tierline.notifications.models import OutboxMessage
from tierline.privacy.masking import customer_names
from tierline.reports import exports, schedule_math, services
from tierline.reports.charts import report_charts
from tierline.reports.models import ReportSchedule
from tierline.runtime import health
from tierline.tenancy.models import Membership

log = logging.getLogger(__name__)
KIND = "report_schedule"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def zone_of(name: str) -> zoneinfo.ZoneInfo:
    if not schedule_math.is_time_zone(name):
        raise InvalidInput(f"unknown time zone {name!r}", fields={"time_zone": "unknown time zone"})
    return zoneinfo.ZoneInfo(name)


def create_schedule(*, tenant, recipient, frequency: str, format: str = "pdf", time_zone: str | None = None,
                    now: dt.datetime) -> ReportSchedule:
    if frequency not in schedule_math.FREQUENCIES:
        raise InvalidInput("frequency must be weekly or monthly", fields={"frequency": "invalid choice"})
    if format not in ReportSchedule.Format.values:
        raise InvalidInput("format must be pdf or xlsx", fields={"format": "invalid choice"})
    role = Membership.objects.filter(tenant=tenant, user=recipient).values_list("role", flat=True).first()
    if role is None or not role_allows(role, Perm.REPORTS):
        raise InvalidInput("the recipient may not see this client's reports", fields={"recipient": "no access"})
    time_zone = time_zone or getattr(recipient, "time_zone", "") or "UTC"
    zone = zone_of(time_zone)
    schedule = ReportSchedule(tenant=tenant, recipient=recipient, frequency=frequency, format=format,
                              time_zone=time_zone, next_run_at=schedule_math.next_run(now, frequency, zone))
    try:
        schedule.full_clean()  # the same rules as the admin form
    except ValidationError as exc:
        fields = {name: "; ".join(msgs) for name, msgs in exc.message_dict.items()}
        raise InvalidInput("; ".join(f"{k}: {v}" for k, v in fields.items()), fields=fields)
    schedule.save()
    return schedule


def build(schedule: ReportSchedule, start: dt.datetime, end: dt.datetime, now: dt.datetime) -> tuple[str, bytes, str]:
    tenant = schedule.tenant
    flt = services.ReportFilter(tenant_id=tenant.pk, start=start, end=end,
                                grain="day" if schedule.frequency == "weekly" else "week")
    result = services.report(flt, now=now)
    # The recipient reads what their role shows on the page: a client viewer gets masked names.
    names = customer_names(Actor.for_user(schedule.recipient), tenant.pk)
    rows = exports.figure_rows(result, names)

    charts = report_charts(result, flt.grain)
    label = f"{start:%Y-%m-%d} to {(end - dt.timedelta(days=1)):%Y-%m-%d}"
    stem = f"{tenant.code}-{schedule.frequency}-{start:%Y%m%d}"
    if schedule.format == "xlsx":
        return f"{stem}.xlsx", exports.report_xlsx(f"{tenant.name}: {label}", rows, charts), XLSX
    pdf = exports.report_pdf(tenant_name=tenant.name, period_label=label, rows=rows, charts=charts,
                             generated_at=now)
    return f"{stem}.pdf", pdf, "application/pdf"


def _run_one(schedule: ReportSchedule, now: dt.datetime) -> bool:
    zone = zone_of(schedule.time_zone)
    start, end = schedule_math.period_for_run(schedule.next_run_at, schedule.frequency, zone)
    key = f"report:{schedule.pk}:{start.date().isoformat()}"
    sent = False
    role = Membership.objects.filter(tenant_id=schedule.tenant_id, user_id=schedule.recipient_id) \
        .values_list("role", flat=True).first()
    allowed = role is not None and role_allows(role, Perm.REPORTS) and schedule.recipient.is_active
    if allowed and schedule.recipient.email and not OutboxMessage.objects.filter(idempotency_key=key).exists():
        filename, content, content_type = build(schedule, start, end, now)
        label = f"{start:%Y-%m-%d} to {(end - dt.timedelta(days=1)):%Y-%m-%d}"
        OutboxMessage.objects.create(
            tenant_id=schedule.tenant_id, channel=OutboxMessage.Channel.EMAIL, idempotency_key=key,
            recipient_user_id=schedule.recipient_id, recipient_address=schedule.recipient.email,
            subject=f"{schedule.tenant.name}: {schedule.frequency} escalation report, {label}",
            body=f"Attached: the {schedule.frequency} escalation report for {schedule.tenant.name}, {label} "
                 f"({schedule.time_zone}).\n\nDefinitions of every figure: docs/metrics.md.\n",
            next_attempt_at=now, created_at=now,
            payload={"kind": "report", "attachments": [
                {"filename": filename, "content_type": content_type,
                 "content_b64": base64.b64encode(content).decode()}]})
        sent = True
    elif not allowed:
        log.warning("report schedule %s skipped: the recipient no longer sees %s's reports", schedule.pk,
                    schedule.tenant_id)
    schedule.last_period_start = start
    schedule.next_run_at = schedule_math.next_run(schedule.next_run_at, schedule.frequency, zone)
    schedule.save(update_fields=["last_period_start", "next_run_at"])
    return sent


def run_due(now: dt.datetime, batch: int = 20) -> dict[str, int]:
    """One worker pass: each due schedule in its own transaction, locked (SKIP LOCKED) while it runs.
    A schedule that raises (a zone that no longer exists, a report that cannot be built) is parked
    with its error and the others still run; it is retried later (runtime/health.py)."""

    done = parked = 0
    for _ in range(batch):
        pk = tenant_id = None
        try:
            with transaction.atomic():
                schedule = (ReportSchedule.objects.select_for_update(skip_locked=True, of=_of())
                            .filter(is_active=True, next_run_at__lte=now)
                            .exclude(pk__in=health.held(KIND, now)).select_related("tenant", "recipient")
                            .order_by("next_run_at", "id").first())
                if schedule is None:
                    break
                pk, tenant_id = schedule.pk, schedule.tenant_id
                done += _run_one(schedule, now)
        except Exception as exc:
            if pk is None:
                raise  # not this schedule's fault: the job fails
            health.park("report_schedules", KIND, pk, exc, now, tenant_id=tenant_id)
            parked += 1
            continue
        health.unpark(KIND, pk)  # rare (a run per schedule and period): a plain delete is cheap
    return {"reports_sent": done, "reports_parked": parked}


def _of() -> tuple[str, ...]:
    from django.db import connection

    return ("self",) if connection.features.has_select_for_update_of else ()
