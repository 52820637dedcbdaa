from django.core.management.base import BaseCommand

from tierline.accounts.permissions import ROLE_PERMISSIONS
from tierline.security.permissions_doc import HEADINGS, markdown


class Command(BaseCommand):
    help = "Print the role → permission table (--markdown: docs/permissions.md as generated)."

    def add_arguments(self, parser):
        parser.add_argument("--markdown", action="store_true", help="the whole docs/permissions.md")

    def handle(self, *args, **options):
        if options["markdown"]:
            self.stdout.write(markdown(), ending="")
            return
        for role, perms in ROLE_PERMISSIONS.items():
            self.stdout.write(f"{role:14} " + ", ".join(HEADINGS[p] for p in HEADINGS if p in perms))
