"""The flush that empties the database after each transactional test (DELETE on PostgreSQL, see
tests/conftest.py) leaves every table empty, whatever the foreign keys between the rows."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection


def _counts() -> dict[str, int]:
    tables = connection.introspection.django_table_names(only_existing=True, include_views=False)
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(f"SELECT %s, COUNT(*) FROM {connection.ops.quote_name(t)}" for t in tables),
                       tables)
        return dict(cursor.fetchall())


@pytest.mark.django_db(transaction=True)
def test_flush_empties_every_table_of_a_world(world, menu):
    from tests.conftest import bind_card

    bind_card(world.elder, "3301000012345678")  # a row that points at an elder, who points at a region…
    before = _counts()
    assert {"regions_region", "accounts_user", "elders_elder", "identity_citizencard", "canteens_dish",
            "core_auditlog"} <= {table for table, n in before.items() if n}
    call_command("flush", verbosity=0, interactive=False, inhibit_post_migrate=True)
    assert {table: n for table, n in _counts().items() if n} == {}


@pytest.mark.django_db
def test_every_foreign_key_is_checked_at_commit():
    """What deleting table by table relies on, on PostgreSQL; on SQLite Django's flush turns the
    foreign-key checks off itself."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT conrelid::regclass::text, conname FROM pg_constraint "
                           "WHERE contype = 'f' AND NOT (condeferrable AND condeferred)")
            assert cursor.fetchall() == []
            cursor.execute("SELECT COUNT(*) FROM pg_constraint WHERE contype = 'f'")
        else:
            cursor.execute("SELECT COUNT(*) FROM sqlite_master m, pragma_foreign_key_list(m.name) "
                           "WHERE m.type = 'table'")
        assert cursor.fetchone()[0] > 100
