"""Helpers for the few reads written in SQL rather than through the ORM.

A page's hottest reads are written out where the ORM cost several times what the database
did: the day view's facts for 170 patients took 4.0 ms through the ORM and 0.5 ms as two
statements (docs/benchmarks.md, 2026-12-06). Everything else stays in the ORM. Each such
statement names its tables and columns literally or from the model, takes every value as
a parameter, and is run by the tests on SQLite and on PostgreSQL (docs/decisions.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from django.db import connection
from django.db.models import Lookup


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


def rows(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


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
