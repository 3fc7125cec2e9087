"""Drop the partial covering index of the eligible elders (0007, PostgreSQL only).

Coverage and the not-reached list read the elders' reach rows (0008) since; nothing reads the
eligible elders by that index any more, and every registry write paid for it.
"""

from django.db import migrations

INDEX = "elder_eligible_cover"


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON elders_elder (id) INCLUDE (community_id, birth_date) "
            "WHERE erased_at IS NULL AND status = 'active' AND verification = 'verified'")


class Migration(migrations.Migration):

    dependencies = [
        ("elders", "0008_elder_reach"),
    ]

    operations = [migrations.RunPython(drop, create, elidable=False)]
