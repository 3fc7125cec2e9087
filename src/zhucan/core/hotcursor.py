"""One reusable cursor for the checkout hot path's hand-written statements.

`connection.cursor()` builds a Django cursor wrapper around a new psycopg cursor and checks the
connection on every call: on the lunch-rush path (seven statements per checkout) that was ≈ 6 % of
the API's CPU. The cursor here is made once per database connection and reused while that
connection lives; a connection closed or replaced (Django's CONN_MAX_AGE, a broken connection)
gets a new one, and so does a change of query logging (tests capturing queries, DEBUG), since
Django decides at creation whether a cursor logs. Connections are per thread, so is the cursor.
Statements run through it get Django's error translation as before; the caller fetches its
result at once (the next statement replaces it).

On PostgreSQL with USE_TZ the cursor reads timestamptz with psycopg's own loader (C in
psycopg-binary) instead of the Python subclass Django registers on every connection: Django's only
replaces the tzinfo with the connection's zone, and with the session in UTC psycopg's already
returns `datetime.timezone.utc`, so the values are identical. The terminal, canteen and elder rows
read on every request carry several timestamps: parsing them in Python was ≈ 5 % of the API's CPU.
"""

from __future__ import annotations

from datetime import UTC

from django.db import DEFAULT_DB_ALIAS, connections

_ATTR = "_zhucan_hot_cursor"


def hot_cursor():
    db = connections[DEFAULT_DB_ALIAS]
    raw = db.connection
    logged = db.queries_logged
    cached = getattr(db, _ATTR, None)
    if cached is not None and raw is not None and cached[0] is raw and cached[1] == logged \
            and not getattr(raw, "closed", False):
        return cached[2]
    cursor = db.cursor()  # connects if needed
    if db.vendor == "postgresql":
        use_psycopg_timestamptz(db, cursor.cursor)
    setattr(db, _ATTR, (db.connection, logged, cursor))
    return cursor


def use_psycopg_timestamptz(db, cursor) -> bool:
    """Register psycopg's timestamptz loader on this psycopg `cursor` when it returns exactly what
    Django's would (aware datetimes in `datetime.timezone.utc`); True if it did."""
    from psycopg import postgres
    from psycopg.pq import Format

    if db.timezone is not UTC or db.connection.info.parameter_status("TimeZone") != "UTC":
        return False
    oid = postgres.types["timestamptz"].oid
    cursor.adapters.register_loader(oid, postgres.adapters.get_loader(oid, Format.TEXT))
    return True
