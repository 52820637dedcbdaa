"""Web server (gunicorn) plus the worker, for a single machine."""

import os
import signal
import subprocess
import sys
import threading

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from tierline.runtime.worker import run_forever, start_mail_poller


class Command(BaseCommand):
    help = "Serve the web UI and API with gunicorn and run the worker in this process."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=os.environ.get("TIERLINE_BIND", "127.0.0.1:8000"))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("TIERLINE_WEB_WORKERS", "2")))
        parser.add_argument("--no-worker", action="store_true", help="serve only; run `tierline worker` elsewhere")

    def handle(self, *args, bind, workers, no_worker, **options):
        if not settings.DEV_MODE:
            call_command("collectstatic", interactive=False, verbosity=0)
        web = subprocess.Popen([
            sys.executable, "-m", "gunicorn", "tierline.wsgi:application", "--bind", bind,
            "--workers", str(workers), "--access-logfile", "-", "--graceful-timeout", "10",
        ])
        stop = threading.Event()

        def shutdown(*_):
            stop.set()

        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, shutdown)
        worker = poller = None
        if not no_worker:
            worker = threading.Thread(target=run_forever, args=(stop,), name="tierline-worker", daemon=True)
            worker.start()
            poller = start_mail_poller(stop)
        try:
            while not stop.is_set():
                if web.poll() is not None:
                    self.stderr.write(f"web server exited with {web.returncode}")
                    break
                stop.wait(0.5)
        finally:
            stop.set()
            if web.poll() is None:
                web.terminate()
                try:
                    web.wait(15)
                except subprocess.TimeoutExpired:
                    web.kill()
            for thread in (worker, poller):
                if thread is not None:
                    thread.join(10)
        sys.exit(web.returncode or 0)
