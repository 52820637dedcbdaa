"""What `make run` does: migrate, start loading the demo once (in the background), print a login, then `run`."""

import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from tierline.demo.generator import demo_exists


class Command(BaseCommand):
    help = "Development start: migrate the SQLite database, load demo data on first start, serve."

    def handle(self, *args, **options):
        if not settings.DEV_MODE:
            raise CommandError("devrun is for local use only (TIERLINE_DEV=1); use `tierline run` in production")
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write(f"database: {settings.DATABASES['default']['NAME']}")
        # The demo loads beside the server, not before it: the pages answer at once and show its progress.
        loader = None if demo_exists() else subprocess.Popen([sys.executable, "-m", "tierline.cli", "demo"])
        login = settings.VAR_DIR / "demo-login.txt"
        banner = (login.read_text().strip() if login.exists() else
                  "Loading demo data in the background; the login is printed here when it is ready."
                  if loader else "Create a user with `tierline createuser`.")
        lines = ["", "Tierline is starting at http://127.0.0.1:8000", *banner.splitlines(),
                 "API docs: http://127.0.0.1:8000/api/docs   Admin: http://127.0.0.1:8000/admin/", ""]
        self.stdout.write(self.style.SUCCESS("\n".join(f"  {line}" if line else "" for line in lines)))
        try:
            call_command("run")
        finally:
            if loader is not None and loader.poll() is None:
                loader.terminate()
