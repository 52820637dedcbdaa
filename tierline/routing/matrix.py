"""The escalation matrix: a tenant's ordered routing rules, a pure matcher with explicit precedence,
a dry-run explanation (winner, reasons, near misses) and static checks for dead or ambiguous rules.

No Django here on purpose: the Django layer, the YAML front end and the tests share this code, and
the matcher must stay cheap enough to run on every incoming case.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import groupby
from types import MappingProxyType
from typing import Any

import re2

from tierline.routing.matrix_index import SetIndex, bits

# Codes duplicated from the Django choices (this module may not import Django); a test keeps them in step.
TYPES = ("technical", "billing", "customer_experience", "compensation", "compliance", "sla_breach",
         "product", "account", "workforce", "process", "dispute", "security", "executive")
PRIORITIES = ("P1", "P2", "P3", "P4")
TIERS = ("standard", "gold", "vip")
CHANNELS = ("phone", "email", "chat", "social", "portal", "api")
ROLES = ("agent", "specialist", "supervisor", "manager", "executive", "compliance", "admin", "client_viewer")
TRIGGERS = ("rule", "priority_based")
BUSINESS_HOURS = ("inside", "outside")
REQUIRABLE = ("customer", "external_id", "description", "compensation_approval", "root_cause",
              "custom_fields.<name>")
NOTIFY_FORMS = ("role:<role>", "team:<team name>", "user:<username>", "owner", "team_lead")

MAX_RULES = 1000
MAX_KEYWORDS = 50
MAX_KEYWORD_LEN = 100
MAX_PATTERN_LEN = 500
MAX_TEXT = 20_000
MAX_NAME_LEN = 200
MAX_FIELDS = 50
MAX_FIELD_VALUES = 100
MAX_PRECEDENCE = 10**9

WHEN_KEYS = ("type", "priority", "customer_tier", "channel", "keywords", "pattern", "custom_fields",
             "business_hours")
THEN_KEYS = ("team", "level", "priority", "sla_policy", "notify", "require", "trigger")
RULE_KEYS = ("name", "precedence", "when", "then")
# The code-set conditions: (YAML key, Conditions attribute, Case attribute, words, allowed codes).
_SETS = (("type", "types", "type", "type", TYPES),
         ("priority", "priorities", "priority", "priority", PRIORITIES),
         ("customer_tier", "customer_tiers", "customer_tier", "customer tier", TIERS),
         ("channel", "channels", "channel", "channel", CHANNELS))
_SET_ATTRS = tuple(attr for _, attr, _, _, _ in _SETS)

_FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,63}\Z")
_USERNAME = re.compile(r"[\w.@+-]{1,150}\Z")  # Django's default username validator
# RE2's \b is ASCII-only, so word edges are spelled out to keep "café" or "Zürich" whole words.
_EDGE = r"[^\pL\pN_]"

Path = tuple[str | int, ...]


def _format_path(parts: Path) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(root)"


class MatrixError(ValueError):
    """A matrix that cannot be accepted. `parts` keeps the path structured so the YAML layer can find the
    node without re-parsing; `at_key` says the key itself is wrong (unknown key), not its value."""

    def __init__(self, path: str | Path, message: str, *, at_key: bool = False):
        self.parts: Path | None = path if isinstance(path, tuple) else None
        self.path = _format_path(path) if isinstance(path, tuple) else path
        self.message = message
        self.at_key = at_key
        super().__init__(f"{self.path}: {message}")


@dataclass(frozen=True)
class Conditions:
    types: frozenset[str] | None = None
    priorities: frozenset[str] | None = None
    customer_tiers: frozenset[str] | None = None
    channels: frozenset[str] | None = None
    keywords: tuple[str, ...] | None = None
    pattern: str | None = None
    custom_fields: tuple[tuple[str, tuple], ...] | None = None
    business_hours: str | None = None

    @property
    def is_catch_all(self) -> bool:
        return self == Conditions()


@dataclass(frozen=True)
class Outcome:
    team: str | None = None
    level: int | None = None
    priority: str | None = None
    sla_policy: str | None = None
    notify: tuple[str, ...] = ()
    require: tuple[str, ...] = ()
    trigger: str = "rule"


@dataclass(frozen=True)
class Rule:
    name: str
    precedence: int
    position: int
    when: Conditions
    then: Outcome


@dataclass(frozen=True)
class Matrix:
    rules: tuple[Rule, ...] = ()

    def __post_init__(self):
        # Sorting here, not only in the parser, makes (precedence, position) order an invariant the matcher
        # can rely on whoever built the matrix.
        object.__setattr__(self, "rules", tuple(sorted(self.rules, key=lambda r: (r.precedence, r.position))))


@dataclass(frozen=True)
class Case:
    type: str
    priority: str
    customer_tier: str | None
    channel: str
    title: str
    description: str = ""
    # A read-only copy, so a frozen Case cannot change under a decision; left out of the hash because
    # mappings are not hashable (equality still compares it).
    custom_fields: Mapping[str, Any] = field(default_factory=dict, hash=False)
    business_hours: bool | None = None

    def __post_init__(self):
        object.__setattr__(self, "custom_fields", MappingProxyType(dict(self.custom_fields or {})))


@dataclass(frozen=True)
class NearMiss:
    rule: str
    precedence: int
    failed: tuple[str, ...]


@dataclass(frozen=True)
class Decision:
    rule: Rule | None
    reasons: tuple[str, ...]
    near_misses: tuple[NearMiss, ...]


@dataclass(frozen=True)
class MatrixWarning:
    code: str  # "unreachable" | "overlap"
    rules: tuple[str, ...]
    message: str


# The agreed public name; it shadows the builtin only where it is imported from here.
Warning = MatrixWarning


def _kind(value: Any) -> str:
    names = {type(None): "nothing", bool: "a boolean", int: "a number", float: "a number", str: "text",
             dict: "a mapping", list: "a list", tuple: "a list"}
    return names.get(type(value), type(value).__name__)


def _mapping(value: Any, path: Path, what: str, allowed: tuple[str, ...]) -> Mapping:
    if not isinstance(value, Mapping):
        raise MatrixError(path, f"{what} must be a mapping, got {_kind(value)}")
    for key in value:
        if not isinstance(key, str):
            raise MatrixError(path + (str(key),), f"keys must be text, got {_kind(key)}", at_key=True)
        if allowed and key not in allowed:
            raise MatrixError(path + (key,), f"unknown key {key!r}; expected one of: {', '.join(allowed)}",
                              at_key=True)
    return value


def _text(value: Any, path: Path, what: str, max_len: int = MAX_NAME_LEN) -> str:
    if not isinstance(value, str) or not value.strip():
        raise MatrixError(path, f"{what} must be non-empty text, got {_kind(value)}")
    text = value.strip()
    if len(text) > max_len:
        raise MatrixError(path, f"{what} is longer than {max_len} characters")
    # Control characters and lone surrogates never belong in names and break YAML/UTF-8 round trips.
    if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in text):
        raise MatrixError(path, f"{what} contains control characters")
    return text


def _items(value: Any, path: Path, what: str) -> list[tuple[Path, Any]]:
    """A scalar counts as a one-item list; paths name the item when the admin wrote a list."""
    if not isinstance(value, (list, tuple)):
        if isinstance(value, Mapping) or value is None:
            raise MatrixError(path, f"{what} must be a value or a list of values, got {_kind(value)}")
        return [(path, value)]
    if not value:
        raise MatrixError(path, f"{what} must not be an empty list")
    return [(path + (i,), item) for i, item in enumerate(value)]


def _choice(value: Any, path: Path, allowed: tuple[str, ...], what: str) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise MatrixError(path, f"unknown {what} {value!r}; expected one of: {', '.join(allowed)}")
    return value


def _value_key(value: Any) -> tuple[bool, Any]:
    # True == 1 in Python; a yes/no custom field must not match a numeric one.
    return (isinstance(value, bool), value)


@lru_cache(maxsize=4096)
def _compile(pattern: str):
    options = re2.Options()
    options.case_sensitive = False
    options.log_errors = False  # RE2 would otherwise write every rejected admin pattern to stderr
    return re2.compile(pattern, options)


def _conditions(raw: Any, path: Path) -> Conditions:
    raw = _mapping({} if raw is None else raw, path, "when", WHEN_KEYS)
    got: dict[str, Any] = {}
    for key, attr, _, words, codes in _SETS:
        if key in raw:
            items = _items(raw[key], path + (key,), words)
            got[attr] = frozenset(_choice(v, p, codes, words) for p, v in items)
    if "keywords" in raw:
        items = _items(raw["keywords"], path + ("keywords",), "keywords")
        if len(items) > MAX_KEYWORDS:
            raise MatrixError(path + ("keywords",), f"more than {MAX_KEYWORDS} keywords")
        got["keywords"] = tuple(dict.fromkeys(_text(v, p, "keyword", MAX_KEYWORD_LEN) for p, v in items))
    if "pattern" in raw:
        got["pattern"] = pattern = raw["pattern"]
        if not isinstance(pattern, str) or not pattern or len(pattern) > MAX_PATTERN_LEN:
            raise MatrixError(path + ("pattern",), f"pattern must be text of 1 to {MAX_PATTERN_LEN} chars")
        try:
            _compile(pattern)
        except (re2.error, UnicodeError) as exc:
            detail = exc.args[0] if exc.args and isinstance(exc.args[0], bytes) else str(exc).encode()
            detail = detail.decode("utf-8", "replace")
            raise MatrixError(path + ("pattern",), f"invalid pattern (RE2 syntax): {detail}")
    if "custom_fields" in raw:
        got["custom_fields"] = _custom_fields(raw["custom_fields"], path + ("custom_fields",))
    if "business_hours" in raw:
        got["business_hours"] = _choice(raw["business_hours"], path + ("business_hours",), BUSINESS_HOURS,
                                        "business_hours value")
    return Conditions(**got)


def _custom_fields(raw: Any, path: Path) -> tuple[tuple[str, tuple], ...]:
    raw = _mapping(raw, path, "custom_fields", ())
    if not raw or len(raw) > MAX_FIELDS:
        raise MatrixError(path, f"custom_fields must name 1 to {MAX_FIELDS} fields")
    out = []
    for name, values in raw.items():
        if not _FIELD_NAME.match(name):
            raise MatrixError(path + (name,), f"bad custom field name {name!r} (letters, digits, _ and -)",
                              at_key=True)
        items = _items(values, path + (name,), f"custom field {name}")
        if len(items) > MAX_FIELD_VALUES:
            raise MatrixError(path + (name,), f"more than {MAX_FIELD_VALUES} values")
        for item_path, item in items:
            if not isinstance(item, (str, int)):  # floats are left out: NaN and 0.1 + 0.2 never compare well
                raise MatrixError(item_path, f"custom field values must be text, whole numbers or booleans, "
                                             f"got {_kind(item)}")
            if isinstance(item, str):
                _text(item, item_path, "custom field value")
        out.append((name, tuple({_value_key(v): v for _, v in items}.values())))
    return tuple(sorted(out))


def _notify(value: Any, path: Path) -> tuple[str, ...]:
    out = []
    for item_path, item in _items(value, path, "notify"):
        entry = _text(item, item_path, "notify entry")
        kind, sep, rest = entry.partition(":")
        rest = rest.strip()
        if (not sep and entry in ("owner", "team_lead")) or (kind == "role" and rest in ROLES) or (
                kind == "team" and rest) or (kind == "user" and _USERNAME.match(rest)):
            out.append(f"{kind}:{rest}" if sep else entry)
        else:
            hint = f" (roles: {', '.join(ROLES)})" if kind == "role" else ""
            raise MatrixError(item_path, f"bad notify entry {entry!r}; expected one of: "
                                         f"{', '.join(NOTIFY_FORMS)}{hint}")
    return tuple(dict.fromkeys(out))


def _require(value: Any, path: Path) -> tuple[str, ...]:
    out = []
    for item_path, item in _items(value, path, "require"):
        name = item.strip() if isinstance(item, str) else ""
        prefix, _, field_name = name.partition(".")
        if not (name in REQUIRABLE[:-1] or (prefix == "custom_fields" and _FIELD_NAME.match(field_name))):
            raise MatrixError(item_path, f"cannot require {item!r}; expected one of: {', '.join(REQUIRABLE)}")
        out.append(name)
    return tuple(dict.fromkeys(out))


def _outcome(raw: Any, path: Path) -> Outcome:
    raw = _mapping(raw, path, "then", THEN_KEYS)
    got: dict[str, Any] = {}
    for key in ("team", "sla_policy"):
        if key in raw:
            got[key] = _text(raw[key], path + (key,), key.replace("_", " "))
    if "level" in raw:
        got["level"] = level = raw["level"]
        if isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= 5:
            raise MatrixError(path + ("level",), f"level must be a whole number from 1 to 5, got {level!r}")
    if "priority" in raw:
        got["priority"] = _choice(raw["priority"], path + ("priority",), PRIORITIES, "priority")
    if "notify" in raw:
        got["notify"] = _notify(raw["notify"], path + ("notify",))
    if "require" in raw:
        got["require"] = _require(raw["require"], path + ("require",))
    if "trigger" in raw:
        got["trigger"] = _choice(raw["trigger"], path + ("trigger",), TRIGGERS, "trigger")
    if "team" not in got and "level" not in got:
        raise MatrixError(path, "then needs a team or a level (or both)")
    return Outcome(**got)


def _rule(raw: Any, position: int) -> Rule:
    path: Path = ("rules", position)
    raw = _mapping(raw, path, "a rule", RULE_KEYS)
    for key in ("name", "precedence", "then"):
        if key not in raw:
            raise MatrixError(path + (key,), f"missing required key {key!r}")
    precedence = raw["precedence"]
    if isinstance(precedence, bool) or not isinstance(precedence, int) or abs(precedence) > MAX_PRECEDENCE:
        raise MatrixError(path + ("precedence",), f"precedence must be a whole number, got {precedence!r}")
    return Rule(_text(raw["name"], path + ("name",), "name"), precedence, position,
                _conditions(raw.get("when"), path + ("when",)), _outcome(raw["then"], path + ("then",)))


def matrix_from_dict(d: Any) -> Matrix:
    d = _mapping(d, (), "the matrix", ("rules",))
    if "rules" not in d:
        raise MatrixError(("rules",), "missing required key 'rules'")
    if not isinstance(d["rules"], (list, tuple)) or len(d["rules"]) > MAX_RULES:
        raise MatrixError(("rules",), f"rules must be a list of at most {MAX_RULES} rules")
    rules, seen = [], {}
    for position, raw in enumerate(d["rules"]):
        rule = _rule(raw, position)
        # casefold: admins read "VIP escalations" and "vip escalations" as the same rule.
        key = rule.name.casefold()
        if key in seen:
            raise MatrixError(("rules", position, "name"),
                              f"duplicate rule name {rule.name!r} (same as rules[{seen[key]}])")
        seen[key] = position
        rules.append(rule)
    return Matrix(tuple(rules))


def _in_order(values, order: tuple[str, ...]) -> list[str]:
    return sorted(values, key=lambda v: (order.index(v) if v in order else len(order), v))


def matrix_to_dict(m: Matrix) -> dict:
    # File order (position), not match order: re-parsing must give every rule its old position back.
    return {"rules": [_rule_to_dict(r) for r in sorted(m.rules, key=lambda r: r.position)]}


def _rule_to_dict(rule: Rule) -> dict:
    c, o = rule.when, rule.then
    when: dict[str, Any] = {}
    for key, attr, _, _, codes in _SETS:
        if getattr(c, attr) is not None:
            when[key] = _in_order(getattr(c, attr), codes)
    if c.keywords is not None:
        when["keywords"] = list(c.keywords)
    if c.pattern is not None:
        when["pattern"] = c.pattern
    if c.custom_fields is not None:
        when["custom_fields"] = {name: list(values) for name, values in c.custom_fields}
    if c.business_hours is not None:
        when["business_hours"] = c.business_hours
    then: dict[str, Any] = {k: getattr(o, k) for k in ("team", "level", "priority", "sla_policy")
                            if getattr(o, k) is not None}
    then.update({k: list(getattr(o, k)) for k in ("notify", "require") if getattr(o, k)})
    if o.trigger != "rule":
        then["trigger"] = o.trigger
    return {"name": rule.name, "precedence": rule.precedence, "when": when, "then": then}


def _case_text(case: Case) -> str:
    text = f"{(case.title or '')[:MAX_TEXT]}\n{(case.description or '')[:MAX_TEXT]}"[:MAX_TEXT]
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # RE2 works on UTF-8; a stray surrogate must not crash routing
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text


def _is_word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


@lru_cache(maxsize=4096)
def _keyword_regex(keywords: tuple[str, ...]):
    # Keywords are literals (escaped), so Python's own engine is safe here — no user-written repetition to
    # backtrack on — and it costs a microsecond per search where the RE2 binding's call overhead costs
    # fifteen; the matcher runs dozens of keyword rules per case. Admin-written `pattern`s stay on RE2.
    # Edges: "not a letter, digit or underscore", as RE2's [^\pL\pN_] (Python's \w is letters, digits, _).
    groups: dict[tuple[bool, bool], list[str]] = {}
    for k in keywords:
        groups.setdefault((_is_word(k[0]), _is_word(k[-1])), []).append(
            r"\s+".join(re.escape(part) for part in k.split()))
    alternatives = [(r"(?:^|(?<=\W))" if lead else "") + "(?:" + "|".join(bodies) + ")"
                    + (r"(?=\W|$)" if trail else "") for (lead, trail), bodies in groups.items()]
    return re.compile("|".join(alternatives), re.IGNORECASE)


def _keyword_found(keywords: tuple[str, ...], text: str) -> bool:
    return _keyword_regex(keywords).search(text) is not None


def _value_matches(actual: Any, allowed: tuple) -> bool:
    # A multi-select custom field matches when any of its values is allowed.
    values = actual if isinstance(actual, (list, tuple, set, frozenset)) else (actual,)
    try:
        return bool({_value_key(v) for v in values} & {_value_key(a) for a in allowed})
    except TypeError:  # an unhashable value cannot equal any allowed scalar
        return False


_CONDITION_ORDER = {key: i for i, key in enumerate(WHEN_KEYS)}


def _set_checks(when: Conditions) -> tuple[tuple[str, str, frozenset], ...]:
    """(key, case attribute, allowed codes) of the code-set conditions a rule has, worked out once per rule:
    the matcher runs every rule for every case (near misses need them all)."""
    checks = when.__dict__.get("_set_checks")
    if checks is None:
        checks = tuple((key, case_attr, getattr(when, attr)) for key, attr, case_attr, _, _ in _SETS
                       if getattr(when, attr) is not None)
        object.__setattr__(when, "_set_checks", checks)  # a cache, not state: equality ignores it
    return checks


def _failed(when: Conditions, case: Case, text: str, give_up: int = 3) -> tuple[str, ...]:
    """Names of the failed conditions. Cheap checks run first; once `give_up` have failed the rule is neither
    a match nor a near miss, so the text searches are skipped."""
    failed = [key for key, case_attr, allowed in _set_checks(when) if getattr(case, case_attr) not in allowed]
    failed += [f"custom_fields.{name}" for name, allowed in when.custom_fields or ()
               if name not in case.custom_fields or not _value_matches(case.custom_fields[name], allowed)]
    # Unknown business hours (None) match neither "inside" nor "outside".
    if when.business_hours is not None and (
            case.business_hours is None or bool(case.business_hours) != (when.business_hours == "inside")):
        failed.append("business_hours")
    if len(failed) < give_up:
        if when.keywords is not None and not _keyword_found(when.keywords, text):
            failed.append("keywords")
        if when.pattern is not None and _compile(when.pattern).search(text) is None:
            failed.append("pattern")
    if len(failed) < 2:
        return tuple(failed)
    return tuple(sorted(failed, key=lambda n: _CONDITION_ORDER[n.split(".")[0]]))


def _explain(when: Conditions, case: Case, text: str) -> tuple[str, ...]:
    if when.is_catch_all:
        return ("no condition: catch-all",)
    reasons = [f"{words} is {getattr(case, c_attr)} (rule wants {', '.join(_in_order(wanted, codes))})"
               for _, attr, c_attr, words, codes in _SETS if (wanted := getattr(when, attr)) is not None]
    if when.keywords is not None:
        hits = ", ".join(repr(k) for k in when.keywords if _keyword_found((k,), text))
        reasons.append(f"keyword {hits} found in title/description")
    if when.pattern is not None:
        reasons.append(f"pattern {when.pattern!r} found in title/description")
    for name, allowed in when.custom_fields or ():
        wanted = ", ".join(repr(v) for v in allowed)
        reasons.append(f"custom field {name} is {case.custom_fields[name]!r} (rule wants {wanted})")
    if when.business_hours is not None:
        reasons.append(f"case is {when.business_hours} business hours (rule wants {when.business_hours})")
    return tuple(reasons)


def _index(m: Matrix) -> SetIndex:
    index = m.__dict__.get("_index")
    if index is None:
        whens = [rule.when for rule in m.rules]
        other = [w.keywords is not None or w.pattern is not None or bool(w.custom_fields)
                 or w.business_hours is not None for w in whens]
        index = SetIndex(whens, ((attr, case_attr) for _, attr, case_attr, _, _ in _SETS), other)
        object.__setattr__(m, "_index", index)  # a cache, not state: equality ignores it
    return index


def match(m: Matrix, case: Case, *, near_miss_limit: int = 3) -> Decision:
    """The first rule (in precedence order) whose conditions all hold, why it holds, and the nearest
    misses: rules failing one or two conditions, fewest failures first, then in matching order.

    The code-set conditions of every rule are settled at once by the bitset index; only rules with
    at most two such failures, and a text / custom-field / business-hours condition to check, get
    the per-rule check — a rule failing three is neither a match nor a near miss."""
    if near_miss_limit < 0:
        raise ValueError("near_miss_limit must not be negative")
    index = _index(m)
    text = _case_text(case)
    ones, twos, threes = index.failures(case)
    winner: Rule | None = None
    by_count: tuple[list[int], list[int]] = ([], [])  # rule indexes failing one, two conditions
    failed_of: dict[int, tuple[str, ...]] = {}
    for i in bits(index.all & ~threes):
        flag = 1 << i
        if index.other & flag:
            failed = failed_of[i] = _failed(m.rules[i].when, case, text)
            count = len(failed)
        else:
            count = 0 if not ones & flag else (1 if not twos & flag else 2)
        if count == 0:
            if winner is None:
                winner = m.rules[i]
        elif count <= 2 and len(by_count[count - 1]) < near_miss_limit:
            by_count[count - 1].append(i)
        if winner is not None and len(by_count[0]) >= near_miss_limit:
            break  # nothing later can be a nearer miss than the ones already held
    near = []
    for i in (by_count[0] + by_count[1])[:near_miss_limit]:
        rule = m.rules[i]
        failed = failed_of[i] if i in failed_of else _failed(rule.when, case, text)
        near.append(NearMiss(rule.name, rule.precedence, failed))
    if winner is None:
        return Decision(None, ("no rule matched",), tuple(near))
    return Decision(winner, _explain(winner.when, case, text), tuple(near))


def _subsumes(e: Conditions, r: Conditions) -> bool:
    """True when every case matching r also matches e. Text is not reasoned about: only the same keywords,
    the same pattern and the same custom field values count."""
    for attr in _SET_ATTRS:
        ev, rv = getattr(e, attr), getattr(r, attr)
        if ev is not None and (rv is None or not rv <= ev):
            return False
    if e.keywords is not None and (r.keywords is None or not set(r.keywords) <= set(e.keywords)):
        return False
    if (e.pattern is not None and r.pattern != e.pattern) or (
            e.business_hours is not None and r.business_hours != e.business_hours):
        return False
    r_fields = {name: {_value_key(v) for v in values} for name, values in r.custom_fields or ()}
    return all(name in r_fields and r_fields[name] <= {_value_key(v) for v in allowed}
               for name, allowed in e.custom_fields or ())


def _may_overlap(a: Conditions, b: Conditions) -> bool:
    # Keywords, patterns and custom fields are assumed to overlap: proving otherwise would be guessing.
    for attr in _SET_ATTRS:
        av, bv = getattr(a, attr), getattr(b, attr)
        if av is not None and bv is not None and av.isdisjoint(bv):
            return False
    return a.business_hours is None or b.business_hours is None or a.business_hours == b.business_hours


def validate(m: Matrix) -> list[MatrixWarning]:
    """Pairwise checks only: a rule shadowed by several earlier rules together is not reported."""
    warnings: list[MatrixWarning] = []
    shadowed: set[tuple[str, str]] = set()
    for j, later in enumerate(m.rules):
        for earlier in m.rules[:j]:
            if _subsumes(earlier.when, later.when):
                why = "is a catch-all" if earlier.when.is_catch_all else "matches every case it matches"
                warnings.append(MatrixWarning("unreachable", (earlier.name, later.name),
                                              f"rule {later.name!r} can never match: earlier rule "
                                              f"{earlier.name!r} (precedence {earlier.precedence}) {why}"))
                shadowed.add((earlier.name, later.name))
                break
    for precedence, group in groupby(m.rules, key=lambda r: r.precedence):
        tied = list(group)
        for i, first in enumerate(tied):
            for second in tied[i + 1:]:
                if (first.name, second.name) not in shadowed and _may_overlap(first.when, second.when):
                    warnings.append(MatrixWarning(
                        "overlap", (first.name, second.name),
                        f"rules {first.name!r} and {second.name!r} share precedence {precedence} and can "
                        f"match the same case; file order picks {first.name!r}"))
    return warnings
