"""core.hotcursor: one cursor per database connection for the hot path."""

from __future__ import annotations

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
