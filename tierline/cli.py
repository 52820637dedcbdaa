"""The `tierline` command: a thin front over Django management commands.

    tierline run          web server + worker on one machine
    tierline worker       the background worker alone
    tierline migrate      create or upgrade the database
    tierline createuser   add a user (optionally with a tenant role)
    tierline demo         load the demo data (idempotent)
    tierline calendar     business-time arithmetic on a calendar file (due / between; no database)
    tierline matrix       the escalation matrix: export (YAML), import (draft, --publish), dry-run
    tierline mailin       inbound email: poll the IMAP mailbox (--once) or process one message file
    tierline privacy      retention (--dry-run) and erasure of a customer (erase --tenant X --customer ID)
    tierline reports      import-contacts FILE --tenant CODE | rollup | run-schedules
    tierline audit        verify the hash chains; evidence bundles: bundle, export, check-bundle, public-key
    tierline <anything>   any other Django management command
"""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    if len(argv) >= 2 and argv[1] == "calendar":
        # Pure arithmetic on a JSON file: no settings, no database, so no Django set-up.
        from tierline.calendars.cli import main as calendar_main

        raise SystemExit(calendar_main(argv[2:]))
    if argv[1:3] == ["audit", "check-bundle"]:
        # A third party checks a bundle with the bundle and a public key: no settings, no database.
        from tierline.audit.bundle_check import main as check_main

        raise SystemExit(check_main(argv[3:]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tierline.settings")
    if len(argv) < 2 or argv[1] in {"-h", "--help", "help"}:
        print(__doc__.strip())
        if len(argv) < 2:
            return
    from django.core.management import execute_from_command_line

    argv[0] = "tierline"
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
