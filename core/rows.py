"""Append-only rows of several tables written in one statement.

A change usually leaves more than one row behind it: the object's own event log, the
merchant's audit trail, the outbox. Each is a plain INSERT whose answer nobody waits
for except to learn the new ids, so they go to PostgreSQL as one statement (an INSERT
per table, joined as data-modifying WITH clauses) instead of one round trip each. They
commit or roll back with the caller's transaction like any other write.
"""

import json

from django.db import connections, router
from django.db.models import AutoField, BigAutoField, JSONField, SmallAutoField
from django.db.models.expressions import RawSQL
from django.db.models.sql import InsertQuery

_AUTO = (AutoField, BigAutoField, SmallAutoField)


def _insert_sql(model, objs, connection) -> tuple[str, tuple]:
    opts = model._meta
    # As bulk_create: a database-assigned primary key is left out and read back.
    fields = [f for f in opts.concrete_fields if not f.generated and not (f.primary_key and isinstance(f, _AUTO))]
    for obj in objs:
        obj._prepare_related_fields_for_save(operation_name="insert_rows")
    query = InsertQuery(model)
    query.insert_values(fields, objs, raw=False)
    compiler = query.get_compiler(connection=connection)
    compiler.returning_fields = [opts.pk]
    ((sql, params),) = compiler.as_sql()
    return sql, params


def insert_rows(*groups) -> None:
    """Inserts unsaved instances (a list per model, in any number of models) in one
    statement and sets their primary keys, as bulk_create would. Empty lists are skipped.
    No signals, no save(): these are log rows, written as bulk_create writes them."""
    groups = [list(group) for group in groups if group]
    if not groups:
        return
    connection = connections[router.db_for_write(groups[0][0].__class__)]
    if connection.vendor != "postgresql":
        # Data-modifying WITH clauses are PostgreSQL's; elsewhere (the embedded SQLite of
        # the local run) each table is its own bulk insert.
        for group in groups:
            group[0].__class__.objects.using(connection.alias).bulk_create(group)
        return
    parts = [_insert_sql(group[0].__class__, group, connection) for group in groups]
    if len(parts) == 1:
        sql, params = parts[0]
        tagged = False
    else:
        withs = ", ".join(f"w{n} AS ({sql})" for n, (sql, _) in enumerate(parts))
        selects = " UNION ALL ".join(f"SELECT {n}, * FROM w{n}" for n in range(len(parts)))
        sql = f"WITH {withs} {selects}"
        params = tuple(param for _, part_params in parts for param in part_params)
        tagged = True
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    ids = [[] for _ in groups]
    for row in rows:
        if tagged:
            ids[row[0]].append(row[1])
        else:
            ids[0].append(row[0])
    for group, group_ids in zip(groups, ids, strict=True):
        auto = isinstance(group[0]._meta.pk, _AUTO)
        # Ids come from the sequence in VALUES order within one statement.
        for obj, pk in zip(group, sorted(group_ids) if auto else group_ids, strict=True):
            if auto:
                obj.pk = pk
            obj._state.adding = False
            obj._state.db = connection.alias


class _ChildrenJson(RawSQL):
    """PostgreSQL's jsonb_agg; on other databases NULL, and the caller reads the children
    the ordinary way (rows_from_json answers None)."""

    def as_sqlite(self, compiler, connection):
        return "NULL", ()

    as_mysql = as_oracle = as_sqlite


def children_json(model, *, parent_table: str, fk_column: str, order_by: str) -> RawSQL:
    """For the select list of a query on `parent_table`: its `model` children as one JSON
    array, so a row and its children come back in one round trip (rows_from_json reads it).
    Under select_for_update(of=("self",)) only the parent row is locked, as before."""
    table = connection_ops_quote(model._meta.db_table)
    parent = connection_ops_quote(parent_table)
    return _ChildrenJson(
        f"(SELECT COALESCE(jsonb_agg(c ORDER BY {order_by}), '[]') FROM {table} c "
        f'WHERE c.{connection_ops_quote(fk_column)} = {parent}."id")',
        (),
        output_field=JSONField(),
    )


def connection_ops_quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def rows_from_json(model, rows) -> list | None:
    """Model instances of the rows children_json read, as the ORM would have built them;
    None where the database did not read them (not PostgreSQL)."""
    if rows is None:
        return None
    if isinstance(rows, str | bytes):
        rows = json.loads(rows)
    fields = model._meta.concrete_fields
    names = [field.attname for field in fields]
    built = []
    for row in rows or []:
        values = [
            row.get(field.column) if isinstance(field, JSONField) else field.to_python(row.get(field.column))
            for field in fields
        ]
        built.append(model.from_db(router.db_for_read(model), names, values))
    return built
