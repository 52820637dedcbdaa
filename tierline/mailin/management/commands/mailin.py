"""`tierline mailin poll [--once] [--interval S]` and `tierline mailin process FILE|-`.

    poll              fetch unseen mail from the TIERLINE_IMAP_* mailbox, every --interval seconds
    poll --once       one pass, print the counts as JSON, exit
    process FILE      handle one RFC 822 message from a file ('-': stdin), e.g. from an MTA pipe
"""

import json
import signal
import sys
import threading

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tierline.mailin import imap
from tierline.mailin.process import process


class Command(BaseCommand):
    help = "Inbound email: poll the IMAP mailbox (once or in a loop), or process one message file."

    def add_arguments(self, parser):
        parser.add_argument("what", choices=["poll", "process"])
        parser.add_argument("file", nargs="?", help="process: the message file ('-' for stdin)")
        parser.add_argument("--once", action="store_true", help="poll: one pass, then exit")
        parser.add_argument("--interval", type=float, default=None,
                            help="poll: seconds between passes (default TIERLINE_MAIL_POLL_SECONDS, 60)")

    def handle(self, *args, what, file=None, once=False, interval=None, **options):
        if what == "process":
            if not file:
                raise CommandError("process needs a file ('-' for stdin)")
            raw = sys.stdin.buffer.read() if file == "-" else open(file, "rb").read()
            record = process(raw, now=timezone.now())
            self.stdout.write(json.dumps({"message_id": record.message_id, "outcome": record.outcome,
                                          "duplicate": record.duplicate, "detail": record.detail,
                                          "escalation": record.escalation.reference if record.escalation else None}))
            return
        if not imap.configured():
            raise CommandError("set TIERLINE_IMAP_HOST and TIERLINE_IMAP_USER (see docs/email-intake.md)")
        if once:
            try:
                stats = imap.poll_configured()
            except Exception as exc:
                raise CommandError(f"mail pass failed: {type(exc).__name__}: {exc}")
            self.stdout.write(json.dumps(stats, sort_keys=True))
            return
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        imap.poll_forever(stop, interval)
