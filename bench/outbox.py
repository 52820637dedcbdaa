"""Outbox delivery throughput to real local sinks, and what enqueueing costs an action.

Usage: python bench/outbox.py [--db sqlite|postgres] [--n 1000]
- outbox_email_per_s: customer emails (rendered templates) delivered by `deliver_due` to an
  aiosmtpd server on 127.0.0.1 (one SMTP connection per delivery batch).
- outbox_webhook_per_s: signed webhook deliveries to a local HTTP/1.1 keep-alive server (http.server,
  threaded).
- enqueue_overhead_ms: p50 of a public reply whose transaction enqueues 3 messages (in-app to the
  owner, a customer email rendered from its template, a webhook) minus the same reply with none.
Prints one JSON object per line (metric, value, unit, db), then a table.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.actions import fresh_database, setup_django  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Sink(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as Slack, Teams and most receivers answer
    received = 0

    def do_POST(self):  # noqa: N802 - http.server's naming
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        Sink.received += 1
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--n", type=int, default=1000)
    args = parser.parse_args()
    setup_django(args.db)
    fresh_database(args.db)

    import logging

    from aiosmtpd.controller import Controller
    from django.conf import settings
    from django.test.utils import override_settings
    from django.utils import timezone

    from tierline.escalations import actions
    from tierline.notifications.delivery import deliver_due
    from tierline.notifications.models import OutboxMessage
    from tierline.testing.world import build_world
    from tierline.webhooks.models import WebhookSubscription

    class Inbox:
        count = 0

        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's naming
            Inbox.count += 1
            return "250 OK"

    logging.getLogger("mail.log").setLevel(logging.WARNING)
    smtp_port, http_port = free_port(), free_port()
    controller = Controller(Inbox(), hostname="127.0.0.1", port=smtp_port)
    controller.start()
    http = ThreadingHTTPServer(("127.0.0.1", http_port), Sink)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    overrides = override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=smtp_port, TIERLINE={**settings.TIERLINE, "WEBHOOK_ALLOW_PRIVATE": True})
    overrides.enable()
    results = []

    def emit(metric, value, unit, **extra):
        results.append({"metric": metric, "value": value, "unit": unit, "db": args.db, **extra})
        print(json.dumps(results[-1]), flush=True)

    world = build_world()
    actor = world.actor("supervisor")
    now = timezone.now()
    escs = []
    for i in range(args.n):
        escs.append(world.escalation(title=f"Bench {i}", now=now))
        if (i + 1) % 250 == 0:
            print(f"  escalations with an acknowledgement email queued: {i + 1}/{args.n}", file=sys.stderr)
    OutboxMessage.objects.filter(channel="in_app").update(state="sent")
    queued = OutboxMessage.objects.filter(channel="email", state="pending").count()
    started = time.perf_counter()
    while deliver_due(timezone.now())["sent"]:
        pass
    elapsed = time.perf_counter() - started
    emit("outbox_email_per_s", round(Inbox.count / elapsed, 1), "msg/s", n=queued, delivered=Inbox.count)

    sub = WebhookSubscription.objects.create(tenant=world.tenant, name="bench", url=f"http://127.0.0.1:{http_port}/",
                                             format="json", event_types=["internal_note"])
    for esc in escs:
        actions.add_internal_note(esc, "bench", actor=actor, now=timezone.now())
    OutboxMessage.objects.exclude(channel="webhook").update(state="sent")
    queued = OutboxMessage.objects.filter(channel="webhook", state="pending").count()
    started = time.perf_counter()
    while deliver_due(timezone.now())["sent"]:
        pass
    elapsed = time.perf_counter() - started
    emit("outbox_webhook_per_s", round(Sink.received / elapsed, 1), "msg/s", n=queued, delivered=Sink.received)

    def reply_latencies(items):
        out = []
        for esc in items:
            t0 = time.perf_counter()
            actions.add_public_reply(esc, "We are on it.", actor=actor, now=timezone.now())
            out.append((time.perf_counter() - t0) * 1000)
        return out

    sub.event_types = ["public_reply"]
    sub.save()
    half = len(escs) // 2
    for esc in escs[:half]:  # an owner other than the author, who hears of the reply in-app
        actions.assign(esc, world.users["specialist"], actor=actor, now=timezone.now())
    with_three = reply_latencies(escs[:half])  # owner (in-app), customer email, webhook
    per_reply = OutboxMessage.objects.filter(event__type=301).count() / max(half, 1)
    sub.is_active = False
    sub.save()
    world.customer.email = ""
    world.customer.save()
    without = reply_latencies(escs[half:])
    overhead = statistics.median(with_three) - statistics.median(without)
    emit("enqueue_overhead_ms", round(overhead, 2), "ms", messages_per_action=round(per_reply, 1),
         p50_with_ms=round(statistics.median(with_three), 2), p50_without_ms=round(statistics.median(without), 2))

    controller.stop()
    http.shutdown()
    overrides.disable()
    print(f"\n{'metric':24} {'db':8} {'value':>10} unit")
    for r in results:
        print(f"{r['metric']:24} {r['db']:8} {r['value']:>10} {r['unit']}")


if __name__ == "__main__":
    main()
