"""Outbox delivery throughput to real local sinks, and what enqueueing costs an action.

Usage: python bench/outbox.py [--db sqlite|postgres] [--n 1000]
- outbox_email_per_s: customer emails delivered by `deliver_due`, each rendered there from its pinned
  template and context snapshot, to an
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
import os
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
    received = None  # a multiprocessing.Value, set in the sink process

    def do_POST(self):  # noqa: N802 - http.server's naming
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with Sink.received.get_lock():
            Sink.received.value += 1
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def serve_sinks(smtp_port, http_port, emails, posts, ready, stop) -> None:
    """Both receivers in a process of their own: in the worker's process they would compete with
    it for the GIL, and a real mail server or webhook receiver never runs inside the sender."""
    import logging

    from aiosmtpd.controller import Controller

    class Inbox:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's naming
            with emails.get_lock():
                emails.value += 1
            return "250 OK"

    logging.getLogger("mail.log").setLevel(logging.WARNING)
    Sink.received = posts
    controller = Controller(Inbox(), hostname="127.0.0.1", port=smtp_port)
    controller.start()
    http = ThreadingHTTPServer(("127.0.0.1", http_port), Sink)
    http.daemon_threads = True
    threading.Thread(target=http.serve_forever, daemon=True).start()
    ready.set()
    stop.wait()
    controller.stop()
    http.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--n", type=int, default=1000)
    args = parser.parse_args()
    setup_django(args.db)
    fresh_database(args.db)

    import multiprocessing

    from django.conf import settings
    from django.test.utils import override_settings
    from django.utils import timezone

    from tierline import actions
    from tierline.notifications.delivery import deliver_due
    from tierline.notifications.models import OutboxMessage
    from tierline.testing.world import build_world
    from tierline.webhooks.models import WebhookSubscription

    smtp_port, http_port = free_port(), free_port()
    emails, posts = multiprocessing.Value("i", 0), multiprocessing.Value("i", 0)
    ready, stop = multiprocessing.Event(), multiprocessing.Event()
    sinks = multiprocessing.get_context("fork").Process(
        target=serve_sinks, args=(smtp_port, http_port, emails, posts, ready, stop), daemon=True)
    sinks.start()
    ready.wait(30)
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
    started, cpu = time.perf_counter(), time.process_time()
    while deliver_due(timezone.now())["sent"]:
        pass
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    # CPU per message (the sender's own process): far less at the mercy of a busy machine than msg/s.
    emit("outbox_email_per_s", round(emails.value / elapsed, 1), "msg/s", n=queued, delivered=emails.value,
         cpu_ms_per_msg=round(cpu * 1000 / max(emails.value, 1), 3))

    sub = WebhookSubscription.objects.create(tenant=world.tenant, name="bench", url=f"http://127.0.0.1:{http_port}/",
                                             format="json", event_types=["internal_note"])
    for esc in escs:
        actions.add_internal_note(esc, "bench", actor=actor, now=timezone.now())
    OutboxMessage.objects.exclude(channel="webhook").update(state="sent")
    queued = OutboxMessage.objects.filter(channel="webhook", state="pending").count()
    started, cpu = time.perf_counter(), time.process_time()
    while deliver_due(timezone.now())["sent"]:
        pass
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    emit("outbox_webhook_per_s", round(posts.value / elapsed, 1), "msg/s", n=queued, delivered=posts.value,
         cpu_ms_per_msg=round(cpu * 1000 / max(posts.value, 1), 3))

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

    stop.set()
    sinks.join(10)
    overrides.disable()
    print(f"\nload average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{'metric':24} {'db':8} {'value':>10} unit   cpu ms/msg")
    for r in results:
        print(f"{r['metric']:24} {r['db']:8} {r['value']:>10} {r['unit']:6} {r.get('cpu_ms_per_msg', '')}")


if __name__ == "__main__":
    main()
