"""`tierline reports …`: contact volumes, the rollup, and scheduled reports from the command line."""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tierline.core.errors import DomainError
from tierline.reports.rollups import update_all
from tierline.reports.schedules import run_due
from tierline.reports.services import import_contacts, read_contacts_csv
from tierline.tenancy.models import Tenant


class Command(BaseCommand):
    help = "Reports: import-contacts FILE --tenant CODE | rollup | run-schedules"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="what", required=True)
        imp = sub.add_parser("import-contacts", help="import daily contact volumes from a CSV (date,channel,count)")
        imp.add_argument("file")
        imp.add_argument("--tenant", required=True, help="tenant code")
        sub.add_parser("rollup", help="fold every new event into the daily rollup now")
        sub.add_parser("run-schedules", help="send the scheduled reports that are due now")

    def handle(self, *args, **options):
        what = options["what"]
        try:
            if what == "import-contacts":
                return self._import(options["file"], options["tenant"])
            if what == "rollup":

                total = 0
                while (n := update_all(timezone.now())["rollup_events"]):
                    total += n
                    self.stderr.write(f"  {total} events folded in")
                self.stdout.write(f"rollup up to date ({total} new events)")
            elif what == "run-schedules":

                self.stdout.write(str(run_due(timezone.now())))
        except DomainError as exc:
            raise CommandError(str(exc))

    def _import(self, file, code):

        tenant = Tenant.objects.filter(code=code).first()
        if tenant is None:
            raise CommandError(f"no tenant with code {code!r}")
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"{file}: no such file")
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            raise CommandError(f"{file}: not UTF-8 text")
        rows = read_contacts_csv(text)
        step = max(1, len(rows) // 20)

        def progress(done, total):
            if done % step == 0 or done == total:
                sys.stderr.write(f"\r  {done}/{total} rows ({100 * done // total} %)")
                if done == total:
                    sys.stderr.write("\n")

        result = import_contacts(tenant.pk, rows, progress=progress)
        self.stdout.write(f"{result['rows']} rows: {result['created']} new, {result['updated']} replaced")
