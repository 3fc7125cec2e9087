"""The ledger's roll-ups (HZ-10 dashboards), kept in the ledger's own transaction.

Every record `services._write` appends adds its share to ten roll-ups (models.py, bottom) with
upserts that add to the existing row (`INSERT … ON CONFLICT DO UPDATE SET x = x + excluded.x`, the
same on PostgreSQL and SQLite): concurrent checkouts at one canteen, or of one community's elders,
add to the same rows without losing an increment, and a refused or failed commit rolls its share
back with the meal. On PostgreSQL the upserts are extra parts of the commit's one write statement
(`fastpath.WRITE_SQL`), so the hot path keeps its round trips.

Which day a record counts on: a sale its own local date; a void or refund the date of the sale it
reverses (as the elder's day usage does, usage_verification), so "meals that day" stays net. An
elder's day is "eaten" while the elder's net meals that day (`ElderDayUsage.meals`, locked by the
commit) are above zero: the commit knows the count before and after, and sets or clears the day's
bit in `ElderMonthRollup.days_mask` and adds ±1 to `CommunityDayRollup.elders` on a crossing.

Two month roll-ups (canteen × month × period × method, canteen × month × rule × funder) carry the
same sums as the day ones keyed by the counted day's month, so a city's month or year reads few rows.
Three district roll-ups (the canteens of a district × day, × month, by period and method; the elders
living in a district who ate that day) let a city's or district's dashboard over a year read 13 ×
365 × a few rows instead of 2,000 canteens' or communities'. The elder's year row keeps a bit per
month with any eating day (set or cleared with the month's mask on a crossing), so distinct elders
and coverage over whole months read one row per elder and calendar year.

`expected()` recomputes all of them from the ledger (a GROUP BY per roll-up); `rollups_verify` holds
the stored rows against it to the fen, and `rollups_rebuild` rewrites them from it.
"""

from __future__ import annotations

import calendar
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from django.db import connection, transaction
from django.db.models import Case, Count, F, IntegerField, Q, Sum, Value, When
from django.db.models.functions import Coalesce

from zhucan.checkout.models import (
    BenefitLine,
    BenefitRuleDayRollup,
    BenefitRuleMonthRollup,
    CanteenDayRollup,
    CanteenMonthRollup,
    CanteenMonthTotalRollup,
    CommunityDayRollup,
    DistrictDayRollup,
    DistrictMonthRollup,
    DistrictResidentDayRollup,
    ElderMonthRollup,
    ElderYearRollup,
    Meal,
    MealKind,
)
from zhucan.checkout.reach import reach_refresh

# ---------------------------------------------------------------------------------------------
# Maintaining (inside the commit's transaction)

_CANTEEN_SUMS = ("meals", "elder_meals", "sales", "voids", "refunds", "gross_fen", "benefit_fen", "payable_fen",
                 "benefit_city_fen", "benefit_district_fen", "benefit_canteen_fen", "benefit_other_fen")


def _add(table: str, columns: tuple[str, ...]) -> str:
    return ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in columns)


def _add_t(columns: tuple[str, ...]) -> str:
    return ",".join(f"{c}=t.{c}+excluded.{c}" for c in columns)


# The statements read the meal's own values by their column names (`kind`, `canteen_id`,
# `gross_fen` …, the parameters of the meal's INSERT on PostgreSQL, so they cost nothing more to
# send) and five of their own: r_region (the canteen's region), r_day (the counted day), r_community
# (the elder's community; NULL for a customer who is not an elder: those statements insert
# nothing), r_mask (1 sets the day's bit and counts the elder in the community's day, -1 clears and
# uncounts, 0 leaves both) and r_rules (PostgreSQL: the lines summed per rule × funder, as JSON).
_SIGN = "(CASE WHEN %(kind)s = 'sale' THEN 1 ELSE -1 END)"

CANTEEN_DAY_SQL = f"""
INSERT INTO checkout_canteendayrollup (canteen_id, region_path, local_date, period, identified_by,
  {", ".join(_CANTEEN_SUMS)})
SELECT %(canteen_id)s, r.path, %(r_day)s, %(period)s, %(identified_by)s, {_SIGN},
  CASE WHEN %(elder_id)s IS NULL THEN 0 ELSE {_SIGN} END, CASE WHEN %(kind)s = 'sale' THEN 1 ELSE 0 END,
  CASE WHEN %(kind)s = 'void' THEN 1 ELSE 0 END, CASE WHEN %(kind)s = 'refund' THEN 1 ELSE 0 END,
  %(gross_fen)s, %(benefit_fen)s, %(payable_fen)s, %(benefit_city_fen)s, %(benefit_district_fen)s,
  %(benefit_canteen_fen)s, %(benefit_other_fen)s
FROM regions_region r WHERE r.id = %(r_region)s
ON CONFLICT (canteen_id, local_date, period, identified_by) DO UPDATE SET
  {_add("checkout_canteendayrollup", _CANTEEN_SUMS)}
"""

RULE_DAY_ONE_SQL = f"""
INSERT INTO checkout_benefitruledayrollup (canteen_id, region_path, local_date, rule_id, funder, lines, amount_fen)
SELECT %(canteen_id)s, r.path, %(r_day)s, %(rule_id)s, %(funder)s, %(lines)s, %(amount_fen)s
FROM regions_region r WHERE r.id = %(r_region)s
ON CONFLICT (canteen_id, local_date, rule_id, funder) DO UPDATE SET
  {_add("checkout_benefitruledayrollup", ("lines", "amount_fen"))}
"""

# PostgreSQL: every line of the record in one statement (summed per rule × funder: no row twice).
RULE_DAY_JSON_SQL = f"""
INSERT INTO checkout_benefitruledayrollup (canteen_id, region_path, local_date, rule_id, funder, lines, amount_fen)
SELECT %(canteen_id)s, r.path, %(r_day)s, x.rule_id, x.funder, x.lines, x.amount_fen
FROM regions_region r, jsonb_to_recordset(%(r_rules)s::jsonb) AS x(rule_id text, funder text, lines int,
  amount_fen bigint)
WHERE r.id = %(r_region)s
ON CONFLICT (canteen_id, local_date, rule_id, funder) DO UPDATE SET
  {_add("checkout_benefitruledayrollup", ("lines", "amount_fen"))}
"""

# The month and the day's bit of r_day, per database.
_MONTH = {"postgresql": "CAST(date_trunc('month', CAST(%(r_day)s AS date)) AS date)",
          "sqlite": "date(%(r_day)s, 'start of month')"}
_BIT = {"postgresql": "(CAST(1 AS BIGINT) << (CAST(extract(day FROM CAST(%(r_day)s AS date)) AS INTEGER) - 1))",
        "sqlite": "(1 << (CAST(strftime('%%d', %(r_day)s) AS INTEGER) - 1))"}

_ELDER_MONTH = """
INSERT INTO checkout_eldermonthrollup (elder_id, month, region_path, days_mask, meals, benefit_fen)
SELECT CAST(%(elder_id)s AS BIGINT), {month}, r.path, CASE WHEN %(r_mask)s = 1 THEN {bit} ELSE 0 END, {sign},
  %(benefit_fen)s
FROM regions_region r WHERE r.id = %(r_community)s
ON CONFLICT (elder_id, month) DO UPDATE SET
  days_mask = CASE WHEN %(r_mask)s = 1 THEN checkout_eldermonthrollup.days_mask | {bit}
                   WHEN %(r_mask)s = -1 THEN checkout_eldermonthrollup.days_mask & ~{bit}
                   ELSE checkout_eldermonthrollup.days_mask END,
  {sums}
"""
# The month roll-ups: the same sums as the day ones, keyed by the counted day's month.
CANTEEN_MONTH_SQL = {vendor: CANTEEN_DAY_SQL.replace("checkout_canteendayrollup", "checkout_canteenmonthrollup")
                     .replace("local_date", "month").replace("%(r_day)s", _MONTH[vendor], 1) for vendor in _MONTH}
RULE_MONTH_ONE_SQL = {vendor: RULE_DAY_ONE_SQL
                      .replace("checkout_benefitruledayrollup", "checkout_benefitrulemonthrollup")
                      .replace("local_date", "month").replace("%(r_day)s", _MONTH[vendor], 1) for vendor in _MONTH}

# The canteen's month over all periods and methods.
CANTEEN_TOTAL_SQL = {vendor: f"""
INSERT INTO checkout_canteenmonthtotalrollup AS t (canteen_id, region_path, month, {", ".join(_CANTEEN_SUMS)})
SELECT %(canteen_id)s, r.path, {_MONTH[vendor]}, {_SIGN},
  CASE WHEN CAST(%(elder_id)s AS BIGINT) IS NULL THEN 0 ELSE {_SIGN} END, CASE WHEN %(kind)s = 'sale' THEN 1 ELSE 0 END,
  CASE WHEN %(kind)s = 'void' THEN 1 ELSE 0 END, CASE WHEN %(kind)s = 'refund' THEN 1 ELSE 0 END,
  %(gross_fen)s, %(benefit_fen)s, %(payable_fen)s, %(benefit_city_fen)s, %(benefit_district_fen)s,
  %(benefit_canteen_fen)s, %(benefit_other_fen)s
FROM regions_region r WHERE r.id = %(r_region)s
ON CONFLICT (canteen_id, month) DO UPDATE SET {_add_t(_CANTEEN_SUMS)}
""" for vendor in _MONTH}

ELDER_MONTH_SQL = {vendor: _ELDER_MONTH.format(month=_MONTH[vendor], bit=_BIT[vendor], sign=_SIGN,
                                               sums=_add("checkout_eldermonthrollup", ("meals", "benefit_fen")))
                   for vendor in _MONTH}

COMMUNITY_DAY_SQL = f"""
INSERT INTO checkout_communitydayrollup (community_id, region_path, local_date, elders, meals, benefit_fen)
SELECT r.id, r.path, %(r_day)s, %(r_mask)s, {_SIGN}, %(benefit_fen)s
FROM regions_region r WHERE r.id = %(r_community)s
ON CONFLICT (community_id, local_date) DO UPDATE SET
  {_add("checkout_communitydayrollup", ("elders", "meals", "benefit_fen"))}
"""

# The district roll-ups and the elder's year (models.py, bottom). A district's path is the first two
# levels of a region's path ("330100/330106/330106001/" → "330100/330106/"; a region above the
# districts keeps its own path).
_DISTRICT = {"postgresql": "substr({p},1,strpos({p},'/')+strpos(substr({p},strpos({p},'/')+1),'/'))",
             "sqlite": "substr({p},1,instr({p},'/')+instr(substr({p},instr({p},'/')+1),'/'))"}
_YEAR = {"postgresql": "CAST(extract(year FROM CAST(%(r_day)s AS date)) AS INTEGER)",
         "sqlite": "CAST(strftime('%%Y', %(r_day)s) AS INTEGER)"}
_MONTH_BIT = {"postgresql": "(1 << (CAST(extract(month FROM CAST(%(r_day)s AS date)) AS INTEGER) - 1))",
              "sqlite": "(1 << (CAST(strftime('%%m', %(r_day)s) AS INTEGER) - 1))"}


def district_path(path: str) -> str:
    """The district's path of a region path (the region's own when it lies above the districts)."""
    return "".join(f"{code}/" for code in path.split("/")[:2] if code)


_DISTRICT_SUMS = """
INSERT INTO {table} AS t (region_path, {when}, period, identified_by, {sums})
SELECT {district}, {day}, %(period)s, %(identified_by)s, {sign},
  CASE WHEN CAST(%(elder_id)s AS BIGINT) IS NULL THEN 0 ELSE {sign} END,
  CASE WHEN %(kind)s = 'sale' THEN 1 ELSE 0 END,
  CASE WHEN %(kind)s = 'void' THEN 1 ELSE 0 END, CASE WHEN %(kind)s = 'refund' THEN 1 ELSE 0 END,
  %(gross_fen)s, %(benefit_fen)s, %(payable_fen)s, %(benefit_city_fen)s, %(benefit_district_fen)s,
  %(benefit_canteen_fen)s, %(benefit_other_fen)s
FROM regions_region r WHERE r.id = %(r_region)s
ON CONFLICT (region_path, {when}, period, identified_by) DO UPDATE SET {add}
"""
DISTRICT_DAY_SQL = {v: _DISTRICT_SUMS.format(
    table="checkout_districtdayrollup", when="local_date", day="%(r_day)s", district=_DISTRICT[v].format(p="r.path"),
    sign=_SIGN, sums=", ".join(_CANTEEN_SUMS), add=_add_t(_CANTEEN_SUMS)) for v in _MONTH}
DISTRICT_MONTH_SQL = {v: _DISTRICT_SUMS.format(
    table="checkout_districtmonthrollup", when="month", day=_MONTH[v], district=_DISTRICT[v].format(p="r.path"),
    sign=_SIGN, sums=", ".join(_CANTEEN_SUMS), add=_add_t(_CANTEEN_SUMS)) for v in _MONTH}
# Only a crossing moves the district's head count (r_mask ±1), as it does the community's.
RESIDENT_DAY_SQL = {v: f"""
INSERT INTO checkout_districtresidentdayrollup AS t (region_path, local_date, elders)
SELECT {_DISTRICT[v].format(p="c.path")}, %(r_day)s, %(r_mask)s FROM regions_region c
WHERE c.id = %(r_community)s AND %(r_mask)s <> 0
ON CONFLICT (region_path, local_date) DO UPDATE SET elders = t.elders + excluded.elders
""" for v in _MONTH}
# The month's bit follows the elder's month row as the statements before left it (set while any day
# of the month is set), on a crossing only: in the row of the month's year (bit m-1) and of the year
# after (bit 12+m-1, the "year before" half); a clear goes as the bit negated.
ELDER_YEAR_SQL = {v: f"""
INSERT INTO checkout_elderyearrollup AS t (elder_id, year, region_path, months_mask)
SELECT m.elder_id, y.yr, c.path, CASE WHEN m.days_mask <> 0 THEN y.b ELSE -y.b END
FROM regions_region c, checkout_eldermonthrollup m,
  (SELECT {_YEAR[v]} AS yr, {_MONTH_BIT[v]} AS b UNION ALL SELECT {_YEAR[v]} + 1, {_MONTH_BIT[v]} << 12) y
WHERE c.id = %(r_community)s AND %(r_mask)s <> 0 AND m.elder_id = %(elder_id)s AND m.month = {_MONTH[v]}
ON CONFLICT (elder_id, year) DO UPDATE SET months_mask = CASE WHEN excluded.months_mask > 0
  THEN t.months_mask | excluded.months_mask ELSE t.months_mask & ~(-excluded.months_mask) END
""" for v in _MONTH}


# The six as parts of fastpath.WRITE_SQL (PostgreSQL), written tight: psycopg caches the parsing of
# a statement only up to 4,096 characters, and re-parsing the whole write on every commit cost more
# Python than the roll-ups themselves (p: the values the six share). The elder's month row gets
# ±the day's bit as its proposed mask (a clear always finds the row its sale wrote; one missing
# would be left negative, which `zhucan ledger verify` reports).
def _tight(sql: str) -> str:
    return re.sub(r"\s+", " ", sql).replace(", ", ",").replace(" = ", "=").strip()


PG_CTES = _tight(f"""
p AS (SELECT CAST(%(r_day)s AS date) AS d,CASE WHEN %(kind)s='sale' THEN 1 ELSE -1 END AS s),
rc AS (INSERT INTO checkout_canteendayrollup AS t (canteen_id,region_path,local_date,period,identified_by,
  {",".join(_CANTEEN_SUMS)})
  SELECT %(canteen_id)s,r.path,p.d,%(period)s,%(identified_by)s,p.s,
  CASE WHEN CAST(%(elder_id)s AS BIGINT) IS NULL THEN 0 ELSE p.s END,
  (p.s+1)/2,CASE WHEN %(kind)s='void' THEN 1 ELSE 0 END,CASE WHEN %(kind)s='refund' THEN 1 ELSE 0 END,
  %(gross_fen)s,%(benefit_fen)s,%(payable_fen)s,%(benefit_city_fen)s,%(benefit_district_fen)s,
  %(benefit_canteen_fen)s,%(benefit_other_fen)s FROM p,regions_region r WHERE r.id=%(r_region)s
  ON CONFLICT (canteen_id,local_date,period,identified_by) DO UPDATE SET {_add_t(_CANTEEN_SUMS)}),
rr AS (INSERT INTO checkout_benefitruledayrollup AS t (canteen_id,region_path,local_date,rule_id,funder,lines,
  amount_fen)
  SELECT %(canteen_id)s,r.path,p.d,x.rule_id,x.funder,x.lines,x.amount_fen
  FROM p,regions_region r,
  jsonb_to_recordset(%(r_rules)s::jsonb) AS x(rule_id text,funder text,lines int,amount_fen bigint)
  WHERE r.id=%(r_region)s
  ON CONFLICT (canteen_id,local_date,rule_id,funder) DO UPDATE SET {_add_t(("lines", "amount_fen"))}),
re AS (INSERT INTO checkout_eldermonthrollup AS t (elder_id,month,region_path,days_mask,meals,benefit_fen)
  SELECT CAST(%(elder_id)s AS BIGINT),CAST(date_trunc('month',p.d) AS date),r.path,
  %(r_mask)s*(CAST(1 AS BIGINT)<<(CAST(extract(day FROM p.d) AS INTEGER)-1)),p.s,%(benefit_fen)s
  FROM p,regions_region r WHERE r.id=%(r_community)s
  ON CONFLICT (elder_id,month) DO UPDATE SET days_mask=CASE WHEN excluded.days_mask>0
  THEN t.days_mask|excluded.days_mask WHEN excluded.days_mask<0 THEN t.days_mask & ~(-excluded.days_mask)
  ELSE t.days_mask END,
  {_add_t(("meals", "benefit_fen"))}),
rd AS (INSERT INTO checkout_communitydayrollup AS t (community_id,region_path,local_date,elders,meals,benefit_fen)
  SELECT r.id,r.path,p.d,%(r_mask)s,p.s,%(benefit_fen)s FROM p,regions_region r WHERE r.id=%(r_community)s
  ON CONFLICT (community_id,local_date) DO UPDATE SET {_add_t(("elders", "meals", "benefit_fen"))})
""")

# The two month roll-ups, a statement of their own (with the four above the text passed psycopg's
# 4,096 characters of cached parsing).
PG_MONTH_CTES = _tight(f"""
p AS (SELECT CAST(date_trunc('month',CAST(%(r_day)s AS date)) AS date) AS mo,
  CASE WHEN %(kind)s='sale' THEN 1 ELSE -1 END AS s),
rcm AS (INSERT INTO checkout_canteenmonthrollup AS t (canteen_id,region_path,month,period,identified_by,
  {",".join(_CANTEEN_SUMS)})
  SELECT %(canteen_id)s,r.path,p.mo,%(period)s,%(identified_by)s,p.s,
  CASE WHEN CAST(%(elder_id)s AS BIGINT) IS NULL THEN 0 ELSE p.s END,
  (p.s+1)/2,CASE WHEN %(kind)s='void' THEN 1 ELSE 0 END,CASE WHEN %(kind)s='refund' THEN 1 ELSE 0 END,
  %(gross_fen)s,%(benefit_fen)s,%(payable_fen)s,%(benefit_city_fen)s,%(benefit_district_fen)s,
  %(benefit_canteen_fen)s,%(benefit_other_fen)s FROM p,regions_region r WHERE r.id=%(r_region)s
  ON CONFLICT (canteen_id,month,period,identified_by) DO UPDATE SET {_add_t(_CANTEEN_SUMS)}),
rrm AS (INSERT INTO checkout_benefitrulemonthrollup AS t (canteen_id,region_path,month,rule_id,funder,lines,
  amount_fen)
  SELECT %(canteen_id)s,r.path,p.mo,x.rule_id,x.funder,x.lines,x.amount_fen
  FROM p,regions_region r,
  jsonb_to_recordset(%(r_rules)s::jsonb) AS x(rule_id text,funder text,lines int,amount_fen bigint)
  WHERE r.id=%(r_region)s
  ON CONFLICT (canteen_id,month,rule_id,funder) DO UPDATE SET {_add_t(("lines", "amount_fen"))}),
rct AS (INSERT INTO checkout_canteenmonthtotalrollup AS t (canteen_id,region_path,month,{",".join(_CANTEEN_SUMS)})
  SELECT %(canteen_id)s,r.path,p.mo,p.s,CASE WHEN CAST(%(elder_id)s AS BIGINT) IS NULL THEN 0 ELSE p.s END,
  (p.s+1)/2,CASE WHEN %(kind)s='void' THEN 1 ELSE 0 END,CASE WHEN %(kind)s='refund' THEN 1 ELSE 0 END,
  %(gross_fen)s,%(benefit_fen)s,%(payable_fen)s,%(benefit_city_fen)s,%(benefit_district_fen)s,
  %(benefit_canteen_fen)s,%(benefit_other_fen)s FROM p,regions_region r WHERE r.id=%(r_region)s
  ON CONFLICT (canteen_id,month) DO UPDATE SET {_add_t(_CANTEEN_SUMS)})
""")

# The district roll-ups and the elder's year, a third statement (it reads the elder's month row as
# the second left it), written tight (under psycopg's 4,096 characters; v: the values all four share).
_PG_DISTRICT_SUMS = """
{name} AS (INSERT INTO {table} AS t (region_path,{when},period,identified_by,{cols})
  SELECT v.dp,{day},%(period)s,%(identified_by)s,v.s,v.es,(v.s+1)/2,v.vd,v.rf,%(gross_fen)s,%(benefit_fen)s,
  %(payable_fen)s,%(benefit_city_fen)s,%(benefit_district_fen)s,%(benefit_canteen_fen)s,%(benefit_other_fen)s FROM v
  ON CONFLICT (region_path,{when},period,identified_by) DO UPDATE SET {add})"""
PG_DISTRICT_CTES = _tight(f"""
v AS (SELECT {_DISTRICT["postgresql"].format(p="r.path")} AS dp,CAST(%(r_day)s AS date) AS d,
  CASE WHEN %(kind)s='sale' THEN 1 ELSE -1 END AS s,
  CASE WHEN CAST(%(elder_id)s AS BIGINT) IS NULL THEN 0 WHEN %(kind)s='sale' THEN 1 ELSE -1 END AS es,
  CASE WHEN %(kind)s='void' THEN 1 ELSE 0 END AS vd,CASE WHEN %(kind)s='refund' THEN 1 ELSE 0 END AS rf
  FROM regions_region r WHERE r.id=%(r_region)s),
{_PG_DISTRICT_SUMS.format(name="rdd", table="checkout_districtdayrollup", when="local_date", day="v.d",
                          cols=",".join(_CANTEEN_SUMS), add=_add_t(_CANTEEN_SUMS))},
{_PG_DISTRICT_SUMS.format(name="rdm", table="checkout_districtmonthrollup", when="month",
                          day="CAST(date_trunc('month',v.d) AS date)", cols=",".join(_CANTEEN_SUMS),
                          add=_add_t(_CANTEEN_SUMS))},
rrd AS ({RESIDENT_DAY_SQL["postgresql"]}),
rey AS ({ELDER_YEAR_SQL["postgresql"]})
""")

# The meal's values the statements read.
_MEAL_KEYS = ("kind", "canteen_id", "elder_id", "period", "identified_by", "gross_fen", "benefit_fen", "payable_fen",
              "benefit_city_fen", "benefit_district_fen", "benefit_canteen_fen", "benefit_other_fen")


@dataclass(frozen=True)
class Share:
    """One ledger record's share of the roll-ups beyond the meal's own values: `params` (r_region,
    r_day, r_community, r_mask) and `rules`, the benefit lines summed per (rule id, funder)."""

    params: dict
    rules: list[dict]


def share(values: dict, lines: list[tuple[str, str, str, int]], *, region_id: int, community_id: int | None,
          counted_day: date, meals_before: int | None, meals_change: int) -> Share:
    """The share of the record about to be written (`values`: the meal's columns as `_write` builds
    them). `counted_day`: the sale's local date (the reversed sale's for a void or refund);
    `meals_before`/`meals_change`: the elder's net meals that day before this record and the change
    it makes (None/0 when no usage row moves)."""
    sign = 1 if values["kind"] == MealKind.SALE else -1
    has_elder = values["elder_id"] is not None
    rules: dict[tuple[str, str], list[int]] = {}
    for rule_id, _layer, funder, amount in lines:
        entry = rules.setdefault((rule_id, funder), [0, 0])
        entry[0] += sign
        entry[1] += amount
    mask = 0
    if has_elder and meals_before is not None and meals_change:
        before, after = meals_before > 0, meals_before + meals_change > 0
        if after != before:
            mask = 1 if after else -1
    params = {"r_region": region_id, "r_day": counted_day, "r_community": community_id if has_elder else None,
              "r_mask": mask}
    return Share(params, [{"rule_id": r, "funder": f, "lines": n, "amount_fen": a}
                          for (r, f), (n, a) in sorted(rules.items())])


def apply(s: Share, values: dict) -> None:
    """Add the share with one statement per roll-up (the path SQLite takes; PostgreSQL sends them
    as three statements, fastpath.write)."""
    params = {k: values[k] for k in _MEAL_KEYS} | s.params
    with connection.cursor() as cur:
        cur.execute(CANTEEN_DAY_SQL, params)
        cur.execute(CANTEEN_MONTH_SQL[connection.vendor], params)
        cur.execute(CANTEEN_TOTAL_SQL[connection.vendor], params)
        for rule in s.rules:
            cur.execute(RULE_DAY_ONE_SQL, params | rule)
            cur.execute(RULE_MONTH_ONE_SQL[connection.vendor], params | rule)
        cur.execute(DISTRICT_DAY_SQL[connection.vendor], params)
        cur.execute(DISTRICT_MONTH_SQL[connection.vendor], params)
        if params["r_community"] is not None:
            cur.execute(ELDER_MONTH_SQL[connection.vendor], params)
            cur.execute(COMMUNITY_DAY_SQL, params)
            if params["r_mask"]:
                cur.execute(RESIDENT_DAY_SQL[connection.vendor], params)
                cur.execute(ELDER_YEAR_SQL[connection.vendor], params)


# ---------------------------------------------------------------------------------------------
# Recomputing from the ledger

_SIGN = Case(When(kind=MealKind.SALE, then=Value(1)), default=Value(-1), output_field=IntegerField())
_LINE_SIGN = Case(When(meal__kind=MealKind.SALE, then=Value(1)), default=Value(-1), output_field=IntegerField())
_COUNTED_DAY = Coalesce(F("reverses__local_date"), F("local_date"))
_LINE_COUNTED_DAY = Coalesce(F("meal__reverses__local_date"), F("meal__local_date"))

# The roll-ups, their keys and their summed columns, in the order the checks report them.
CANTEEN_KEY = ("canteen_id", "local_date", "period", "identified_by")
RULE_KEY = ("canteen_id", "local_date", "rule_id", "funder")
ELDER_KEY = ("elder_id", "month")
COMMUNITY_KEY = ("community_id", "local_date")
TABLES = (
    ("canteen_day", CanteenDayRollup, CANTEEN_KEY, _CANTEEN_SUMS),
    ("rule_day", BenefitRuleDayRollup, RULE_KEY, ("lines", "amount_fen")),
    ("elder_month", ElderMonthRollup, ELDER_KEY, ("days_mask", "meals", "benefit_fen")),
    ("community_day", CommunityDayRollup, COMMUNITY_KEY, ("elders", "meals", "benefit_fen")),
    ("canteen_month", CanteenMonthRollup, ("canteen_id", "month", "period", "identified_by"), _CANTEEN_SUMS),
    ("rule_month", BenefitRuleMonthRollup, ("canteen_id", "month", "rule_id", "funder"), ("lines", "amount_fen")),
    ("district_day", DistrictDayRollup, ("region_path", "local_date", "period", "identified_by"), _CANTEEN_SUMS),
    ("district_month", DistrictMonthRollup, ("region_path", "month", "period", "identified_by"), _CANTEEN_SUMS),
    ("resident_day", DistrictResidentDayRollup, ("region_path", "local_date"), ("elders",)),
    ("elder_year", ElderYearRollup, ("elder_id", "year"), ("months_mask",)),
    ("canteen_total", CanteenMonthTotalRollup, ("canteen_id", "month"), _CANTEEN_SUMS),
)
# The roll-ups keyed by month (filtered on `month`, the others on `local_date`; the elder's year on
# `year`, its months outside the range masked off).
MONTHLY = (ElderMonthRollup, CanteenMonthRollup, BenefitRuleMonthRollup, DistrictMonthRollup, CanteenMonthTotalRollup)


def _fold_months(rows: dict[tuple, tuple[int, ...]]) -> dict[tuple, tuple[int, ...]]:
    """Day-keyed sums (the date second in the key) summed per month."""
    out: dict[tuple, list[int]] = {}
    for key, values in rows.items():
        month_key = (key[0], key[1].replace(day=1), *key[2:])
        acc = out.setdefault(month_key, [0] * len(values))
        for i, v in enumerate(values):
            acc[i] += v
    return {k: tuple(v) for k, v in out.items()}


def _fold(rows: dict[tuple, tuple[int, ...]], first) -> dict[tuple, tuple[int, ...]]:
    """Sums re-keyed with `first(key[0])` in place of the key's first part, added together."""
    out: dict[tuple, list[int]] = {}
    for key, values in rows.items():
        acc = out.setdefault((first(key[0]), *key[1:]), [0] * len(values))
        for i, v in enumerate(values):
            acc[i] += v
    return {k: tuple(v) for k, v in out.items()}


def _months_in(days: tuple[date, date] | None, year: int) -> int:
    """The bits of the year row `year` (its own months and, 12 bits up, the year before's) for the
    months inside the (whole-month) range."""
    def bits(y: int) -> int:
        if days is None:
            return (1 << 12) - 1
        start, end = days
        first = 1 if start.year < y else start.month
        last = 12 if end.year > y else end.month
        return 0 if first > last or y < start.year or y > end.year else ((1 << last) - 1) ^ ((1 << (first - 1)) - 1)
    return bits(year) | bits(year - 1) << 12


def _years(rows: dict[tuple, tuple[int, ...]]) -> dict[tuple, tuple[int, ...]]:
    """Elder-month rows (days_mask first) as elder-year rows: each month with a day set is bit m-1
    of its year's row and bit 12+m-1 of the next year's."""
    out: dict[tuple, int] = defaultdict(int)
    for (elder_id, month), values in rows.items():
        bit = (1 << (month.month - 1)) if values[0] else 0
        out[(elder_id, month.year)] |= bit
        out[(elder_id, month.year + 1)] |= bit << 12
    return {k: (v,) for k, v in out.items()}


def whole_months(days: tuple[date, date] | None) -> tuple[date, date] | None:
    """The range widened to whole months (an elder's month row covers every day of its month)."""
    if days is None:
        return None
    start, end = days
    start = date.min if start == date.min else start.replace(day=1)
    end = date.max if end == date.max else end.replace(day=calendar.monthrange(end.year, end.month)[1])
    return start, end


def expected(days: tuple[date, date] | None = None) -> dict[str, dict[tuple, tuple[int, ...]]]:
    """The roll-ups as the ledger says they should be (raw GROUP BYs over meals and benefit
    lines; a reversal counted on its sale's day): name -> key -> sums, over the counted days in
    `days` (whole months: pass a range from whole_months)."""
    meals = Meal.objects.annotate(day=_COUNTED_DAY)
    lines = BenefitLine.objects.annotate(day=_LINE_COUNTED_DAY)
    if days is not None:
        meals, lines = meals.filter(day__range=days), lines.filter(day__range=days)
    out: dict[str, dict[tuple, tuple[int, ...]]] = {}
    money = {c: Sum(c) for c in ("gross_fen", "benefit_fen", "payable_fen", "benefit_city_fen",
                                 "benefit_district_fen", "benefit_canteen_fen", "benefit_other_fen")}
    canteen = (meals.values("canteen_id", "day", "period", "identified_by").order_by()
               .annotate(n=Sum(_SIGN), en=Sum(Case(When(elder__isnull=False, then=_SIGN), default=Value(0),
                                                    output_field=IntegerField())),
                         s=Count("id", filter=Q(kind=MealKind.SALE)), v=Count("id", filter=Q(kind=MealKind.VOID)),
                         r=Count("id", filter=Q(kind=MealKind.REFUND)), **money))
    out["canteen_day"] = {
        (row["canteen_id"], row["day"], row["period"], row["identified_by"]):
            (row["n"], row["en"], row["s"], row["v"], row["r"], *(row[c] or 0 for c in money))
        for row in canteen.iterator()}
    rule = (lines.values("meal__canteen_id", "day", "rule_id", "funder").order_by()
            .annotate(n=Sum(_LINE_SIGN), a=Sum("amount_fen")))
    out["rule_day"] = {(row["meal__canteen_id"], row["day"], row["rule_id"], row["funder"]): (row["n"], row["a"])
                       for row in rule.iterator()}
    elder_days = (meals.filter(elder__isnull=False).values("elder_id", "elder__community_id", "day").order_by()
                  .annotate(n=Sum(_SIGN), b=Sum("benefit_fen"))
                  .values_list("elder_id", "elder__community_id", "day", "n", "b"))
    month: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0])
    community: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0])
    for elder_id, community_id, day, n, b in elder_days.iterator():
        m = month[(elder_id, day.replace(day=1))]
        c = community[(community_id, day)]
        if n > 0:
            m[0] |= 1 << (day.day - 1)
            c[0] += 1
        m[1], m[2] = m[1] + n, m[2] + (b or 0)
        c[1], c[2] = c[1] + n, c[2] + (b or 0)
    out["elder_month"] = {k: tuple(v) for k, v in month.items()}
    out["community_day"] = {k: tuple(v) for k, v in community.items()}
    out["canteen_month"] = _fold_months(out["canteen_day"])
    out["rule_month"] = _fold_months(out["rule_day"])
    from zhucan.canteens.models import Canteen
    from zhucan.regions.models import Region

    canteen_district = {pk: district_path(path) for pk, path in Canteen.objects.values_list("pk", "region__path")}
    community_district = {pk: district_path(path) for pk, path in Region.objects.values_list("pk", "path")}
    out["district_day"] = _fold(out["canteen_day"], canteen_district.__getitem__)
    out["district_month"] = _fold_months(out["district_day"])
    out["resident_day"] = _fold({k: v[:1] for k, v in out["community_day"].items()}, community_district.__getitem__)
    out["elder_year"] = _years(out["elder_month"])
    total: dict[tuple, list[int]] = {}
    for (canteen_id, month, _period, _method), values in out["canteen_month"].items():
        acc = total.setdefault((canteen_id, month), [0] * len(values))
        for i, v in enumerate(values):
            acc[i] += v
    out["canteen_total"] = {k: tuple(v) for k, v in total.items()}
    return out


def _in_range(qs, model, days: tuple[date, date]):
    if model is ElderYearRollup:  # a year row holds the year before too
        return qs.filter(year__range=(days[0].year, days[1].year + 1))
    return qs.filter(**{("month" if model in MONTHLY else "local_date") + "__range": days})


def stored(days: tuple[date, date] | None = None) -> Iterator[tuple[str, dict[tuple, tuple[int, ...]]]]:
    """The stored roll-ups over the (whole-month) range: name -> key -> sums (an elder's year with
    the months outside the range masked off)."""
    for name, model, key, sums in TABLES:
        qs = model.objects.all() if days is None else _in_range(model.objects.all(), model, days)
        rows = {tuple(row[:len(key)]): tuple(row[len(key):]) for row in qs.values_list(*key, *sums).iterator()}
        if model is ElderYearRollup:
            rows = {k: (v[0] & _months_in(days, k[1]),) for k, v in rows.items()}
        yield name, rows


@dataclass(frozen=True)
class RollupProblem:
    """One roll-up row that differs from the ledger's GROUP BY."""

    table: str
    key: tuple
    column: str
    stored: int
    ledger: int

    def __str__(self) -> str:
        key = " ".join(str(k.isoformat() if isinstance(k, date) else k) for k in self.key)
        return f"roll-up {self.table} [{key}]: {self.column} stored {_show(self.column, self.stored)}, " \
               f"ledger {_show(self.column, self.ledger)}"


def _show(column: str, value: int) -> str:
    if column.endswith("_fen"):
        sign = "-" if value < 0 else ""
        return f"{sign}{abs(value) // 100}.{abs(value) % 100:02d} yuan"
    if column == "days_mask":
        return "days " + (",".join(str(d + 1) for d in range(31) if value >> d & 1) or "none")
    if column == "months_mask":
        own = ",".join(str(m + 1) for m in range(12) if value >> m & 1) or "none"
        before = ",".join(str(m + 1) for m in range(12) if value >> (12 + m) & 1) or "none"
        return f"months {own}, the year before {before}"
    return str(value)


def rollups_verify(days: tuple[date, date] | None = None) -> tuple[int, list[RollupProblem]]:
    """(roll-up rows compared, problems): every stored row against the ledger's GROUP BY, to the
    fen. A key on one side only compares with zeros (a sale and its void leave a row of zeros)."""
    days = whole_months(days)
    want = expected(days)
    compared, problems = 0, []
    for name, have in stored(days):
        sums = next(t[3] for t in TABLES if t[0] == name)
        zero = (0,) * len(sums)
        ledger_rows = want[name]
        for key in sorted(set(have) | set(ledger_rows), key=lambda k: tuple(str(x) for x in k)):
            compared += 1
            got, owed = have.get(key, zero), ledger_rows.get(key, zero)
            for column, a, b in zip(sums, got, owed, strict=True):
                if a != b:
                    problems.append(RollupProblem(name, key, column, a, b))
    return compared, problems


# PostgreSQL rebuilds in six INSERT … SELECT statements (a city's month is millions of meals; the
# Python path below is for SQLite). Both compute what `expected` does.
# Sales on their day, reversals on their sale's day (a join for the few reversals only).
_COUNTED = """
  SELECT m.*, m.local_date AS d, 1 AS sign FROM checkout_meal m
  WHERE m.reverses_id IS NULL AND m.local_date BETWEEN %(start)s AND %(end)s
  UNION ALL
  SELECT m.*, o.local_date AS d, -1 AS sign FROM checkout_meal m JOIN checkout_meal o ON o.id = m.reverses_id
  WHERE m.reverses_id IS NOT NULL AND m.local_date >= %(start)s AND o.local_date BETWEEN %(start)s AND %(end)s
"""
_ELDER_DAYS = f"""
  SELECT elder_id, d, SUM(sign) AS n, SUM(benefit_fen) AS b FROM ({_COUNTED}) x
  WHERE elder_id IS NOT NULL GROUP BY elder_id, d
"""
PG_REBUILD = (
    f"""INSERT INTO checkout_canteendayrollup (canteen_id, region_path, local_date, period, identified_by,
      {", ".join(_CANTEEN_SUMS)})
    SELECT x.canteen_id, r.path, x.d, x.period, x.identified_by, SUM(x.sign),
      SUM(CASE WHEN x.elder_id IS NOT NULL THEN x.sign ELSE 0 END), COUNT(*) FILTER (WHERE x.kind = 'sale'),
      COUNT(*) FILTER (WHERE x.kind = 'void'), COUNT(*) FILTER (WHERE x.kind = 'refund'), SUM(x.gross_fen),
      SUM(x.benefit_fen), SUM(x.payable_fen), SUM(x.benefit_city_fen), SUM(x.benefit_district_fen),
      SUM(x.benefit_canteen_fen), SUM(x.benefit_other_fen)
    FROM ({_COUNTED}) x JOIN canteens_canteen c ON c.id = x.canteen_id JOIN regions_region r ON r.id = c.region_id
    GROUP BY x.canteen_id, r.path, x.d, x.period, x.identified_by""",
    f"""INSERT INTO checkout_benefitruledayrollup (canteen_id, region_path, local_date, rule_id, funder, lines,
      amount_fen)
    SELECT x.canteen_id, r.path, x.d, bl.rule_id, bl.funder, SUM(x.sign), SUM(bl.amount_fen)
    FROM ({_COUNTED}) x JOIN checkout_benefitline bl ON bl.meal_id = x.id
    JOIN canteens_canteen c ON c.id = x.canteen_id JOIN regions_region r ON r.id = c.region_id
    GROUP BY x.canteen_id, r.path, x.d, bl.rule_id, bl.funder""",
    f"""INSERT INTO checkout_eldermonthrollup (elder_id, month, region_path, days_mask, meals, benefit_fen)
    SELECT ed.elder_id, date_trunc('month', ed.d)::date, r.path,
      COALESCE(bit_or(CASE WHEN ed.n > 0 THEN CAST(1 AS BIGINT) << (extract(day FROM ed.d)::int - 1) END), 0),
      SUM(ed.n), SUM(ed.b)
    FROM ({_ELDER_DAYS}) ed JOIN elders_elder e ON e.id = ed.elder_id JOIN regions_region r ON r.id = e.community_id
    GROUP BY ed.elder_id, date_trunc('month', ed.d)::date, r.path""",
    f"""INSERT INTO checkout_communitydayrollup (community_id, region_path, local_date, elders, meals, benefit_fen)
    SELECT e.community_id, r.path, ed.d, COUNT(*) FILTER (WHERE ed.n > 0), SUM(ed.n), SUM(ed.b)
    FROM ({_ELDER_DAYS}) ed JOIN elders_elder e ON e.id = ed.elder_id JOIN regions_region r ON r.id = e.community_id
    GROUP BY e.community_id, r.path, ed.d""",
    # The month roll-ups from the day rows just written (the same sums, a month's days folded).
    f"""INSERT INTO checkout_canteenmonthrollup (canteen_id, region_path, month, period, identified_by,
      {", ".join(_CANTEEN_SUMS)})
    SELECT canteen_id, MIN(region_path), date_trunc('month', local_date)::date, period, identified_by,
      {", ".join(f"SUM({c})" for c in _CANTEEN_SUMS)}
    FROM checkout_canteendayrollup WHERE local_date BETWEEN %(start)s AND %(end)s
    GROUP BY canteen_id, date_trunc('month', local_date)::date, period, identified_by""",
    """INSERT INTO checkout_benefitrulemonthrollup (canteen_id, region_path, month, rule_id, funder, lines, amount_fen)
    SELECT canteen_id, MIN(region_path), date_trunc('month', local_date)::date, rule_id, funder, SUM(lines),
      SUM(amount_fen)
    FROM checkout_benefitruledayrollup WHERE local_date BETWEEN %(start)s AND %(end)s
    GROUP BY canteen_id, date_trunc('month', local_date)::date, rule_id, funder""",
    # The district roll-ups from the canteen and community day rows just written.
    f"""INSERT INTO checkout_districtdayrollup (region_path, local_date, period, identified_by,
      {", ".join(_CANTEEN_SUMS)})
    SELECT {_DISTRICT["postgresql"].format(p="region_path")}, local_date, period, identified_by,
      {", ".join(f"SUM({c})" for c in _CANTEEN_SUMS)}
    FROM checkout_canteendayrollup WHERE local_date BETWEEN %(start)s AND %(end)s
    GROUP BY 1, local_date, period, identified_by""",
    f"""INSERT INTO checkout_districtmonthrollup (region_path, month, period, identified_by, {", ".join(_CANTEEN_SUMS)})
    SELECT region_path, date_trunc('month', local_date)::date, period, identified_by,
      {", ".join(f"SUM({c})" for c in _CANTEEN_SUMS)}
    FROM checkout_districtdayrollup WHERE local_date BETWEEN %(start)s AND %(end)s
    GROUP BY region_path, date_trunc('month', local_date)::date, period, identified_by""",
    f"""INSERT INTO checkout_districtresidentdayrollup (region_path, local_date, elders)
    SELECT {_DISTRICT["postgresql"].format(p="region_path")}, local_date, SUM(elders)
    FROM checkout_communitydayrollup WHERE local_date BETWEEN %(start)s AND %(end)s GROUP BY 1, local_date""",
    # The elder's years touched, whole: from every month row of those years (those outside the range
    # were left as they were).
    """INSERT INTO checkout_elderyearrollup (elder_id, year, region_path, months_mask)
    SELECT m.elder_id, y.yr, r.path,
      bit_or(CASE WHEN m.days_mask = 0 THEN 0 WHEN y.yr = extract(year FROM m.month)::int
                  THEN 1 << (extract(month FROM m.month)::int - 1)
                  ELSE 1 << (11 + extract(month FROM m.month)::int) END)
    FROM checkout_eldermonthrollup m JOIN elders_elder e ON e.id = m.elder_id
    JOIN regions_region r ON r.id = e.community_id,
    LATERAL (VALUES (extract(year FROM m.month)::int), (extract(year FROM m.month)::int + 1)) y(yr)
    WHERE m.month BETWEEN %(before_first_year)s AND %(last_year)s
      AND y.yr BETWEEN extract(year FROM CAST(%(first_year)s AS date))
      AND extract(year FROM CAST(%(last_year)s AS date))
    GROUP BY m.elder_id, y.yr, r.path""",
    f"""INSERT INTO checkout_canteenmonthtotalrollup (canteen_id, region_path, month, {", ".join(_CANTEEN_SUMS)})
    SELECT canteen_id, MIN(region_path), month, {", ".join(f"SUM({c})" for c in _CANTEEN_SUMS)}
    FROM checkout_canteenmonthrollup WHERE month BETWEEN %(start)s AND %(end)s GROUP BY canteen_id, month""",
)


def rollups_rebuild(days: tuple[date, date] | None = None) -> dict[str, int]:
    """Rewrite the roll-ups of the counted days in `days` (widened to whole months; None: all) from
    the ledger, in one transaction; rows written per roll-up. For an upgrade, or after a repair."""
    days = whole_months(days)
    with transaction.atomic():
        # Hold off commits while recounting: a meal committed between the GROUP BY and the insert
        # would be lost from the roll-ups (every writer locks its canteen's chain head).
        from zhucan.checkout.models import CanteenChain

        list(CanteenChain.objects.select_for_update().values_list("pk", flat=True))
        for _name, model, _key, _sums in TABLES:
            (model.objects.all() if days is None else _in_range(model.objects.all(), model, days)).delete()
        if connection.vendor == "postgresql":
            start, end = days or (date.min, date.max)
            # The year rows of the range's years and the year after (which holds them as its "year
            # before"), from the month rows of those years and the year before the first.
            span = {"start": start, "end": end, "first_year": start.replace(month=1, day=1),
                    "before_first_year": date(max(start.year - 1, 1), 1, 1),
                    "last_year": date(min(end.year + 1, 9999), 12, 31)}
            written = {}
            with connection.cursor() as cur:
                for (name, *_rest), sql in zip(TABLES, PG_REBUILD, strict=True):
                    cur.execute(sql, span)
                    written[name] = cur.rowcount
        else:
            written = _rebuild_python(days)
        # The elders' coverage facts follow the month rows (their trigger saw the rewrite row by row;
        # this leaves them as a fresh count would).
        written["elder_reach"] = reach_refresh()
        return written


def _rebuild_python(days: tuple[date, date] | None) -> dict[str, int]:
    want = expected(days)
    canteen_paths = dict(Meal.objects.values("canteen_id").distinct().order_by()
                         .values_list("canteen_id", "canteen__region__path"))
    elder_paths = dict(Meal.objects.filter(elder__isnull=False).values("elder_id").distinct().order_by()
                       .values_list("elder_id", "elder__community__path"))
    community_paths = dict(Meal.objects.filter(elder__isnull=False).values("elder__community_id").distinct()
                           .order_by().values_list("elder__community_id", "elder__community__path"))
    paths = {"canteen_day": canteen_paths, "rule_day": canteen_paths, "elder_month": elder_paths,
             "community_day": community_paths, "canteen_month": canteen_paths, "rule_month": canteen_paths,
             "elder_year": elder_paths, "canteen_total": canteen_paths}
    written = {}
    for name, model, key, sums in TABLES:
        if model is ElderYearRollup:
            # The years touched, whole: from every month row of those years, as now stored.
            months = ElderMonthRollup.objects.all()
            if days is not None:
                months = months.filter(month__year__range=(days[0].year - 1, days[1].year + 1))
            want[name] = {k: v for k, v in _years({(e, m): (mask,) for e, m, mask in months.values_list(
                "elder_id", "month", "days_mask")}).items()
                if days is None or days[0].year <= k[1] <= days[1].year + 1}
            paths[name] = paths[name] | dict(months.values_list("elder_id", "elder__community__path"))
        objs = [model(**({"region_path": paths[name][k[0]]} if name in paths else {}),
                      **dict(zip(key, k, strict=True)), **dict(zip(sums, v, strict=True)))
                for k, v in want[name].items()]
        model.objects.bulk_create(objs, batch_size=2000)
        written[name] = len(objs)
    return written
