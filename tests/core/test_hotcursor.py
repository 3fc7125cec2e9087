"""core.hotcursor: one cursor per database connection for the hot path."""

from __future__ import annotations

from datetime import UTC

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from zhucan.core.hotcursor import hot_cursor


def _one(cur) -> int:
    cur.execute("SELECT 1 + %s", [1])
    return cur.fetchone()[0]


def test_reused_while_the_connection_lives(db):
    first = hot_cursor()
    assert _one(first) == 2
    assert hot_cursor() is first and _one(hot_cursor()) == 2


@pytest.mark.django_db(transaction=True)
def test_a_closed_connection_gets_a_new_cursor():
    first = hot_cursor()
    _one(first)
    raw = connection.connection
    connection.close()  # Django keeps an in-memory SQLite database open: the same connection stays
    second = hot_cursor()
    assert _one(second) == 2
    assert (second is first) == (connection.connection is raw)
    if connection.vendor == "postgresql":
        assert second is not first


def test_statements_are_logged_when_queries_are_captured(db):
    before = hot_cursor()
    with CaptureQueriesContext(connection) as ctx:
        logged = hot_cursor()
        assert _one(logged) == 2
    assert logged is not before  # Django decides at creation whether a cursor logs
    assert len(ctx.captured_queries) == 1 and ctx.captured_queries[0]["sql"].startswith("SELECT 1 + ")
    after = hot_cursor()
    assert after is not logged and _one(after) == 2



def test_timestamps_read_as_django_reads_them(db):
    """On PostgreSQL the hot cursor parses timestamptz with psycopg's loader, not Django's: the
    values must not change (aware, in datetime.UTC)."""
    from zhucan.core import clock

    moment = clock.now()
    pg = connection.vendor == "postgresql"
    sql = ("SELECT %s::timestamptz, '2026-11-23 12:34:56.789+08'::timestamptz" if pg
           else "SELECT %s, '2026-11-23 04:34:56.789'")
    with connection.cursor() as cur:  # Django's cursor, Django's conversions
        cur.execute(sql, [moment])
        expected = cur.fetchone()
    hot = hot_cursor()
    hot.execute(sql, [moment])
    got = hot.fetchone()
    assert got == expected
    if not pg:
        return
    from psycopg import postgres
    from psycopg.pq import Format

    from zhucan.core.hotcursor import use_psycopg_timestamptz

    oid = postgres.types["timestamptz"].oid
    assert hot.cursor.adapters.get_loader(oid, Format.TEXT) is postgres.adapters.get_loader(oid, Format.TEXT)
    assert got[0] == moment and [v.tzinfo for v in got] == [UTC] * 2 == [v.tzinfo for v in expected]
    assert got[1].isoformat() == "2026-11-23T04:34:56.789000+00:00"
    with connection.cursor() as other:  # Django's other cursors keep Django's loader
        assert other.cursor.adapters.get_loader(oid, Format.TEXT) is not postgres.adapters.get_loader(oid, Format.TEXT)
        other.execute("SET TIME ZONE 'Asia/Shanghai'")  # another session zone: psycopg's would differ
        try:
            assert use_psycopg_timestamptz(connection, other.cursor) is False
        finally:
            other.execute("SET TIME ZONE 'UTC'")
        assert use_psycopg_timestamptz(connection, other.cursor) is True
