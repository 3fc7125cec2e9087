"""Model instances from raw rows, for the few hot reads and writes of the checkout path written as plain SQL.

Compiling an ORM query costs more Python than the database spends answering it; the lunch-rush
path (auth, identify, quote, commit) therefore reads with hand-written, parameterised SQL and builds
the instances here, with the same database-to-Python conversions the ORM applies (SQLite returns
dates and datetimes as text, PostgreSQL does not). An instance built from a subset of the fields
defers the others: reading one of those loads it from the database, as with `.only()`.
"""

from __future__ import annotations

from functools import cache

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import Model
from django.db.models.base import ModelState
from django.db.models.signals import post_init


@cache
def _plan(model: type[Model], vendor: str, names: tuple[str, ...] | None) -> tuple:
    """(attribute names, ((position, column, converters), …) for the fields that have converters)."""
    fields = model._meta.concrete_fields if names is None else [model._meta.get_field(n) for n in names]
    attnames, converted = [], []
    for i, f in enumerate(fields):
        col = f.get_col(model._meta.db_table)
        convs = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
        attnames.append(f.attname)
        if convs:
            converted.append((i, col, tuple(convs)))
    return tuple(attnames), tuple(converted)


def columns(model: type[Model], alias: str, names: tuple[str, ...] | None = None) -> str:
    """`alias."col", …` for every concrete field (or the named ones), in model order."""
    fields = model._meta.concrete_fields if names is None else [model._meta.get_field(n) for n in names]
    return ", ".join(f'{alias}."{f.column}"' for f in fields)


def width(model: type[Model], names: tuple[str, ...] | None = None) -> int:
    return len(model._meta.concrete_fields) if names is None else len(names)


def build(model: type[Model], values, names: tuple[str, ...] | None = None) -> Model:
    """An instance from `values` (in the order of `columns(model, …, names)`), as loaded from the db."""
    db = connections[DEFAULT_DB_ALIAS]
    attnames, converted = _plan(model, db.vendor, names)
    if len(values) != len(attnames):
        raise ValueError(f"{model.__name__}: {len(values)} values for {len(attnames)} fields")
    if converted:
        values = list(values)
        for i, col, fns in converted:
            value = values[i]
            for fn in fns:
                value = fn(value, col, db)
            values[i] = value
    return loaded(model, attnames, values, db.alias)


def loaded(model: type[Model], attnames, values, alias: str | None = None) -> Model:
    """The instance `Model.from_db` would build, without running `Model.__init__` (which costs more
    than the query on this path: a descriptor call per field). Attributes not given stay deferred,
    as with `from_db`. Models with `post_init` receivers (e.g. image fields) take `from_db` itself."""
    alias = alias or DEFAULT_DB_ALIAS
    if post_init.has_listeners(model):
        return model.from_db(alias, list(attnames), list(values))
    obj = model.__new__(model)
    state = obj._state = ModelState()
    state.adding, state.db = False, alias
    obj.__dict__.update(zip(attnames, values, strict=True))
    return obj
