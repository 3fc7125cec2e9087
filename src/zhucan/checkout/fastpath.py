"""The commit's writes on PostgreSQL in few round trips (DESIGN: the hot path written for speed).

Three statements inside the transaction: lock-or-create the elder's usage row (one upsert that
returns the row locked), lock the canteen's chain head (likewise), and one statement that inserts
the meal, its items, benefit lines and tenders and updates the usage row and the chain head.
SQLite takes the ORM path in services.py; both write the same rows (the ledger tests and
`zhucan ledger verify` recompute every hash from the stored rows on both databases).
"""

from __future__ import annotations

import json
from datetime import date, datetime

from django.db import connection

LOCK_USAGE_SQL = """
INSERT INTO checkout_elderdayusage (elder_id, local_date, usage, benefit_fen, meals, updated_at)
VALUES (%s, %s, %s, 0, 0, %s)
ON CONFLICT (elder_id, local_date) DO UPDATE SET elder_id = EXCLUDED.elder_id
RETURNING id, usage
"""

LOCK_CHAIN_SQL = """
INSERT INTO checkout_canteenchain (canteen_id, seq, head_hash) VALUES (%s, 0, %s)
ON CONFLICT (canteen_id) DO UPDATE SET seq = checkout_canteenchain.seq
RETURNING seq, head_hash
"""

WRITE_SQL = """
WITH m AS (
  INSERT INTO checkout_meal (canteen_id, terminal_id, cashier_id, elder_id, kind, mode, reverses_id,
    identified_by, receipt_no, at, local_date, period, gross_fen, benefit_fen, payable_fen, benefit_city_fen,
    benefit_district_fen, benefit_canteen_fen, benefit_other_fen, settle_month, policy_id,
    policy_version, explanation_zh, explanation_en, usage_delta, idempotency_key, request_digest,
    chain_seq, prev_hash, record_hash, created_at)
  VALUES (%(canteen)s, %(terminal)s, %(cashier)s, %(elder)s, %(kind)s, %(mode)s, %(reverses)s,
    %(identified_by)s, %(receipt_no)s, %(at)s, %(local_date)s, %(period)s, %(gross)s, %(benefit)s,
    %(payable)s, %(b_city)s, %(b_district)s, %(b_canteen)s, %(b_other)s, %(settle_month)s, %(policy_id)s,
    %(policy_version)s, %(expl_zh)s, %(expl_en)s, %(usage_delta)s, %(key)s,
    %(digest)s, %(seq)s, %(prev_hash)s, %(record_hash)s, %(created_at)s)
  RETURNING id
), i AS (
  INSERT INTO checkout_mealitem (meal_id, dish_id, name, quantity, unit_price_fen, line_fen)
  SELECT m.id, x.dish_id, x.name, x.quantity, x.unit_price_fen, x.quantity * x.unit_price_fen
  FROM m, unnest(%(i_dish)s::bigint[], %(i_name)s::text[], %(i_qty)s::int[], %(i_price)s::bigint[])
       AS x(dish_id, name, quantity, unit_price_fen)
), b AS (
  INSERT INTO checkout_benefitline (meal_id, rule_id, layer_id, funder, amount_fen)
  SELECT m.id, x.rule_id, x.layer_id, x.funder, x.amount_fen
  FROM m, unnest(%(b_rule)s::text[], %(b_layer)s::text[], %(b_funder)s::text[], %(b_amount)s::bigint[])
       AS x(rule_id, layer_id, funder, amount_fen)
), t AS (
  INSERT INTO checkout_tender (meal_id, kind, amount_fen, reference)
  SELECT m.id, x.kind, x.amount_fen, x.reference
  FROM m, unnest(%(t_kind)s::text[], %(t_amount)s::bigint[], %(t_ref)s::text[]) AS x(kind, amount_fen, reference)
), u AS (
  UPDATE checkout_elderdayusage SET usage = %(u_usage)s, benefit_fen = benefit_fen + %(u_benefit)s,
    meals = meals + %(u_meals)s, updated_at = %(created_at)s
  WHERE id = %(u_id)s
), c AS (
  UPDATE checkout_canteenchain SET seq = %(seq)s, head_hash = %(record_hash)s WHERE canteen_id = %(canteen)s
)
SELECT id FROM m
"""


def is_available() -> bool:
    return connection.vendor == "postgresql"


def lock_usage(elder_id: int, day: date, empty_usage: dict, now: datetime) -> tuple[int, dict]:
    with connection.cursor() as cur:
        cur.execute(LOCK_USAGE_SQL, [elder_id, day, json.dumps(empty_usage), now])
        row_id, usage = cur.fetchone()
    return row_id, usage if isinstance(usage, dict) else json.loads(usage)


def lock_chain(canteen_id: int, genesis: str) -> tuple[int, str]:
    with connection.cursor() as cur:
        cur.execute(LOCK_CHAIN_SQL, [canteen_id, genesis])
        seq, head = cur.fetchone()
    return seq, head


def write(params: dict) -> int:
    with connection.cursor() as cur:
        cur.execute(WRITE_SQL, params)
        return cur.fetchone()[0]
