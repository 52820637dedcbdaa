"""PostgreSQL: the hot compiled reads run as prepared statements with a generic plan, give the
ORM's answer, and keep working across rolled-back transactions and reconnects."""

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.test.utils import override_settings

from tierline.core.compiled import _numbered, fetch_rows
from tierline.escalations.models import Escalation


def _query():
    return Escalation.objects.filter(pk=0).values_list("reference", "title")


def _prepared_here() -> dict[str, tuple[int, int]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, generic_plans, custom_plans FROM pg_prepared_statements")
        return {name: (generic, custom) for name, generic, custom in cursor.fetchall()}


def _read(key, pk):
    return fetch_rows(key, _query, [pk])


@pytest.mark.postgres_only
def test_a_compiled_read_is_prepared_once_and_planned_generically(world):
    esc = world.escalation(title="Printer on fire")
    expected = [tuple(Escalation.objects.filter(pk=esc.pk).values_list("reference", "title").get())]
    for _ in range(7):
        assert _read("test_prepared", esc.pk) == expected
    assert _read("test_prepared", esc.pk + 10_000) == []
    plans = [v for k, v in _prepared_here().items() if k.startswith("tierline_read_")]
    # One statement for the eight reads, every execution on the one generic plan (no re-planning).
    assert sum(generic for generic, _ in plans) >= 8 and all(custom == 0 for _, custom in plans)


@pytest.mark.postgres_only
def test_a_rolled_back_transaction_and_a_reconnect_do_not_break_the_prepared_read(world):
    esc = world.escalation(title="Rollback")
    with pytest.raises(RuntimeError), transaction.atomic():
        assert _read("test_rollback", esc.pk)[0][1] == "Rollback"  # prepared inside the transaction
        raise RuntimeError
    for _ in range(6):  # PREPARE survived the rollback, and its plan stays generic after it
        assert _read("test_rollback", esc.pk)[0][1] == "Rollback"
    assert all(custom == 0 for name, (_, custom) in _prepared_here().items() if name.startswith("tierline_read_"))
    connection.close()  # a new session has no prepared statements: prepared again
    assert _read("test_rollback", esc.pk)[0][1] == "Rollback"
    with connection.cursor() as cursor:  # generic plans from the session's start, not from a SET
        cursor.execute("SHOW plan_cache_mode")  # that a rolled-back transaction would undo
        assert cursor.fetchone()[0] == "force_generic_plan"


@pytest.mark.postgres_only
def test_prepared_reads_can_be_turned_off_for_a_transaction_pooler(world):
    esc = world.escalation(title="Pooled")
    connection.close()
    with override_settings(TIERLINE={**settings.TIERLINE, "PG_PREPARED": False}):
        assert _read("test_off", esc.pk)[0][1] == "Pooled"
        assert not [k for k in _prepared_here() if k.startswith("tierline_read_")]


@pytest.mark.parametrize(("sql", "expected"), [
    ("SELECT a FROM t WHERE b = %s AND c = %s", "SELECT a FROM t WHERE b = $1 AND c = $2"),
    ("SELECT a FROM t WHERE b LIKE '50%%' AND c = %s", "SELECT a FROM t WHERE b LIKE '50%' AND c = $1"),
    ("SELECT 1", "SELECT 1"),
])
def test_placeholders_become_numbered_parameters(sql, expected):  # pure: runs on both passes
    assert _numbered(sql) == expected
