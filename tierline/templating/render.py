"""Compiling, checking and rendering communication templates in Jinja's immutable sandbox.

Independent of the ORM: it takes template strings and a plain-dict context (see context.py and
schema.py) and returns text. Every failure — syntax, the static check, a sandbox violation, an
undefined variable, an oversized result — is a TemplateProblem, never an unhandled exception,
so neither the admin nor the outbox worker can be made to fail with a 500 by a template.
"""

from __future__ import annotations

import functools
import re
import traceback
from typing import NamedTuple

import jinja2
from jinja2 import StrictUndefined, TemplateSyntaxError, nodes
from jinja2.parser import Parser
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from markupsafe import Markup, escape

from tierline.security.html import clean_email_html
from tierline.templating.checks import ALLOWED_FILTERS, ALLOWED_TESTS, check_ast
from tierline.templating.errors import TemplateProblem, locate, normalize_newlines, position
from tierline.templating.schema import SAMPLE_CONTEXT

__all__ = ["MAX_OUTPUT_CHARS", "MAX_SOURCE_CHARS", "MAX_SUBJECT_CHARS", "Rendered", "TemplateProblem",
           "check_template", "compile_template", "references", "render", "validate_all", "validate_template"]

MAX_SOURCE_CHARS = 20_000  # per field
MAX_OUTPUT_CHARS = 100_000  # per rendered body; also the bound on any intermediate value
MAX_SUBJECT_CHARS = 255
# Jinja's compiler and Python's own compile() slow down steeply with nesting (300 chained filters
# took a minute); real templates nest a handful of levels, so depth is capped before compiling.
MAX_DEPTH = 40

FIELDS = ("subject", "body_text", "body_html")


class Rendered(NamedTuple):
    subject: str
    text: str
    html: str | None
    source: str = ""  # which template was used, filled in by selection.render_for


def _bounded(func):
    # A whitelisted filter must not become an amplifier either ("x"|truncate… chained); wraps keeps
    # the jinja_pass_arg marker that tells Jinja what to pass first.
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        result = func(*args, **kwargs)
        if isinstance(result, str) and len(result) > MAX_OUTPUT_CHARS:
            raise SecurityError(f"a filter produced more than {MAX_OUTPUT_CHARS:,} characters")
        return result

    return wrapper


def linebreaksbr(value) -> Markup:
    """Escape, then keep the line breaks of multi-line text (a resolution summary) in HTML."""
    return Markup("<br>\n").join(escape(line) for line in str(value).split("\n"))


class _Sandbox(ImmutableSandboxedEnvironment):
    # Intercepting these also stops Jinja from constant-folding "'x' * 10**9" at compile time.
    intercepted_binops = frozenset({"*", "**", "%", "+"})

    def getattr(self, obj, attribute):
        # Context objects are dicts: "sla.update" must be the field, never the dict.update method
        # (which the immutable sandbox would refuse anyway). Dicts expose their keys and nothing else.
        if isinstance(obj, dict):
            return obj[attribute] if attribute in obj else self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)

    def call_binop(self, context, operator, left, right):
        if operator == "**":
            raise SecurityError("the ** operator is not allowed")
        if operator == "%" and isinstance(left, str):
            raise SecurityError("string formatting with % is not allowed")
        if operator == "*":
            seq, times = (left, right) if isinstance(left, (str, list, tuple)) else (right, left)
            if isinstance(seq, (str, list, tuple)) and isinstance(times, int) and len(seq) * times > MAX_OUTPUT_CHARS:
                raise SecurityError(f"the result would be longer than {MAX_OUTPUT_CHARS:,} characters")
        result = super().call_binop(context, operator, left, right)
        if isinstance(result, (str, list, tuple)) and len(result) > MAX_OUTPUT_CHARS:
            raise SecurityError(f"the result would be longer than {MAX_OUTPUT_CHARS:,} characters")
        return result


def _make_env(html: bool) -> _Sandbox:
    # trim/lstrip_blocks: a line holding only {% if %} leaves no blank line in a plain-text email.
    env = _Sandbox(autoescape=html, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.globals.clear()  # no range, cycler, joiner, lipsum, dict, namespace
    builtin = env.filters
    env.filters = {name: _bounded(builtin[name]) for name in ALLOWED_FILTERS if name in builtin}
    env.filters["linebreaksbr"] = _bounded(linebreaksbr)
    env.tests = {name: test for name, test in env.tests.items() if name in ALLOWED_TESTS}
    return env


_TEXT_ENV = _make_env(html=False)
_HTML_ENV = _make_env(html=True)


def _env_for(field: str) -> _Sandbox:
    return _HTML_ENV if field == "body_html" else _TEXT_ENV


def _syntax_problem(source: str, field: str, exc: TemplateSyntaxError, parser: Parser | None) -> TemplateProblem:
    line, message = exc.lineno or 1, exc.message or "syntax error"
    if m := re.search(r"unexpected char .* at (\d+)$", message):
        line, column = position(source, int(m.group(1)))
        return TemplateProblem(field, line, column, message.rsplit(" at ", 1)[0])
    if m := re.match(r"unexpected '(.+?)'", message):
        pattern = re.escape(m.group(1))
    elif m := re.search(r"innermost block that needs to be closed is '(\w+)'", message):
        pattern = rf"\{{%[-+]?\s*(?P<at>{m.group(1)})\b"
    elif m := re.search(r"unknown tag '(\w+)'", message):
        pattern = rf"\{{%[-+]?\s*(?P<at>{m.group(1)})\b"
    else:
        token = parser.stream.current if parser else None
        pattern = re.escape(str(token.value)) if token and token.type != "eof" and token.value else r"\{[{%]"
    return TemplateProblem(field, line, locate(source, line, pattern, in_tags=False), message)


def _deepest(tree: nodes.Node) -> tuple[int, int]:
    """(depth, line) of the most deeply nested node, without recursion."""
    deepest, line, stack = 0, 1, [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > deepest:
            deepest, line = depth, getattr(node, "lineno", None) or line
        stack.extend((child, depth + 1) for child in node.iter_child_nodes())
    return deepest, line


def _parse(source: str, field: str) -> tuple[str, nodes.Template]:
    if not isinstance(source, str):
        raise TemplateProblem(field, None, None, "the template must be text")
    if len(source) > MAX_SOURCE_CHARS:
        raise TemplateProblem(field, None, None, f"the template is {len(source):,} characters long; "
                                                 f"the limit is {MAX_SOURCE_CHARS:,}")
    source = normalize_newlines(source)
    parser = None
    try:
        # Inside the try: the lexer already reads the first tokens when the parser is made.
        parser = Parser(_env_for(field), source)
        tree = parser.parse()
    except TemplateSyntaxError as exc:
        raise _syntax_problem(source, field, exc, parser) from None
    except RecursionError:  # thousands of nested parentheses
        raise TemplateProblem(field, None, None, "the template is nested too deeply") from None
    depth, line = _deepest(tree)
    if depth > MAX_DEPTH:
        raise TemplateProblem(field, line, locate(source, line, r"\S"),
                              f"the template is nested too deeply (more than {MAX_DEPTH} levels of "
                              "conditions, filters and operators)")
    return source, tree


def _compile(tree: nodes.Template, field: str) -> jinja2.Template:
    try:
        return _env_for(field).from_string(tree)
    except TemplateSyntaxError as exc:
        raise TemplateProblem(field, exc.lineno, 1, exc.message or "syntax error") from None
    except Exception as exc:  # SyntaxError from Python's compile(), RecursionError, MemoryError, …
        raise TemplateProblem(field, None, None, f"the template cannot be compiled: {type(exc).__name__}") from None


def compile_template(source: str, *, field: str) -> jinja2.Template:
    """Compile one field ("subject", "body_text" or "body_html": only body_html is autoescaped).

    Raises TemplateProblem for oversized sources and syntax errors. Does NOT run the static
    check: use validate_template for anything that will be saved or sent.
    """
    _, tree = _parse(source, field)
    return _compile(tree, field)


def check_template(source: str, *, field: str) -> list[TemplateProblem]:
    """Every problem with one field — size, syntax or the static check — in source order."""
    try:
        normalized, tree = _parse(source, field)
    except TemplateProblem as problem:
        return [problem]
    return check_ast(tree, normalized, field)


@functools.lru_cache(maxsize=512)
def validate_template(source: str, *, field: str) -> jinja2.Template:
    """Compile one field after the static check; raises the first TemplateProblem."""
    normalized, tree = _parse(source, field)
    problems = check_ast(tree, normalized, field)
    if problems:
        raise problems[0]
    return _compile(tree, field)


@functools.lru_cache(maxsize=512)
def references(template_strings: tuple) -> frozenset[tuple[str, str | None]]:
    """What a template reads: ("escalation", "title") for a field, ("now", None) for a plain name.
    Exact for any template the static check passed, which allows only literal attribute names.
    A field that does not parse reads nothing (rendering it reports the problem)."""
    found: set[tuple[str, str | None]] = set()
    for field, source in zip(FIELDS, template_strings, strict=False):
        if not source:
            continue
        try:
            _, tree = _parse(source, field)
        except TemplateProblem:
            continue
        for node in tree.find_all(nodes.Name):
            found.add((node.name, None))
        for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
            attr = node.attr if isinstance(node, nodes.Getattr) else getattr(node.arg, "value", None)
            if isinstance(node.node, nodes.Name) and isinstance(attr, str):
                found.add((node.node.name, attr))
    return frozenset(found)


def _runtime_problem(field: str, source: str, exc: BaseException) -> TemplateProblem:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == "<template>"]
    line = frames[-1].lineno if frames else None
    message = str(exc) or type(exc).__name__
    quoted = re.findall(r"'([^']+)'", message)
    # "'dict object' has no attribute 'x'" names the culprit last; the sandbox's messages name it first.
    culprit = (quoted[-1] if "has no attribute" in message else quoted[0]) if quoted else None
    column = locate(normalize_newlines(source), line, re.escape(culprit)) if (line and culprit) else 1
    if isinstance(exc, jinja2.UndefinedError):
        message = f"undefined: {message}"
    elif not isinstance(exc, SecurityError):
        message = f"could not render: {message}"
    return TemplateProblem(field, line, column if line else None, message)


def render_field(template: jinja2.Template, context: dict, *, field: str, source: str = "",
                 limit: int = MAX_OUTPUT_CHARS) -> str:
    """Render one compiled field, stopping as soon as the output passes `limit` characters."""
    chunks, size = [], 0
    try:
        for chunk in template.generate(context):
            size += len(chunk)
            if size > limit:
                raise TemplateProblem(field, None, None, f"the output is longer than {limit:,} characters")
            chunks.append(chunk)
    except TemplateProblem:
        raise
    except Exception as exc:  # SecurityError, UndefinedError, TypeError, OverflowError, …: all reported
        raise _runtime_problem(field, source, exc) from None
    return "".join(chunks)


def render(template_strings, context: dict, *, builtin: bool = False) -> Rendered:
    """Render (subject, body_text, body_html-or-None) with the context; raises TemplateProblem.

    The subject is collapsed to one line (a customer name with a newline must not become an
    e-mail header). A blank HTML source gives html=None: a text-only message. `builtin`: the
    template is one of ours (templating/defaults.py), whose markup is fixed and whose values are
    all escaped, so the HTML sanitiser (a third of the cost of an email) has nothing to remove;
    a tenant's template is always sanitised.
    """
    subject_src, text_src, html_src = tuple(template_strings)[:3]
    subject = render_field(validate_template(subject_src, field="subject"), context, field="subject",
                           source=subject_src, limit=4 * MAX_SUBJECT_CHARS)
    subject = " ".join(subject.split())
    if len(subject) > MAX_SUBJECT_CHARS:
        raise TemplateProblem("subject", None, None, f"the subject is longer than {MAX_SUBJECT_CHARS} characters")
    text = render_field(validate_template(text_src, field="body_text"), context, field="body_text",
                        source=text_src)
    html = None
    if html_src and html_src.strip():
        html = render_field(validate_template(html_src, field="body_html"), context, field="body_html",
                            source=html_src)
        if not builtin:

            html = clean_email_html(html)  # no script, handler or javascript: link reaches a customer
    return Rendered(subject, text, html)


def validate_all(subject: str, body_text: str, body_html: str | None = "", *,
                 context: dict | None = None) -> list[TemplateProblem]:
    """What an admin must fix before saving: every static problem of every field, then (when
    there are none) whatever goes wrong rendering the sample escalation, e.g. an oversized result.
    """
    problems: list[TemplateProblem] = []
    for field, source in zip(FIELDS, (subject, body_text, body_html or ""), strict=True):
        if field != "body_html" or source.strip():
            problems += check_template(source, field=field)
    if not problems:
        try:
            render((subject, body_text, body_html), SAMPLE_CONTEXT if context is None else context)
        except TemplateProblem as problem:
            problems.append(problem)
    return problems
