"""The pure SLA clock: one evaluation of a 21-event log with a warm calendar cache.

Usage: python bench/clock.py [--n 200]
Pure Python, no database. Prints one JSON object per line (metric, value, unit), then a table.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tierline.audit.event_types import EventType as E  # noqa: E402
from tierline.sla.clock import evaluate  # noqa: E402
from tierline.sla.tests.test_clock import FRI_16, MIN, OFFICE, STEPS, H, Log, at, policy  # noqa: E402


def sample_log() -> list[dict]:
    log = Log(FRI_16, policy(OFFICE, warnings=[75, 90], steps=STEPS, acknowledgement=H, first_response=2 * H,
                             update=4 * H, resolution=16 * H))
    log.ack(FRI_16 + 10 * MIN).progress(FRI_16 + 20 * MIN)
    for day in range(4):
        t = at("2026-03-09T09:30+00:00") + day * 24 * H
        log.reply(t).pend(t + H).add(E.STATUS_CHANGED, t + 3 * H, status="in_progress")
        log.add(E.INTERNAL_NOTE, t + 4 * H, body="note")
    log.escalate(at("2026-03-12T15:00+00:00"), 2, 20)
    return log.events


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=200)
    args = parser.parse_args()
    events = sample_log()
    as_of = at("2026-03-13T12:00+00:00")
    evaluate(events, as_of)  # warm the calendar and policy caches
    runs = []
    for _ in range(args.n):
        started = time.perf_counter()
        evaluate(events, as_of)
        runs.append((time.perf_counter() - started) * 1000)
    rows = [("clock_evaluate_warm_ms", statistics.median(runs), "ms"),
            ("clock_evaluate_warm_p95_ms", sorted(runs)[int(len(runs) * 0.95) - 1], "ms"),
            ("clock_events", len(events), "events")]
    for metric, value, unit in rows:
        print(json.dumps({"metric": metric, "value": round(value, 4), "unit": unit}))
    print(f"\n{'metric':<32}{'value':>12}  unit")
    for metric, value, unit in rows:
        print(f"{metric:<32}{value:>12.4f}  {unit}")


if __name__ == "__main__":
    main()
