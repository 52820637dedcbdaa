"""Bitset index over a matrix's code-set conditions (type, priority, customer tier, channel).

Pure: no Django. Bit i stands for the i-th rule in matching order. For each condition the index
keeps the rules that do not constrain it and, per code, the rules that allow that code; a case's
failures are then a handful of big-integer operations instead of a Python loop over every rule.
The matcher still runs the full check on the rules the bitsets cannot settle (keywords, pattern,
custom fields, business hours), so the answer is the same as checking every rule one by one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any


class SetIndex:
    __slots__ = ("all", "case_attrs", "absent", "allow", "other")

    def __init__(self, conditions: Sequence[Any], sets: Iterable[tuple[str, str]], other: Sequence[bool]):
        """`conditions`: each rule's Conditions in matching order; `sets`: (Conditions attribute,
        Case attribute) of each code-set condition; `other[i]`: rule i has a condition the bitsets
        do not cover."""
        sets = tuple(sets)
        self.all = (1 << len(conditions)) - 1
        self.case_attrs = tuple(case_attr for _, case_attr in sets)
        absent: list[int] = []
        allow: list[dict[Any, int]] = []
        for attr, _ in sets:
            free = 0
            by_code: dict[Any, int] = {}
            for i, when in enumerate(conditions):
                allowed = getattr(when, attr)
                if allowed is None:
                    free |= 1 << i
                else:
                    for code in allowed:
                        by_code[code] = by_code.get(code, 0) | (1 << i)
            absent.append(free)
            allow.append(by_code)
        self.absent = tuple(absent)
        self.allow = tuple(allow)
        self.other = sum(1 << i for i, flag in enumerate(other) if flag)

    def failures(self, case: Any) -> tuple[int, int, int]:
        """Bitsets of the rules failing at least one, two and three code-set conditions."""
        ones = twos = threes = 0
        everything = self.all
        for attr, free, by_code in zip(self.case_attrs, self.absent, self.allow, strict=True):
            try:
                passing = free | by_code.get(getattr(case, attr), 0)
            except TypeError:  # an unhashable value equals no code
                passing = free
            failing = everything & ~passing
            threes |= twos & failing
            twos |= ones & failing
            ones |= failing
        return ones, twos, threes


def bits(value: int):
    """Indexes of the set bits, lowest first (= matching order)."""
    while value:
        low = value & -value
        yield low.bit_length() - 1
        value ^= low
