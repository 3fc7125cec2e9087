"""The eating half of elders.ElderReach, kept by a trigger on the elder × month roll-up.

The checkout sets or clears a day's bit in the elder's month row in the meal's transaction; this
trigger carries the change into the elder's reach row in the same statement's transaction (PostgreSQL
fires it at the end of the commit's write statement; SQLite at the row). With X the month number of
the changed row (year × 12 + month − 1) and N its days:
- a month later than the row's latest shifts the month bits up by the gap, the latest month's
  days become the month before's if the gap is one, and X becomes the latest;
- the latest month itself, or one before it within 36 months, sets or clears its month bit (and its
  days, for the latest and the one before).
A deleted month row (a rebuild) counts as N = 0. The rows already there are filled from the month
roll-up (the statement `checkout.reach.reach_refresh` runs, frozen here).
"""

from django.db import migrations

KEPT = (1 << 36) - 1


def _update(x: str, n: str, e: str, *, greatest: str) -> str:
    return f"""UPDATE elders_elderreach SET
    month = CASE WHEN month IS NULL THEN {x} ELSE {greatest}(month, {x}) END,
    months_mask = CASE
      WHEN month IS NULL OR {x} - month >= 36 THEN (CASE WHEN {n} <> 0 THEN 1 ELSE 0 END)
      WHEN {x} > month THEN ((months_mask << ({x} - month)) & {KEPT}) | (CASE WHEN {n} <> 0 THEN 1 ELSE 0 END)
      WHEN month - {x} < 36 THEN (months_mask & ~(CAST(1 AS BIGINT) << (month - {x})))
        | (CASE WHEN {n} <> 0 THEN CAST(1 AS BIGINT) << (month - {x}) ELSE 0 END)
      ELSE months_mask END,
    days_mask = CASE WHEN month IS NULL OR {x} >= month THEN {n} ELSE days_mask END,
    prev_days_mask = CASE WHEN month IS NULL THEN 0 WHEN {x} = month + 1 THEN days_mask WHEN {x} > month + 1 THEN 0
      WHEN {x} = month - 1 THEN {n} ELSE prev_days_mask END
  WHERE elder_id = {e};"""


PG_NO = "(CAST(extract(year FROM {c}) AS INTEGER) * 12 + CAST(extract(month FROM {c}) AS INTEGER) - 1)"
SQLITE_NO = "(CAST(strftime('%Y', {c}) AS INTEGER) * 12 + CAST(strftime('%m', {c}) AS INTEGER) - 1)"

PG_CREATE = f"""
CREATE FUNCTION checkout_reach_month() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE x integer; n bigint; e bigint;
BEGIN
  IF TG_OP = 'DELETE' THEN
    x := {PG_NO.format(c="OLD.month")}; n := 0; e := OLD.elder_id;
  ELSE
    x := {PG_NO.format(c="NEW.month")}; n := NEW.days_mask; e := NEW.elder_id;
  END IF;
  {_update("x", "n", "e", greatest="GREATEST")}
  RETURN NULL;
END $$;
CREATE TRIGGER checkout_reach_month_written AFTER INSERT OR DELETE ON checkout_eldermonthrollup
  FOR EACH ROW EXECUTE FUNCTION checkout_reach_month();
CREATE TRIGGER checkout_reach_month_changed AFTER UPDATE OF days_mask ON checkout_eldermonthrollup
  FOR EACH ROW WHEN (OLD.days_mask IS DISTINCT FROM NEW.days_mask) EXECUTE FUNCTION checkout_reach_month();
"""
PG_DROP = """
DROP TRIGGER IF EXISTS checkout_reach_month_changed ON checkout_eldermonthrollup;
DROP TRIGGER IF EXISTS checkout_reach_month_written ON checkout_eldermonthrollup;
DROP FUNCTION IF EXISTS checkout_reach_month();
"""
SQLITE_CREATE = [
    f"""CREATE TRIGGER checkout_reach_month_inserted AFTER INSERT ON checkout_eldermonthrollup BEGIN
  {_update(SQLITE_NO.format(c="NEW.month"), "NEW.days_mask", "NEW.elder_id", greatest="MAX")}
END""",
    f"""CREATE TRIGGER checkout_reach_month_changed AFTER UPDATE OF days_mask ON checkout_eldermonthrollup
  WHEN OLD.days_mask <> NEW.days_mask BEGIN
  {_update(SQLITE_NO.format(c="NEW.month"), "NEW.days_mask", "NEW.elder_id", greatest="MAX")}
END""",
    f"""CREATE TRIGGER checkout_reach_month_deleted AFTER DELETE ON checkout_eldermonthrollup BEGIN
  {_update(SQLITE_NO.format(c="OLD.month"), "0", "OLD.elder_id", greatest="MAX")}
END""",
]
SQLITE_DROP = ["DROP TRIGGER IF EXISTS checkout_reach_month_inserted",
               "DROP TRIGGER IF EXISTS checkout_reach_month_changed",
               "DROP TRIGGER IF EXISTS checkout_reach_month_deleted"]


def _backfill(vendor: str) -> str:
    no = (PG_NO if vendor == "postgresql" else SQLITE_NO).format(c="month")
    one = "CAST(1 AS BIGINT)" if vendor == "postgresql" else "1"
    return f"""
UPDATE elders_elderreach SET month = x.m, months_mask = x.mm, days_mask = x.dm, prev_days_mask = x.pdm FROM (
  SELECT r.elder_id AS elder_id, t.m AS m,
    CAST(SUM(CASE WHEN r.days_mask <> 0 AND t.m - r.i < 36 THEN {one} << (t.m - r.i) ELSE 0 END) AS BIGINT) AS mm,
    CAST(SUM(CASE WHEN r.i = t.m THEN r.days_mask ELSE 0 END) AS BIGINT) AS dm,
    CAST(SUM(CASE WHEN r.i = t.m - 1 THEN r.days_mask ELSE 0 END) AS BIGINT) AS pdm
  FROM (SELECT elder_id, {no} AS i, days_mask FROM checkout_eldermonthrollup) r
  JOIN (SELECT elder_id, MAX({no}) AS m FROM checkout_eldermonthrollup GROUP BY elder_id) t ON t.elder_id = r.elder_id
  GROUP BY r.elder_id, t.m) x
WHERE x.elder_id = elders_elderreach.elder_id"""


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    schema_editor.execute(_backfill(vendor))
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
        ("checkout", "0009_elder_year_cover"),
        ("elders", "0008_elder_reach"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]
