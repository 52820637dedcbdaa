"""A real HTTP receiver on 127.0.0.1 for the tests: records every request it is sent and, like a
well-behaved subscriber, verifies the signature and processes each delivery id once."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tierline.webhooks.signing import verify_signature


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self):
        return json.loads(self.body)


@dataclass
class Receiver:
    secret: str = ""
    now: float = 0.0  # the receiver's clock, for the signature's timestamp window
    answers: list[int] = field(default_factory=list)  # statuses to answer in turn, then 200
    delay: float = 0.0
    requests: list[Request] = field(default_factory=list)
    processed: list[str] = field(default_factory=list)  # delivery ids acted on, each once
    duplicates: int = 0
    bad_signatures: int = 0
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def handle(self, request: Request) -> tuple[int, dict[str, str]]:
        self.requests.append(request)
        if self.delay:
            time.sleep(self.delay)
        status = self.answers.pop(0) if self.answers else 200
        if status == 302:
            return status, {"Location": "/redirected"}
        if status != 200:
            return status, {}
        h = request.headers
        if self.secret and not verify_signature(self.secret, h.get("x-tierline-timestamp", ""), request.body,
                                                h.get("x-tierline-signature", ""), now=self.now):
            self.bad_signatures += 1
            return 401, {}
        delivery = h.get("x-tierline-delivery", "")
        if delivery in self.processed:
            self.duplicates += 1  # already acted on: acknowledge, do nothing
        else:
            self.processed.append(delivery)
        return 200, {}

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                status, extra = receiver.handle(Request(self.path, headers, body))
                try:
                    self.send_response(status)
                    for name, value in extra.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (the timeout test)

            do_GET = do_POST  # a followed redirect would show up as a GET  # noqa: N815

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
