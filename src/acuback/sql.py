"""Helpers for the few reads written in SQL rather than through the ORM.

A page's hottest reads are written out where the ORM cost several times what the database
did: the day view's facts for 170 patients took 4.0 ms through the ORM and 0.5 ms as two
statements (docs/benchmarks.md, 2026-12-06). Everything else stays in the ORM. Each such
statement names its tables and columns literally or from the model, takes every value as
a parameter, and is run by the tests on SQLite and on PostgreSQL
(docs/decisions/0119-a-few-hot-reads-are-written.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from django.db import connection
from django.db.models import Lookup, Model

from acuback import signing


def id_in(column: str, ids: Iterable[int], db=connection) -> tuple[str, list]:
    """`column` is one of `ids`, as SQL and its parameters.

    PostgreSQL gets the ids as one array parameter: the statement's text stays the same
    whatever the number of ids, so it is prepared once and not parsed or planned again (a
    list of 170 placeholders was both, on every page). SQLite has no arrays: a placeholder
    per id (SQLite 3.32+ takes 32,766 of them)."""
    ids = [int(i) for i in ids]
    if db.vendor == "postgresql":
        return f"{column} = ANY(%s::bigint[])", [ids]
    if not ids:
        return "1 = 0", []
    return f"{column} IN ({', '.join(['%s'] * len(ids))})", ids


@cache
def columns(model, exclude: tuple[str, ...] = ()) -> str:
    """The model's columns, quoted, but the fields named in `exclude`: the select list of a
    written-out SELECT that builds the model's instances with `Model.objects.raw()` (which
    converts each value as the ORM does; the fields left out are deferred)."""
    return ", ".join(connection.ops.quote_name(f.column) for f in model._meta.concrete_fields
                     if f.name not in exclude)


def by_pk(model, pk: int, related: tuple[str, ...] = ()):
    """``model.objects.select_related(*related).filter(pk=pk).first()``, written out: the
    rows every page reads by id (the clinic, the session), where the ORM spent 0.3 ms
    building the statement (0.8 ms with two joins)."""
    found = fetch(model, f"t0.{connection.ops.quote_name(model._meta.pk.column)} = %s", [pk],
                  related=related)
    return found[0] if found else None


def fetch(model, where: str, params: list, *, related: tuple[str, ...] = (),
          tail: str = "", only: tuple[str, ...] = ()) -> list:
    """``model``'s instances for ``SELECT … FROM its table AS t0 WHERE {where} {tail}``
    (columns named ``t0.column``), each foreign key named in `related` joined and its object
    set on the instance, as ``select_related`` does (None where a nullable key is empty).
    With `only` (field names; the primary key is always read), the model's other fields
    are deferred, as ``only()`` defers them: read from the database if used.

    Every value goes through the converters the ORM applies (JSON, SQLite's times and
    decimals); the instances are built as the ORM builds them, without its statement
    compiler or ``raw()``'s column matching: 0.15 ms a read by id on PostgreSQL, against
    0.24 ms through ``raw()`` and 0.44 ms through the ORM (docs/benchmarks.md)."""
    quote = connection.ops.quote_name
    tables = [(model, "t0", None)]
    fields = {m: _read_fields(m, only if m is model else ()) for m in
              [model, *(model._meta.get_field(name).related_model for name in related)]}
    joins = []
    for n, name in enumerate(related, start=1):
        field = model._meta.get_field(name)
        alias = f"t{n}"
        joins.append(f"{'LEFT' if field.null else 'INNER'} JOIN "
                     f"{quote(field.related_model._meta.db_table)} {alias} ON {alias}."
                     f"{quote(field.target_field.column)} = t0.{quote(field.column)}")
        tables.append((field.related_model, alias, field))
    select = ", ".join(f"{alias}.{quote(f.column)}" for m, alias, _ in tables
                       for f in fields[m])
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {select} FROM {quote(model._meta.db_table)} t0 "  # noqa: S608 - names from the models  # nosec B608
                       f"{' '.join(joins)} WHERE {where} {tail}", params)
        found = cursor.fetchall()
    instances = []
    for row in found:
        start, objects = 0, []
        for m, _, _ in tables:
            width = len(fields[m])
            objects.append(_instance(m, fields[m], row[start:start + width]))
            start += width
        instance = objects[0]
        for (_, _, field), other in zip(tables[1:], objects[1:], strict=True):
            field.set_cached_value(instance, other)
        instances.append(instance)
    return instances


@cache
def _read_fields(model, only: tuple[str, ...]) -> tuple:
    """The concrete fields a fetch reads: all of them, or the primary key and `only`."""
    if not only:
        return tuple(model._meta.concrete_fields)
    return tuple(f for f in model._meta.concrete_fields
                 if f.primary_key or f.name in only or f.attname in only)


def _instance(model, fields: tuple, values: tuple):
    """The model's instance from the values of `fields` (None for a LEFT JOIN that found
    none), each converted by the ORM's converters for this database; fields not read are
    deferred."""
    if values[fields.index(model._meta.pk)] is None:
        return None
    values = list(values)
    for index, converters, column in _converters(model, fields, connection.vendor):
        for converter in converters:
            values[index] = converter(values[index], column, connection)
    names = None if len(fields) == len(model._meta.concrete_fields) else \
        [f.attname for f in fields]
    return model.from_db(connection.alias, names, values)


@cache
def _converters(model, fields: tuple, vendor: str) -> list[tuple[int, list, object]]:
    """(position, converters, column) of each of `fields` whose value the ORM converts on
    this database; ``vendor`` keys the cache."""
    found = []
    for index, field in enumerate(fields):
        column = field.get_col(model._meta.db_table)
        converters = (connection.ops.get_db_converters(column)
                      + column.get_db_converters(connection))
        if converters:
            found.append((index, converters, column))
    return found


def rows(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


# The writes of a session save, written out
# (docs/decisions/0120-written-out-reads-build-the-orms.md): each of the ORM's update,
# delete and bulk_create spent 0.4-0.8 ms building a statement the database ran in 0.1 ms.
# Same statements, same semantics: no signals (the ORM's update() and bulk_create() send
# none either), every value converted by its field as the ORM converts it.

def _column_and_value(model, name: str, value) -> tuple[str, object]:
    field = model._meta.get_field(name)
    if isinstance(value, Model):  # a foreign key given as its instance
        value = value.pk
    return connection.ops.quote_name(field.column), field.get_db_prep_save(value, connection)


def _where(model, where: dict) -> tuple[str, list]:
    pairs = [_column_and_value(model, name, value) for name, value in where.items()]
    return " AND ".join(f"{column} = %s" for column, _ in pairs), [v for _, v in pairs]


def update(model, where: dict, values: dict) -> int:
    """``model.objects.filter(**where).update(**values)`` for equality filters: the number
    of rows changed."""
    signing.check_fields(model, values)
    return _update(model, where, values)


def _update(model, where: dict, values: dict) -> int:
    pairs = [_column_and_value(model, name, value) for name, value in values.items()]
    condition, params = _where(model, where)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {connection.ops.quote_name(model._meta.db_table)} "  # noqa: S608 - names from the model  # nosec B608
            f"SET {', '.join(f'{column} = %s' for column, _ in pairs)} WHERE {condition}",
            [*(v for _, v in pairs), *params])
        return cursor.rowcount


def delete(model, where: dict) -> int:
    """``model.objects.filter(**where).delete()`` for a table nothing refers to (no
    cascade to follow, no signal): the number of rows deleted."""
    condition, params = _where(model, where)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)} "  # noqa: S608 - names from the model  # nosec B608
                       f"WHERE {condition}", params)
        return cursor.rowcount


def insert(model, instances: list, *, returning_pk: bool = False,
           update_conflicts: tuple[str, ...] = ()) -> None:
    """``model.objects.bulk_create(instances)`` in one INSERT, with each field's default
    where the instance has none; with `returning_pk`, each instance gets its new id (both
    databases take RETURNING). With `update_conflicts` (the fields of a unique constraint),
    a row that already holds those values gets the instance's other fields instead, as
    ``bulk_create(update_conflicts=True)`` does (both databases take ON CONFLICT)."""
    if not instances:
        return
    signing.check_new(model, instances)
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    row = f"({', '.join(['%s'] * len(fields))})"
    statement = (f"INSERT INTO {quote(model._meta.db_table)} "  # noqa: S608 - names from the model  # nosec B608
                 f"({', '.join(quote(f.column) for f in fields)}) "
                 f"VALUES {', '.join([row] * len(instances))}")
    if update_conflicts:
        unique = [model._meta.get_field(name).column for name in update_conflicts]
        statement += (f" ON CONFLICT ({', '.join(quote(c) for c in unique)}) DO UPDATE SET "  # noqa: S608 - names from the model  # nosec B608
                      + ", ".join(f"{quote(f.column)} = EXCLUDED.{quote(f.column)}"
                                  for f in fields if f.column not in unique))
    if returning_pk:
        statement += f" RETURNING {quote(model._meta.pk.column)}"
    params = [f.get_db_prep_save(f.pre_save(instance, True), connection)
              for instance in instances for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        if returning_pk:
            for instance, (pk,) in zip(instances, cursor.fetchall(), strict=True):
                instance.pk = pk
    for instance in instances:
        instance._state.adding, instance._state.db = False, connection.alias


def save(instance) -> None:
    """``instance.save()`` without signals (acuback listens to none): a new instance is
    INSERTed and gets its id; a stored one has every field UPDATEd, its ``auto_now``
    fields set to now, as the ORM's save sets them."""
    model = type(instance)
    if instance._state.adding:
        insert(model, [instance], returning_pk=True)
        return
    signing.check_save(instance)  # every field is written: the changed ones are checked
    _update(model, {model._meta.pk.name: instance.pk}, {
        f.name: f.pre_save(instance, False)
        for f in model._meta.concrete_fields if not f.primary_key})


class IdIn(Lookup):
    """`field__id_in=ids`: the ORM's `__in` for a list of ids, written as `id_in` writes it
    (one array parameter on PostgreSQL). Registered on every field by the web app."""

    lookup_name = "id_in"
    prepare_rhs = False
    can_use_none_as_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        condition, params = id_in(lhs, self.rhs, connection)
        return condition, [*lhs_params, *params]
