"""Model instances from raw rows, for the few hot reads of API v1 written as plain SQL.

Compiling an ORM query costs more Python than the database spends answering it; the lunch-rush
path (auth, identify, quote, commit) therefore reads with hand-written, parameterised SQL and builds
the instances here, with the same database-to-Python conversions the ORM applies (SQLite returns
dates and datetimes as text, PostgreSQL does not). An instance built from a subset of the fields
defers the others: reading one of those loads it from the database, as with `.only()`.
"""

from __future__ import annotations

from functools import cache

from django.db import connection
from django.db.models import Model


@cache
def _converters(model: type[Model], vendor: str, names: tuple[str, ...] | None) -> tuple:
    fields = model._meta.concrete_fields if names is None else [model._meta.get_field(n) for n in names]
    out = []
    for f in fields:
        col = f.get_col(model._meta.db_table)
        convs = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
        out.append((f.attname, col, tuple(convs)))
    return tuple(out)


def columns(model: type[Model], alias: str, names: tuple[str, ...] | None = None) -> str:
    """`alias."col", …` for every concrete field (or the named ones), in model order."""
    fields = model._meta.concrete_fields if names is None else [model._meta.get_field(n) for n in names]
    return ", ".join(f'{alias}."{f.column}"' for f in fields)


def width(model: type[Model], names: tuple[str, ...] | None = None) -> int:
    return len(model._meta.concrete_fields) if names is None else len(names)


def build(model: type[Model], values, names: tuple[str, ...] | None = None) -> Model:
    """An instance from `values` (in the order of `columns(model, …, names)`), as loaded from the db."""
    convs = _converters(model, connection.vendor, names)
    converted = []
    for (_attname, col, fns), value in zip(convs, values, strict=True):
        for fn in fns:
            value = fn(value, col, connection)
        converted.append(value)
    return model.from_db(connection.alias, [attname for attname, _c, _f in convs], converted)
