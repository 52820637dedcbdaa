"""GET /api/v1/openapi.json: the first request of a process and the ones after it.

Usage: python bench/openapi.py [--n 20]
Through Django's test client in process (SQLite), so the figure is the schema's own cost: building
it walks every operation's pydantic models (~2 s for this API) — done once per process now.
Prints one JSON object per line (metric, value, unit), then a table.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.actions import fresh_database, setup_django  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20)
    args = parser.parse_args()
    setup_django("sqlite")
    fresh_database("sqlite")
    from django.test import Client

    client = Client()
    timings = []
    for _ in range(args.n + 1):
        started = time.perf_counter()
        response = client.get("/api/v1/openapi.json", HTTP_HOST="localhost")
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    rows = [("openapi_first_request_ms", timings[0], "ms"),
            ("openapi_later_request_median_ms", statistics.median(timings[1:]), "ms"),
            ("openapi_bytes", len(response.content), "bytes")]
    for metric, value, unit in rows:
        print(json.dumps({"metric": metric, "value": round(value, 2), "unit": unit}))
    print(f"\n{'metric':<36}{'value':>12}  unit")
    for metric, value, unit in rows:
        print(f"{metric:<36}{value:>12.1f}  {unit}")


if __name__ == "__main__":
    main()
