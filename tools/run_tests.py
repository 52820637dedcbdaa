"""Run the whole suite twice: on SQLite, then on PostgreSQL.

PostgreSQL comes from TIERLINE_TEST_DATABASE_URL (default: the local server). When it is not
reachable the PostgreSQL pass is skipped with a visible reason — or fails, when
TIERLINE_REQUIRE_SERVICES=1 (as in CI). Prints one closing line with the totals.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("TIERLINE_TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/tierline")
REQUIRE = os.environ.get("TIERLINE_REQUIRE_SERVICES") == "1"


def postgres_reachable(url: str) -> str | None:
    try:
        import psycopg

        dsn = url.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(dsn, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
        return None
    except Exception as exc:  # any failure means: no usable server
        return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def run_pass(name: str, extra_env: dict[str, str], args: list[str]) -> dict[str, int]:
    env = dict(os.environ, TIERLINE_DEV="1", **extra_env)
    if "DATABASE_URL" not in extra_env:
        env.pop("DATABASE_URL", None)  # the SQLite pass must not pick up a developer's database
    junit = Path(tempfile.mkstemp(prefix=f"tierline-{name}-", suffix=".xml")[1])
    workers = os.environ.get("TIERLINE_TEST_WORKERS", "2")
    cmd = [sys.executable, "-m", "pytest", "-n", workers, f"--junitxml={junit}", *args]
    print(f"\n=== {name} pass: {' '.join(cmd[2:])}", flush=True)
    started = time.monotonic()
    code = subprocess.call(cmd, cwd=ROOT, env=env)
    counts = {"passed": 0, "failed": 0, "skipped": 0, "seconds": round(time.monotonic() - started, 1)}
    try:
        for suite in ET.parse(junit).getroot().iter("testsuite"):
            tests, failures, errors, skipped = (int(suite.get(k, 0)) for k in ("tests", "failures", "errors", "skipped"))
            counts["failed"] += failures + errors
            counts["skipped"] += skipped
            counts["passed"] += tests - failures - errors - skipped
    except (ET.ParseError, FileNotFoundError):
        pass
    if code not in (0, 5) and counts["failed"] == 0:
        counts["failed"] = 1  # pytest itself failed (collection error, crash)
    junit.unlink(missing_ok=True)
    print(f"=== {name}: {counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped "
          f"in {counts['seconds']} s", flush=True)
    return counts


def main() -> int:
    args = sys.argv[1:]
    results = {"sqlite": run_pass("sqlite", {}, args)}
    problem = postgres_reachable(PG_URL)
    if problem is None:
        results["postgresql"] = run_pass("postgresql", {"DATABASE_URL": PG_URL}, args)
    elif REQUIRE:
        print(f"\nFAILED: PostgreSQL is required (TIERLINE_REQUIRE_SERVICES=1) but {PG_URL} is not reachable: {problem}")
        results["postgresql"] = {"passed": 0, "failed": 1, "skipped": 0}
    else:
        print(f"\nSKIPPED the PostgreSQL pass: {PG_URL} is not reachable ({problem}). "
              "Set TIERLINE_TEST_DATABASE_URL to run it.")
    total = {k: sum(r[k] for r in results.values()) for k in ("passed", "failed", "skipped")}
    print("\n" + "  ".join(f"{name}: {r['passed']} passed/{r['failed']} failed/{r['skipped']} skipped"
                           for name, r in results.items()))
    print(f"total: {total['passed']} passed, {total['failed']} failed, {total['skipped']} skipped")
    return 1 if total["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
