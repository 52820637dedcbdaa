import signal
import threading

from django.core.management.base import BaseCommand
from django.utils import timezone

from tierline.runtime.worker import run_forever, run_once, start_mail_poller


class Command(BaseCommand):
    help = "Run the background worker (outbox delivery, due timers) until stopped."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="do one pass and exit")

    def handle(self, *args, once=False, **options):
        if once:
            self.stdout.write(str(run_once(timezone.now())))
            return
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        poller = start_mail_poller(stop)
        run_forever(stop)
        if poller is not None:
            poller.join(10)
