"""A covering index of a year's elder rows (PostgreSQL only): coverage reads a year's eaters
(elder id and months mask) by an index-only scan instead of the table. `months_mask` changes once a
month per elder, so the meal's update of the row stays a HOT update the rest of the month."""

from django.db import migrations

INDEX = "rollup_elder_year_cover"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON checkout_elderyearrollup (year, elder_id) INCLUDE (months_mask)")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):

    dependencies = [
        ("checkout", "0008_district_and_year_rollups"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]
