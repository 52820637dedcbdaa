"""The renderer on its own: syntax errors, the static check, the runtime sandbox and the limits."""

import copy
import re
import time
from pathlib import Path

import pytest

from tierline.templating.checks import MAX_REFERENCES
from tierline.templating.render import (
    MAX_OUTPUT_CHARS,
    MAX_SOURCE_CHARS,
    TemplateProblem,
    check_template,
    compile_template,
    render,
    render_field,
    validate_all,
    validate_template,
)
from tierline.templating.schema import OBJECTS, SAMPLE_CONTEXT, SCALARS, variable_names


def ctx(**changes):
    context = copy.deepcopy(SAMPLE_CONTEXT)
    for path, value in changes.items():
        obj, field = path.split("__")
        context[obj][field] = value
    return context


def problems(source, field="body_text"):
    return [(p.line, p.column, p.message) for p in check_template(source, field=field)]


def runtime_problem(source, context=None, field="body_text") -> TemplateProblem:
    # Skips the static check on purpose: what the sandbox does if a bad template got through.
    template = compile_template(source, field=field)
    with pytest.raises(TemplateProblem) as info:
        render_field(template, SAMPLE_CONTEXT if context is None else context, field=field, source=source)
    return info.value


# --- syntax errors: line and column ---------------------------------------------------------------

@pytest.mark.parametrize("source, line, column, words", [
    ("Hello\n{{ name }", 2, 9, "unexpected '}'"),
    ("Dear customer,\n  {{ escalation.title( }}", 2, 24, "unexpected '}'"),
    ("{{ 'abc }}", 1, 4, "unexpected char"),
    ("one\ntwo {% fro x in y %}", 2, 8, "unknown tag 'fro'"),
    ("{{ escalation.title | }}", 1, 23, "expected token 'name'"),
])
def test_syntax_errors_carry_line_and_column(source, line, column, words):
    with pytest.raises(TemplateProblem) as info:
        compile_template(source, field="body_text")
    problem = info.value
    assert (problem.field, problem.line, problem.column) == ("body_text", line, column)
    assert words in problem.message
    assert str(problem).startswith(f"line {line}, column {column}: ")


def test_unclosed_block_is_reported_not_raised_as_jinja_error():
    found = problems("Hello\n{% if escalation.title %}\nstill open")
    assert len(found) == 1 and "endif" in found[0][2]


# --- the static check -------------------------------------------------------------------------------

def test_dunder_attribute_refused_with_exact_position():
    source = "Dear {{ customer.name }},\n\nYour case {{ escalation.__class__ }}"
    [problem] = check_template(source, field="body_text")
    assert str(problem) == "line 3, column 25: access to attribute '__class__' is not allowed"
    with pytest.raises(TemplateProblem):
        validate_template(source, field="body_text")


@pytest.mark.parametrize("source, words", [
    ("{{ ''.__class__.__mro__ }}", "access to attribute '__class__' is not allowed"),
    ("{{ cycler.__init__.__globals__ }}", "unknown variable 'cycler'"),
    ("{{ escalation['__class__'] }}", "access to attribute '__class__' is not allowed"),
    ("{{ escalation.description }}", "access to attribute 'description' is not allowed (escalation has:"),
    ("{{ customer.email }}", "access to attribute 'email' is not allowed"),
    ("{{ escalation.title.upper() }}", "calling 'upper' is not allowed"),
    ("{{ lipsum(100000) }}", "calling 'lipsum' is not allowed"),
    ("{% for x in range(10**9) %}{{ x }}{% endfor %}", "loops are not available"),
    ("{% set a = escalation.title %}{{ a }}", "{% set %} is not allowed"),
    ("{% macro m() %}{{ m() }}{% endmacro %}", "macros are not allowed"),
    ("{% include 'x.html' %}", "{% include %} is not allowed"),
    ("{% autoescape false %}{{ customer.name }}{% endautoescape %}", "{% autoescape %} is not allowed"),
    ("{{ 2 ** 1000000 }}", "the ** operator is not allowed"),
    ("{{ '%0999999d' % 1 }}", "the % operator is not allowed"),
    ("{{ customer.name|safe }}", "filter 'safe' is not allowed"),
    ("{{ customer.name|format(1) }}", "filter 'format' is not allowed"),
    ("{% if customer.name is callable %}x{% endif %}", "test 'callable' is not allowed"),
    ("{{ escalation }}", "'escalation' is a group of fields"),
    ("{{ escalation[customer.name] }}", "only literal keys"),
    ("{{ {'a': 1} }}", "Dict expressions are not allowed"),
])
def test_static_check_refuses(source, words):
    found = problems(source, field="body_html")
    assert found, source
    assert any(words in message for _, _, message in found), found
    assert all(line >= 1 and column >= 1 for line, column, _ in found)


def test_every_problem_is_reported_in_source_order():
    found = problems("{{ escalation.reference }} {{ escalation.nope }}\n{{ x }} {{ escalation['_y'] }}")
    assert [(line, column) for line, column, _ in found] == [(1, 42), (2, 4), (2, 24)]


def test_everything_documented_passes_the_check_and_renders():
    source = "\n".join("{{ " + name + " }}" for name in variable_names())
    assert problems(source) == []
    text = render(("s", source, ""), SAMPLE_CONTEXT).text
    assert SAMPLE_CONTEXT["escalation"]["reference"] in text and SAMPLE_CONTEXT["now"] in text
    assert set(variable_names()) == {f"{o}.{f}" for o, fs in OBJECTS.items() for f in fs} | set(SCALARS)


def test_allowed_constructs():
    source = ("{% if escalation.priority_code in ['P1', 'P2'] and owner.name %}urgent {{ owner.first_name }}"
              "{% elif escalation.level > 2 %}high{% else %}{{ customer.first_name or 'there' }}{% endif %} "
              "{{ escalation.title|truncate(16) }} {{ customer.name[:1] }} {{ escalation.title ~ '!' }} "
              "{% filter upper %}{{ tenant.name }}{% endfilter %} {{ escalation.level + 1 }}")
    assert problems(source) == []
    assert render(("s", source, ""), SAMPLE_CONTEXT).text == (
        "urgent Sam Intermittent... D Intermittent loss of broadband service! ACME TELECOM 3")


def test_too_many_variable_references():
    found = problems("{{ now }}" * (MAX_REFERENCES + 1))
    assert [m for _, _, m in found] == [f"the template uses variables more than {MAX_REFERENCES} times"]


# --- the runtime sandbox (defence in depth behind the static check) --------------------------------

def test_runtime_sandbox_violation_is_a_problem_not_an_exception():
    problem = runtime_problem("x\n{{ ''.__class__.__mro__ }}")
    assert problem.line == 2 and problem.column == 7 and "unsafe" in problem.message


def test_runtime_has_no_globals_to_abuse():
    assert "'StrictUndefined' object is unsafe" in runtime_problem("{{ cycler.__init__.__globals__ }}").message
    started = time.monotonic()
    assert "undefined" in runtime_problem("{% for x in range(1000000000) %}{{ x }}{% endfor %}").message
    assert "** operator" in runtime_problem("{% for x in range(10**9) %}{{ x }}{% endfor %}").message
    assert time.monotonic() - started < 2


@pytest.mark.parametrize("source", ["{{ 'x' * 10**9 }}", "{{ 'ab' * 1000000 }}", "{{ '%0999999999d' % 1 }}",
                                    "{{ escalation.title * 100000 }}"])
def test_runtime_amplifiers_are_refused(source):
    started = time.monotonic()
    problem = runtime_problem(source)
    assert time.monotonic() - started < 2
    assert "not allowed" in problem.message or "longer than" in problem.message


def test_undefined_variable_at_runtime():
    context = ctx()
    del context["escalation"]["title"]
    problem = runtime_problem("\n\n   {{ escalation.title }}", context)
    assert (problem.line, problem.column) == (3, 18) and problem.message.startswith("undefined:")
    with pytest.raises(TemplateProblem, match="undefined"):
        render(("{{ escalation.title }}", "", ""), context)


def test_errors_while_rendering_are_problems():
    with pytest.raises(TemplateProblem, match="division by zero"):
        render(("s", "{{ escalation.level / 0 }}", ""), SAMPLE_CONTEXT)


# --- limits -----------------------------------------------------------------------------------------

def test_source_size_limit():
    [problem] = check_template("x" * (MAX_SOURCE_CHARS + 1), field="body_html")
    assert problem.field == "body_html" and "limit is 20,000" in str(problem)


@pytest.mark.parametrize("source", [
    "{% if now %}" * 100 + "x" + "{% endif %}" * 100,  # Python's compile() gives up at 100 indents
    "{{ now" + "|upper" * 300 + " }}",  # took a minute to compile before depth was capped
    "{{ " + "not " * 900 + "now }}",
    "{{ " + "(" * 3000 + "now" + ")" * 3000 + " }}",
])
def test_deep_nesting_is_refused_quickly(source):
    started = time.monotonic()
    for check in (lambda: validate_template(source, field="body_text"),
                  lambda: compile_template(source, field="body_text"),
                  lambda: render(("s", source, ""), SAMPLE_CONTEXT)):
        with pytest.raises(TemplateProblem, match="nested too deeply"):
            check()
    assert time.monotonic() - started < 2


def test_output_size_limit():
    big = ctx(escalation__resolution_summary="y" * 5000)
    source = "{{ escalation.resolution_summary }}" * (MAX_OUTPUT_CHARS // 5000 + 1)
    with pytest.raises(TemplateProblem, match="output is longer than 100,000"):
        render(("s", source, ""), big)
    assert validate_all("s", source, "", context=big)[0].field == "body_text"


def test_subject_is_one_line_and_bounded():
    context = ctx(customer__name="Dana\r\nBcc: everyone@example.com")
    assert render(("Re: {{ customer.name }}\n", "", ""), context).subject == "Re: Dana Bcc: everyone@example.com"
    long_title = ctx(escalation__title="t" * 200)
    with pytest.raises(TemplateProblem, match="subject is longer than 255"):
        render(("{{ escalation.title }}" * 2, "", ""), long_title)
    with pytest.raises(TemplateProblem, match="output is longer than"):
        render(("{{ escalation.title }}" * 100, "", ""), long_title)


def test_dict_methods_are_not_reachable_and_fields_named_like_them_work():
    context = ctx(sla__update="due soon")
    assert render(("s", "{{ sla.update }}", ""), context).text == "due soon"
    assert "undefined" in runtime_problem("{{ sla.items }}{{ sla.get }}").message


# --- escaping -----------------------------------------------------------------------------------------

def test_html_body_is_autoescaped_text_body_is_not():
    context = ctx(customer__name="<script>alert(1)</script>", escalation__resolution_summary="a < b\nc & d")
    rendered = render(("{{ customer.name }}", "{{ customer.name }}",
                       "<p>{{ customer.name }}</p>{{ escalation.resolution_summary|linebreaksbr }}"), context)
    assert rendered.html == "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>a &lt; b<br>\nc &amp; d"
    assert rendered.text == "<script>alert(1)</script>"  # plain text is not HTML: nothing to escape
    assert render(("s", "t", "  "), context).html is None  # blank HTML source: text-only message


# --- the documentation ------------------------------------------------------------------------------

DOCS = Path(__file__).resolve().parents[3] / "docs" / "templates.md"


@pytest.mark.skipif(not DOCS.exists(), reason="docs/ is not shipped with the package")
def test_docs_list_exactly_the_context_and_their_example_passes():
    text = DOCS.read_text()
    documented = re.findall(r"^\| `\{\{ ([\w.]+) \}\}` \|", text, re.MULTILINE)
    assert sorted(documented) == sorted(variable_names()) and len(documented) == len(set(documented))
    blocks = re.findall(r"```\n(.*?)```", text, re.DOTALL)
    subject, body = blocks[0], blocks[1]
    assert render((subject, body, ""), SAMPLE_CONTEXT).text.startswith("Hello Dana,\n\nYour request is now in progress")
