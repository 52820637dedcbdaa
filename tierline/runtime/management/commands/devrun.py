"""What `make run` does: migrate, start loading the demo once (in the background), print a login, then `run`."""

import os
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from tierline.demo.generator import demo_exists

DEMO_URL = "http://127.0.0.1:8000"


def base_url(bind: str) -> str:
    """The address people type for a bind address: a wildcard host is reachable as localhost."""
    if bind.startswith("unix:"):
        return bind
    host, _, port = bind.rpartition(":")
    host = host.strip("[]")
    if host in ("", "0.0.0.0", "::"):
        host = "127.0.0.1"
    return f"http://{f'[{host}]' if ':' in host else host}:{port}"


class Command(BaseCommand):
    help = "Development start: migrate the SQLite database, load demo data on first start, serve."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=os.environ.get("TIERLINE_BIND", "127.0.0.1:8000"),
                            help="HOST:PORT to serve on (default: $TIERLINE_BIND or 127.0.0.1:8000)")

    def handle(self, *args, bind, **options):
        if not settings.DEV_MODE:
            raise CommandError("devrun is for local use only (TIERLINE_DEV=1); use `tierline run` in production")
        if ":" not in bind or not bind.rpartition(":")[2].isdigit():
            raise CommandError(f"--bind {bind!r}: expected HOST:PORT, such as 127.0.0.1:8000")
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write(f"database: {settings.DATABASES['default']['NAME']}")
        # The demo loads beside the server, not before it: the pages answer at once and show its progress.
        loader = None if demo_exists() else subprocess.Popen([sys.executable, "-m", "tierline.cli", "demo"])
        login = settings.VAR_DIR / "demo-login.txt"
        if loader is not None:
            # The loader writes the login as soon as the people exist (seconds), long before the
            # history is in: wait for it so the banner can print it.
            deadline = time.monotonic() + 30
            while not login.exists() and loader.poll() is None and time.monotonic() < deadline:
                time.sleep(0.2)
        banner = (login.read_text().strip() if login.exists() else
                  "Loading demo data in the background; the login will be in var/demo-login.txt."
                  if loader else "Create a user with `tierline createuser`.")
        url = base_url(bind)
        # The demo loader writes its login line for the default address; name the one bound.
        banner = banner.replace(DEMO_URL, url)
        lines = ["", f"Tierline is starting at {url}", *banner.splitlines(),
                 f"API docs: {url}/api/docs   Admin: {url}/admin/"]
        if loader is not None:
            lines.append("Demo data is loading in the background; the pages show its progress.")
        if settings.EMAIL_BACKEND.endswith("devmail.MaildirBackend"):
            lines.append(f"Email is not sent in development: read it at {url}/dev/mailbox/ (staff)")
        self.stdout.write(self.style.SUCCESS("\n".join(f"  {line}" if line else "" for line in [*lines, ""])))
        self.stdout.flush()
        try:
            call_command("run", bind=bind)
        finally:
            if loader is not None and loader.poll() is None:
                loader.terminate()
