"""Recurring-issues grouping on real complaints: time and agreement with the known product.

Usage: python bench/recurring.py [--sizes 500,1532,6623]
Reads ../shared/data/cfpb_complaints_sample_2015-2020.csv.gz (CFPB; not in the repository):
each complaint becomes an item (title: issue and sub-issue, description: the narrative when the
consumer gave one). The grouping never sees the product; `recurring_purity` is the share of
grouped complaints whose group's most common product is theirs. Sizes above the exact limit
(3000) run DBSCAN instead of agglomerative clustering.
Prints one JSON object per line (metric, value, unit, n), then a table.
"""

from __future__ import annotations

import argparse
import collections
import csv
import datetime as dt
import gzip
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tierline.problems.recurring import Item, group  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "cfpb_complaints_sample_2015-2020.csv.gz"


def load() -> list[tuple[Item, str]]:
    rows = []
    with gzip.open(DATA, "rt", encoding="utf-8") as fh:
        for i, r in enumerate(csv.DictReader(fh)):
            y, m, d = map(int, r["Date received"].split("/"))
            rows.append((Item(id=i, created_at=dt.datetime(y, m, d, tzinfo=dt.UTC),
                              title=f"{r['Issue']} {r['Sub-issue']}".strip(),
                              description=r["Consumer complaint narrative"].strip()), r["Product"]))
    # Narratives first: the smaller sizes are the richer texts.
    rows.sort(key=lambda row: (not row[0].description, row[0].id))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="500,1532,6623")
    parser.add_argument("--threshold", type=float, default=0.7)
    args = parser.parse_args()
    if not DATA.exists():
        print(f"skipped: {DATA} not present")
        return 0
    rows = load()
    table = []
    for n in [int(s) for s in args.sizes.split(",")]:
        sample = rows[:n]
        random.Random(1).shuffle(sample)
        items, product = [i for i, _ in sample], {i.id: p for i, p in sample}
        start = time.perf_counter()
        groups = group(items, threshold=args.threshold, period="month", by_type=False)
        ms = (time.perf_counter() - start) * 1000
        grouped = sum(g.size for g in groups)
        agree = sum(collections.Counter(product[i] for i in g.ids).most_common(1)[0][1] for g in groups)
        purity = agree / grouped if grouped else 0.0
        for metric, value, unit in (("recurring_group_ms", round(ms, 1), "ms"), ("recurring_groups", len(groups), "groups"),
                                    ("recurring_grouped_share", round(grouped / n, 3), "ratio"),
                                    ("recurring_purity", round(purity, 3), "ratio")):
            print(json.dumps({"metric": metric, "value": value, "unit": unit, "n": n, "threshold": args.threshold}))
        table.append((n, ms, len(groups), grouped, purity))
    print(f"\n{'n':>6} {'ms':>9} {'groups':>7} {'grouped':>8} {'purity':>7}")
    for n, ms, count, grouped, purity in table:
        print(f"{n:>6} {ms:>9.1f} {count:>7} {grouped:>8} {purity:>7.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
