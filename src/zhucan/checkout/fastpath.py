"""The commit's writes on PostgreSQL in few round trips (DESIGN: the hot path written for speed).

Four statements inside a sale's transaction: lock-or-create the elder's usage row and the canteen's
chain head (one statement of two upserts that return the rows locked), one statement that inserts
the meal, its items, benefit lines and tenders and updates the usage row and the chain head, and
two that add the record to the dashboards' roll-ups (day ones, then month ones). SQLite takes the
ORM path in services.py; both write the same rows (the ledger tests and `zhucan ledger verify`
recompute every hash from the stored rows on both databases, and hold the roll-ups against the
ledger).
"""

from __future__ import annotations

import json
from datetime import date, datetime

from django.db import connection

from zhucan.checkout import rollups
from zhucan.core.hotcursor import hot_cursor

LOCK_USAGE_SQL = """
INSERT INTO checkout_elderdayusage (elder_id, local_date, usage, benefit_fen, meals, updated_at)
VALUES (%s, %s, %s, 0, 0, %s)
ON CONFLICT (elder_id, local_date) DO UPDATE SET elder_id = EXCLUDED.elder_id
RETURNING id, usage, meals
"""

LOCK_CHAIN_SQL = """
INSERT INTO checkout_canteenchain (canteen_id, seq, head_hash) VALUES (%s, 0, %s)
ON CONFLICT (canteen_id) DO UPDATE SET seq = checkout_canteenchain.seq
RETURNING seq, head_hash
"""

# A sale of an elder takes both locks in one round trip, in the order every writer takes them
# (the elder's day usage, then the canteen's chain head).
LOCK_SALE_SQL = f"""
WITH u AS ({LOCK_USAGE_SQL.strip()}), c AS ({LOCK_CHAIN_SQL.strip()})
SELECT u.id, u.usage, u.meals, c.seq, c.head_hash FROM u, c
"""

WRITE_SQL = """
WITH m AS (
  INSERT INTO checkout_meal (canteen_id, terminal_id, cashier_id, elder_id, kind, mode, reverses_id,
    identified_by, receipt_no, at, local_date, period, channel, gross_fen, benefit_fen, payable_fen, benefit_city_fen,
    benefit_district_fen, benefit_canteen_fen, benefit_other_fen, settle_month, policy_id,
    policy_version, explanation_zh, explanation_en, usage_delta, idempotency_key, request_digest,
    chain_seq, prev_hash, record_hash, created_at)
  VALUES (%(canteen_id)s, %(terminal_id)s, %(cashier_id)s, %(elder_id)s, %(kind)s, %(mode)s, %(reverses_id)s,
    %(identified_by)s, %(receipt_no)s, %(at)s, %(local_date)s, %(period)s, %(channel)s, %(gross_fen)s, %(benefit_fen)s,
    %(payable_fen)s, %(benefit_city_fen)s, %(benefit_district_fen)s, %(benefit_canteen_fen)s, %(benefit_other_fen)s,
    %(settle_month)s, %(policy_id)s, %(policy_version)s, %(explanation_zh)s, %(explanation_en)s, %(usage_delta)s,
    %(idempotency_key)s, %(request_digest)s, %(chain_seq)s, %(prev_hash)s, %(record_hash)s, %(created_at)s)
  RETURNING id
), i AS (
  INSERT INTO checkout_mealitem (meal_id, dish_id, name, quantity, unit_price_fen, line_fen)
  SELECT m.id, x.dish_id, x.name, x.quantity, x.unit_price_fen, x.quantity * x.unit_price_fen
  FROM m, jsonb_to_recordset(%(items)s::jsonb) AS x(dish_id bigint, name text, quantity int, unit_price_fen bigint)
), b AS (
  INSERT INTO checkout_benefitline (meal_id, rule_id, layer_id, funder, amount_fen)
  SELECT m.id, x.rule_id, x.layer_id, x.funder, x.amount_fen
  FROM m, jsonb_to_recordset(%(lines)s::jsonb) AS x(rule_id text, layer_id text, funder text, amount_fen bigint)
), t AS (
  INSERT INTO checkout_tender (meal_id, kind, amount_fen, reference)
  SELECT m.id, x.kind, x.amount_fen, x.reference
  FROM m, jsonb_to_recordset(%(tenders)s::jsonb) AS x(kind text, amount_fen bigint, reference text)
), u AS (
  UPDATE checkout_elderdayusage SET usage = %(u_usage)s, benefit_fen = benefit_fen + %(u_benefit)s,
    meals = meals + %(u_meals)s, updated_at = %(created_at)s
  WHERE id = %(u_id)s
), c AS (
  UPDATE checkout_canteenchain SET seq = %(chain_seq)s, head_hash = %(record_hash)s
  WHERE canteen_id = %(canteen_id)s

)
SELECT id FROM m
"""

# The record's share of the roll-ups (checkout/rollups.py), right after in the same transaction: a
# statement of its own, because psycopg parses a statement once per process only up to 4,096
# characters, and re-parsing one long write on every commit cost more than the round trip.
ROLLUP_SQL = f"WITH {rollups.PG_CTES} SELECT 1"
# The month roll-ups after it: folded into ROLLUP_SQL the text would pass the 4,096 characters.
ROLLUP_MONTH_SQL = f"WITH {rollups.PG_MONTH_CTES} SELECT 1"
# The district roll-ups and the elder's year last (it reads the elder's month row as left above, and
# the district rows, shared by a district's canteens, are then held locked only until the commit).
ROLLUP_DISTRICT_SQL = f"WITH {rollups.PG_DISTRICT_CTES} SELECT 1"


def is_available() -> bool:
    return connection.vendor == "postgresql"


def lock_usage(elder_id: int, day: date, empty_usage: dict, now: datetime) -> tuple[int, dict, int]:
    """(usage row id, usage, net meals so far): the row created if missing, and locked."""
    with connection.cursor() as cur:
        cur.execute(LOCK_USAGE_SQL, [elder_id, day, json.dumps(empty_usage), now])
        row_id, usage, meals = cur.fetchone()
    return row_id, usage if isinstance(usage, dict) else json.loads(usage), meals


def lock_sale(elder_id: int, day: date, empty_usage: dict, now: datetime, canteen_id: int,
              genesis: str) -> tuple[int, dict, int, int, str]:
    """(usage row id, usage, net meals so far, chain seq, chain head): both rows created if
    missing, both locked."""
    cur = hot_cursor()
    cur.execute(LOCK_SALE_SQL, [elder_id, day, json.dumps(empty_usage), now, canteen_id, genesis])
    row_id, usage, meals, seq, head = cur.fetchone()
    return row_id, usage if isinstance(usage, dict) else json.loads(usage), meals, seq, head


def lock_chain(canteen_id: int, genesis: str) -> tuple[int, str]:
    with connection.cursor() as cur:
        cur.execute(LOCK_CHAIN_SQL, [canteen_id, genesis])
        seq, head = cur.fetchone()
    return seq, head


def write(meal: dict, items: list[tuple[int | None, str, int, int]], lines: list[tuple[str, str, str, int]],
          tenders: list[tuple[str, int, str]], usage: tuple[int, dict, int, int] | None,
          share: rollups.Share) -> int:
    """Insert the meal (`meal`: its column values by attribute name) with its items (dish, name,
    quantity, unit price), benefit lines (rule, layer, funder, fen) and tenders (kind, fen,
    reference), apply `usage` (row id, usage after, benefit and meals added), advance the chain
    head and add the record's `share` to the roll-ups; returns the meal's id."""
    params = dict(meal)
    # The rows go as three JSON documents (json.dumps is C; eleven typed arrays were dumped by
    # psycopg element by element in Python), unpacked in SQL in their order.
    params.update(
        usage_delta=json.dumps(meal["usage_delta"]),
        items=json.dumps([{"dish_id": d, "name": n, "quantity": q, "unit_price_fen": p} for d, n, q, p in items],
                         ensure_ascii=False),
        lines=json.dumps([{"rule_id": r, "layer_id": la, "funder": f, "amount_fen": a} for r, la, f, a in lines],
                         ensure_ascii=False),
        tenders=json.dumps([{"kind": k, "amount_fen": a, "reference": r} for k, a, r in tenders], ensure_ascii=False),
        u_id=usage[0] if usage else None, u_usage=json.dumps(usage[1] if usage else {}),
        u_benefit=usage[2] if usage else 0, u_meals=usage[3] if usage else 0,
        r_rules=json.dumps(share.rules, ensure_ascii=False), **share.params,
    )
    cur = hot_cursor()
    cur.execute(WRITE_SQL, params)
    pk = cur.fetchone()[0]
    cur.execute(ROLLUP_SQL, params)
    cur.execute(ROLLUP_MONTH_SQL, params)
    cur.execute(ROLLUP_DISTRICT_SQL, params)
    return pk
