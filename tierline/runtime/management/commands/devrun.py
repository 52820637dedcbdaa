"""What `make run` does: migrate, load the demo once, print a login, then `run`."""

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Development start: migrate the SQLite database, load demo data on first start, serve."

    def handle(self, *args, **options):
        if not settings.DEV_MODE:
            raise CommandError("devrun is for local use only (TIERLINE_DEV=1); use `tierline run` in production")
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write(f"database: {settings.DATABASES['default']['NAME']}")
        call_command("demo")
        login = settings.VAR_DIR / "demo-login.txt"
        banner = login.read_text().strip() if login.exists() else "Create a user with `tierline createuser`."
        lines = ["", "Tierline is starting at http://127.0.0.1:8000", *banner.splitlines(),
                 "API docs: http://127.0.0.1:8000/api/docs   Admin: http://127.0.0.1:8000/admin/", ""]
        self.stdout.write(self.style.SUCCESS("\n".join(f"  {line}" if line else "" for line in lines)))
        call_command("run")
