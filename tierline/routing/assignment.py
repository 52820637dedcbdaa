"""Choosing the owner of an escalation inside a team. Pure: no Django, no database, no clock.

Callers load the team's members into Candidates (with shift calendars already parsed by
``tierline.calendars.spec.calendar_from_dict``), pass the current time, and store the returned
round-robin cursor. The same inputs always give the same Choice, whatever the order of the
candidates, so an assignment can be replayed and explained after the fact.

Rules
-----
* Eligibility, checked in this order (the first failure is recorded as a Skip): inactive, off
  shift, on leave, at capacity; and for the "skills" strategy only, missing skills, language.
* round_robin: the first eligible user_id after the cursor, wrapping around. The cursor is a
  user_id rather than a position so that people joining, leaving or going on leave do not shift
  everyone else's turn.
* least_loaded: smallest weighted load, then fewest open escalations, then smallest user_id.
* skills: least loaded among those having every required skill and the required language.
  Skills match case-insensitively; languages match on the primary subtag ("pt-BR" speaks "pt").
* Nobody eligible: the least loaded active team lead who is not on leave, even off shift or at
  capacity, because an escalation must have an explicit owner. A lead on leave is not used: the
  team queue is watched, a holidaymaker's inbox is not. No such lead: unassigned (user_id None).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from tierline.calendars.timecalc import BusinessCalendar, is_open

__all__ = [
    "PRIORITY_WEIGHT",
    "SKIP_REASONS",
    "STRATEGIES",
    "Candidate",
    "Choice",
    "Requirement",
    "Skip",
    "choose",
    "required_skills",
]

PRIORITY_WEIGHT = {"P1": 4, "P2": 3, "P3": 2, "P4": 1}
STRATEGIES = ("round_robin", "least_loaded", "skills")
SKIP_REASONS = ("inactive", "off_shift", "on_leave", "at_capacity", "missing_skills", "language")

_SKIP_TEXT = {
    "inactive": "inactive",
    "off_shift": "off shift",
    "on_leave": "on leave",
    "at_capacity": "at capacity",
    "missing_skills": "missing skills",
    "language": "without the language",
}


@dataclass(frozen=True)
class Candidate:
    user_id: int
    name: str
    shift: BusinessCalendar | None  # None = always available
    leave: tuple[tuple[datetime, datetime], ...] = ()  # half-open [start, end), aware
    capacity: int | None = None  # max open escalations (a count, not a weight); None = unlimited
    open_count: int = 0
    open_load: int = 0  # sum of PRIORITY_WEIGHT over open escalations
    skills: frozenset[str] = frozenset()
    languages: frozenset[str] = frozenset()
    is_lead: bool = False
    active: bool = True


@dataclass(frozen=True)
class Requirement:
    skills: frozenset[str] = frozenset()
    language: str | None = None


@dataclass(frozen=True)
class Skip:
    user_id: int
    reason: str  # one of SKIP_REASONS


@dataclass(frozen=True)
class Choice:
    user_id: int | None  # None = left unassigned in the team queue
    reason: str
    strategy: str
    fallback: bool
    skipped: tuple[Skip, ...]  # sorted by user_id
    cursor: int | None  # round-robin cursor to store for the next call


# --- required skills ----------------------------------------------------------------------------


def _names(value) -> list[str]:
    # A bare string in a rules table means one skill, not one skill per character.
    if isinstance(value, str):
        return [value]
    return list(value)


@lru_cache(maxsize=1024)
def _keyword_pattern(keyword: str) -> re.Pattern:
    # \b would fail on keywords that start or end with punctuation ("c++", ".net"); lookarounds
    # on \w mean "not glued to another word character" for any keyword.
    return re.compile(r"(?<!\w)" + re.escape(keyword) + r"(?!\w)", re.IGNORECASE)


def required_skills(
    type: str,
    text: str,
    rules: Mapping[str, Iterable[str]] | None = None,
    keyword_rules: Mapping[str, Iterable[str]] | None = None,
) -> frozenset[str]:
    """Skills implied by the escalation type (``rules``: type -> skills, type matched
    case-insensitively) and by keywords found as whole words, case-insensitively, in ``text``
    (``keyword_rules``: keyword -> skills; a keyword may contain spaces or punctuation)."""
    found: set[str] = set()
    wanted = (type or "").strip().casefold()
    for rule_type, skills in (rules or {}).items():
        if rule_type.strip().casefold() == wanted:
            found.update(_names(skills))
    body = text or ""
    for keyword, skills in (keyword_rules or {}).items():
        keyword = keyword.strip()
        if keyword and _keyword_pattern(keyword).search(body):
            found.update(_names(skills))
    return frozenset(found)


# --- eligibility --------------------------------------------------------------------------------


def _fold(names: Iterable[str]) -> frozenset[str]:
    return frozenset(n.strip().casefold() for n in names)


@lru_cache(maxsize=4096)
def _folded_skills(names: frozenset[str]) -> frozenset[str]:
    # Agents share a few skill sets; folding each one once keeps a 500-agent choice well under 1 ms.
    return _fold(names)


@lru_cache(maxsize=4096)
def _spoken(languages: frozenset[str]) -> frozenset[str]:
    return frozenset(_primary_language(lang) for lang in languages)


def _primary_language(tag: str) -> str:
    return re.split(r"[-_]", tag.strip(), maxsplit=1)[0].casefold()


def _aware_utc(value, what: str) -> datetime:
    if not isinstance(value, datetime):
        raise TypeError(f"{what}: a datetime is required, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what}: an aware datetime is required, got naive {value.isoformat()}")
    # Compared in UTC: mixed-zone comparisons of datetimes in a DST fold are unreliable (PEP 495).
    return value.astimezone(UTC)


def _on_leave(c: Candidate, now: datetime) -> bool:
    for i, interval in enumerate(c.leave):
        if len(interval) != 2:
            raise ValueError(f"candidate {c.user_id}: leave[{i}] is not a (start, end) pair")
        start = _aware_utc(interval[0], f"candidate {c.user_id}: leave[{i}] start")
        end = _aware_utc(interval[1], f"candidate {c.user_id}: leave[{i}] end")
        if start <= now < end:
            return True
    return False


def _skip_reason(c: Candidate, now: datetime, skills: frozenset[str], language: str | None,
                 open_now: dict[int, bool], folded: dict) -> str | None:
    if not c.active:
        return "inactive"
    if c.shift is not None:
        # Hundreds of agents share a handful of shift patterns: ask each calendar once per call.
        key = id(c.shift)
        if key not in open_now:
            open_now[key] = is_open(now, c.shift)
        if not open_now[key]:
            return "off_shift"
    if _on_leave(c, now):
        return "on_leave"
    if c.capacity is not None and c.open_count >= c.capacity:
        return "at_capacity"
    if skills:
        # Per-call memo: agents share a few skill sets, and a dict hit is cheaper than re-folding.
        key = c.skills if isinstance(c.skills, frozenset) else frozenset(c.skills)
        have = folded.get(key)
        if have is None:
            have = folded[key] = _folded_skills(key)
        if not skills <= have:
            return "missing_skills"
    if language is not None:
        key = ("lang", c.languages if isinstance(c.languages, frozenset) else frozenset(c.languages))
        spoken = folded.get(key)
        if spoken is None:
            spoken = folded[key] = _spoken(key[1])
        if language not in spoken:
            return "language"
    return None


def _load_key(c: Candidate) -> tuple[int, int, int]:
    return (c.open_load, c.open_count, c.user_id)


def _describe_skips(skipped: Sequence[Skip]) -> str:
    if not skipped:
        return "no candidates"
    counts = Counter(s.reason for s in skipped)
    if set(counts) == {"off_shift"}:
        return "nobody on shift"
    parts = [f"{counts[r]} {_SKIP_TEXT[r]}" for r in SKIP_REASONS if counts[r]]
    return "nobody eligible: " + ", ".join(parts)


def _label(c: Candidate) -> str:
    return c.name or f"user #{c.user_id}"


# --- choosing -----------------------------------------------------------------------------------


def choose(
    candidates: Sequence[Candidate],
    *,
    strategy: str,
    now: datetime,
    cursor: int | None = None,
    requirement: Requirement = Requirement(),  # noqa: B008 - frozen, so sharing the default is safe
) -> Choice:
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy: unknown strategy {strategy!r} (allowed: {', '.join(STRATEGIES)})")
    now = _aware_utc(now, "now")
    if not isinstance(requirement, Requirement):
        raise TypeError(f"requirement: a Requirement is required, got {type(requirement).__name__}")
    ordered = sorted(candidates, key=lambda c: c.user_id)
    for a, b in zip(ordered, ordered[1:], strict=False):
        if a.user_id == b.user_id:
            # Ties are broken by user_id; with duplicates the answer would depend on input order.
            raise ValueError(f"candidates: user_id {a.user_id} appears more than once")

    # Skills and language bind only the "skills" strategy: the other strategies are chosen by
    # teams that do not route on skills, and a stray requirement must not starve them.
    skills: frozenset[str] = frozenset()
    language = None
    if strategy == "skills":
        skills = _fold(requirement.skills)
        if requirement.language and requirement.language.strip():
            language = _primary_language(requirement.language)

    eligible: list[Candidate] = []
    skipped: list[Skip] = []
    open_now: dict[int, bool] = {}
    folded: dict = {}
    for c in ordered:
        reason = _skip_reason(c, now, skills, language, open_now, folded)
        if reason is None:
            eligible.append(c)
        else:
            skipped.append(Skip(c.user_id, reason))
    skips = tuple(skipped)

    if not eligible:
        return _fallback(ordered, now, strategy, cursor, skips)

    if strategy == "round_robin":
        chosen = next((c for c in eligible if cursor is None or c.user_id > cursor), eligible[0])
        if cursor is None:
            reason = f"round robin: first in rotation ({_label(chosen)})"
        else:
            previous = next((c for c in ordered if c.user_id == cursor), None)
            after = _label(previous) if previous is not None else f"user #{cursor}"
            reason = f"round robin: next after {after}"
        return Choice(chosen.user_id, reason, strategy, False, skips, chosen.user_id)

    chosen = min(eligible, key=_load_key)
    load = f"least loaded (load {chosen.open_load}, {chosen.open_count} open)"
    if strategy == "least_loaded":
        return Choice(chosen.user_id, load, strategy, False, skips, cursor)

    wanted = sorted(requirement.skills) + ([f"language {language}"] if language else [])
    matched = ", ".join(wanted) if wanted else "none required"
    return Choice(chosen.user_id, f"skills match ({matched}); {load}", strategy, False, skips, cursor)


def _fallback(
    ordered: Sequence[Candidate], now: datetime, strategy: str, cursor: int | None, skips: tuple[Skip, ...]
) -> Choice:
    why = _describe_skips(skips)
    leads = [c for c in ordered if c.is_lead and c.active and not _on_leave(c, now)]
    if not leads:
        return Choice(None, f"unassigned: {why}, and no team lead available", strategy, False, skips, cursor)
    lead = min(leads, key=_load_key)
    # The cursor stays put: the rotation did not move, so the next eligible person keeps their turn.
    return Choice(lead.user_id, f"fallback: team lead {_label(lead)} ({why})", strategy, True, skips, cursor)
