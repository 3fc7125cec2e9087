"""One reusable cursor for the checkout hot path's hand-written statements.

`connection.cursor()` builds a Django cursor wrapper around a new psycopg cursor and checks the
connection on every call: on the lunch-rush path (seven statements per checkout) that was ≈ 6 % of
the API's CPU. The cursor here is made once per database connection and reused while that
connection lives; a connection closed or replaced (Django's CONN_MAX_AGE, a broken connection)
gets a new one, and so does a change of query logging (tests capturing queries, DEBUG), since
Django decides at creation whether a cursor logs. Connections are per thread, so is the cursor.
Statements run through it get Django's error translation as before; the caller fetches its
result at once (the next statement replaces it).
"""

from __future__ import annotations

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
    setattr(db, _ATTR, (db.connection, logged, cursor))
    return cursor
