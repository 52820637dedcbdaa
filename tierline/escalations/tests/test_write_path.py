"""Nothing but the actions writes escalation or event rows.

Two proofs: at run time the models refuse every ORM write made outside an action; and a static
scan of the source finds no module outside the actions that even tries (ORM calls on the guarded
models, instances of them being saved, the write path being entered by hand, or raw SQL that
modifies their tables).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import tierline
from tierline import actions
from tierline.actions._base import tracked_state
from tierline.audit.models import Event
from tierline.core.errors import IllegalTransition, WritePathViolation
from tierline.core.writepath import in_write_path, write_path
from tierline.escalations.models import Attachment, Escalation, EscalationTag, Link, Watcher


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    # Attachments written by these tests land in the test's own directory, not var/.
    settings.MEDIA_ROOT = tmp_path / "media"


# == (a) at run time =========================================================================

@pytest.fixture
def rows(world):
    """One stored row of every guarded model, made the proper way."""
    a = world.escalation(tags=["vip"], watchers=[world.users["manager"]])
    b = world.escalation(title="Related")
    actions.link(a, b, kind="related_to", actor=world.actor(), now=world.now)
    actions.add_attachment(a, filename="a.txt", content=b"hello", content_type="text/plain",
                           actor=world.actor(), now=world.now)
    return {
        Escalation: Escalation.objects.get(pk=a.pk), EscalationTag: EscalationTag.objects.get(),
        Watcher: Watcher.objects.get(), Link: Link.objects.get(), Attachment: Attachment.objects.get(),
        "other": b,
    }


def stored_state():
    return (
        [(e.pk, e.version, tracked_state(e)) for e in Escalation.objects.order_by("pk")],
        sorted(EscalationTag.objects.values_list("escalation_id", "name")),
        sorted(Watcher.objects.values_list("escalation_id", "user_id")),
        sorted(Link.objects.values_list("source_id", "target_id", "kind")),
        sorted(Attachment.objects.values_list("pk", "filename")),
        list(Event.objects.order_by("pk").values_list("pk", "seq", "type", "data", "hash")),
    )


def attempts(model, row, world, other):
    """Every ORM way to write a row of `model`, each as (label, call)."""
    fields = {
        Escalation: dict(tenant=world.tenant, reference="ACME-2026-999999", title="Forged", type="technical",
                         trigger="hierarchical", priority="P1", level=1, team=world.teams["l1"], channel="phone",
                         created_at=world.now, updated_at=world.now),
        EscalationTag: dict(tenant=world.tenant, escalation=other, name="forged"),
        Watcher: dict(tenant=world.tenant, escalation=other, user=world.users["agent"]),
        Link: dict(tenant=world.tenant, source=other, target=row.source if model is Link else None,
                   kind="parent_of", created_at=world.now),
        Attachment: dict(tenant=world.tenant, escalation=other, file="x", filename="x", content_type="text/plain",
                         size=1, sha256="0" * 64, uploaded_at=world.now),
    }[model]
    change = {Escalation: ("status", "closed"), EscalationTag: ("name", "forged"), Watcher: ("user_id", world.users[
        "agent"].pk), Link: ("kind", "child_of"), Attachment: ("filename", "forged.txt")}[model]

    def modified_save():
        setattr(row, *change)
        row.save()

    def bulk_update():
        setattr(row, *change)
        model.objects.bulk_update([row], [change[0]])

    owner = {Escalation: world.tenant, Link: getattr(row, "source", None)}.get(model) or getattr(row, "escalation", None)
    accessor = {Escalation: "escalation_set", EscalationTag: "tag_rows", Watcher: "watcher_rows", Link: "links_out",
                Attachment: "attachments"}[model]

    return [
        ("new instance .save()", lambda: model(**fields).save()),
        ("existing instance .save()", modified_save),
        (".objects.create()", lambda: model.objects.create(**fields)),
        (".objects.get_or_create()", lambda: model.objects.get_or_create(**fields)),
        (".objects.bulk_create()", lambda: model.objects.bulk_create([model(**fields)])),
        (".objects.bulk_update()", bulk_update),
        ("queryset .update()", lambda: model.objects.filter(pk=row.pk).update(**dict([change]))),
        ("queryset .delete()", lambda: model.objects.filter(pk=row.pk).delete()),
        ("instance .delete()", lambda: row.delete()),
        ("related manager .create()", lambda: getattr(owner, accessor).create(
            **{k: v for k, v in fields.items() if k not in ("escalation", "source", "tenant")}, tenant=world.tenant)),
        ("related manager .all().delete()", lambda: getattr(owner, accessor).all().delete()),
        ("related manager .update()", lambda: getattr(owner, accessor).update(**dict([change]))),
    ]


@pytest.mark.parametrize("model", [Escalation, EscalationTag, Watcher, Link, Attachment],
                         ids=lambda m: m.__name__)
def test_guarded_models_refuse_every_write_outside_the_actions(world, rows, model):
    before = stored_state()
    for label, call in attempts(model, rows[model], world, rows["other"]):
        with pytest.raises(WritePathViolation, match=f"{model.__name__} rows are written only by"):
            call()
        rows[model] = type(rows[model]).objects.get(pk=rows[model].pk)  # drop the in-memory change
        assert stored_state() == before, f"{model.__name__}: {label} wrote"


def test_events_refuse_every_write_outside_the_actions(world, rows):
    event = Event.objects.filter(escalation=rows[Escalation]).first()
    before = stored_state()
    copied = ("tenant", "escalation", "type", "occurred_at", "actor_kind", "actor_label", "prev_hash", "hash")

    def forged(ev):
        return Event(seq=999, data={"body": "forged"}, **{f: getattr(ev, f) for f in copied})

    def modified_save(ev):
        ev.data = {"forged": True}
        ev.save()

    for label, call in [
        ("new instance .save()", lambda ev: forged(ev).save()),
        (".objects.create()", lambda ev: Event.objects.create(
            seq=999, data={"body": "forged"}, **{f: getattr(ev, f) for f in copied})),
        ("existing instance .save()", modified_save),
        ("queryset .update()", lambda ev: Event.objects.filter(pk=ev.pk).update(data={})),
        ("queryset .delete()", lambda ev: Event.objects.all().delete()),
        ("instance .delete()", lambda ev: ev.delete()),
        (".objects.bulk_update()", lambda ev: Event.objects.bulk_update([ev], ["data"])),
    ]:
        with pytest.raises(WritePathViolation):
            call(Event.objects.get(pk=event.pk))
        assert stored_state() == before, f"Event: {label} wrote"


def test_events_cannot_be_changed_even_from_inside_the_write_path(world, rows):
    event = Event.objects.filter(escalation=rows[Escalation]).first()
    before = stored_state()
    with write_path("test"):
        for call in (lambda: Event.objects.filter(pk=event.pk).update(data={}),
                     lambda: Event.objects.filter(pk=event.pk).delete(), event.delete):
            with pytest.raises(WritePathViolation, match="append-only"):
                call()
        event.data = {"forged": True}
        with pytest.raises(WritePathViolation, match="append-only"):
            event.save()
    assert stored_state() == before


def test_rows_cannot_be_moved_between_escalations_through_a_related_manager(world, rows):
    # add() writes through the base manager, not .objects: it must be guarded all the same.
    before = stored_state()
    other = rows["other"]
    for manager, row in [(other.tag_rows, rows[EscalationTag]), (other.watcher_rows, rows[Watcher]),
                         (other.links_out, rows[Link]), (other.attachments, rows[Attachment])]:
        with pytest.raises(WritePathViolation):
            manager.add(row)
    assert stored_state() == before


@pytest.mark.parametrize("model", [Escalation, EscalationTag], ids=lambda m: m.__name__)
def test_the_base_manager_is_guarded_too(world, rows, model):
    with pytest.raises(WritePathViolation):
        model._base_manager.filter(tenant=world.tenant).update(tenant=world.tenant)


def test_events_cannot_be_bulk_created_outside_the_actions(world, rows):
    copy = Event.objects.filter(escalation=rows[Escalation]).first()
    copy.pk, copy.seq = None, 999
    with pytest.raises(WritePathViolation):
        Event.objects.bulk_create([copy])


def test_the_write_path_closes_again_when_an_action_is_refused(world, rows):
    esc = rows[Escalation]
    with pytest.raises(IllegalTransition):
        actions.close(esc, actor=world.actor(), now=world.now)
    assert not in_write_path()
    esc.title = "Quietly renamed"
    with pytest.raises(WritePathViolation):
        esc.save()


# == (b) in the source =======================================================================

ROOT = Path(tierline.__file__).resolve().parent
GUARDED = {"Escalation", "EscalationTag", "Watcher", "Link", "Attachment", "Event", "ProblemLink",
           "EscalationRootCause"}
WRITES = {"save", "create", "update", "delete", "bulk_create", "bulk_update", "get_or_create", "update_or_create"}
# Reverse accessors from an escalation to its guarded rows. The generic names only count for
# row-creating calls, so that `events.update(...)` on a plain dict is not mistaken for one.
RELATED_ANY_WRITE = {"tag_rows", "watcher_rows", "links_out", "links_in"}
RELATED_CREATE_ONLY = {"events", "attachments", "merged"}
RELATED_WRITES = WRITES | {"add", "set", "remove", "clear"}
CREATES = {"create", "bulk_create", "get_or_create", "update_or_create"}
TABLES = {
    "Escalation": "escalations_escalation", "EscalationTag": "escalations_escalationtag",
    "Watcher": "escalations_watcher", "Link": "escalations_link", "Attachment": "escalations_attachment",
    "Event": "audit_event", "ProblemLink": "problems_problemlink", "EscalationRootCause": "problems_escalationrootcause",
}
RAW_WRITE = re.compile(
    r"\b(insert\s+into|update|delete\s+from|truncate(\s+table)?|alter\s+table)\s+[\"'`]?("
    + "|".join(TABLES.values()) + r")\b",
    re.IGNORECASE,
)


def allowed(path: Path) -> bool:
    rel = path.relative_to(ROOT)
    return (
        rel.parts[0] == "actions"
        or rel.as_posix() == "audit/append.py"
        or "migrations" in rel.parts
        or "tests" in rel.parts
        or rel.name.startswith("test_")
        or rel.name == "conftest.py"
    )


class WriteFinder(ast.NodeVisitor):
    def __init__(self):
        self.models: dict[str, str] = {name: name for name in GUARDED}  # local name -> model
        self.instances: set[str] = set()
        self.found: list[tuple[int, str]] = []

    # -- names --------------------------------------------------------------------------------
    def visit_ImportFrom(self, node):
        for alias in node.names:
            if alias.name in GUARDED:
                self.models[alias.asname or alias.name] = alias.name
            if alias.name in ("write_path", "writepath"):
                self.found.append((node.lineno, f"imports {alias.name}: only the actions enter the write path"))
        self.generic_visit(node)

    def model_in(self, node) -> str | None:
        """The guarded model a receiver chain starts from or passes through, if any."""
        while True:
            if isinstance(node, ast.Name):
                return self.models.get(node.id)
            if isinstance(node, ast.Attribute):
                if node.attr in GUARDED:
                    return node.attr
                node = node.value
            elif isinstance(node, ast.Call):
                node = node.func
            elif isinstance(node, ast.Subscript):
                node = node.value
            else:
                return None

    def related_in(self, node, method: str) -> str | None:
        while isinstance(node, ast.Attribute | ast.Call | ast.Subscript):
            if isinstance(node, ast.Attribute):
                if node.attr in RELATED_ANY_WRITE or (node.attr in RELATED_CREATE_ONLY and method in CREATES):
                    return node.attr
                node = node.value
            else:
                node = node.func if isinstance(node, ast.Call) else node.value
        return None

    def bind(self, targets, value):
        if value is not None and self.model_in(value) and not self.reads_values(value):
            for target in targets:
                for name in ast.walk(target):
                    if isinstance(name, ast.Name):
                        self.instances.add(name.id)

    @staticmethod
    def reads_values(node) -> bool:
        return any(isinstance(n, ast.Attribute) and n.attr in ("values", "values_list", "count", "exists",
                                                               "aggregate", "_meta")
                   for n in ast.walk(node))

    def visit_Assign(self, node):
        self.bind(node.targets, node.value)
        self.generic_visit(node)

    def visit_AnnAssign(self, node):
        self.bind([node.target], node.value)
        self.generic_visit(node)

    def visit_For(self, node):
        self.bind([node.target], node.iter)
        self.generic_visit(node)

    def visit_withitem(self, node):
        self.generic_visit(node)

    # -- writes -------------------------------------------------------------------------------
    def visit_Call(self, node):
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in RELATED_WRITES:
            model = self.model_in(func.value) if func.attr in WRITES else None
            related = self.related_in(func.value, func.attr)
            if model:
                self.found.append((node.lineno, f"{model} … .{func.attr}()"))
            elif related:
                self.found.append((node.lineno, f"….{related}.{func.attr}()"))
            elif func.attr in ("save", "delete") and isinstance(func.value, ast.Name) and (
                    func.value.id in self.instances):
                self.found.append((node.lineno, f"{func.value.id}.{func.attr}() on a guarded model instance"))
        if (isinstance(func, ast.Name) and func.id == "write_path") or (
                isinstance(func, ast.Attribute) and func.attr == "write_path"):
            self.found.append((node.lineno, "enters write_path(): only the actions may"))
        self.generic_visit(node)

    def visit_Constant(self, node):
        if isinstance(node.value, str) and RAW_WRITE.search(node.value):
            self.found.append((node.lineno, f"raw SQL writes a guarded table: {RAW_WRITE.search(node.value)[0]!r}"))

    def visit_JoinedStr(self, node):
        # f"UPDATE {Escalation._meta.db_table} ..." is the same statement as a literal one.
        text = ""
        for part in node.values:
            if isinstance(part, ast.Constant):
                text += str(part.value)
            elif isinstance(part, ast.FormattedValue):
                model = self.model_in(part.value) if any(
                    isinstance(n, ast.Attribute) and n.attr == "db_table" for n in ast.walk(part.value)) else None
                text += TABLES.get(model, "_")
        if RAW_WRITE.search(text):
            self.found.append((node.lineno, f"raw SQL writes a guarded table: {RAW_WRITE.search(text)[0]!r}"))


def scan(source: str, filename: str = "<string>") -> list[str]:
    finder = WriteFinder()
    finder.visit(ast.parse(source, filename))
    return [f"{filename}:{line}: {what}" for line, what in sorted(finder.found)]


def scanned_files() -> list[Path]:
    return sorted(p for p in ROOT.rglob("*.py") if not allowed(p))


def test_no_module_outside_the_actions_writes_escalations_or_events():
    offences = []
    for path in scanned_files():
        offences += scan(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT.parent)))
    if offences:
        print("\n".join(offences))
        pytest.fail("writes outside tierline/actions:\n" + "\n".join(offences), pytrace=False)


def test_the_scan_covers_the_code_that_could_be_tempted():
    names = {p.relative_to(ROOT).as_posix() for p in scanned_files()}
    assert {"escalations/views.py", "escalations/api.py", "escalations/models.py", "audit/models.py",
            "audit/chain.py", "notifications/delivery.py", "testing/world.py"} <= names
    assert not any(n.startswith("actions/") or n == "audit/append.py" for n in names)


FORBIDDEN_SNIPPET = '''
from tierline.escalations.models import Escalation as E, Watcher
from tierline.audit import models as audit_models
from tierline.core.writepath import write_path
from django.db import connection

def sneaky(esc_id, user):
    E.objects.filter(pk=esc_id).update(status="closed")
    esc = E.objects.get(pk=esc_id)
    esc.title = "renamed"
    esc.save()
    for w in Watcher.objects.filter(escalation_id=esc_id):
        w.delete()
    audit_models.Event.objects.bulk_create([])
    esc.tag_rows.all().delete()
    esc.watcher_rows.add(user)
    esc.events.create(seq=1)
    with write_path("me"):
        pass
    connection.cursor().execute("DELETE FROM audit_event WHERE seq > 10")
    connection.cursor().execute(f"UPDATE {E._meta.db_table} SET title = 'x'")
    connection.cursor().execute("insert into escalations_watcher (user_id) values (1)")
'''

HARMLESS_SNIPPET = '''
from tierline.escalations.models import Escalation
from tierline.notifications.models import OutboxMessage

def fine(events, esc_id):
    events.update({"a": 1})
    OutboxMessage.objects.filter(escalation_id=esc_id).update(state="sent")
    n = Escalation.objects.filter(pk=esc_id).count()
    titles = Escalation.objects.values_list("title", flat=True)
    sql = "SELECT * FROM escalations_escalation WHERE status = 'closed'"
    note = "events are append-only: UPDATE and DELETE on them are refused"
    return n, titles, sql, note
'''


def test_the_scanner_finds_each_kind_of_write_and_its_line():
    found = scan(FORBIDDEN_SNIPPET, "sneaky.py")
    lines = sorted({int(f.split(":")[1]) for f in found})
    assert lines == [4, 8, 11, 13, 14, 15, 16, 17, 18, 20, 21, 22], "\n".join(found)
    assert found[0].startswith("sneaky.py:4: imports write_path")


def test_the_scanner_leaves_reads_and_other_models_alone():
    assert scan(HARMLESS_SNIPPET) == []
