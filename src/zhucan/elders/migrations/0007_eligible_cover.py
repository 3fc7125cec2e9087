"""A partial covering index of the eligible elders (PostgreSQL only).

Coverage (analytics) reads only the eligible elders' id, community and birth date; with this index
PostgreSQL reads them by an index-only scan instead of the wide elders table (with the name as well
the index grew enough for the planner to prefer the table again). The condition is
`eligible_elders`' filter word for word (the planner must prove the query's filter implies it).
SQLite has no INCLUDE, and its sizes do not need the index.
"""

from django.db import migrations

INDEX = "elder_eligible_cover"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON elders_elder (id) INCLUDE (community_id, birth_date) "
            "WHERE erased_at IS NULL AND status = 'active' AND verification = 'verified'")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):

    dependencies = [
        ("elders", "0006_diet_notes"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]
