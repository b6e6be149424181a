"""Append-only rows of several tables written in one statement.

A change usually leaves more than one row behind it: the object's own event log, the
merchant's audit trail, the outbox, a ledger entry. Each is a plain INSERT whose answer
nobody waits for except to learn the new ids, so they go to PostgreSQL as one statement
(an INSERT per table, joined as data-modifying WITH clauses) instead of one round trip
each. They commit or roll back with the caller's transaction like any other write.

`rows_held()` gathers the rows of a whole transaction (or the part of it after its
locks): every `rows_write` inside the block waits for its end, where all go in one
statement. A service whose change logs several times (a payment's transitions, its
fraud assessment, the ledger's entry and the merchant's events) then pays one round
trip for all of them.
"""

import json
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, connections, router
from django.db.models import AutoField, BigAutoField, JSONField, SmallAutoField
from django.db.models.constants import OnConflict
from django.db.models.expressions import RawSQL
from django.db.models.sql import InsertQuery

_AUTO = (AutoField, BigAutoField, SmallAutoField)


class SkipExisting(list):
    """Rows written unless one with the same `unique` fields (the columns of a unique
    constraint, integers or text) is there already: ON CONFLICT DO NOTHING, so a replay
    writes nothing and a concurrent writer cannot make a second. A row left out keeps
    pk None."""

    def __init__(self, rows=(), *, unique: tuple[str, ...]):
        super().__init__(rows)
        self.unique = tuple(unique)


def _unique_attnames(model, unique) -> list[str]:
    return [model._meta.get_field(name).attname for name in unique]


def _insert_sql(model, objs, connection, unique=()) -> tuple[str, tuple]:
    opts = model._meta
    # As bulk_create: a database-assigned primary key is left out and read back.
    fields = [f for f in opts.concrete_fields if not f.generated and not (f.primary_key and isinstance(f, _AUTO))]
    for obj in objs:
        obj._prepare_related_fields_for_save(operation_name="insert_rows")
    query = InsertQuery(model, on_conflict=OnConflict.IGNORE if unique else None)
    query.insert_values(fields, objs, raw=False)
    compiler = query.get_compiler(connection=connection)
    compiler.returning_fields = [opts.pk, *(opts.get_field(name) for name in unique)]
    ((sql, params),) = compiler.as_sql()
    if unique:
        # Only the named constraint is a replay; any other conflict is an error as ever.
        columns = ", ".join(connection.ops.quote_name(opts.get_field(name).column) for name in unique)
        sql = sql.replace("ON CONFLICT DO NOTHING", f"ON CONFLICT ({columns}) DO NOTHING", 1)
    return sql, params


def _insert_elsewhere(groups, connection) -> None:
    # Data-modifying WITH clauses are PostgreSQL's; elsewhere (the embedded SQLite of the
    # local run, whose transactions are serialized) each table is its own bulk insert.
    for group in groups:
        model = group[0].__class__
        manager = model.objects.using(connection.alias)
        if isinstance(group, SkipExisting):
            names = _unique_attnames(model, group.unique)
            group = [
                obj for obj in group if not manager.filter(**{name: getattr(obj, name) for name in names}).exists()
            ]
        manager.bulk_create(group)


def insert_rows(*groups) -> None:
    """Inserts unsaved instances (a list per model, in any number of models) in one
    statement and sets their primary keys, as bulk_create would. Empty lists are skipped;
    a SkipExisting list leaves out the rows that are there already.
    No signals, no save(): these are log rows, written as bulk_create writes them."""
    groups = [group if isinstance(group, SkipExisting) else list(group) for group in groups if group]
    if not groups:
        return
    connection = connections[router.db_for_write(groups[0][0].__class__)]
    if connection.vendor != "postgresql":
        _insert_elsewhere(groups, connection)
        return
    uniques = [group.unique if isinstance(group, SkipExisting) else () for group in groups]
    parts = [
        _insert_sql(group[0].__class__, group, connection, unique)
        for group, unique in zip(groups, uniques, strict=True)
    ]
    if len(parts) == 1 and not uniques[0]:
        sql, params = parts[0]
        tagged = False
    else:
        quote = connection.ops.quote_name

        def select(n, group, unique):
            pk = quote(group[0]._meta.pk.column)
            if not unique:
                return f"SELECT {n}, {pk}, NULL::text FROM w{n}"
            columns = ", ".join(quote(group[0]._meta.get_field(name).column) for name in unique)
            return f"SELECT {n}, {pk}, json_build_array({columns})::text FROM w{n}"

        withs = ", ".join(f"w{n} AS ({sql})" for n, (sql, _) in enumerate(parts))
        selects = " UNION ALL ".join(
            select(n, group, unique) for n, (group, unique) in enumerate(zip(groups, uniques, strict=True))
        )
        sql = f"WITH {withs} {selects}"
        params = tuple(param for _, part_params in parts for param in part_params)
        tagged = True
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    ids = [[] for _ in groups]
    for row in rows:
        if tagged:
            ids[row[0]].append((row[1], row[2]))
        else:
            ids[0].append((row[0], None))
    for group, unique, group_ids in zip(groups, uniques, ids, strict=True):
        model = group[0].__class__
        auto = isinstance(model._meta.pk, _AUTO)
        if unique:
            # Some rows may have been left out: match the written ones by their unique values.
            names = _unique_attnames(model, unique)
            written = {tuple(json.loads(tag)): pk for pk, tag in group_ids}
            for obj in group:
                pk = written.get(tuple(getattr(obj, name) for name in names))
                if pk is not None:
                    _written(obj, pk if auto else obj.pk, connection)
            continue
        # Ids come from the sequence in VALUES order within one statement.
        pks = sorted(pk for pk, _ in group_ids) if auto else [pk for pk, _ in group_ids]
        for obj, pk in zip(group, pks, strict=True):
            _written(obj, pk if auto else obj.pk, connection)


def _written(obj, pk, connection) -> None:
    obj.pk = pk
    obj._state.adding = False
    obj._state.db = connection.alias


def _savepoints(connection) -> int:
    # Savepoints opened and not yet released or rolled back (an atomic block without one
    # fails the whole transaction instead, which takes held rows with it anyway).
    return sum(1 for sid in connection.savepoint_ids if sid)


class _Held:
    def __init__(self, depth: int):
        self.depth = depth
        self.groups: dict = {}  # (model, unique) -> rows, in the order they came
        self.after: list = []


@contextmanager
def rows_held(using: str | None = None):
    """Inside an open transaction: every `rows_write` on this connection waits for the end
    of the block, where all its rows go in one statement (and then whatever waited for
    their ids). For append-only rows nothing reads back before the block ends: rows that
    refer to each other cannot wait together. A write from inside a savepoint opened
    within the block goes at once, so rolling the savepoint back takes its rows with it.
    On an exception nothing held is written (the transaction rolls back anyway). Nested
    blocks join the outer one."""
    connection = connections[using or DEFAULT_DB_ALIAS]
    if getattr(connection, "_rows_held", None) is not None or not connection.in_atomic_block:
        yield
        return
    held = connection._rows_held = _Held(_savepoints(connection))
    try:
        yield
    finally:
        connection._rows_held = None
    insert_rows(*held.groups.values())
    for then in held.after:
        then()


def rows_are_held(using: str | None = None) -> bool:
    """Whether a rows_write here and now would wait for the end of a rows_held block."""
    connection = connections[using or DEFAULT_DB_ALIAS]
    held = getattr(connection, "_rows_held", None)
    return held is not None and _savepoints(connection) == held.depth


def rows_write(*groups, then=None) -> None:
    """insert_rows, held to the end of an enclosing `rows_held` block; `then()` runs once
    the rows have their ids (at once without a block)."""
    groups = [group for group in groups if group]
    connection = connections[router.db_for_write(groups[0][0].__class__) if groups else DEFAULT_DB_ALIAS]
    held = getattr(connection, "_rows_held", None)
    if held is None or _savepoints(connection) != held.depth:
        insert_rows(*groups)
        if then is not None:
            then()
        return
    for group in groups:
        unique = group.unique if isinstance(group, SkipExisting) else ()
        key = (group[0].__class__, unique)
        if key not in held.groups:
            held.groups[key] = SkipExisting(unique=unique) if unique else []
        held.groups[key].extend(group)
    if then is not None:
        held.after.append(then)


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
