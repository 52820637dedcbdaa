import json

from django.core.management.base import BaseCommand
from django.utils import timezone

from tierline.actions.sweep import lag
from tierline.escalations.models import Escalation
from tierline.notifications.models import OutboxMessage


class Command(BaseCommand):
    help = "Worker health: SLA lag (oldest unprocessed due deadline), due escalations, outbox backlog."

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
        if options.get("json"):
            self.stdout.write(json.dumps(data))
            return
        for key, value in data.items():
            self.stdout.write(f"{key:<18} {value}")
