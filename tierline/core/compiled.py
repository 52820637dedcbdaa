"""Reads compiled once per connection, for the paths that run the same query thousands of times.

Compiling a queryset costs far more than running it (the escalation row has some forty columns:
~1 ms to compile, ~0.1 ms to run), so these keep Django's own SQL and result converters per
connection and bind new parameters. The SLA sweep, privacy key lookups, status links, API token
authentication, tenant scoping by primary key and the escalation detail reads use them.

On PostgreSQL the server's planner costs the same again: the SLA claim joins six tables and took
~2.5 ms to plan and 0.1 ms to run, on every tick. So there each of these reads is also a
server-side prepared statement (PREPARE once per database session, then EXECUTE), planned once
with a generic plan: every one is a lookup by key whose best plan does not depend on the value.
Poolers that share server sessions between clients (PgBouncer in transaction mode) lose
prepared statements; TIERLINE_PG_PREPARED=0 turns this off for them.
"""

from __future__ import annotations

import itertools
import re
import weakref

from django.conf import settings
from django.db import models, transaction

# Per database session (the driver's connection object, which outlives no reconnect): the
# statements prepared on it, by key.
_prepared: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_PLACEHOLDER = re.compile(r"%%|%s")


def _compiled(key: str, build):
    from django.db.models.query import get_related_populators

    conn = transaction.get_connection()
    cache = conn.__dict__.setdefault("_tierline_compiled", {})
    entry = cache.get(key)
    if entry is None:
        compiler = build().query.get_compiler(connection=conn)
        sql, params = compiler.as_sql()
        converters = compiler.get_converters([col for col, _, _ in compiler.select])
        model = None
        if compiler.klass_info is not None:  # a model query: what ModelIterable builds instances from
            fields = compiler.klass_info["select_fields"]
            model = (compiler.klass_info["model"], fields[0], fields[-1] + 1,
                     [compiler.select[i][0].target.attname for i in fields],
                     get_related_populators(compiler.klass_info, compiler.select, conn.alias))
        entry = cache[key] = (sql, len(params), compiler, converters, model)
    return conn, entry


def _numbered(sql: str) -> str:
    """Django's %s placeholders as PostgreSQL's $1, $2, … (and %% as the % it stands for)."""
    counter = itertools.count(1)
    return _PLACEHOLDER.sub(lambda m: "%" if m.group() == "%%" else f"${next(counter)}", sql)


def _execute_prepared(conn, cursor, key: str, sql: str, params: list) -> None:
    """EXECUTE the statement prepared for `key` on this session, preparing it on first use. A
    PREPARE outlives the transaction it ran in (rolled back or not), so the record is kept
    with the session, not the transaction."""
    session = conn.connection
    names = _prepared.get(session)
    if names is None:
        names = _prepared[session] = {}
    name = names.get(key)
    if name is None:
        name = f"tierline_read_{len(names) + 1}"
        # Planned once, generically: the session starts with plan_cache_mode=force_generic_plan
        # (settings.py), since planning per execution is the cost being saved.
        cursor.execute(f"PREPARE {name} AS {_numbered(sql)}")
        names[key] = name
    cursor.execute(f"EXECUTE {name}({', '.join(['%s'] * len(params))})" if params else f"EXECUTE {name}", params)


def _use_prepared(conn) -> bool:
    return conn.vendor == "postgresql" and settings.TIERLINE.get("PG_PREPARED", True)


def fetch_rows(key: str, build, params: list) -> list:
    """Rows of the query `build()` (compiled once under `key`), with `params` in place of the
    parameters it was compiled with (same number, same order, already prepared for the database)."""
    conn, (sql, count, compiler, converters, _) = _compiled(key, build)
    if len(params) != count:
        raise ValueError(f"{key}: {count} parameters expected, got {len(params)}")
    with conn.cursor() as cursor:
        if _use_prepared(conn):
            _execute_prepared(conn, cursor, key, sql, params)
        else:
            cursor.execute(sql, params)
        rows = cursor.fetchall()
    return list(compiler.apply_converters(rows, converters)) if converters and rows else rows


def fetch_instances(key: str, build, params: list) -> list:
    """Model instances of the model query `build()` (see fetch_rows), select_related included."""
    conn, (*_, (model, start, end, init_list, populators)) = _compiled(key, build)
    out = []
    for row in fetch_rows(key, build, params):
        obj = model.from_db(conn.alias, init_list, row[start:end])
        for populator in populators:
            populator.populate(row, obj)
        out.append(obj)
    return out


# Any DateTimeField prepares a naive value the same way (the time-zone warning and conversion).
_DATETIME = models.DateTimeField()


def db_datetime(value):
    """A datetime as the database takes it in a parameter (what DateTimeField prepares)."""
    conn = transaction.get_connection()
    if value is None or value.tzinfo is not None:  # aware: nothing for the field to check
        return conn.ops.adapt_datetimefield_value(value)
    return _DATETIME.get_db_prep_value(value, conn)
