"""The escalation matrix: parsing and validation, every condition kind, precedence, dry-run explanations,
static checks, and properties against an independent brute-force reference matcher."""

import re
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tierline.routing import matrix as mx
from tierline.routing.matrix import (
    Case,
    Conditions,
    Decision,
    Matrix,
    MatrixError,
    NearMiss,
    Outcome,
    Rule,
    Warning,
    match,
    matrix_from_dict,
    matrix_to_dict,
    validate,
)

SETTINGS = settings(max_examples=150, deadline=None)


def case(**overrides) -> Case:
    fields = dict(type="technical", priority="P3", customer_tier="standard", channel="email",
                  title="Printer on fire", description="")
    fields.update(overrides)
    return Case(**fields)


def rule(name="R", precedence=10, when=None, then=None) -> dict:
    return {"name": name, "precedence": precedence, "when": when or {}, "then": then or {"level": 2}}


def one_rule(when: dict) -> Matrix:
    return matrix_from_dict({"rules": [rule(when=when)]})


# --- every condition kind --------------------------------------------------------------------------------

CONDITION_CASES = [
    # (id, when, case overrides, matches)
    ("type hit", {"type": ["security", "billing"]}, {"type": "billing"}, True),
    ("type miss", {"type": ["security"]}, {"type": "billing"}, False),
    ("type scalar", {"type": "security"}, {"type": "security"}, True),
    ("priority hit", {"priority": ["P1", "P2"]}, {"priority": "P2"}, True),
    ("priority miss", {"priority": ["P1"]}, {"priority": "P2"}, False),
    ("tier hit", {"customer_tier": ["vip", "gold"]}, {"customer_tier": "vip"}, True),
    ("tier miss", {"customer_tier": ["vip"]}, {"customer_tier": "standard"}, False),
    ("no customer never matches a tier", {"customer_tier": ["standard", "gold", "vip"]},
     {"customer_tier": None}, False),
    ("channel hit", {"channel": ["email", "portal"]}, {"channel": "portal"}, True),
    ("channel miss", {"channel": ["phone"]}, {"channel": "chat"}, False),
    ("keyword in title", {"keywords": ["breach"]}, {"title": "Possible breach at depot"}, True),
    ("keyword in description", {"keywords": ["breach"]}, {"description": "we saw a breach"}, True),
    ("keyword ignores case", {"keywords": ["Breach"]}, {"title": "BREACH!"}, True),
    ("keyword is a whole word", {"keywords": ["breach"]}, {"title": "no breaches here"}, False),
    ("keyword not inside a word", {"keywords": ["leak"]}, {"title": "sleaky"}, False),
    ("keyword needs a word start", {"keywords": ["leak"]}, {"title": "bleak outlook"}, False),
    ("keyword needs a word end", {"keywords": ["leak"]}, {"title": "leaky pipe"}, False),
    ("keyword next to punctuation", {"keywords": ["leak"]}, {"title": "(leak)."}, True),
    ("keyword any-of", {"keywords": ["outage", "breach"]}, {"title": "full outage"}, True),
    ("keyword phrase, any whitespace", {"keywords": ["data leak"]}, {"title": "a data\n   leak"}, True),
    ("keyword phrase needs its words together", {"keywords": ["data leak"]}, {"title": "data and leak"},
     False),
    ("keyword across title and description", {"keywords": ["fire alarm"]},
     {"title": "fire", "description": "alarm"}, True),
    ("keyword with non-ASCII letters", {"keywords": ["café"]}, {"title": "CAFÉ closed"}, True),
    ("non-ASCII keyword is a whole word", {"keywords": ["café"]}, {"title": "cafés"}, False),
    ("keyword ending in punctuation", {"keywords": ["c++"]}, {"title": "the C++ build"}, True),
    ("keyword with regex characters is literal", {"keywords": ["a.b"]}, {"title": "axb"}, False),
    ("keyword after the 20,000-character cap", {"keywords": ["breach"]},
     {"title": "x " * 10_000, "description": "breach"}, False),
    ("pattern hit", {"pattern": r"card\s+number"}, {"description": "my card   number leaked"}, True),
    ("pattern ignores case", {"pattern": r"card\s+number"}, {"title": "CARD NUMBER"}, True),
    ("pattern miss", {"pattern": r"card\s+number"}, {"title": "cardnumber"}, False),
    ("pattern anchored at the start of the text", {"pattern": "^urgent"}, {"title": "not urgent"}, False),
    ("pattern after the 20,000-character cap", {"pattern": "needle"},
     {"title": "x" * 19_995, "description": "needle"}, False),
    ("custom field hit", {"custom_fields": {"region": ["EU", "UK"]}}, {"custom_fields": {"region": "UK"}},
     True),
    ("custom field miss", {"custom_fields": {"region": ["EU"]}}, {"custom_fields": {"region": "US"}}, False),
    ("custom field missing", {"custom_fields": {"region": ["EU"]}}, {"custom_fields": {}}, False),
    ("custom field is case-sensitive", {"custom_fields": {"region": ["EU"]}},
     {"custom_fields": {"region": "eu"}}, False),
    ("custom field multi-select", {"custom_fields": {"tags": ["legal"]}},
     {"custom_fields": {"tags": ["press", "legal"]}}, True),
    ("custom field number", {"custom_fields": {"seats": [100, 500]}}, {"custom_fields": {"seats": 500}},
     True),
    ("custom field boolean is not a number", {"custom_fields": {"flag": [1]}},
     {"custom_fields": {"flag": True}}, False),
    ("custom fields: all must hold", {"custom_fields": {"region": ["EU"], "plan": ["pro"]}},
     {"custom_fields": {"region": "EU", "plan": "free"}}, False),
    ("inside business hours", {"business_hours": "inside"}, {"business_hours": True}, True),
    ("outside business hours", {"business_hours": "outside"}, {"business_hours": False}, True),
    ("inside wanted, case outside", {"business_hours": "inside"}, {"business_hours": False}, False),
    ("unknown business hours never match", {"business_hours": "outside"}, {"business_hours": None}, False),
    ("all conditions hold", {"type": ["security"], "priority": ["P1"], "keywords": ["breach"]},
     {"type": "security", "priority": "P1", "title": "breach"}, True),
    ("one condition fails", {"type": ["security"], "priority": ["P1"], "keywords": ["breach"]},
     {"type": "security", "priority": "P2", "title": "breach"}, False),
    ("empty when is a catch-all", {}, {"type": "workforce", "customer_tier": None}, True),
]


@pytest.mark.parametrize("when, overrides, matches", [c[1:] for c in CONDITION_CASES],
                         ids=[c[0] for c in CONDITION_CASES])
def test_each_condition_kind(when, overrides, matches):
    decision = match(one_rule(when), case(**overrides))
    assert (decision.rule is not None) is matches, decision


PRECEDENCE_CASES = [
    # (id, [(name, precedence, when)], case overrides, expected winner)
    ("lower precedence wins although listed later",
     [("Broad", 50, {}), ("Security", 10, {"type": ["security"]})], {"type": "security"}, "Security"),
    ("listed first but higher precedence loses",
     [("Late", 30, {"priority": ["P1"]}), ("Early", 20, {"priority": ["P1"]})], {"priority": "P1"}, "Early"),
    ("equal precedence: file order decides",
     [("First", 10, {"priority": ["P1"]}), ("Second", 10, {"priority": ["P1"]})], {"priority": "P1"},
     "First"),
    ("equal precedence: the first that matches",
     [("First", 10, {"priority": ["P2"]}), ("Second", 10, {"priority": ["P1"]})], {"priority": "P1"},
     "Second"),
    ("non-matching better rule is skipped",
     [("VIP", 1, {"customer_tier": ["vip"]}), ("Rest", 99, {})], {"customer_tier": "gold"}, "Rest"),
    ("negative precedence comes first", [("Zero", 0, {}), ("Minus", -5, {})], {}, "Minus"),
    ("nothing matches", [("VIP", 1, {"customer_tier": ["vip"]})], {"customer_tier": "gold"}, None),
]


@pytest.mark.parametrize("rules, overrides, winner", [c[1:] for c in PRECEDENCE_CASES],
                         ids=[c[0] for c in PRECEDENCE_CASES])
def test_precedence(rules, overrides, winner):
    m = matrix_from_dict({"rules": [rule(name, p, when) for name, p, when in rules]})
    decision = match(m, case(**overrides))
    assert (decision.rule.name if decision.rule else None) == winner


def test_matrix_keeps_rules_in_precedence_then_file_order():
    m = matrix_from_dict({"rules": [rule("C", 30), rule("A", 10), rule("B", 30), rule("D", 5)]})
    assert [(r.name, r.precedence, r.position) for r in m.rules] == [
        ("D", 5, 3), ("A", 10, 1), ("C", 30, 0), ("B", 30, 2)]
    rebuilt = Matrix(tuple(reversed(m.rules)))
    assert rebuilt == m


# --- explanations ----------------------------------------------------------------------------------------


def test_reasons_explain_every_condition_of_the_winner():
    m = one_rule({"type": ["security"], "priority": ["P2", "P1"], "customer_tier": "vip",
                  "channel": ["email"], "keywords": ["breach", "data leak"], "pattern": r"card\s+number",
                  "custom_fields": {"region": ["EU", "UK"]}, "business_hours": "outside"})
    decision = match(m, case(type="security", priority="P1", customer_tier="vip", title="Data leak",
                             description="card number visible", custom_fields={"region": "EU"},
                             business_hours=False))
    assert decision.reasons == (
        "type is security (rule wants security)",
        "priority is P1 (rule wants P1, P2)",
        "customer tier is vip (rule wants vip)",
        "channel is email (rule wants email)",
        "keyword 'data leak' found in title/description",
        "pattern 'card\\\\s+number' found in title/description",
        "custom field region is 'EU' (rule wants 'EU', 'UK')",
        "case is outside business hours (rule wants outside)",
    )


def test_catch_all_reason_and_no_match_reason():
    assert match(one_rule({}), case()).reasons == ("no condition: catch-all",)
    decision = match(one_rule({"type": ["security"]}), case())
    assert decision == Decision(None, ("no rule matched",), (NearMiss("R", 10, ("type",)),))


def test_near_misses_fewest_failures_first_then_match_order():
    m = matrix_from_dict({"rules": [
        rule("Two off", 1, {"type": ["security"], "priority": ["P1"], "channel": ["email"]}),
        rule("Three off", 2, {"type": ["security"], "priority": ["P1"], "customer_tier": ["vip"]}),
        rule("One off late", 9, {"type": ["security"]}),
        rule("One off", 3, {"priority": ["P1"], "channel": ["email"]}),
        rule("Winner", 5, {"channel": ["email"]}),
        rule("Shadowed", 7, {"channel": ["email"]}),
    ]})
    decision = match(m, case(type="billing", priority="P3", customer_tier="gold", channel="email"))
    assert decision.rule.name == "Winner"
    assert decision.near_misses == (
        NearMiss("One off", 3, ("priority",)),
        NearMiss("One off late", 9, ("type",)),
        NearMiss("Two off", 1, ("type", "priority")),
    )
    assert match(m, case(type="billing", channel="email"), near_miss_limit=1).near_misses == (
        NearMiss("One off", 3, ("priority",)),)
    assert match(m, case(type="billing", channel="email"), near_miss_limit=0).near_misses == ()


def test_near_miss_names_the_failed_text_and_custom_field_conditions():
    m = one_rule({"keywords": ["breach"], "pattern": "card", "custom_fields": {"region": ["EU"]}})
    decision = match(m, case(title="card", custom_fields={"region": "US"}))
    assert decision.near_misses == (NearMiss("R", 10, ("keywords", "custom_fields.region")),)


def test_pathological_pattern_runs_in_linear_time():
    # Catastrophic for a backtracking engine; RE2 answers at once. No timing assertion: a hang is the failure.
    m = one_rule({"pattern": "(a+)+$"})
    assert match(m, case(title="a" * 20_000 + "b")).rule is not None  # the cap cuts the "b" off
    assert match(m, case(title="a" * 19_000 + "b")).rule is None
    assert match(m, case(title="a" * 19_000 + "b", description="b" + "a" * 30_000)).rule is not None


def test_lone_surrogate_in_case_text_does_not_crash():
    assert match(one_rule({"keywords": ["breach"]}), case(title="breach \ud800")).rule is not None


# --- parsing and validation ------------------------------------------------------------------------------

VALID = {"rules": [
    rule("Security incidents", 10, {"type": ["security"], "priority": ["P1", "P2"]},
         {"team": "Security response", "level": 4, "notify": ["role:manager"], "trigger": "priority_based"}),
    rule("Catch-all", 1000, {}, {"team": "Frontline"}),
]}


def bad(path, value):
    """VALID with one value replaced (value None deletes the key)."""
    d = {"rules": [dict(r, when=dict(r["when"]), then=dict(r["then"])) for r in VALID["rules"]]}
    *parents, last = path
    target = d
    for p in parents:
        target = target[p]
    if value is None:
        del target[last]
    else:
        target[last] = value
    return d


ERROR_CASES = [
    # (id, document, error path, words in the message)
    ("not a mapping", ["rules"], "(root)", "must be a mapping"),
    ("unknown top-level key", {"rules": [], "rule": []}, "rule", "unknown key 'rule'"),
    ("missing rules", {}, "rules", "missing required key 'rules'"),
    ("rules not a list", {"rules": {"a": 1}}, "rules", "must be a list"),
    ("too many rules", {"rules": [rule(f"r{i}", i) for i in range(1001)]}, "rules", "at most 1000"),
    ("rule not a mapping", {"rules": ["x"]}, "rules[0]", "must be a mapping"),
    ("unknown rule key", bad(["rules", 1, "prio"], 3), "rules[1].prio", "unknown key 'prio'"),
    ("unknown when key", bad(["rules", 0, "when", "tier"], ["vip"]), "rules[0].when.tier",
     "unknown key 'tier'"),
    ("unknown then key", bad(["rules", 0, "then", "queue"], "x"), "rules[0].then.queue",
     "unknown key 'queue'"),
    ("missing name", bad(["rules", 1, "name"], None), "rules[1].name", "missing required key 'name'"),
    ("missing precedence", bad(["rules", 1, "precedence"], None), "rules[1].precedence", "missing required"),
    ("missing then", bad(["rules", 1, "then"], None), "rules[1].then", "missing required"),
    ("blank name", bad(["rules", 1, "name"], "  "), "rules[1].name", "non-empty text"),
    ("name is a number", bad(["rules", 1, "name"], 7), "rules[1].name", "non-empty text"),
    ("name with a control character", bad(["rules", 1, "name"], "a\x00b"), "rules[1].name", "control"),
    ("duplicate name ignoring case", bad(["rules", 1, "name"], "SECURITY incidents "), "rules[1].name",
     "duplicate rule name"),
    ("precedence as text", bad(["rules", 0, "precedence"], "10"), "rules[0].precedence", "whole number"),
    ("precedence as boolean", bad(["rules", 0, "precedence"], True), "rules[0].precedence", "whole number"),
    ("unknown type", bad(["rules", 0, "when", "type"], ["securty"]), "rules[0].when.type[0]", "unknown type"),
    ("unknown priority", bad(["rules", 0, "when", "priority"], ["P1", "P9"]), "rules[0].when.priority[1]",
     "unknown priority 'P9'"),
    ("unknown priority scalar", bad(["rules", 0, "when", "priority"], "P0"), "rules[0].when.priority",
     "unknown priority 'P0'"),
    ("priority as number", bad(["rules", 0, "when", "priority"], [1]), "rules[0].when.priority[0]",
     "unknown"),
    ("unknown tier", bad(["rules", 0, "when", "customer_tier"], ["platinum"]),
     "rules[0].when.customer_tier[0]", "unknown customer tier"),
    ("unknown channel", bad(["rules", 0, "when", "channel"], ["fax"]), "rules[0].when.channel[0]",
     "unknown channel"),
    ("empty list", bad(["rules", 0, "when", "channel"], []), "rules[0].when.channel", "empty list"),
    ("when not a mapping", bad(["rules", 0, "when"], ["security"]), "rules[0].when", "must be a mapping"),
    ("too many keywords", bad(["rules", 0, "when", "keywords"], [f"k{i}" for i in range(51)]),
     "rules[0].when.keywords", "more than 50"),
    ("keyword too long", bad(["rules", 0, "when", "keywords"], ["ok", "k" * 101]),
     "rules[0].when.keywords[1]", "longer than 100"),
    ("keyword blank", bad(["rules", 0, "when", "keywords"], [""]), "rules[0].when.keywords[0]", "non-empty"),
    ("pattern RE2 refuses", bad(["rules", 0, "when", "pattern"], "(?<=card)number"), "rules[0].when.pattern",
     "invalid pattern"),
    ("pattern with a backreference", bad(["rules", 0, "when", "pattern"], r"(a)\1"), "rules[0].when.pattern",
     "invalid pattern"),
    ("pattern too long", bad(["rules", 0, "when", "pattern"], "a" * 501), "rules[0].when.pattern", "500"),
    ("pattern not text", bad(["rules", 0, "when", "pattern"], 5), "rules[0].when.pattern", "text"),
    ("custom fields not a mapping", bad(["rules", 0, "when", "custom_fields"], ["region"]),
     "rules[0].when.custom_fields", "must be a mapping"),
    ("custom fields empty", bad(["rules", 0, "when", "custom_fields"], {}), "rules[0].when.custom_fields",
     "at least|1 to"),
    ("custom field bad name", bad(["rules", 0, "when", "custom_fields"], {"a b": ["x"]}),
     "rules[0].when.custom_fields.a b", "bad custom field name"),
    ("custom field float value", bad(["rules", 0, "when", "custom_fields"], {"score": [0.5]}),
     "rules[0].when.custom_fields.score[0]", "whole numbers"),
    ("business hours unknown", bad(["rules", 0, "when", "business_hours"], "weekend"),
     "rules[0].when.business_hours", "unknown business_hours"),
    ("business hours boolean", bad(["rules", 0, "when", "business_hours"], True),
     "rules[0].when.business_hours", "unknown"),
    ("level 0", bad(["rules", 0, "then", "level"], 0), "rules[0].then.level", "1 to 5"),
    ("level 6", bad(["rules", 0, "then", "level"], 6), "rules[0].then.level", "1 to 5"),
    ("level as text", bad(["rules", 0, "then", "level"], "3"), "rules[0].then.level", "1 to 5"),
    ("neither team nor level", bad(["rules", 1, "then"], {"priority": "P1"}), "rules[1].then",
     "team or a level"),
    ("then not a mapping", bad(["rules", 1, "then"], "Frontline"), "rules[1].then", "must be a mapping"),
    ("outcome priority unknown", bad(["rules", 0, "then", "priority"], "P5"), "rules[0].then.priority",
     "unknown priority"),
    ("blank team", bad(["rules", 0, "then", "team"], ""), "rules[0].then.team", "non-empty"),
    ("unknown role", bad(["rules", 0, "then", "notify"], ["role:boss"]), "rules[0].then.notify[0]",
     "bad notify entry"),
    ("notify without a kind", bad(["rules", 0, "then", "notify"], ["owner", "manager"]),
     "rules[0].then.notify[1]", "bad notify entry"),
    ("notify empty team", bad(["rules", 0, "then", "notify"], ["team:"]), "rules[0].then.notify[0]",
     "bad notify"),
    ("notify bad username", bad(["rules", 0, "then", "notify"], ["user:a b"]), "rules[0].then.notify[0]",
     "bad notify"),
    ("require unknown", bad(["rules", 0, "then", "require"], ["approval"]), "rules[0].then.require[0]",
     "cannot require"),
    ("require bad custom field", bad(["rules", 0, "then", "require"], ["custom_fields."]),
     "rules[0].then.require[0]", "cannot require"),
    ("unknown trigger", bad(["rules", 0, "then", "trigger"], "time_based"), "rules[0].then.trigger",
     "unknown trigger"),
]


@pytest.mark.parametrize("document, path, words", [c[1:] for c in ERROR_CASES],
                         ids=[c[0] for c in ERROR_CASES])
def test_invalid_matrices_name_the_path(document, path, words):
    with pytest.raises(MatrixError) as raised:
        matrix_from_dict(document)
    assert raised.value.path == path
    assert re.search(words, raised.value.message), raised.value.message
    assert str(raised.value) == f"{path}: {raised.value.message}"


def test_valid_matrix_parses_to_the_documented_shape():
    m = matrix_from_dict({"rules": [rule("Sec", 10, {
        "type": "security", "keywords": ["breach", "data leak", "breach"], "pattern": r"card\s+number",
        "custom_fields": {"region": ["EU", "UK"], "flag": [True, 1]}, "business_hours": "outside"}, {
        "team": " Security response ", "level": 4, "priority": "P1", "sla_policy": "Security P1",
        "notify": ["role:manager", "team: Executive office", "user:ana.m", "owner", "team_lead", "owner"],
        "require": ["description", "custom_fields.region"], "trigger": "priority_based"})]})
    assert m.rules == (Rule("Sec", 10, 0, Conditions(
        types=frozenset({"security"}), keywords=("breach", "data leak"), pattern=r"card\s+number",
        custom_fields=(("flag", (True, 1)), ("region", ("EU", "UK"))), business_hours="outside"), Outcome(
        team="Security response", level=4, priority="P1", sla_policy="Security P1",
        notify=("role:manager", "team:Executive office", "user:ana.m", "owner", "team_lead"),
        require=("description", "custom_fields.region"), trigger="priority_based")),)


def test_limits_are_inclusive():
    matrix_from_dict({"rules": [rule(f"r{i}", i) for i in range(1000)]})
    matrix_from_dict({"rules": [rule(when={"keywords": [f"k{i}" for i in range(49)] + ["k" * 100],
                                           "pattern": "a" * 500})]})


def test_codes_match_the_django_choices():
    from tierline.escalations.choices import Channel, EscalationType, Priority, Trigger
    from tierline.tenancy.choices import CustomerTier, Role

    assert mx.TYPES == tuple(EscalationType.values)
    assert mx.PRIORITIES == tuple(Priority.values)
    assert mx.CHANNELS == tuple(Channel.values)
    assert mx.TIERS == tuple(CustomerTier.values)
    assert mx.ROLES == tuple(Role.values)
    assert set(mx.TRIGGERS) <= set(Trigger.values)


def test_modules_do_not_import_django():
    code = ("import sys, tierline.routing.matrix, tierline.routing.matrix_yaml; "
            "sys.exit(any(m == 'django' or m.startswith('django.') for m in sys.modules))")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


# --- validate() ------------------------------------------------------------------------------------------


def warnings_of(*rules) -> list[tuple[str, tuple[str, ...]]]:
    return [(w.code, w.rules) for w in validate(matrix_from_dict({"rules": list(rules)}))]


def test_rules_after_a_catch_all_are_unreachable():
    found = validate(matrix_from_dict({"rules": [
        rule("Everything", 50, {}), rule("VIP", 60, {"customer_tier": ["vip"]}), rule("Also all", 70, {})]}))
    assert [(w.code, w.rules) for w in found] == [
        ("unreachable", ("Everything", "VIP")), ("unreachable", ("Everything", "Also all"))]
    assert all(isinstance(w, Warning) for w in found)
    assert "can never match" in found[0].message and "catch-all" in found[0].message


def test_subsumed_rule_is_unreachable():
    assert warnings_of(
        rule("Urgent", 10, {"priority": ["P1", "P2"], "keywords": ["breach", "leak"]}),
        rule("Critical", 20, {"priority": ["P1"], "channel": ["email"], "keywords": ["leak"]}),
    ) == [("unreachable", ("Urgent", "Critical"))]


@pytest.mark.parametrize("earlier, later", [
    ({"priority": ["P1"]}, {"priority": ["P1", "P2"]}),  # later is wider
    ({"channel": ["email"]}, {"priority": ["P1"]}),  # later lacks the earlier condition
    ({"keywords": ["breach"]}, {"keywords": ["breach", "leak"]}),
    ({"pattern": "card"}, {"pattern": "card number"}),  # patterns are not reasoned about
    ({"custom_fields": {"region": ["EU"]}}, {"custom_fields": {"region": ["EU", "UK"]}}),
    ({"custom_fields": {"region": ["EU"]}}, {"custom_fields": {"plan": ["pro"]}}),
    ({"business_hours": "inside"}, {"business_hours": "outside"}),
    ({"business_hours": "inside"}, {}),
])
def test_not_subsumed_is_not_unreachable(earlier, later):
    assert warnings_of(rule("E", 10, earlier), rule("L", 20, later)) == []


@pytest.mark.parametrize("earlier, later", [
    ({"keywords": ["breach", "leak"]}, {"keywords": ["leak"], "type": ["security"]}),
    ({"pattern": "card"}, {"pattern": "card", "priority": ["P1"]}),
    ({"custom_fields": {"region": ["EU", "UK"]}}, {"custom_fields": {"region": ["UK"], "plan": ["pro"]}}),
    ({"business_hours": "outside"}, {"business_hours": "outside", "channel": ["chat"]}),
])
def test_same_text_and_field_conditions_are_subsumed(earlier, later):
    assert warnings_of(rule("E", 10, earlier), rule("L", 20, later)) == [("unreachable", ("E", "L"))]


def test_equal_precedence_overlap_is_reported():
    found = validate(matrix_from_dict({"rules": [
        rule("Email P1", 10, {"channel": ["email"], "priority": ["P1"]}),
        rule("VIP", 10, {"customer_tier": ["vip"], "keywords": ["refund"]}),
    ]}))
    assert [(w.code, w.rules) for w in found] == [("overlap", ("Email P1", "VIP"))]
    assert "precedence 10" in found[0].message


def test_disjoint_equal_precedence_rules_are_not_reported():
    assert warnings_of(
        rule("Email", 10, {"channel": ["email"], "keywords": ["refund"]}),
        rule("Phone", 10, {"channel": ["phone"], "keywords": ["refund"]}),
        rule("Inside", 20, {"business_hours": "inside"}),
        rule("Outside", 20, {"business_hours": "outside"}),
    ) == []


def test_overlap_only_within_equal_precedence_and_unreachable_not_doubled():
    assert warnings_of(
        rule("A", 10, {"channel": ["email"]}), rule("B", 11, {"priority": ["P1"]}),
        rule("C", 11, {"priority": ["P1"], "channel": ["chat"]}),
    ) == [("unreachable", ("B", "C"))]


# --- properties ------------------------------------------------------------------------------------------

WORDS = ["breach", "outage", "refund", "data", "leak", "card", "number", "urgent", "café", "vip", "ceo"]
KEYWORDS = ["breach", "outage", "refund", "data leak", "card", "urgent", "café", "Ceo"]
PATTERNS = [r"card\s+number", "refund|chargeback", "^urgent", "out(age)?", r"\bceo\b", "[0-9]{3}"]
FIELD_VALUES = {"region": ["EU", "UK", "US"], "flag": [True, False, 1, 0]}


def codes(values):
    return st.lists(st.sampled_from(values), min_size=1, max_size=3, unique=True)


when_dicts = st.fixed_dictionaries({}, optional={
    "type": codes(["security", "billing", "technical", "executive"]),
    "priority": codes(mx.PRIORITIES),
    "customer_tier": codes(mx.TIERS),
    "channel": codes(["email", "phone", "chat"]),
    "keywords": st.lists(st.sampled_from(KEYWORDS), min_size=1, max_size=3, unique=True),
    "pattern": st.sampled_from(PATTERNS),
    "custom_fields": st.lists(st.sampled_from(sorted(FIELD_VALUES)), min_size=1, unique=True).flatmap(
        lambda names: st.fixed_dictionaries({k: codes(FIELD_VALUES[k]) for k in names})),
    "business_hours": st.sampled_from(["inside", "outside"]),
})
then_dicts = st.fixed_dictionaries({}, optional={
    "team": st.sampled_from(["Security response", "Billing L2", "Frontline"]),
    "priority": st.sampled_from(mx.PRIORITIES),
    "sla_policy": st.just("Standard"),
    "notify": st.lists(st.sampled_from(["role:manager", "team:Executive office", "user:ana", "owner",
                                        "team_lead"]), min_size=1, max_size=3, unique=True),
    "require": st.lists(st.sampled_from(["customer", "root_cause", "custom_fields.region"]), min_size=1,
                        unique=True),
    "trigger": st.sampled_from(mx.TRIGGERS),
}).flatmap(lambda d: st.one_of(st.just(d), st.integers(1, 5).map(lambda level: {**d, "level": level}))
           if "team" in d else st.integers(1, 5).map(lambda level: {**d, "level": level}))


@st.composite
def rule_lists(draw, distinct_precedence=False, max_size=8):
    whens = draw(st.lists(when_dicts, max_size=max_size))
    if distinct_precedence:
        values = st.integers(-50, 50)
    else:
        values = st.integers(0, 4)  # few values, so equal precedences are common
    precedences = draw(st.lists(values, min_size=len(whens), max_size=len(whens), unique=distinct_precedence))
    return [{"name": f"rule {i}", "precedence": p, "when": w, "then": draw(then_dicts)}
            for i, (p, w) in enumerate(zip(precedences, whens, strict=True))]


separated_words = st.tuples(st.sampled_from(WORDS + ["123", "chargeback", "cardnumber"]),
                            st.sampled_from([" ", "  ", "\n", ", ", "-"]))
texts = st.lists(separated_words, max_size=6).map(lambda pairs: "".join(w + sep for w, sep in pairs))
cases = st.builds(
    Case, type=st.sampled_from(["security", "billing", "technical", "executive"]),
    priority=st.sampled_from(mx.PRIORITIES), customer_tier=st.sampled_from([None, *mx.TIERS]),
    channel=st.sampled_from(["email", "phone", "chat"]), title=texts, description=texts,
    custom_fields=st.fixed_dictionaries({}, optional={
        k: st.sampled_from(v) for k, v in FIELD_VALUES.items()}),
    business_hours=st.sampled_from([None, True, False]))


def reference_failures(when: dict, c: Case) -> set[str]:
    """An independent statement of the matching rules, using Python's re on these tame patterns."""
    text = (c.title + "\n" + c.description)[:20_000]
    failed = set()
    for key, value in (("type", c.type), ("priority", c.priority), ("customer_tier", c.customer_tier),
                       ("channel", c.channel)):
        if key in when and value not in when[key]:
            failed.add(key)
    if "keywords" in when and not any(
            re.search(r"(?<!\w)" + r"\s+".join(map(re.escape, k.split())) + r"(?!\w)", text, re.IGNORECASE)
            for k in when["keywords"]):
        failed.add("keywords")
    if "pattern" in when and not re.search(when["pattern"], text, re.IGNORECASE):
        failed.add("pattern")
    for name, allowed in when.get("custom_fields", {}).items():
        if name not in c.custom_fields or not any(
                type(c.custom_fields[name]) is type(a) and c.custom_fields[name] == a for a in allowed):
            failed.add(f"custom_fields.{name}")
    hours = when.get("business_hours")
    if hours is not None and (c.business_hours is None or c.business_hours != (hours == "inside")):
        failed.add("business_hours")
    return failed


@SETTINGS
@given(rule_lists(), cases)
def test_winner_is_the_first_matching_rule_in_precedence_order(rules, c):
    order = sorted(range(len(rules)), key=lambda i: (rules[i]["precedence"], i))
    failures = {i: reference_failures(rules[i]["when"], c) for i in order}
    expected = next((rules[i]["name"] for i in order if not failures[i]), None)
    decision = match(matrix_from_dict({"rules": rules}), c, near_miss_limit=len(rules))
    assert (decision.rule.name if decision.rule else None) == expected
    expected_misses = sorted(((len(failures[i]), rules[i]["name"], failures[i]) for i in order
                              if 1 <= len(failures[i]) <= 2), key=lambda t: t[0])
    assert [(len(n.failed), n.rule, set(n.failed)) for n in decision.near_misses] == expected_misses


@SETTINGS
@given(rule_lists(distinct_precedence=True), cases, st.randoms(use_true_random=False))
def test_match_is_deterministic_and_ignores_input_order_when_precedences_differ(rules, c, rnd):
    shuffled = list(rules)
    rnd.shuffle(shuffled)
    first, again = match(matrix_from_dict({"rules": rules}), c), match(matrix_from_dict({"rules": rules}), c)
    other = match(matrix_from_dict({"rules": shuffled}), c)
    assert first == again

    def summary(d: Decision):
        return (d.rule and (d.rule.name, d.rule.when, d.rule.then), d.reasons, d.near_misses)

    assert summary(first) == summary(other)


@SETTINGS
@given(rule_lists(), cases)
def test_a_final_catch_all_matches_every_case(rules, c):
    rules = rules + [{"name": "Everything else", "precedence": 1000, "when": {},
                      "then": {"team": "Frontline"}}]
    assert match(matrix_from_dict({"rules": rules}), c).rule is not None


@SETTINGS
@given(rule_lists())
def test_dict_round_trip(rules):
    m = matrix_from_dict({"rules": rules})
    assert matrix_from_dict(matrix_to_dict(m)) == m
    assert matrix_to_dict(matrix_from_dict(matrix_to_dict(m))) == matrix_to_dict(m)


@SETTINGS
@given(rule_lists(), cases)
def test_unreachable_rules_never_win(rules, c):
    m = matrix_from_dict({"rules": rules})
    dead = {w.rules[1] for w in validate(m) if w.code == "unreachable"}
    decision = match(m, c)
    assert decision.rule is None or decision.rule.name not in dead


@pytest.mark.parametrize("keyword, text, found", [
    ("refund", "x_refund", False), ("refund", "1refund", False), ("refund", "refunded", False),
    ("refund", "a REFUND!", True), ("café", "Le CAFÉ est fermé", True), ("zürich", "zürichsee", False),
    ("c++", "I like c++ a lot", True), ("data leak", "a data \n leak here", True),
])
def test_keyword_edges_table(keyword, text, found):
    from tierline.routing.matrix import _keyword_found

    assert _keyword_found((keyword,), text) is found


@SETTINGS
@given(rule_lists(), cases, st.integers(min_value=0, max_value=3))
def test_a_short_near_miss_list_is_the_head_of_the_full_one(rules, c, limit):
    # The matcher stops early once a winner and enough near misses are known; what it returns must be
    # exactly what checking every rule would have given, cut to the limit.
    m = matrix_from_dict({"rules": rules})
    full = match(m, c, near_miss_limit=len(rules))
    short = match(m, c, near_miss_limit=limit)
    assert short.rule == full.rule and short.reasons == full.reasons
    assert short.near_misses == full.near_misses[:limit]
