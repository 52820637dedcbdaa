"""First start as a newcomer sees it: `tierline devrun` on an empty var/ directory.

Usage: python bench/firststart.py [--port 8765] [--limit 900]
Starts `tierline devrun` (TIERLINE_DEV=1, a fresh temporary var/ dir, so migrate + demo load
from nothing) and polls the loopback server:
- first_page_s: start to GET /login/ (the login page) answering 200 (target < 30 s);
- demo_loaded_s: start to the demo being fully loaded (the DemoLoad row's finished_at; target < 90 s).
Stops the server (its whole process group) afterwards. Prints one JSON object per line
(metric, value, unit, target), then a table.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def page_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def demo_loaded(db: Path) -> tuple[bool, str]:
    if not db.exists():
        return False, "no database"
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
            row = conn.execute("SELECT done, total, finished_at FROM demo_demoload WHERE id = 1").fetchone()
    except sqlite3.Error as exc:
        return False, str(exc)
    if row is None:
        return False, "not started"
    return row[2] is not None, f"{row[0]}/{row[1]}"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--limit", type=float, default=900, help="give up after this many seconds")
    args = parser.parse_args()
    var = Path(tempfile.mkdtemp(prefix="tierline-firststart-"))
    env = {**os.environ, "TIERLINE_DEV": "1", "TIERLINE_VAR_DIR": str(var), "TIERLINE_BIND": f"127.0.0.1:{args.port}"}
    env.pop("DATABASE_URL", None)
    url = f"http://127.0.0.1:{args.port}/login/"
    log = (var / "devrun.log").open("w")
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "tierline.cli", "devrun"], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    first_page = loaded = None
    progress = ""
    try:
        while time.monotonic() - started < args.limit and proc.poll() is None:
            if first_page is None and page_ok(url):
                first_page = time.monotonic() - started
            if loaded is None:
                done, progress = demo_loaded(var / "tierline.sqlite3")
                if done:
                    loaded = time.monotonic() - started
            if first_page is not None and loaded is not None:
                break
            time.sleep(0.25)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        log.close()
    rows = [("first_page_s", first_page, 30), ("demo_loaded_s", loaded, 90)]
    for metric, value, target in rows:
        print(json.dumps({"metric": metric, "value": None if value is None else round(value, 1), "unit": "s",
                          "target": target, **({"note": f"not reached in {args.limit:.0f} s ({progress})"}
                                               if value is None else {})}))
    print(f"\n{'metric':<15} {'seconds':>9} {'target':>7}")
    for metric, value, target in rows:
        shown = "—" if value is None else f"{value:.1f}"
        print(f"{metric:<15} {shown:>9} {target:>7}")
    print(f"(server log: {var / 'devrun.log'})")
    return 0 if first_page is not None and loaded is not None else 1


if __name__ == "__main__":
    sys.exit(main())
