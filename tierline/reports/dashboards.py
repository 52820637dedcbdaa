"""What the two dashboards show: the supervisor's live picture (escalation rows as they are now)
and management's trends (the daily rollup)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db.models import Count, Min, Sum

from tierline.escalations.models import OPEN_STATUSES, Escalation
from tierline.notifications.models import OutboxMessage
from tierline.reports import kpi, rollup_math
from tierline.reports.charts import Chart
from tierline.reports.models import DailyRollup, DailyTotal, RollupCursor
from tierline.runtime import health
from tierline.tenancy.models import Team

AT_RISK_WINDOW = dt.timedelta(hours=1)


def supervisor(tenant_id: int, now: dt.datetime) -> dict:
    open_qs = Escalation.objects.filter(tenant_id=tenant_id, status__in=OPEN_STATUSES)
    # One pass over the open rows for both breakdowns: at a million escalations it is the page's cost.
    # COUNT(*), not COUNT(id): the count then reads only the covering index (no table rows).
    by_level: dict[int, int] = defaultdict(int)
    by_team_id: dict[int, int] = defaultdict(int)
    for level, team, n in open_qs.values_list("level", "team_id").annotate(n=Count("*")).order_by():
        by_level[level] += n
        by_team_id[team] += n
    teams = dict(Team.objects.filter(tenant_id=tenant_id).values_list("id", "name"))
    by_team = sorted(((teams.get(t, t), n) for t, n in by_team_id.items()), key=lambda r: -r[1])
    risky = Escalation.objects.filter(tenant_id=tenant_id, sla_breach_at__isnull=False, status__in=OPEN_STATUSES)
    breaching = risky.filter(sla_breach_at__lte=now)
    at_risk = risky.filter(sla_breach_at__gt=now, sla_breach_at__lte=now + AT_RISK_WINDOW)
    cols = ("reference", "title", "level", "priority", "status", "sla_breach_at")
    oldest_due = (Escalation.objects.filter(tenant_id=tenant_id, next_deadline__lte=now)
                  .aggregate(m=Min("next_deadline"))["m"])
    cursor = RollupCursor.objects.filter(tenant_id=tenant_id).first()
    outbox_due = OutboxMessage.objects.filter(tenant_id=tenant_id, state="pending", next_attempt_at__lte=now).count()
    level_chart = Chart("open-by-level", "Open escalations by level", ["level", "open"],
                        [[f"L{lvl}", by_level.get(lvl, 0)] for lvl in range(1, 6)])
    return {
        "open_total": sum(by_level.values()),
        "by_level": level_chart,
        "by_team": by_team,
        "breaching_count": breaching.count(),
        "at_risk_count": at_risk.count(),
        "breaching": list(breaching.order_by("sla_breach_at").values(*cols)[:10]),
        "at_risk": list(at_risk.order_by("sla_breach_at").values(*cols)[:10]),
        "sla_lag_seconds": (now - oldest_due).total_seconds() if oldest_due else 0.0,
        "outbox_due": outbox_due,
        "rollup_updated_at": cursor.updated_at if cursor else None,
        # Failing worker jobs (everyone's) and this tenant's parked items: the warning box.
        "health": health.snapshot(now, tenant_id=tenant_id, limit=10),
    }


def _bucket_label(day: dt.date, grain: str) -> str:
    start = kpi.bucket_start(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC), grain).date()
    return start.strftime("%Y-%m") if grain == "month" else start.isoformat()


def periods_back(now: dt.datetime, grain: str, count: int) -> dt.datetime:
    """The start of the bucket ``count - 1`` buckets before the current one."""
    start = kpi.bucket_start(now, grain)
    for _ in range(count - 1):
        start = kpi.bucket_start(start - dt.timedelta(days=1), grain)
    return start


def management(tenant_id: int, now: dt.datetime, *, grain: str = "week", count: int = 12, dims: dict | None = None) -> dict:
    start = periods_back(now, grain, count)
    dims = {k: v for k, v in (dims or {}).items() if v not in (None, "")}
    # Unfiltered: the per-day totals (one row a day); filtered: the dimensioned rows.
    model = DailyRollup if dims else DailyTotal
    qs = model.objects.filter(tenant_id=tenant_id, day__gte=start.date(), day__lte=now.date())
    for name, value in dims.items():
        qs = qs.filter(**{"team_ref" if name == "team" else name: value})
    sums = {m: Sum(m) for m in rollup_math.MEASURES}
    per_day = qs.values("day").annotate(**sums).order_by("day")
    buckets: dict[str, dict] = defaultdict(lambda: dict.fromkeys(rollup_math.MEASURES, 0))
    cursor = start
    while cursor <= now:  # every bucket appears, empty ones too
        buckets[_bucket_label(cursor.date(), grain)]
        cursor = kpi.bucket_start(cursor + dt.timedelta(days=32 if grain == "month" else 7), grain)
    for row in per_day:
        b = buckets[_bucket_label(row["day"], grain)]
        for m in rollup_math.MEASURES:
            b[m] += row[m] or 0
    labels = sorted(buckets)

    def ratio(a, b, scale=1.0):
        return round(scale * a / b, 2) if b else None

    volume = Chart("volume", "Escalations created and resolved", [grain, "created", "resolved"],
                   [[k, buckets[k]["created"], buckets[k]["resolved"]] for k in labels])
    times = Chart("times", "Mean time to acknowledge / resolve (hours, wall)", [grain, "acknowledge", "resolve"],
                  [[k, ratio(buckets[k]["ack_wall_s"], buckets[k]["acknowledged"], 1 / 3600),
                    ratio(buckets[k]["resolve_wall_s"], buckets[k]["resolved"], 1 / 3600)] for k in labels],
                  kind="line", unit="hours")
    quality = Chart("quality", "SLA breaches, reopens and reassignments", [grain, "breaches", "reopened",
                                                                          "reassignments"],
                    [[k, buckets[k]["breaches"], buckets[k]["reopened"], buckets[k]["reassignments"]]
                     for k in labels])
    csat = Chart("csat", "CSAT (average 1–5) and NPS (from CSAT)", [grain, "csat_avg", "nps"],
                 [[k, ratio(buckets[k]["csat_sum"], buckets[k]["csat_responses"]),
                   ratio(buckets[k]["promoters"] - buckets[k]["detractors"], buckets[k]["csat_responses"], 100)]
                  for k in labels], kind="line")
    totals = {m: sum(buckets[k][m] for k in labels) for m in rollup_math.MEASURES}
    return {"grain": grain, "start": start, "charts": [volume, times, quality, csat], "totals": totals}
