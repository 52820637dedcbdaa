import json

from django.core.management.base import BaseCommand
from django.utils import timezone

from tierline.actions.sweep import lag
from tierline.escalations.models import Escalation
from tierline.notifications.models import OutboxMessage
from tierline.runtime import health


class Command(BaseCommand):
    help = ("Worker health: SLA lag, due escalations, outbox backlog, failing jobs and parked items "
            "(exit status 1 when something needs an operator).")

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        now = timezone.now()
        data = {
            "sla_lag_seconds": round(lag(now).total_seconds(), 1),
            "sla_due": Escalation.objects.filter(next_deadline__lte=now).count(),
            "sla_scheduled": Escalation.objects.filter(next_deadline__isnull=False).count(),
            "outbox_pending": OutboxMessage.objects.filter(state="pending").count(),
            "outbox_due": OutboxMessage.objects.filter(state="pending", next_attempt_at__lte=now).count(),
            "outbox_failed": OutboxMessage.objects.filter(state="failed").count(),
        }
        snap = health.snapshot(now)
        data.update(ready=snap["ready"], failing_jobs=snap["jobs_with_errors"], parked_total=snap["parked_total"],
                    parked=snap["parked"])
        if options.get("json"):
            self.stdout.write(json.dumps(data))
        else:
            self._text(data, snap["failure_threshold"])
        if not snap["ready"]:
            raise SystemExit(1)  # so a cron job or a monitor can act on it

    def _text(self, data: dict, threshold: int) -> None:
        for key in ("sla_lag_seconds", "sla_due", "sla_scheduled", "outbox_pending", "outbox_due", "outbox_failed"):
            self.stdout.write(f"{key:<18} {data[key]}")
        self.stdout.write(f"{'ready':<18} {'yes' if data['ready'] else 'NO'}")
        for job in data["failing_jobs"]:
            state = "FAILING" if job["consecutive_failures"] >= threshold else "failed"
            self.stdout.write(self.style.ERROR(
                f"job {job['job']}: {state}, last {job['consecutive_failures']} run(s) since "
                f"{job['failing_since']}: {job['last_error']}"))
        if data["parked_total"]:
            self.stdout.write(self.style.WARNING(f"parked items: {data['parked_total']}"))
        for item in data["parked"]:
            self.stdout.write(f"  {item['job']}: {item['kind']} {item['id']} (tenant {item['tenant_id']}, "
                              f"{item['attempts']} attempt(s), retry {item['retry_at'] or 'by an operator'}): "
                              f"{item['error']}")
