"""A worker killed with SIGKILL in the middle of delivering the outbox loses nothing and doubles
nothing (issue 5).

Real processes and real receivers: `tierline worker` runs as a subprocess against a throw-away
database (temp SQLite file, or a fresh PostgreSQL database in the PostgreSQL pass), delivering
customer emails to an aiosmtpd server and signed webhooks to a local HTTP server, both in this
test's process. It is killed once part of the outbox has arrived, then started again.

What "nothing doubled" can mean: a receiver that accepted a message whose sender died before
recording it will see it again — no protocol avoids that (the worker cannot know whether the
250/200 it never read was sent). So the claims are: every message arrives; at most the one message
in flight at the kill arrives twice at the wire, with the same Message-ID / X-Tierline-Delivery, so
a receiver that de-duplicates by that id (as docs/webhooks.md asks) acts on each exactly once;
in-app notifications (unique by source) exist exactly once each; every outbox row ends sent.
"""

from __future__ import annotations

import email
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections import Counter
from email import policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller

from tierline.notifications.tests.test_customer_mail import _free_port
from tierline.testing.installation import installation as throwaway_installation
from tierline.webhooks.signing import verify_signature

COUNT = 150  # escalations: an acknowledgement email and a webhook each, plus in-app for the lead

SETUP = textwrap.dedent("""
    import datetime as dt, os, django
    django.setup()
    from django.utils import timezone
    from tierline.testing.world import build_world
    from tierline.webhooks.models import WebhookSubscription
    world = build_world()
    sub = WebhookSubscription.objects.create(tenant=world.tenant, name="crash", event_types=["created"],
                                             url=f"http://127.0.0.1:{os.environ['HOOK_PORT']}/hook")
    print(sub.secret)
    now = timezone.now()
    for i in range(int(os.environ["CRASH_TEST_COUNT"])):
        world.escalation(title=f"Case {i}", role="agent", now=now)
""")

REPORT = textwrap.dedent("""
    import json, django
    django.setup()
    from django.db.models import Count
    from tierline.notifications.models import Notification, OutboxMessage
    rows = OutboxMessage.objects.values_list("channel", "idempotency_key", "state")
    print(json.dumps({
        "email": sorted(k for c, k, s in rows if c == "email"),
        "webhook": sorted(k for c, k, s in rows if c == "webhook"),
        "in_app": sum(1 for c, k, s in rows if c == "in_app"),
        "states": sorted({s for c, k, s in rows}),
        "notifications": Notification.objects.count(),
        "notification_sources": Notification.objects.values("source").distinct().count(),
    }))
""")


class Receivers:
    """An SMTP server and a webhook receiver that record every arrival (duplicates included)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.message_ids: list[str] = []
        self.deliveries: list[str] = []
        self.bad_signatures = 0
        self.secret = ""
        receivers = self

        class Inbox:
            async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's naming
                # compat32: the default policy's parser mangles our ids (colons in the left part).
                message = email.message_from_bytes(envelope.original_content, policy=policy.compat32)
                time.sleep(0.002)  # a little work per message, so the kill lands mid-batch
                with receivers.lock:
                    receivers.message_ids.append(str(message["Message-ID"]).strip())
                return "250 OK"

        class Hook(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                if len(body) < length:
                    # The sender was killed mid-body: a torn request that no receiver acts on (the
                    # sender got no answer, so it sends the message again), not a bad signature.
                    self.close_connection = True
                    return
                h = self.headers
                ok = verify_signature(receivers.secret, h["X-Tierline-Timestamp"], body, h["X-Tierline-Signature"],
                                      now=time.time())
                with receivers.lock:
                    if ok:
                        receivers.deliveries.append(h["X-Tierline-Delivery"])
                    else:
                        receivers.bad_signatures += 1
                self.send_response(200 if ok else 401)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.smtp_port = _free_port()
        self.smtp = Controller(Inbox(), hostname="127.0.0.1", port=self.smtp_port)
        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
        self.http.daemon_threads = True
        self.hook_port = self.http.server_address[1]

    def start(self):
        self.smtp.start()
        threading.Thread(target=self.http.serve_forever, daemon=True).start()
        return self

    def stop(self):
        self.smtp.stop()
        self.http.shutdown()
        self.http.server_close()

    def arrived(self) -> int:
        with self.lock:
            return len(self.message_ids) + len(self.deliveries)


@pytest.fixture
def installation(tmp_path):
    receivers = Receivers().start()
    try:
        with throwaway_installation(
                tmp_path, "tierline_outkill", TIERLINE_WORKER_POLL_SECONDS="0.2", TIERLINE_SLA_LEASE_SECONDS="3",
                TIERLINE_OUTBOX_LEASE_SECONDS="3",  # the dead worker's batch is free again after 3 s
                TIERLINE_WEBHOOK_ALLOW_PRIVATE="1", CRASH_TEST_COUNT=str(COUNT),
                EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", EMAIL_HOST="127.0.0.1",
                EMAIL_PORT=str(receivers.smtp_port), EMAIL_TIMEOUT="5",
                HOOK_PORT=str(receivers.hook_port)) as (env, run):
            yield env, run, receivers
    finally:
        receivers.stop()


def test_worker_killed_mid_delivery_then_restarted_loses_and_doubles_nothing(installation):
    env, run, receivers = installation
    receivers.secret = run("-c", SETUP).stdout.strip().splitlines()[-1]
    assert receivers.arrived() == 0  # nothing is sent by the actions themselves
    worker = subprocess.Popen([sys.executable, "-m", "tierline.cli", "worker"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while receivers.arrived() < 60:  # part of the outbox delivered, most of it still owed
            assert worker.poll() is None, worker.stderr.read().decode()
            assert time.monotonic() < deadline, f"worker made no progress ({receivers.arrived()} arrived)"
            time.sleep(0.01)
    finally:
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
    assert worker.returncode == -signal.SIGKILL
    at_kill = receivers.arrived()
    assert at_kill < 2 * COUNT, "the kill came too late to test anything"

    # The restarted worker takes over the dead one's batch once its lease has run out.
    for _ in range(60):
        run("-m", "tierline.cli", "worker", "--once")
        report = json.loads(run("-c", REPORT).stdout)
        if report["states"] == ["sent"]:
            break
        time.sleep(1)
    assert report["states"] == ["sent"]

    emails, hooks = Counter(receivers.message_ids), Counter(receivers.deliveries)
    # Nothing lost: every message the outbox holds arrived, under its own id.
    assert sorted(emails) == sorted(f"<{key}@tierline>" for key in report["email"])
    assert sorted(hooks) == report["webhook"]
    assert len(emails) == len(hooks) == COUNT and receivers.bad_signatures == 0
    # Nothing doubled: at most the one message in flight at the kill reached the wire again, with
    # the same id, which is what receivers de-duplicate on.
    repeats = sum(n - 1 for n in emails.values()) + sum(n - 1 for n in hooks.values())
    assert repeats <= 1, (emails.most_common(2), hooks.most_common(2))
    # In-app notifications: one per outbox row, never two for one row.
    assert report["notifications"] == report["notification_sources"] == report["in_app"] == COUNT
