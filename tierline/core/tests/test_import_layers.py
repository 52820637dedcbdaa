"""Imports run downhill: the domain apps below, the actions layer above them, the edges on top.

Each app is split in two nodes: its domain modules (models, pure logic, reads, its own config
writers) and its edges (api, views, urls, admin, forms, management commands, template tags,
the email-intake entry points and the worker loop). `tierline.actions` is one node; `demo` (the demo loader),
`testing` and the project modules sit on top. The graph of module-level
imports between those nodes must have no cycle, and a domain module may not import the actions
layer or any edge. An import written inside a function is allowed only with a comment naming
the cycle (or the load-order problem) it breaks.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2]
PROJECT = {"api", "urls", "cli", "settings", "wsgi", "asgi", "conftest", "__init__"}
EDGE_NAMES = {"api", "views", "urls", "admin", "forms", "apps", "admin_base"}
EDGE_DIRS = {"management", "templatetags", "views", "api"}
# Entry points that are edges though they are not called api/views: email intake calls the
# actions exactly as a view does.
EDGE_MODULES = {"mailin.process", "mailin.imap", "runtime.worker"}
TOP_APPS = {"demo", "testing"}


def node_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "tierline":
        return None
    if len(parts) < 2 or parts[1] in PROJECT:
        return "project"
    app, rest = parts[1], parts[2:]
    if app == "actions" or app in TOP_APPS:
        return app
    if rest and (rest[0] in EDGE_DIRS or rest[0] in EDGE_NAMES or rest[-1] in EDGE_NAMES
                 or rest[-1].startswith(("api_", "views_")) or ".".join([app, *rest]) in EDGE_MODULES):
        return f"{app}:edge"
    return app


def source_modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent)
        if "tests" in rel.parts or "migrations" in rel.parts or path.name == "conftest.py":
            continue
        module = ".".join(rel.with_suffix("").parts).removesuffix(".__init__")
        yield path, module


def imports_of(path: Path):
    """(lineno, target module, inside a function, commented) for every tierline import."""
    source = path.read_text()
    lines = source.splitlines()
    found = []

    def visit(node, in_function):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                if isinstance(child, ast.Import):
                    targets = [alias.name for alias in child.names]
                elif child.level == 0 and child.module == "tierline":
                    targets = [f"tierline.{alias.name}" for alias in child.names]
                elif child.level == 0 and child.module:
                    targets = [f"{child.module}.{alias.name}" for alias in child.names]
                else:
                    targets = []
                previous = lines[child.lineno - 2].strip() if child.lineno >= 2 else ""
                commented = "#" in lines[child.lineno - 1] or previous.startswith("#")
                for target in targets:
                    if target.startswith("tierline."):
                        found.append((child.lineno, target, in_function, commented))
            visit(child, in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)))

    visit(ast.parse(source), False)
    return found


def layer_graph():
    edges: dict[str, set[str]] = defaultdict(set)
    where: dict[tuple[str, str], list[str]] = defaultdict(list)
    for path, module in source_modules():
        src = node_of(module)
        for lineno, target, in_function, _ in imports_of(path):
            dst = node_of(target)
            if in_function or dst is None or dst == src:
                continue
            edges[src].add(dst)
            where[(src, dst)].append(f"{path.relative_to(PACKAGE.parent)}:{lineno}")
    return edges, where


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(set(edges) | {w for ws in edges.values() for w in ws}):
        if v not in index:
            connect(v)
    return found


def test_no_import_circle_between_apps_or_layers():
    edges, where = layer_graph()
    problems = []
    for component in cycles(edges):
        links = [f"{a} -> {b} ({where[(a, b)][0]})" for a in component for b in component if b in edges.get(a, ())]
        problems.append(" | ".join(links))
    assert not problems, "import circles:\n" + "\n".join(problems)


def test_domain_modules_never_import_the_actions_layer_or_an_edge():
    edges, where = layer_graph()
    upward = [f"{src} -> {dst}: {where[(src, dst)][0]}" for src, dsts in edges.items() for dst in dsts
              if ":" not in src and src not in {"actions", "project", *TOP_APPS}
              and (dst == "actions" or dst.endswith(":edge") or dst in {"project", *TOP_APPS})]
    assert not upward, "\n".join(upward)


def test_the_actions_layer_imports_no_edge():
    edges, where = layer_graph()
    bad = [f"actions -> {dst}: {where[('actions', dst)][0]}" for dst in edges.get("actions", ())
           if dst.endswith(":edge") or dst in {"project", *TOP_APPS}]
    assert not bad, "\n".join(bad)


def test_every_import_inside_a_function_says_which_cycle_it_breaks():
    silent = [f"{path.relative_to(PACKAGE.parent)}:{lineno} imports {target}"
              for path, _ in source_modules()
              for lineno, target, in_function, commented in imports_of(path)
              if in_function and not commented]
    assert not silent, f"{len(silent)} imports inside functions without a reason:\n" + "\n".join(silent)


@pytest.mark.parametrize("module, node", [
    ("tierline.actions.sla", "actions"),
    ("tierline.escalations.models", "escalations"),
    ("tierline.escalations.api", "escalations:edge"),
    ("tierline.escalations.api_coordination", "escalations:edge"),
    ("tierline.reports.management.commands.reports", "reports:edge"),
    ("tierline.mailin.process", "mailin:edge"),
    ("tierline.urls", "project"),
    ("tierline.runtime.worker", "runtime:edge"),
    ("tierline.runtime.health", "runtime"),
])
def test_modules_are_placed_on_their_layer(module, node):
    assert node_of(module) == node


def test_the_checker_sees_a_circle_and_a_silent_function_import(tmp_path):
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    sample = tmp_path / "sample.py"
    sample.write_text("import tierline.core\n\ndef f():\n    from tierline.sla import clock\n\n"
                      "def g():\n    # breaks the cycle sla -> routing\n    from tierline.routing import decide\n")
    assert [(target, inside, commented) for _, target, inside, commented in imports_of(sample)] == [
        ("tierline.core", False, False), ("tierline.sla.clock", True, False), ("tierline.routing.decide", True, True)]


def test_no_app_imports_another_apps_private_names():
    # Shared page and API helpers are public, in tierline/kit.py; a leading underscore means
    # "this app's own", so no other app may reach for it.
    borrowed = []
    for path, module in source_modules():
        app = module.split(".")[1] if module.count(".") >= 2 else None
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("tierline."):
                source_app = node.module.split(".")[1]
                borrowed += [f"{path.relative_to(PACKAGE.parent)}:{node.lineno} imports {node.module}.{alias.name}"
                             for alias in node.names if alias.name.startswith("_") and source_app != app]
    assert not borrowed, "\n".join(borrowed)
