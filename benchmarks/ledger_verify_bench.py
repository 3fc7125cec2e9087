#!/usr/bin/env python
"""`zhucan ledger verify`'s counter reconciliation over a month of a city.

    .venv/bin/python benchmarks/ledger_verify_bench.py [--elders 300000] [--days 30] [--reuse]

1. Creates a fresh PostgreSQL database (`zhucan_ledger_bench` on 127.0.0.1:5432), migrates it as in
   production and seeds the Hangzhou division tree, one canteen and N elders (as settlement_bench).
2. Writes one lunch a day per elder for the month with `INSERT … SELECT … generate_series` (every
   elder-day of June 2025 from the 1st): the sale, its benefit line (layer `city`), 1 % of them
   voided, and the day-usage rows exactly as commit and void leave them — a consistent ledger.
3. Times `usage_verify()` (the database screen — ledger and usage rows compared with EXCEPT, the
   ledger's figures against the loosest limits — then the exact check of the elder-days it picks
   out) and checks it finds nothing; then zeroes one row and checks that it is found (that second
   pass is not timed). Exits non-zero if either check fails.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from benchmarks.settlement_bench import bench_env, recreate_db  # noqa: E402

MEALS_SQL = """
INSERT INTO checkout_meal (kind, mode, identified_by, receipt_no, at, local_date, period, gross_fen, benefit_fen,
  payable_fen, benefit_city_fen, benefit_district_fen, benefit_canteen_fen, benefit_other_fen, settle_month,
  policy_id, policy_version, explanation_zh, explanation_en, usage_delta, idempotency_key, request_digest,
  chain_seq, prev_hash, record_hash, created_at, canteen_id, elder_id)
SELECT 'sale', 'live', 'card', 'B' || d || '-' || e, (day + TIME '11:30') AT TIME ZONE 'Asia/Shanghai', day, 'lunch',
  1500, 450, 1050, 450, 0, 0, 0, DATE '2025-06-01', 'hangzhou', 'hz-2022', '', '', '{}', 'k' || d || '-' || e, 'd',
  d * 10000000 + e, 'p', 'h', now(), %(canteen)s, %(e0)s + e
FROM generate_series(0, %(days)s - 1) d, generate_series(0, %(elders)s - 1) e,
     LATERAL (SELECT DATE '2025-06-01' + d AS day) x
"""
VOIDS_SQL = """
INSERT INTO checkout_meal (kind, mode, identified_by, receipt_no, at, local_date, period, gross_fen, benefit_fen,
  payable_fen, benefit_city_fen, benefit_district_fen, benefit_canteen_fen, benefit_other_fen, settle_month,
  policy_id, policy_version, explanation_zh, explanation_en, usage_delta, idempotency_key, request_digest,
  chain_seq, prev_hash, record_hash, created_at, canteen_id, elder_id, reverses_id)
SELECT 'void', mode, identified_by, 'V' || id, at, local_date, period, -gross_fen, -benefit_fen, -payable_fen,
  -benefit_city_fen, 0, 0, 0, settle_month, policy_id, policy_version, '', '', '{}', 'v' || id, 'd',
  chain_seq + 1000000000, 'p', 'h', now(), canteen_id, elder_id, id
FROM checkout_meal WHERE kind = 'sale' AND id % 100 = 0
"""
LINES_SQL = """
INSERT INTO checkout_benefitline (meal_id, rule_id, layer_id, funder, amount_fen)
SELECT id, 'hz.city.discount', 'city', 'city', benefit_fen FROM checkout_meal
"""
USAGE_SQL = """
INSERT INTO checkout_elderdayusage (elder_id, local_date, usage, benefit_fen, meals, updated_at)
SELECT s.elder_id, s.local_date,
  CASE WHEN v.id IS NULL
       THEN jsonb_build_object('date', s.local_date::text, 'layers', jsonb_build_object('city',
              jsonb_build_object('benefit_fen', s.benefit_fen, 'meals', 1, 'periods', jsonb_build_object('lunch', 1))))
       ELSE jsonb_build_object('date', s.local_date::text, 'layers', '{}'::jsonb) END,
  CASE WHEN v.id IS NULL THEN s.benefit_fen ELSE 0 END, CASE WHEN v.id IS NULL THEN 1 ELSE 0 END, now()
FROM checkout_meal s LEFT JOIN checkout_meal v ON v.reverses_id = s.id WHERE s.kind = 'sale'
"""


def seed(n_elders: int, days: int) -> None:
    from django.db import connection, transaction

    from zhucan.canteens.models import Canteen
    from zhucan.demo.seed import seed_regions
    from zhucan.regions.models import Region

    t0 = time.perf_counter()
    seed_regions()
    hz = Region.objects.get(code="330100")
    sub = Region.objects.filter(path__startswith=hz.path, level="subdistrict").order_by("code").first()
    community = Region.objects.filter(path__startswith=hz.path, level="community").first()
    canteen = Canteen.objects.create(name="压测食堂", operator="压测餐饮", canteen_type="community_new_build",
                                     area="urban", region=sub, address="测试路1号", status="open")
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            "INSERT INTO elders_elder (name, id_number_encrypted, id_number_index, id_number_masked, birth_date, sex,"
            " phone_encrypted, phone_index, address_encrypted, hukou_note, status, verification, verification_reason,"
            " created_at, updated_at,"
            " community_id) SELECT '老人' || g, 'x', md5(g::text), '3301**********' || lpad(g::text, 4, '0'),"
            " DATE '1945-01-01', 'F', '', '', '', '', 'active', 'verified', '', now(), now(), %s"
            " FROM generate_series(1, %s) g", [community.pk, n_elders])
        cur.execute("SELECT min(id) FROM elders_elder")
        e0 = cur.fetchone()[0]
        cur.execute(MEALS_SQL, {"canteen": canteen.pk, "e0": e0, "days": days, "elders": n_elders})
        cur.execute(VOIDS_SQL)
        cur.execute(LINES_SQL)
        cur.execute(USAGE_SQL)
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
    print(f"# seeded in {time.perf_counter() - t0:.0f} s", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="zhucan_ledger_bench")
    parser.add_argument("--elders", type=int, default=300_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--reuse", action="store_true", help="time an existing database (skip seeding)")
    args = parser.parse_args()
    env = bench_env(args.db)
    if not args.reuse:
        recreate_db(args.db)
        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], env=env, check=True, cwd=ROOT)
    os.environ.update(env)
    import django

    django.setup()
    from django.db import connection

    from zhucan.checkout.usage_verification import usage_verify

    if not args.reuse:
        seed(args.elders, args.days)
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM checkout_meal")
        n_meals = cur.fetchone()[0]
    t0 = time.perf_counter()
    elder_days, problems = usage_verify()
    clean = time.perf_counter() - t0
    print(f"{n_meals:,} ledger records, {elder_days:,} elder-days reconciled in {clean:.1f} s, "
          f"{len(problems)} problems", flush=True)
    with connection.cursor() as cur:
        cur.execute("UPDATE checkout_elderdayusage SET usage = '{}', benefit_fen = 0, meals = 0 WHERE id = "
                    "(SELECT max(id) FROM checkout_elderdayusage WHERE meals = 1) RETURNING elder_id, local_date")
        tampered = cur.fetchone()
    _, found = usage_verify()
    hit = {(p.elder_id, p.day) for p in found} == {tampered}
    print(f"zeroed usage row of elder {tampered[0]} on {tampered[1]}: {'found' if hit else 'NOT FOUND'}")
    return 0 if not problems and hit else 1


if __name__ == "__main__":
    sys.exit(main())
