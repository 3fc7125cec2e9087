"""Find, in the database, the elder-days that `usage_verification` must look at closely.

A month of a city is millions of elder-days; walking each in Python (and decoding each row's JSON)
takes minutes. Almost all of them are in order, so two set-based queries screen them first:

* `suspect_elder_days`: the ledger and the usage rows, both flattened to the same rows — (elder,
  day, the day's totals), (elder, day, layer totals), (elder, day, layer, period count) — and
  compared with EXCEPT both ways; plus rows whose JSON is dated another day. Only the JSON access
  differs between PostgreSQL and SQLite.
* `limit_candidates`: ledger elder-days whose per-layer figures exceed the loosest limit any policy
  sets for that layer id (or whose layer no policy has); the exact check, with the version in
  force that day, is done on those alone.

A usage row whose JSON the database cannot read as counters makes the screen fail: the caller then
checks every elder-day the slow way.
"""

from __future__ import annotations

from datetime import date

from django.db import DatabaseError, connection, transaction
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce

from zhucan.checkout.models import BenefitLine, MealKind

_LEDGER = """
WITH sales AS (
  SELECT m.id, m.elder_id, m.local_date AS day, m.period, m.benefit_fen FROM checkout_meal m
  WHERE m.elder_id IS NOT NULL AND m.kind = 'sale' {range_m}
), rec AS (
  SELECT s.elder_id, s.day, s.period, s.id AS meal_id, 1 AS sign, s.benefit_fen FROM sales s
  UNION ALL
  SELECT s.elder_id, s.day, s.period, r.id, -1, r.benefit_fen FROM sales s JOIN checkout_meal r ON r.reverses_id = s.id
), per_meal AS (
  -- a meal with two lines in one layer (Liaocheng: city and district) is one benefited meal
  SELECT rec.elder_id, rec.day, rec.period, rec.sign, bl.layer_id, SUM(bl.amount_fen) AS amount
  FROM rec JOIN checkout_benefitline bl ON bl.meal_id = rec.meal_id
  GROUP BY rec.meal_id, rec.elder_id, rec.day, rec.period, rec.sign, bl.layer_id
), by_period AS (
  SELECT elder_id, day, layer_id, period, SUM(amount) AS benefit, SUM(sign) AS meals FROM per_meal
  GROUP BY elder_id, day, layer_id, period
), owed_parts AS (
  SELECT elder_id, day, 0 AS part, '' AS layer, '' AS period, SUM(benefit_fen) AS benefit, SUM(sign) AS meals
  FROM rec GROUP BY elder_id, day
  UNION ALL
  SELECT elder_id, day, 1, layer_id, '', SUM(benefit), SUM(meals) FROM by_period GROUP BY elder_id, day, layer_id
  UNION ALL
  SELECT elder_id, day, 2, layer_id, period, 0, meals FROM by_period WHERE period <> ''
  UNION ALL
  {res_layers}
  UNION ALL
  {res_periods}
), owed AS (
  -- the counters hold the ledger's meals and the benefits reserved for orders not yet handed over
  SELECT elder_id, day, part, layer, period, SUM(benefit) AS benefit, SUM(meals) AS meals FROM owed_parts
  GROUP BY elder_id, day, part, layer, period
), held AS (
  SELECT u.elder_id, u.local_date AS day, 0 AS part, '' AS layer, '' AS period, u.benefit_fen AS benefit,
         u.meals AS meals
  FROM checkout_elderdayusage u WHERE 1 = 1 {range_u}
  UNION ALL
  {row_layers}
  UNION ALL
  {row_periods}
), l AS (
  SELECT * FROM owed WHERE benefit <> 0 OR meals <> 0
), r AS (
  SELECT * FROM held WHERE benefit <> 0 OR meals <> 0
), only_owed AS (
  SELECT * FROM l EXCEPT SELECT * FROM r
), only_held AS (
  SELECT * FROM r EXCEPT SELECT * FROM l
)
SELECT elder_id, day FROM only_owed
UNION
SELECT elder_id, day FROM only_held
UNION
{misdated}
"""

_POSTGRES = {
    "row_layers": """SELECT u.elder_id, u.local_date, 1, lay.key, '', (lay.value->>'benefit_fen')::bigint,
         (lay.value->>'meals')::bigint
  FROM checkout_elderdayusage u CROSS JOIN LATERAL jsonb_each(u.usage->'layers') lay
  WHERE jsonb_typeof(u.usage->'layers') = 'object' {range_u}""",
    "row_periods": """SELECT u.elder_id, u.local_date, 2, lay.key, p.key, 0, p.value::text::bigint
  FROM checkout_elderdayusage u CROSS JOIN LATERAL jsonb_each(u.usage->'layers') lay
  CROSS JOIN LATERAL jsonb_each(lay.value->'periods') p
  WHERE jsonb_typeof(u.usage->'layers') = 'object' AND jsonb_typeof(lay.value->'periods') = 'object' {range_u}""",
    "res_layers": """SELECT r.elder_id, r.local_date, 1, lay.key, '', (lay.value->>'benefit_fen')::bigint,
         (lay.value->>'meals')::bigint
  FROM checkout_reservation r CROSS JOIN LATERAL jsonb_each(r.usage_delta->'layers') lay
  WHERE r.status = 'held' AND jsonb_typeof(r.usage_delta->'layers') = 'object' {range_r}""",
    "res_periods": """SELECT r.elder_id, r.local_date, 2, lay.key, p.key, 0, p.value::text::bigint
  FROM checkout_reservation r CROSS JOIN LATERAL jsonb_each(r.usage_delta->'layers') lay
  CROSS JOIN LATERAL jsonb_each(lay.value->'periods') p
  WHERE r.status = 'held' AND jsonb_typeof(r.usage_delta->'layers') = 'object'
    AND jsonb_typeof(lay.value->'periods') = 'object' {range_r}""",
    "misdated": """SELECT u.elder_id, u.local_date FROM checkout_elderdayusage u
  WHERE u.usage->>'date' IS NOT NULL AND u.usage->>'date' <> to_char(u.local_date, 'YYYY-MM-DD') {range_u}""",
}
_SQLITE = {
    "row_layers": """SELECT u.elder_id, u.local_date, 1, lay.key, '', json_extract(lay.value, '$.benefit_fen'),
         json_extract(lay.value, '$.meals')
  FROM checkout_elderdayusage u, json_each(u.usage, '$.layers') lay WHERE 1 = 1 {range_u}""",
    "row_periods": """SELECT u.elder_id, u.local_date, 2, lay.key, p.key, 0, p.value
  FROM checkout_elderdayusage u, json_each(u.usage, '$.layers') lay, json_each(lay.value, '$.periods') p
  WHERE 1 = 1 {range_u}""",
    "res_layers": """SELECT r.elder_id, r.local_date, 1, lay.key, '', json_extract(lay.value, '$.benefit_fen'),
         json_extract(lay.value, '$.meals')
  FROM checkout_reservation r, json_each(r.usage_delta, '$.layers') lay WHERE r.status = 'held' {range_r}""",
    "res_periods": """SELECT r.elder_id, r.local_date, 2, lay.key, p.key, 0, p.value
  FROM checkout_reservation r, json_each(r.usage_delta, '$.layers') lay, json_each(lay.value, '$.periods') p
  WHERE r.status = 'held' {range_r}""",
    "misdated": """SELECT u.elder_id, u.local_date FROM checkout_elderdayusage u
  WHERE json_extract(u.usage, '$.date') IS NOT NULL AND json_extract(u.usage, '$.date') <> u.local_date {range_u}""",
}


def suspect_elder_days(days: tuple[date, date] | None) -> set[tuple[int, date]] | None:
    """Elder-days whose usage row may disagree with the ledger; None if the rows cannot be screened."""
    parts = _POSTGRES if connection.vendor == "postgresql" else _SQLITE
    range_m = "AND m.local_date BETWEEN %(lo)s AND %(hi)s" if days else ""
    range_u = "AND u.local_date BETWEEN %(lo)s AND %(hi)s" if days else ""
    range_r = "AND r.local_date BETWEEN %(lo)s AND %(hi)s" if days else ""
    sql = _LEDGER.format(range_m=range_m, range_u=range_u,
                         **{k: v.format(range_u=range_u, range_r=range_r) for k, v in parts.items()})
    params = {"lo": days[0], "hi": days[1]} if days else None
    try:
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql, params)
            found = cur.fetchall()
    except DatabaseError:
        return None
    return {(elder_id, day if isinstance(day, date) else date.fromisoformat(day)) for elder_id, day in found}


def limit_candidates(days: tuple[date, date] | None, loosest: dict[str, tuple]) -> set[tuple[int, date]]:
    """Ledger elder-days that may exceed a limit. `loosest`: layer id -> (per_period, per_day,
    daily_cap_fen, require_period), each the loosest any policy version sets (None = no limit)."""
    lines = BenefitLine.objects.filter(meal__elder__isnull=False).annotate(
        day=Coalesce(F("meal__reverses__local_date"), F("meal__local_date")))
    if days is not None:
        lines = lines.filter(day__range=days)
    meals = (Count("meal_id", distinct=True, filter=Q(meal__kind=MealKind.SALE))
             - Count("meal_id", distinct=True, filter=~Q(meal__kind=MealKind.SALE)))
    unknown = ~Q(layer_id__in=list(loosest))
    by_day, by_period = Q(unknown), Q(unknown)
    for layer_id, (per_period, per_day, cap, require_period) in loosest.items():
        if per_day is not None:
            by_day |= Q(layer_id=layer_id, meals__gt=per_day)
        if cap is not None:
            by_day |= Q(layer_id=layer_id, benefit__gt=cap)
        if per_period is not None:
            by_period |= Q(layer_id=layer_id, meals__gt=per_period) & ~Q(meal__period="")
        if require_period:
            by_period |= Q(layer_id=layer_id, meal__period="", meals__gt=0)
    found = set()
    for group, having in ((("meal__elder_id", "day", "layer_id"), by_day),
                          (("meal__elder_id", "day", "layer_id", "meal__period"), by_period)):
        rows = (lines.values(*group).order_by().annotate(benefit=Sum("amount_fen"), meals=meals).filter(having)
                .values_list("meal__elder_id", "day"))
        found |= {(e, d) for e, d in rows.iterator()}
    return found
