"""`tierline demo`: load the demo data once; on later runs say so and change nothing."""

from __future__ import annotations

import os
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tierline.demo.generator import demo_exists, demo_state, load_demo

URL = "http://127.0.0.1:8000"


def login_file() -> Path:
    return Path(settings.VAR_DIR) / "demo-login.txt"


class Command(BaseCommand):
    help = ("Load demo data: three client companies with teams at all five levels, staff in every role, "
            "customers and months of escalation history. Does nothing if the demo is already loaded.")

    def add_arguments(self, parser):
        parser.add_argument("--escalations", type=int, default=500, help="how many escalations (default 500)")
        parser.add_argument("--customers", type=int, default=200, help="how many customers (default 200)")
        parser.add_argument("--seed", type=int, default=42, help="random seed: same seed, same data (default 42)")
        parser.add_argument("--days", type=int, default=30, help="history length in days (default 30)")

    def handle(self, *args, escalations, customers, seed, days, **options):
        if escalations < 0 or customers < 0 or days < 1:
            raise CommandError("--escalations and --customers must be 0 or more, --days at least 1")
        state = demo_state()
        if state is not None and not state.finished:
            self.stdout.write(f"A demo load is under way or was interrupted ({state.done}/{state.total} escalations); "
                              "if none is running, delete the database (`make clean`) and start again.")
            return
        if demo_exists():
            self.already_loaded()
            return
        self.stdout.write(f"Loading demo data: {escalations} escalations, {customers} customers, "
                          f"{days} days, seed {seed}…")
        started = time.monotonic()

        def progress(created, total, done):
            elapsed = max(time.monotonic() - started, 1e-6)
            self.stderr.write(f"demo: {created}/{total} escalations, {done} actions "
                              f"({created / elapsed:.0f} escalations/s, {done / elapsed:.0f} actions/s)",
                              style_func=str)

        lines = []

        def people_ready(login, password, kept):
            # Written before the history loads, so `make run` can print the login at once.
            lines[:] = [f"Log in at {URL} as {login} / {password}",
                        "Every demo user has this same password (try graham.hughes, a supervisor, or "
                        "catherine.doyle, a manager)."]
            if kept:
                lines.append(f"These users already existed and keep their own passwords: {', '.join(kept)}.")
            self.write_login(lines)

        result = load_demo(now=timezone.now(), seed=seed, escalations=escalations, customers=customers,
                           days=days, progress=progress, on_people=people_ready)
        if not result.created:
            self.already_loaded()
            return
        seconds = time.monotonic() - started
        s = result.summary
        by_status = ", ".join(f"{status} {n}" for status, n in s["escalations"].items())
        self.stdout.write(self.style.SUCCESS(f"Demo data loaded in {seconds:.1f} s."))
        self.stdout.write(
            f"  tenants      {len(s['tenants'])} ({', '.join(s['tenants'])})\n"
            f"  teams        {s['teams']}\n"
            f"  users        {s['users']}\n"
            f"  customers    {s['customers']}\n"
            f"  escalations  {sum(s['escalations'].values())}: {by_status}\n"
            f"  events       {s['events']}"
        )
        for line in lines:
            self.stdout.write(line)
        self.stdout.write(f"(saved in {login_file()})")

    def already_loaded(self):
        # The login is not repeated here: `make run` prints the saved file itself on every start.
        path = login_file()
        where = f" The login is in {path}." if path.exists() else ""
        self.stdout.write(f"Demo data already loaded (tenants ACME, GLOBEX, INITECH exist): nothing to do.{where}")

    def write_login(self, lines):
        """Saved so `make run` can show the login every time; readable by this user only."""
        path = login_file()
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write("\n".join(lines) + "\n")
        os.chmod(path, 0o600)  # O_CREAT's mode does not apply to a file that already existed
