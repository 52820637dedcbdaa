"""Every read in a view or API module goes through tenancy.scoping — found by scanning the source.

A `Model.objects…` chain in a view/API module passes when it is an argument of scoped() or
get_scoped(), or when it filters by a row already scoped (an escalation, a tenant the actor was
granted, the link's ends). Anything else needs an entry in EXEMPT saying why it is safe; an entry
that no longer matches anything fails too, so the list cannot rot.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCOPING_CALLS = {"scoped", "get_scoped", "get_scoped_pk", "scoped_users"}
# Filter keywords that tie a query to a row the actor was already granted.
BOUND_KEYWORDS = {"tenant", "tenant_id", "tenant_ref", "escalation", "escalation_id", "source", "target", "problem"}

EXEMPT = {
    ("escalations/views.py", "User"): "names of the users an escalation's own events mention (escalation scoped)",
    ("routing/views.py", "User"): "the owner the routing plan of a scoped tenant chose",
    ("statuspage/views.py", "Escalation"): "public page: the escalation of a signed, unrevoked status link",
    ("problems/api.py", "Escalation"): "references of the escalations a tenant-scoped recurring report grouped",
    ("problems/views.py", "Escalation"): "references of the escalations a tenant-scoped recurring report grouped",
    ("problems/views.py", "User"): "members of a tenant the view has already checked (owner choices)",
    ("reports/views.py", "User"): "agents of a tenant the view has already checked (filter choices)",
}


def view_modules() -> list[Path]:
    found = []
    for pattern in ("*/views.py", "*/api.py", "*/api_*.py", "*/queries.py", "*/views/*.py"):
        found += [p for p in ROOT.glob(pattern) if "tests" not in p.parts]
    return sorted(set(found))


def _parents(tree) -> dict:
    parents = {}
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            parents[child] = node
    return parents


def unscoped_reads(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text())
    parents = _parents(tree)
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Attribute) and node.attr == "objects" and isinstance(node.value, ast.Name)):
            continue
        model, keywords, top = node.value.id, set(), node
        # Walk up the method chain: Model.objects.filter(…).select_related(…).first()
        while True:
            parent = parents.get(top)
            if isinstance(parent, ast.Attribute) and parent.value is top:
                top = parent
            elif isinstance(parent, ast.Call) and parent.func is top:
                keywords |= {k.arg for k in parent.keywords if k.arg}
                top = parent
            else:
                break
        outer = parents.get(top)
        wrapped = (isinstance(outer, ast.Call) and isinstance(outer.func, ast.Name | ast.Attribute)
                   and (getattr(outer.func, "id", None) or getattr(outer.func, "attr", None)) in SCOPING_CALLS)
        if not wrapped and not keywords & BOUND_KEYWORDS:
            found.append((node.lineno, model))
    return found


def test_the_scan_finds_the_modules():
    rel = {p.relative_to(ROOT).as_posix() for p in view_modules()}
    assert {"escalations/views.py", "escalations/api.py", "escalations/queries.py", "tenancy/api.py",
            "routing/views.py", "statuspage/views.py"} <= rel


def test_the_scan_catches_an_unscoped_read(tmp_path):
    path = tmp_path / "views.py"
    path.write_text("def v(request, pk):\n"
                    "    a = scoped(Escalation.objects.all(), actor)\n"
                    "    b = Event.objects.filter(escalation=a.first())\n"
                    "    return Customer.objects.filter(pk=pk).first()\n")
    assert unscoped_reads(path) == [(4, "Customer")]


def test_view_and_api_modules_read_only_through_scoping():
    problems, used = [], set()
    for path in view_modules():
        rel = path.relative_to(ROOT).as_posix()
        for line, model in unscoped_reads(path):
            if (rel, model) in EXEMPT:
                used.add((rel, model))
            else:
                problems.append(f"{rel}:{line}: {model}.objects read without tenancy.scoping")
    assert problems == []
    assert set(EXEMPT) - used == set(), "stale EXEMPT entries"
