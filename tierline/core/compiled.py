"""Reads compiled once per connection, for the paths that run the same query thousands of times.

Compiling a queryset costs far more than running it (the escalation row has some forty columns:
~1 ms to compile, ~0.1 ms to run), so these keep Django's own SQL and result converters per
connection and bind new parameters. The SLA sweep, privacy key lookups, status links, API token
authentication, tenant scoping by primary key and the escalation detail reads use them.
"""

from __future__ import annotations


def _compiled(key: str, build):
    from django.db import transaction
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


def fetch_rows(key: str, build, params: list) -> list:
    """Rows of the query `build()` (compiled once under `key`), with `params` in place of the
    parameters it was compiled with (same number, same order, already prepared for the database)."""
    conn, (sql, count, compiler, converters, _) = _compiled(key, build)
    if len(params) != count:
        raise ValueError(f"{key}: {count} parameters expected, got {len(params)}")
    with conn.cursor() as cursor:
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


def db_datetime(value):
    """A datetime as the database takes it in a parameter (what DateTimeField prepares)."""
    from django.db import transaction

    from tierline.escalations.models import Escalation

    conn = transaction.get_connection()
    if value is None or value.tzinfo is not None:  # aware: nothing for the field to check
        return conn.ops.adapt_datetimefield_value(value)
    return Escalation._meta.get_field("next_deadline").get_db_prep_value(value, conn)
