"""The save-time static check: a template may use only the documented context, a few filters and tests.

The sandbox refuses unsafe things at render time, but an admin should learn about a bad template
when saving it, not when a customer email fails at 3 a.m. So the parsed template is walked and
anything outside a small, documented subset is refused with its line and column:

* names: only the documented context (schema.ROOT_NAMES); objects only through their whitelisted fields;
* no attribute or item starting with "_", no attribute of anything but a context object;
* no calls at all (ALLOWED_FUNCTIONS is empty: the context holds only strings and numbers);
* filters and tests from ALLOWED_FILTERS / ALLOWED_TESTS;
* statements: {% if %} and {% filter %} only. Loops, macros, {% set %}, includes, imports and
  {% autoescape %} are refused: the context has no lists, and without variables or loops a
  template's running time and memory stay proportional to its size.
* no ** and no % operators (both can build enormous values from a short expression);
* at most MAX_REFERENCES uses of context variables, which with the above bounds the memory a
  template can use to roughly MAX_REFERENCES × the largest field.
"""

from __future__ import annotations

import re
from collections import Counter

from jinja2 import nodes

from tierline.templating.errors import TemplateProblem, locate
from tierline.templating.schema import OBJECTS, ROOT_NAMES

ALLOWED_FILTERS = frozenset({
    "abs", "capitalize", "count", "d", "default", "e", "escape", "first", "int", "last", "length",
    "linebreaksbr", "lower", "round", "striptags", "title", "trim", "truncate", "upper", "wordcount",
})
ALLOWED_TESTS = frozenset({
    "defined", "undefined", "none", "number", "string", "true", "false", "eq", "equalto", "==", "ne", "!=",
    "in", "lower", "upper",
})
ALLOWED_FUNCTIONS: frozenset[str] = frozenset()
MAX_REFERENCES = 300

_TAGS = {
    nodes.For: ("for", "loops are not available: the context has no lists"),
    nodes.Macro: ("macro", "macros are not allowed"),
    nodes.CallBlock: ("call", "{% call %} blocks are not allowed"),
    nodes.Include: ("include", "{% include %} is not allowed"),
    nodes.Import: ("import", "{% import %} is not allowed"),
    nodes.FromImport: ("from", "{% from … import %} is not allowed"),
    nodes.Extends: ("extends", "{% extends %} is not allowed"),
    nodes.Block: ("block", "{% block %} is not allowed"),
    nodes.Assign: ("set", "{% set %} is not allowed: use the context fields directly"),
    nodes.AssignBlock: ("set", "{% set %} is not allowed: use the context fields directly"),
    nodes.With: ("with", "{% with %} is not allowed"),
    nodes.Scope: ("autoescape", "{% autoescape %} is not allowed: escaping is fixed"),
    nodes.ScopedEvalContextModifier: ("autoescape", "{% autoescape %} is not allowed: escaping is fixed"),
    nodes.EvalContextModifier: ("autoescape", "{% autoescape %} is not allowed: escaping is fixed"),
}
_PASS_THROUGH = (
    nodes.Template, nodes.Output, nodes.If, nodes.CondExpr, nodes.And, nodes.Or, nodes.Not, nodes.Neg,
    nodes.Pos, nodes.Compare, nodes.Operand, nodes.Concat, nodes.Add, nodes.Sub, nodes.Mul, nodes.Div,
    nodes.FloorDiv, nodes.Tuple, nodes.List, nodes.Keyword,
)


def _attr_pattern(name: str) -> str:
    n = re.escape(name)
    return rf"\.\s*(?P<at>{n})\b|\[\s*['\"](?P<at2>{n})['\"]\s*\]"


class _Checker:
    def __init__(self, source: str, field: str):
        self.source = source
        self.field = field
        self.problems: list[TemplateProblem] = []
        self._seen: Counter = Counter()
        self.references = 0

    def passed(self, node: nodes.Node, pattern: str) -> None:
        # Allowed occurrences count too, so that a refusal points at its own occurrence of the text.
        self._seen[(getattr(node, "lineno", None) or 1, pattern)] += 1

    def refuse(self, node: nodes.Node, pattern: str, message: str, *, in_tags: bool = True,
               mask_strings: bool = False) -> None:
        line = getattr(node, "lineno", None) or 1
        nth = self._seen[(line, pattern)]
        self._seen[(line, pattern)] += 1
        column = locate(self.source, line, pattern, nth, in_tags=in_tags, mask_strings=mask_strings)
        self.problems.append(TemplateProblem(self.field, line, column, message))

    def visit(self, node: nodes.Node) -> None:
        if isinstance(node, (nodes.TemplateData, nodes.Const)):
            return
        if isinstance(node, nodes.Name):
            self.name(node)
        elif isinstance(node, nodes.Getattr):
            self.attribute(node, node.attr, _attr_pattern(node.attr))
        elif isinstance(node, nodes.Getitem):
            self.item(node)
        elif isinstance(node, (nodes.Filter, nodes.Test)):
            self.filter_or_test(node)
        elif isinstance(node, nodes.FilterBlock):
            self.filter_or_test(node.filter)
            self.children(node.body)
        elif isinstance(node, nodes.Call):
            self.call(node)
        elif isinstance(node, nodes.Pow):
            self.refuse(node, r"(?P<at>\*\*)", "the ** operator is not allowed", mask_strings=True)
            self.children(node.iter_child_nodes())
        elif isinstance(node, nodes.Mod):
            self.refuse(node, r"(?P<at>%)", "the % operator is not allowed", mask_strings=True)
            self.children(node.iter_child_nodes())
        elif type(node) in _TAGS:
            keyword, message = _TAGS[type(node)]
            self.refuse(node, rf"\{{%[-+]?\s*(?P<at>{keyword})\b", message, in_tags=False)
        elif isinstance(node, _PASS_THROUGH):
            self.children(node.iter_child_nodes())
        else:
            self.refuse(node, r"(?P<at>\S)", f"{type(node).__name__} expressions are not allowed")

    def children(self, items) -> None:
        for child in items:
            self.visit(child)

    def name(self, node: nodes.Name, *, as_base: bool = False) -> None:
        pattern = rf"(?<![\w.])(?P<at>{re.escape(node.name)})\b"
        self.references += 1
        if self.references == MAX_REFERENCES + 1:
            self.refuse(node, pattern, f"the template uses variables more than {MAX_REFERENCES} times")
        elif node.name not in ROOT_NAMES:
            self.refuse(node, pattern, f"unknown variable '{node.name}'")
        elif node.name in OBJECTS and not as_base:
            example = next(iter(OBJECTS[node.name]))
            self.refuse(node, pattern, f"'{node.name}' is a group of fields: use one of them, "
                                       f"e.g. {node.name}.{example}")
        else:
            self.passed(node, pattern)

    def attribute(self, node, attr: str, pattern: str) -> None:
        base = node.node
        if isinstance(base, nodes.Name):
            self.name(base, as_base=True)
        else:
            self.visit(base)
        if isinstance(base, nodes.Name) and base.name not in ROOT_NAMES and not attr.startswith("_"):
            self.passed(node, pattern)  # "unknown variable" already says it all
        elif attr.startswith("_") or not (isinstance(base, nodes.Name) and base.name in OBJECTS):
            self.refuse(node, pattern, f"access to attribute '{attr}' is not allowed")
        elif attr not in OBJECTS[base.name]:
            fields = ", ".join(OBJECTS[base.name])
            self.refuse(node, pattern, f"access to attribute '{attr}' is not allowed "
                                       f"({base.name} has: {fields})")
        else:
            self.passed(node, pattern)

    def item(self, node: nodes.Getitem) -> None:
        arg = node.arg
        if isinstance(arg, nodes.Const) and isinstance(arg.value, str):
            self.attribute(node, arg.value, _attr_pattern(arg.value))
        elif (isinstance(arg, nodes.Const) and isinstance(arg.value, int)) or (
                isinstance(arg, nodes.Slice)
                and all(p is None or isinstance(p, nodes.Const) for p in (arg.start, arg.stop, arg.step))):
            # Indexing or slicing text ("{{ customer.name[:1] }}"); a bare object is refused by name().
            self.visit(node.node)
        else:
            self.refuse(node, r"(?P<at>\[)", "only literal keys and slices may be used in [ … ]")

    def filter_or_test(self, node) -> None:
        is_filter = isinstance(node, nodes.Filter)
        allowed = ALLOWED_FILTERS if is_filter else ALLOWED_TESTS
        if node.name not in allowed:
            kind = "filter" if is_filter else "test"
            pattern = (rf"\|\s*(?P<at>{re.escape(node.name)})\b" if is_filter
                       else rf"\bis\s+(?:not\s+)?(?P<at>{re.escape(node.name)})\b")
            self.refuse(node, pattern, f"{kind} '{node.name}' is not allowed (allowed: {', '.join(sorted(allowed))})")
        if node.dyn_args is not None or node.dyn_kwargs is not None:
            self.refuse(node, r"(?P<at>\*)", "*args and **kwargs are not allowed")
        if node.node is not None:
            self.visit(node.node)
        self.children(node.args)
        self.children(node.kwargs)

    def call(self, node: nodes.Call) -> None:
        func = node.node
        callee = func.name if isinstance(func, nodes.Name) else getattr(func, "attr", None) or "an expression"
        if callee not in ALLOWED_FUNCTIONS:
            self.refuse(node, rf"(?P<at>{re.escape(callee)})\s*\(" if callee != "an expression" else r"(?P<at>\()",
                        f"calling '{callee}' is not allowed: templates cannot call functions or methods")
        if isinstance(func, nodes.Getattr):
            self.visit(func.node)
        self.children(node.args)
        self.children(node.kwargs)


def check_ast(tree: nodes.Template, source: str, field: str) -> list[TemplateProblem]:
    """Every problem in a parsed template, in source order. Empty means the template may be saved."""
    checker = _Checker(source, field)
    try:
        checker.visit(tree)
    except RecursionError:  # _parse caps the depth; this is the belt to its braces
        return [TemplateProblem(field, None, None, "the template is nested too deeply")]
    return sorted(checker.problems, key=lambda p: (p.line or 0, p.column or 0))
