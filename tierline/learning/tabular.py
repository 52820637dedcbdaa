"""Reading a support desk's export: CSV, gzipped or not, in whatever encoding it came. No Django.

The whole file is decoded before parsing so the encoding is chosen once (UTF-8, else Windows-1252,
else Latin-1, which never fails); rows are then parsed with a progress bar on stderr because the
real exports run to hundreds of thousands of rows.
"""

from __future__ import annotations

import csv
import gzip
import io
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")
# Narratives in complaint exports run past csv's default 128 KiB field limit.
FIELD_LIMIT = 64 * 1024 * 1024


def decode(raw: bytes) -> tuple[str, str]:
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    for encoding in ENCODINGS:
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes any byte string")  # pragma: no cover


def progress(items: Iterable, *, total: int | None, desc: str, enabled: bool = True) -> Iterator:
    """tqdm when installed; otherwise a plain counter on stderr, so long reads never look hung."""
    if not enabled:
        yield from items
        return
    try:
        from tqdm import tqdm  # optional: not a dependency, used when present
    except ImportError:
        tqdm = None
    if tqdm is not None:
        yield from tqdm(items, total=total, desc=desc, file=sys.stderr, unit="row", mininterval=0.5)
        return
    step = max(1, (total or 10_000) // 20)
    count = 0
    for count, item in enumerate(items, 1):
        if count % step == 0:
            share = f" {100 * count // total:3d}%" if total else ""
            print(f"\r{desc}:{share} {count} rows", end="", file=sys.stderr, flush=True)
        yield item
    print(f"\r{desc}: 100% {count} rows", file=sys.stderr, flush=True)


def read_csv(path: str | Path, *, show_progress: bool = True) -> tuple[list[str], list[list[str]], str]:
    """(header, rows, encoding). Short rows are padded so every row has one cell per column."""
    text, encoding = decode(Path(path).read_bytes())
    csv.field_size_limit(FIELD_LIMIT)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise ValueError(f"{path}: the file is empty") from None
    width = len(header)
    rows = []
    for row in progress(reader, total=text.count("\n"), desc="reading", enabled=show_progress):
        if not row:
            continue
        rows.append((row + [""] * (width - len(row)))[:width])
    return header, rows, encoding


def column_index(header: list[str], names: list[str], what: str) -> list[int]:
    lowered = {h.lower(): i for i, h in enumerate(header)}
    found = []
    for name in names:
        key = name.strip()
        if key in header:
            found.append(header.index(key))
        elif key.lower() in lowered:
            found.append(lowered[key.lower()])
        else:
            raise ValueError(f"{what}: no column {name!r} (the file has: {', '.join(header)})")
    return found
