"""The HTTP side of the benchmarks: a production server of our own and a plain, light client.

The client is the same design as the django-helpdesk peer benchmark's (../shared/peers/
django-helpdesk/bench.py): N threads, one keep-alive `http.client` connection each, pulling
requests from a shared queue. Stdlib on purpose: on a 2-core machine the client shares the CPU
with the server, and a heavier client would bill its own overhead to the server's latency.
Only 127.0.0.1 is ever contacted.
"""

from __future__ import annotations

import http.client
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    k = (len(s) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def server_env(db_env: dict) -> dict:
    """Production settings (no TIERLINE_DEV): DEBUG off, a given SECRET_KEY, plain HTTP on loopback."""
    env = {k: v for k, v in os.environ.items() if k not in ("TIERLINE_DEV", "DATABASE_URL", "TIERLINE_SQLITE_PATH")}
    env.update(SECRET_KEY="bench-only-secret-key-not-for-production-0123456789", ALLOWED_HOSTS="127.0.0.1,localhost",
               TIERLINE_INSECURE_HTTP="1", TIERLINE_VAR_DIR=str(ROOT / "var" / "bench"),
               # One token sends every request: the default 600/min per token would answer 429.
               TIERLINE_API_RATE_PER_MINUTE="100000000", **db_env)
    return env


class Server:
    """`tierline run --no-worker` (gunicorn, N sync workers) on a free loopback port."""

    def __init__(self, db_env: dict, workers: int = 2, log: Path | None = None, worker: bool = False):
        self.env = server_env(db_env)
        self.workers, self.worker = workers, worker
        self.port = free_port()
        self.log = log or Path(self.env["TIERLINE_VAR_DIR"]) / "server.log"
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "tierline.cli", "run", "--bind", f"{HOST}:{self.port}",
               "--workers", str(self.workers)] + ([] if self.worker else ["--no-worker"])
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=self.env, stdout=self.log.open("w"),
                                     stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.time() + 90
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}; see {self.log}")
            try:
                c = http.client.HTTPConnection(HOST, self.port, timeout=5)
                c.request("GET", "/api/v1/openapi.json")
                c.getresponse().read()
                return self
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"server did not come up; see {self.log}")

    def __exit__(self, *exc) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # our own `tierline run` only; it stops gunicorn
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def run_requests(port: int, reqs: list[tuple[str, str, dict | None]], headers: dict, concurrency: int,
                 timeout: float = 60.0) -> dict:
    """Send (method, path, json body) requests from `concurrency` threads, one connection each."""
    jobs: queue.Queue = queue.Queue()
    for i, r in enumerate(reqs):
        jobs.put((i, r))
    lat = [0.0] * len(reqs)
    status = [0] * len(reqs)
    bodies: list[bytes | None] = [None] * len(reqs)

    def worker():
        conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
        while True:
            try:
                i, (method, path, body) = jobs.get_nowait()
            except queue.Empty:
                break
            payload = json.dumps(body).encode() if body is not None else None
            h = dict(headers)
            if payload is not None:
                h["Content-Type"] = "application/json"
            t0 = time.perf_counter()
            try:
                conn.request(method, path, body=payload, headers=h)
                resp = conn.getresponse()
                data, st = resp.read(), resp.status
                if resp.getheader("Connection", "").lower() == "close":
                    conn.close()
            except (OSError, http.client.HTTPException) as e:
                conn.close()
                conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
                data, st = repr(e).encode(), -1
            lat[i] = time.perf_counter() - t0
            status[i], bodies[i] = st, data
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    counts: dict[str, int] = {}
    for s in status:
        counts[str(s)] = counts.get(str(s), 0) + 1
    return {"wall": wall, "lat": lat, "status": status, "bodies": bodies, "status_counts": counts}


def summary(res: dict) -> dict:
    ms = [x * 1000 for x in res["lat"]]
    n = len(ms)
    return {"n": n, "ok": sum(1 for s in res["status"] if 200 <= s < 300), "status_counts": res["status_counts"],
            "rps": round(n / res["wall"], 1), "p50_ms": round(pct(ms, 0.5), 2), "p95_ms": round(pct(ms, 0.95), 2),
            "p99_ms": round(pct(ms, 0.99), 2)}


def load_note() -> dict:
    one, five, _ = os.getloadavg()
    return {"load_1m": round(one, 2), "load_5m": round(five, 2), "cpus": os.cpu_count()}


def print_table(results: list[dict]) -> None:
    print(f"\n{'metric':<22}{'db':<10}{'what':<22}{'rows':>9}{'value':>10}  {'unit':<6}{'p50':>8}{'p95':>8}  load")
    for r in results:
        print(f"{r['metric']:<22}{r.get('db', ''):<10}{str(r.get('what', '')):<22}{str(r.get('rows', '')):>9}"
              f"{r['value']:>10}  {r['unit']:<6}{r.get('p50_ms', ''):>8}{r.get('p95_ms', ''):>8}  {r.get('load_1m', '')}")
