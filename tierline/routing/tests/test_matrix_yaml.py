"""The YAML front end: the documented example loads, every error carries the line and column an admin can jump
to, hostile documents are refused, and dumping is stable and round-trips."""

import re
import textwrap

import pytest
import re2
from hypothesis import given, settings
from hypothesis import strategies as st

from tierline.routing import matrix as mx
from tierline.routing.matrix import Case, match, matrix_from_dict
from tierline.routing.matrix_yaml import MAX_BYTES, MatrixYamlError, dump_matrix_yaml, load_matrix_yaml

EXAMPLE = textwrap.dedent("""\
    rules:
      - name: Security incidents       # required, unique (case-insensitive) within the matrix
        precedence: 10
        when:
          type: [security]
          priority: [P1, P2]
          customer_tier: [vip]
          channel: [email, portal]
          keywords: [breach, "data leak"]
          pattern: "card\\\\s+number"
          custom_fields: {region: [EU, UK]}
          business_hours: outside
        then:
          team: Security response
          level: 4
          priority: P1
          sla_policy: Security P1
          notify: ["role:manager", "team:Executive office"]
          require: [description]
          trigger: priority_based
      - name: VIP customers
        precedence: 20
        when:
          customer_tier: vip
        then: {team: Account management, level: 3}
      - name: Everything else
        precedence: 1000
        when: {}
        then:
          team: Frontline
""")


def error_of(text: str) -> MatrixYamlError:
    with pytest.raises(MatrixYamlError) as raised:
        load_matrix_yaml(text)
    return raised.value


def position(text: str, needle: str, occurrence: int = 1) -> tuple[int, int]:
    """1-based line and column of the n-th occurrence of needle, so tests do not hard-code counts."""
    index = -1
    for _ in range(occurrence):
        index = text.index(needle, index + 1)
    before = text[:index]
    return before.count("\n") + 1, index - (before.rfind("\n") + 1) + 1


def test_the_documented_example_loads():
    m = load_matrix_yaml(EXAMPLE)
    assert [r.name for r in m.rules] == ["Security incidents", "VIP customers", "Everything else"]
    first = m.rules[0]
    assert first.when.pattern == r"card\s+number"
    assert first.when.custom_fields == (("region", ("EU", "UK")),)
    assert first.then.notify == ("role:manager", "team:Executive office")
    assert m.rules[1].when.customer_tiers == frozenset({"vip"})
    decision = match(m, Case(type="security", priority="P1", customer_tier="vip", channel="email",
                             title="Data leak: card number visible", custom_fields={"region": "EU"},
                             business_hours=False))
    assert decision.rule.then.team == "Security response"


# --- errors point at the offending node -----------------------------------------------------------------


@pytest.mark.parametrize("text, needle, words", [
    ("rules:\n  - name: A\n    precedence: 10: x\n", ": x", "mapping values are not allowed"),
    ("rules:\n  - name: 'A\n    precedence: 10\n", None, "while scanning a quoted scalar"),
    ("rules: [\n  {name: A, precedence: 1\n", None, "expected ',' or '}'|expected"),
    ("rules:\n  - name: A\n\tprecedence: 10\n", "\t", "cannot start any token"),
])
def test_yaml_syntax_errors_give_line_and_column(text, needle, words):
    error = error_of(text)
    assert re.search(words, error.message), error.message
    if needle is not None:
        assert (error.line, error.column) == position(text, needle)
    assert str(error) == f"line {error.line}, column {error.column}: {error.message}"


def test_syntax_error_position_is_exact():
    error = error_of("rules:\n  - name: A\n    precedence: 10: x\n")
    assert (error.line, error.column) == (3, 19)


def test_unknown_priority_in_the_third_rule_points_at_the_value():
    text = EXAMPLE.replace("    when: {}\n", "    when:\n      priority: [P9]\n")
    error = error_of(text)
    assert (error.line, error.column) == position(text, "P9")
    assert "rules[2].when.priority[0]" in error.message and "unknown priority 'P9'" in error.message


def test_unknown_priority_as_a_scalar_points_at_the_value():
    text = EXAMPLE.replace("customer_tier: vip", "customer_tier: vip\n      priority: P9")
    error = error_of(text)
    assert (error.line, error.column) == position(text, "P9")
    assert error.message.startswith("rules[1].when.priority: unknown priority 'P9'")


def test_second_item_of_a_list_is_located():
    text = EXAMPLE.replace("channel: [email, portal]", "channel: [email, fax]")
    assert (error_of(text).line, error_of(text).column) == position(text, "fax")


def test_unknown_key_names_the_key_and_its_line():
    text = EXAMPLE.replace("sla_policy: Security P1", "sla_polcy: Security P1")
    error = error_of(text)
    assert (error.line, error.column) == position(text, "sla_polcy")
    assert "unknown key 'sla_polcy'" in error.message


def test_unknown_top_level_key():
    text = "rules: []\nversion: 2\n"
    assert (error_of(text).line, error_of(text).column) == (2, 1)
    assert "unknown key 'version'" in error_of(text).message


def test_missing_key_falls_back_to_the_enclosing_rule():
    text = EXAMPLE.replace("  - name: VIP customers\n    precedence: 20\n", "  - name: VIP customers\n")
    error = error_of(text)
    assert (error.line, error.column) == position(text, "name: VIP customers")
    assert "rules[1].precedence: missing required key 'precedence'" in error.message


def test_then_without_team_or_level_points_at_then():
    text = EXAMPLE.replace("then: {team: Account management, level: 3}", "then: {priority: P2}")
    assert (error_of(text).line, error_of(text).column) == position(text, "{priority: P2}")


def test_duplicate_rule_name_points_at_the_second_name():
    text = EXAMPLE.replace("name: VIP customers", "name: security INCIDENTS")
    assert (error_of(text).line, error_of(text).column) == position(text, "security INCIDENTS")
    assert "duplicate rule name" in error_of(text).message


def test_bad_pattern_points_at_the_pattern():
    text = EXAMPLE.replace('"card\\\\s+number"', '"(?<=card)number"')
    error = error_of(text)
    assert (error.line, error.column) == position(text, '"(?<=card)')
    assert "invalid pattern" in error.message


def test_wrong_type_points_at_the_value():
    text = EXAMPLE.replace("level: 4", "level: four")
    assert (error_of(text).line, error_of(text).column) == position(text, "four")


def test_duplicate_yaml_key_is_refused():
    text = "rules:\n  - name: A\n    precedence: 1\n    precedence: 2\n    then: {level: 1}\n"
    error = error_of(text)
    assert (error.line, error.column) == position(text, "precedence", 2)
    assert "duplicate key 'precedence'" in error.message


@pytest.mark.parametrize("text, words", [
    ("", "must be a mapping"),
    ("# only a comment\n", "must be a mapping"),
    ("- rules\n", "must be a mapping"),
    ("rules: []\n---\nrules: []\n", "single document"),
])
def test_empty_or_odd_documents(text, words):
    assert words in error_of(text).message


def test_python_tags_are_refused():
    text = "rules:\n  - !!python/object/apply:os.system [echo hi]\n"
    error = error_of(text)
    assert error.line == 2 and "python/object/apply" in error.message


# --- hostile documents ---------------------------------------------------------------------------------


def test_any_alias_is_refused():
    text = "rules:\n  - &r {name: A, precedence: 1, then: {level: 1}}\n  - *r\n"
    error = error_of(text)
    assert (error.line, error.column) == position(text, "&r")
    assert "aliases" in error.message


def test_alias_bomb_is_refused_at_the_first_anchor():
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 12)]
    error = error_of("\n".join(lines) + "\n")
    assert (error.line, error.column) == (1, 5)


def test_alias_without_anchor_is_refused():
    text = "rules:\n  - *nothing\n"
    assert (error_of(text).line, error_of(text).column) == position(text, "*nothing")


def test_document_over_one_megabyte_is_refused():
    text = "rules: []\n" + "#" * MAX_BYTES
    assert "larger than" in error_of(text).message
    multibyte = "rules: []\n#" + "é" * (MAX_BYTES // 2)
    assert "larger than" in error_of(multibyte).message


def test_deep_nesting_is_refused():
    assert "nested" in error_of("rules: " + "[" * 10_000 + "]" * 10_000).message


def test_control_characters_are_located():
    text = "rules:\n  - name: A\x07\n"
    assert (error_of(text).line, error_of(text).column) == (2, 12)


def test_non_text_input_is_a_type_error():
    with pytest.raises(TypeError):
        load_matrix_yaml(b"rules: []")


# --- dumping --------------------------------------------------------------------------------------------


def test_dump_is_readable_and_in_a_stable_key_order():
    m = matrix_from_dict({"rules": [
        {"then": {"trigger": "priority_based", "level": 4, "team": "Security response"},
         "when": {"priority": ["P2", "P1"], "type": "security"}, "precedence": 10, "name": "Security"},
        {"name": "Rest", "precedence": 99, "then": {"team": "Frontline"}},
    ]})
    assert dump_matrix_yaml(m) == textwrap.dedent("""\
        # Escalation matrix. Rules are tried by precedence (lower first), then in file order;
        # the first rule whose every condition holds decides where the case goes.
        rules:
          - name: Security
            precedence: 10
            when:
              type: [security]
              priority: [P1, P2]
            then:
              team: Security response
              level: 4
              trigger: priority_based

          - name: Rest
            precedence: 99
            when: {}
            then:
              team: Frontline
        """)
    assert dump_matrix_yaml(load_matrix_yaml(dump_matrix_yaml(m))) == dump_matrix_yaml(m)


def test_dump_of_an_empty_matrix():
    m = matrix_from_dict({"rules": []})
    assert load_matrix_yaml(dump_matrix_yaml(m)) == m


def test_example_round_trips():
    m = load_matrix_yaml(EXAMPLE)
    assert load_matrix_yaml(dump_matrix_yaml(m)) == m


# Any printable text, including YAML's own syntax ("- ", ": ", "#", quotes, "yes", "null", "1e3").
names = st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=150).filter(
    lambda s: s.strip())
tricky = st.one_of(names, st.sampled_from([
    "yes", "no", "null", "~", "1e3", "0x1F", "- a", "a: b", "#x", "'q'", '"q"', "[a]", "{a}", "@at", "`b`",
    "%p", "!t", "&a", "*a", "a  b", " x" * 60, "2024-01-01", "P1"]))
field_values = st.one_of(tricky.filter(lambda s: len(s.strip()) <= 200), st.integers(-10**6, 10**6),
                         st.booleans())


@st.composite
def matrices(draw):
    count = draw(st.integers(0, 6))
    rule_names = draw(st.lists(tricky, min_size=count, max_size=count,
                               unique_by=lambda s: s.strip().casefold()))
    rules = []
    for name in rule_names:
        when = draw(st.fixed_dictionaries({}, optional={
            "type": st.lists(st.sampled_from(mx.TYPES), min_size=1, max_size=4),
            "priority": st.lists(st.sampled_from(mx.PRIORITIES), min_size=1),
            "customer_tier": st.sampled_from(mx.TIERS),
            "channel": st.lists(st.sampled_from(mx.CHANNELS), min_size=1),
            "keywords": st.lists(tricky.filter(lambda s: len(s.strip()) <= 100), min_size=1, max_size=12),
            "pattern": st.one_of(st.sampled_from([r"card\s+number", "^(a+)+$", r"\p{Greek}+", "x{2,5}"]),
                                 tricky.map(re2.escape).filter(lambda p: len(p) <= 500)),
            "custom_fields": st.dictionaries(st.from_regex(r"[A-Za-z_][A-Za-z0-9_-]{0,20}", fullmatch=True),
                                             st.lists(field_values, min_size=1, max_size=5), min_size=1,
                                             max_size=3),
            "business_hours": st.sampled_from(mx.BUSINESS_HOURS),
        }))
        then = draw(st.fixed_dictionaries({"team": tricky}, optional={
            "level": st.integers(1, 5),
            "priority": st.sampled_from(mx.PRIORITIES),
            "sla_policy": tricky,
            "notify": st.lists(st.one_of(st.sampled_from(["owner", "team_lead", "role:manager"]),
                                         tricky.map(lambda t: f"team:{t}")), min_size=1, max_size=4),
            "require": st.lists(st.sampled_from(["customer", "external_id", "root_cause",
                                                 "custom_fields.region"]), min_size=1),
            "trigger": st.sampled_from(mx.TRIGGERS),
        }))
        precedence = draw(st.integers(-10**6, 10**6))
        rules.append({"name": name, "precedence": precedence, "when": when, "then": then})
    return matrix_from_dict({"rules": rules})


@settings(max_examples=200, deadline=None)
@given(matrices())
def test_yaml_round_trip(m):
    text = dump_matrix_yaml(m)
    assert load_matrix_yaml(text) == m
    assert dump_matrix_yaml(load_matrix_yaml(text)) == text
