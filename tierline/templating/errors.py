"""TemplateProblem, and finding the column of a problem in the template source.

Jinja's AST and its syntax errors carry only line numbers. Admins need a column too, so the
column is recovered by searching the reported line for the offending text; when the same text
occurs several times on a line, the caller says which occurrence it means.
"""

from __future__ import annotations

import re

_TAG = re.compile(r"(?:\{\{|\{%)[-+]?(.*?)[-+]?(?:\}\}|%\})", re.DOTALL)


class TemplateProblem(Exception):
    """A template that cannot be saved or rendered: which field, where, and why."""

    def __init__(self, field: str, line: int | None, column: int | None, message: str):
        super().__init__(field, line, column, message)
        self.field = field
        self.line = line
        self.column = column
        self.message = message

    def __str__(self) -> str:
        if self.line is None:
            return self.message
        return f"line {self.line}, column {self.column or 1}: {self.message}"

    def __repr__(self) -> str:
        return f"TemplateProblem({self.field!r}, {self.line!r}, {self.column!r}, {self.message!r})"


def normalize_newlines(source: str) -> str:
    # Jinja counts lines after the same normalisation; columns must be counted on the same text.
    return source.replace("\r\n", "\n").replace("\r", "\n")


def _line_bounds(source: str, line: int) -> tuple[int, int]:
    start = 0
    for _ in range(line - 1):
        nl = source.find("\n", start)
        if nl < 0:
            return len(source), len(source)
        start = nl + 1
    end = source.find("\n", start)
    return start, (len(source) if end < 0 else end)


def position(source: str, offset: int) -> tuple[int, int]:
    """1-based (line, column) of an absolute offset."""
    line = source.count("\n", 0, offset) + 1
    return line, offset - (source.rfind("\n", 0, offset) + 1) + 1


def _mask_strings(source: str) -> str:
    return re.sub(r"'[^'\n]*'|\"[^\"\n]*\"", lambda m: m.group(0)[0] + " " * (len(m.group(0)) - 2) + m.group(0)[0],
                  source)


def locate(source: str, line: int | None, pattern: str, nth: int = 0, *, in_tags: bool = True,
           mask_strings: bool = False) -> int:
    """Column of the nth match of `pattern` on `line`: its first named group that matched, else the match.

    With in_tags, only text inside {{ … }} and {% … %} counts, so that prose in the template body
    that happens to contain the same word is not pointed at; with mask_strings, neither is text
    inside string literals (the "%" of "'%d' % 3"). Falls back to column 1.
    """
    if not line:
        return 1
    start, end = _line_bounds(source, line)
    regex = re.compile(pattern)
    text = _mask_strings(source) if mask_strings else source
    if in_tags:
        spans = [m.span(1) for m in _TAG.finditer(source) if m.start(1) <= end and m.end(1) >= start]
    else:
        spans = [(start, end)]
    hits: list[int] = []
    for lo, hi in spans:
        for m in regex.finditer(text, lo, hi):
            at = next((m.start(g) for g in regex.groupindex if m.start(g) >= 0), m.start())
            if start <= at <= end:
                hits.append(at)
    if not hits and in_tags:
        return locate(source, line, pattern, nth, in_tags=False, mask_strings=mask_strings)
    if not hits:
        return 1
    return hits[min(nth, len(hits) - 1)] - start + 1
