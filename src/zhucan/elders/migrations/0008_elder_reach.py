"""ElderReach: one narrow row per elder that coverage and the not-reached list count in one scan.

The registry half is kept by triggers on the elders table and its tags, in the transaction of any
write (the services, an import, the demo, a test's factory — no path can forget it); the eating
half by checkout migration 0010. PostgreSQL: the table is filled to 70 % so that the daily update
of the eating half stays a HOT update (no index changes).
"""

import django.db.models.deletion
from django.db import migrations, models


ELIGIBLE = "{e}.status = 'active' AND {e}.verification = 'verified' AND {e}.erased_at IS NULL"
COLUMNS = "elder_id, community_id, region_path, name, birth_date, eligible, tag_ids, month, months_mask, " \
          "days_mask, prev_days_mask"

PG_CREATE = f"""
CREATE FUNCTION elders_reach_registry() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO elders_elderreach ({COLUMNS})
  SELECT NEW.id, NEW.community_id, r.path, NEW.name, NEW.birth_date, {ELIGIBLE.format(e="NEW")}, '', NULL, 0, 0, 0
  FROM regions_region r WHERE r.id = NEW.community_id
  ON CONFLICT (elder_id) DO UPDATE SET community_id = excluded.community_id, region_path = excluded.region_path,
    name = excluded.name, birth_date = excluded.birth_date, eligible = excluded.eligible;
  RETURN NULL;
END $$;
CREATE TRIGGER elders_reach_registry AFTER INSERT OR UPDATE OF community_id, name, birth_date, status,
  verification, erased_at ON elders_elder FOR EACH ROW EXECUTE FUNCTION elders_reach_registry();
CREATE FUNCTION elders_reach_tags() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE e bigint;
BEGIN
  IF TG_OP = 'DELETE' THEN e := OLD.elder_id; ELSE e := NEW.elder_id; END IF;
  UPDATE elders_elderreach SET tag_ids = COALESCE((SELECT ',' || string_agg(CAST(tag_id AS text), ',' ORDER BY tag_id)
    || ',' FROM elders_elder_tags WHERE elder_id = e), '') WHERE elder_id = e;
  RETURN NULL;
END $$;
CREATE TRIGGER elders_reach_tags AFTER INSERT OR DELETE ON elders_elder_tags
  FOR EACH ROW EXECUTE FUNCTION elders_reach_tags();
"""
PG_DROP = """
DROP TRIGGER IF EXISTS elders_reach_tags ON elders_elder_tags;
DROP FUNCTION IF EXISTS elders_reach_tags();
DROP TRIGGER IF EXISTS elders_reach_registry ON elders_elder;
DROP FUNCTION IF EXISTS elders_reach_registry();
"""

_SQLITE_TAGS = """UPDATE elders_elderreach SET tag_ids = COALESCE((SELECT ',' || group_concat(tag_id, ',') || ','
    FROM (SELECT tag_id FROM elders_elder_tags WHERE elder_id = {e}.elder_id ORDER BY tag_id)), '')
  WHERE elder_id = {e}.elder_id;"""
SQLITE_CREATE = [
    f"""CREATE TRIGGER elders_reach_insert AFTER INSERT ON elders_elder BEGIN
  INSERT INTO elders_elderreach ({COLUMNS})
  SELECT NEW.id, NEW.community_id, r.path, NEW.name, NEW.birth_date, {ELIGIBLE.format(e="NEW")}, '', NULL, 0, 0, 0
  FROM regions_region r WHERE r.id = NEW.community_id;
END""",
    f"""CREATE TRIGGER elders_reach_update AFTER UPDATE OF community_id, name, birth_date, status, verification,
  erased_at ON elders_elder BEGIN
  UPDATE elders_elderreach SET community_id = NEW.community_id,
    region_path = (SELECT path FROM regions_region WHERE id = NEW.community_id), name = NEW.name,
    birth_date = NEW.birth_date, eligible = ({ELIGIBLE.format(e="NEW")}) WHERE elder_id = NEW.id;
END""",
    f"CREATE TRIGGER elders_reach_tag_added AFTER INSERT ON elders_elder_tags BEGIN {_SQLITE_TAGS.format(e='NEW')} END",
    f"CREATE TRIGGER elders_reach_tag_removed AFTER DELETE ON elders_elder_tags BEGIN {_SQLITE_TAGS.format(e='OLD')} END",
]
SQLITE_DROP = ["DROP TRIGGER IF EXISTS elders_reach_insert", "DROP TRIGGER IF EXISTS elders_reach_update",
               "DROP TRIGGER IF EXISTS elders_reach_tag_added", "DROP TRIGGER IF EXISTS elders_reach_tag_removed"]

# The rows of the elders already registered (the eating half: checkout migration 0010).
BACKFILL = f"""
INSERT INTO elders_elderreach ({COLUMNS})
SELECT e.id, e.community_id, r.path, e.name, e.birth_date, {ELIGIBLE.format(e="e")}, '', NULL, 0, 0, 0
FROM elders_elder e JOIN regions_region r ON r.id = e.community_id
"""
BACKFILL_TAGS = {
    "postgresql": """UPDATE elders_elderreach x SET tag_ids = t.ids FROM (SELECT elder_id,
  ',' || string_agg(CAST(tag_id AS text), ',' ORDER BY tag_id) || ',' AS ids FROM elders_elder_tags GROUP BY elder_id) t
  WHERE t.elder_id = x.elder_id""",
    "sqlite": _SQLITE_TAGS.replace("{e}.elder_id", "elders_elderreach.elder_id").replace(
        "WHERE elder_id = elders_elderreach.elder_id;", ";"),
}


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute("ALTER TABLE elders_elderreach SET (fillfactor = 70)")
    schema_editor.execute(BACKFILL)
    schema_editor.execute(BACKFILL_TAGS[vendor])
    if vendor == "postgresql":
        schema_editor.execute(PG_CREATE)
    else:
        for statement in SQLITE_CREATE:
            schema_editor.execute(statement)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_DROP)
    else:
        for statement in SQLITE_DROP:
            schema_editor.execute(statement)


class Migration(migrations.Migration):

    dependencies = [
        ('elders', '0007_eligible_cover'),
        ('regions', '0001_initial'),
    ]

    operations = [
        migrations.CreateModel(
            name='ElderReach',
            fields=[
                ('elder', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='reach', serialize=False, to='elders.elder')),
                ('region_path', models.CharField(max_length=255)),
                ('name', models.CharField(max_length=50)),
                ('birth_date', models.DateField()),
                ('eligible', models.BooleanField()),
                ('tag_ids', models.CharField(default='', max_length=400)),
                ('month', models.IntegerField(null=True)),
                ('months_mask', models.BigIntegerField(default=0)),
                ('days_mask', models.BigIntegerField(default=0)),
                ('prev_days_mask', models.BigIntegerField(default=0)),
                ('community', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='regions.region')),
            ],
            options={
                'indexes': [models.Index(condition=models.Q(('eligible', True)), fields=['region_path', 'name', 'elder'], name='elder_reach_listed')],
            },
        ),
        migrations.RunPython(create, drop, elidable=False),
    ]
