#!/usr/bin/env python
"""Monthly settlement of a Hangzhou-size month, compared with a raw GROUP BY over the same rows.

    .venv/bin/python benchmarks/settlement_bench.py [--meals 9000000] [--canteens 2000] [--runs 3] [--reuse]

1. Creates a fresh PostgreSQL database (`zhucan_settle_bench` on 127.0.0.1:5432), migrates it as in
   production (`config.settings.production`, generated secrets), seeds the real Hangzhou division
   tree, N canteens spread over its subdistricts and 300,000 elders.
2. Writes one month (June 2025) of ledger records with `INSERT … SELECT … generate_series`: valid
   rows (every check constraint holds: benefit = sum of the funder columns, payable = gross − benefit,
   reversals negative and pointing at their sale), ~15 % walk-in customers, 1 % voids, 0.2 % late
   records from May (adjustments), a quarter of the benefit paid partly by the district. Chain and
   idempotency fields are synthetic strings. No benefit lines: generation does not read them.
3. VACUUM ANALYZE, then alternately times `statement_generate(actor=None, month=2025-06)` (all
   statements, written to the database; from the second run on it replaces the drafts) and the
   floor: one raw GROUP BY canteen_id over the month's rows computing the figures a statement
   carries (SAME_FIGURES_SQL: sales, reversals, 人次, walk-ins, COUNT(DISTINCT elder), gross, four
   funders, adjustments). Prints the medians and the ratio, checks every statement equals the raw
   query's figures, and prints for reference the ratio to a bare 3-aggregate GROUP BY
   (`count(*), sum(gross_fen), sum(benefit_fen)`, the floor used before 2026-11).
   `--reuse` skips 1–2 and times an existing database.
"""

from __future__ import annotations

import argparse
import base64
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))
PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"
MONTH = date(2025, 6, 1)
FLOOR_SQL = ("SELECT canteen_id, count(*), sum(gross_fen), sum(benefit_fen) FROM checkout_meal "
             "WHERE settle_month = %s GROUP BY canteen_id")
# The same figures a statement carries, as one hand-written GROUP BY (COUNT(DISTINCT) for the elders
# served): what an analyst would write to get the statements' numbers straight from the ledger.
SAME_FIGURES_SQL = """
SELECT canteen_id,
       count(*) FILTER (WHERE kind = 'sale'), count(*) FILTER (WHERE kind <> 'sale'),
       count(*) FILTER (WHERE elder_id IS NOT NULL AND kind = 'sale')
         - count(*) FILTER (WHERE elder_id IS NOT NULL AND kind <> 'sale'),
       count(*) FILTER (WHERE elder_id IS NULL AND kind = 'sale')
         - count(*) FILTER (WHERE elder_id IS NULL AND kind <> 'sale'),
       count(DISTINCT elder_id) FILTER (WHERE kind = 'sale'),
       sum(gross_fen), sum(benefit_city_fen), sum(benefit_district_fen), sum(benefit_canteen_fen),
       sum(benefit_other_fen), count(*) FILTER (WHERE local_date < %s),
       coalesce(sum(benefit_fen) FILTER (WHERE local_date < %s), 0)
FROM checkout_meal WHERE settle_month = %s GROUP BY canteen_id
"""
SAME_FIELDS = ("sales", "reversals", "elder_meals", "non_elder_meals", "elders", "gross_fen", "benefit_city_fen",
               "benefit_district_fen", "benefit_canteen_fen", "benefit_other_fen", "adjustments",
               "adjustments_benefit_fen")


def bench_env(db: str) -> dict[str, str]:
    key = lambda: base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()  # noqa: E731
    return {
        **os.environ,
        # The shared virtualenv installs zhucan from another checkout: the child processes (migrate,
        # the server) must import this checkout's code, as this process does.
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT), os.environ.get("PYTHONPATH", "")]),
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{db}",
        "ZHUCAN_SECRET_KEY": secrets.token_urlsafe(40), "ZHUCAN_DATA_KEY": key(), "ZHUCAN_INDEX_KEY": key(),
        "ZHUCAN_ALLOWED_HOSTS": "127.0.0.1,localhost", "ZHUCAN_SECURE_COOKIES": "0",
        "ZHUCAN_VAR_DIR": tempfile.mkdtemp(prefix="zhucan-settle-bench-"),
        "ZHUCAN_LOG_LEVEL": "ERROR",
    }


def recreate_db(db: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{db}"')


def seed(n_meals: int, n_canteens: int, n_elders: int) -> None:
    from django.db import connection, transaction

    from zhucan.canteens.models import Canteen
    from zhucan.demo.seed import seed_regions
    from zhucan.regions.models import Region

    t0 = time.perf_counter()
    seed_regions()
    hz = Region.objects.get(code="330100")
    subdistricts = list(Region.objects.filter(path__startswith=hz.path, level="subdistrict").order_by("code"))
    community = Region.objects.filter(path__startswith=hz.path, level="community").first()
    Canteen.objects.bulk_create(
        [Canteen(name=f"压测食堂{i}", operator="压测餐饮", canteen_type="community_new_build", area="urban",
                 region=subdistricts[i % len(subdistricts)], address="测试路1号", status="open")
         for i in range(n_canteens)], batch_size=1000)
    c0 = Canteen.objects.order_by("pk").values_list("pk", flat=True).first()
    assert Canteen.objects.filter(pk__gte=c0, pk__lt=c0 + n_canteens).count() == n_canteens
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO elders_elder (name, id_number_encrypted, id_number_index, id_number_masked, birth_date, sex,"
            " phone_encrypted, phone_index, address_encrypted, hukou_note, status, verification, verification_reason,"
            " created_at, updated_at,"
            " community_id) SELECT '老人' || g, 'x', md5(g::text), '', DATE '1945-01-01', 'F', '', '', '', '',"
            " 'active', 'verified', '', now(), now(), %s FROM generate_series(1, %s) g", [community.pk, n_elders])
        cur.execute("SELECT min(id) FROM elders_elder")
        e0 = cur.fetchone()[0]
    print(f"# seeded regions, {n_canteens} canteens, {n_elders} elders in {time.perf_counter() - t0:.0f} s",
          flush=True)
    # Each canteen serves its own pool of 150 elders (≈30 meals per elder in the month); every 7th
    # record is a walk-in customer; every 500th is a late record from May (an adjustment).
    # The rows are valid by construction (check constraints still apply); foreign-key triggers are
    # switched off for the load only, which makes it ~10× faster.
    # Indexes are dropped for the load and rebuilt after it (a sorted bulk build): the table ends
    # with exactly the production schema.
    with connection.cursor() as cur:
        cur.execute("SET session_replication_role = replica")
        cur.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                    "WHERE conrelid = 'checkout_meal'::regclass AND contype = 'u'")
        uniques = cur.fetchall()
        cur.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'checkout_meal' AND indexname "
                    "NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = 'checkout_meal'::regclass)")
        plain = cur.fetchall()
        for name, _ in uniques:
            cur.execute(f'ALTER TABLE checkout_meal DROP CONSTRAINT "{name}"')
        for name, _ in plain:
            cur.execute(f'DROP INDEX "{name}"')
    chunk = 1_000_000
    for start in range(1, n_meals + 1, chunk):
        end = min(start + chunk - 1, n_meals)
        t1 = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(f"""
WITH g AS (
  SELECT i, {c0} + (i % {n_canteens}) AS canteen_id,
         CASE WHEN i % 7 = 0 THEN NULL
              ELSE {e0} + (((i % {n_canteens}) * 150 + (i / {n_canteens}) % 150) % {n_elders}) END AS elder_id,
         1000 + (i * 7) % 1500 AS gross,
         CASE WHEN i % 500 = 0 THEN DATE '2025-05-31' ELSE DATE '2025-06-01' + ((i / 97) % 30)::int END AS day
  FROM generate_series({start}, {end}) i
), b AS (
  SELECT *, CASE WHEN elder_id IS NULL THEN 0 ELSE gross * 3 / 10 END AS benefit FROM g
)
INSERT INTO checkout_meal (kind, mode, identified_by, receipt_no, at, local_date, period, gross_fen, benefit_fen,
  payable_fen, benefit_city_fen, benefit_district_fen, benefit_canteen_fen, benefit_other_fen, settle_month,
  policy_id, policy_version, explanation_zh, explanation_en, usage_delta, idempotency_key, request_digest,
  chain_seq, prev_hash, record_hash, created_at, canteen_id, elder_id)
SELECT 'sale', 'live', CASE WHEN elder_id IS NULL THEN 'none' ELSE 'card' END, 'B' || i,
  (day + TIME '11:30') AT TIME ZONE 'Asia/Shanghai', day, 'lunch', gross, benefit, gross - benefit,
  benefit - CASE WHEN i % 4 = 0 THEN benefit / 3 ELSE 0 END, CASE WHEN i % 4 = 0 THEN benefit / 3 ELSE 0 END, 0, 0,
  DATE '2025-06-01', 'hangzhou', 'bench', '', '', '{{}}', 'k' || i, 'd', i, 'p', 'h', now(), canteen_id, elder_id
FROM b""")
        print(f"# meals {start:,}–{end:,} in {time.perf_counter() - t1:.0f} s", flush=True)
    with transaction.atomic(), connection.cursor() as cur:
        # 1 % voids: a reversal entry for every 100th sale, pointing at it.
        cur.execute("""
INSERT INTO checkout_meal (kind, mode, identified_by, receipt_no, at, local_date, period, gross_fen, benefit_fen,
  payable_fen, benefit_city_fen, benefit_district_fen, benefit_canteen_fen, benefit_other_fen, settle_month,
  policy_id, policy_version, explanation_zh, explanation_en, usage_delta, idempotency_key, request_digest,
  chain_seq, prev_hash, record_hash, created_at, canteen_id, elder_id, reverses_id)
SELECT 'void', mode, identified_by, 'V' || id, at, local_date, period, -gross_fen, -benefit_fen, -payable_fen,
  -benefit_city_fen, -benefit_district_fen, 0, 0, settle_month, policy_id, policy_version, '', '', '{}',
  'v' || id, 'd', chain_seq + 1000000000, 'p', 'h', now(), canteen_id, elder_id, id
FROM checkout_meal WHERE kind = 'sale' AND id % 100 = 0""")
    t1 = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute("SET session_replication_role = origin")
        cur.execute("SET maintenance_work_mem = '1GB'")
        for _, definition in plain:
            cur.execute(definition)
        for name, definition in uniques:
            cur.execute(f'ALTER TABLE checkout_meal ADD CONSTRAINT "{name}" {definition}')
    print(f"# indexes rebuilt in {time.perf_counter() - t1:.0f} s", flush=True)
    print(f"# ledger written in {time.perf_counter() - t0:.0f} s", flush=True)


def vacuum() -> None:
    from django.db import connection

    t0 = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
    print(f"# VACUUM ANALYZE in {time.perf_counter() - t0:.0f} s", flush=True)


def time_floor() -> tuple[float, int]:
    from django.db import connection

    t0 = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute(FLOOR_SQL, [MONTH])
        rows = cur.fetchall()
    return time.perf_counter() - t0, len(rows)


def time_same_figures() -> tuple[float, dict[int, tuple]]:
    from django.db import connection

    t0 = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute(SAME_FIGURES_SQL, [MONTH, MONTH, MONTH])
        rows = cur.fetchall()
    return time.perf_counter() - t0, {r[0]: tuple(int(v or 0) for v in r[1:]) for r in rows}


def check_equal(raw: dict[int, tuple]) -> int:
    """Every statement equals the hand-written query's figures, field by field."""
    from zhucan.settlement.models import Statement

    bad = 0
    for st in Statement.objects.filter(month=MONTH).only("canteen_id", *SAME_FIELDS):
        mine = tuple(getattr(st, f) for f in SAME_FIELDS)
        if raw.get(st.canteen_id, (0,) * len(SAME_FIELDS)) != mine:
            bad += 1
    return bad


def time_generate() -> tuple[float, int]:
    from zhucan.settlement.services import statement_generate

    t0 = time.perf_counter()
    statements = statement_generate(actor=None, month=MONTH)
    return time.perf_counter() - t0, len(statements)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="zhucan_settle_bench")
    parser.add_argument("--meals", type=int, default=9_000_000)
    parser.add_argument("--canteens", type=int, default=2000)
    parser.add_argument("--elders", type=int, default=300_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--reuse", action="store_true", help="time an existing database (skip seeding)")
    args = parser.parse_args()
    env = bench_env(args.db)
    if not args.reuse:
        print(f"# database {args.db}: recreate, migrate, seed {args.meals:,} meals", flush=True)
        recreate_db(args.db)
        subprocess.run([sys.executable, "-m", "zhucan.cli", "migrate", "-v0"], env=env, check=True, cwd=ROOT)
    os.environ.update(env)
    import django

    django.setup()
    from django.db import connection

    if not args.reuse:
        seed(args.meals, args.canteens, args.elders)
        vacuum()
    with connection.cursor() as cur:
        cur.execute("SELECT count(*), count(DISTINCT canteen_id) FROM checkout_meal WHERE settle_month = %s", [MONTH])
        n_rows, n_canteens = cur.fetchone()
        cur.execute("SHOW max_parallel_workers_per_gather")
        workers = cur.fetchone()[0]
        cur.execute("SHOW work_mem")
        work_mem = cur.fetchone()[0]
    print(f"# {n_rows:,} ledger records of {MONTH:%Y-%m} in {n_canteens:,} canteens; "
          f"max_parallel_workers_per_gather={workers}, work_mem={work_mem}", flush=True)
    time_floor()  # warm the cache the same way for all three
    floors, sames, gens = [], [], []
    raw: dict[int, tuple] = {}
    for run in range(args.runs):
        f, nf = time_floor()
        r, raw = time_same_figures()
        g, ng = time_generate()
        floors.append(f)
        sames.append(r)
        gens.append(g)
        print(f"run {run + 1}: raw GROUP BY, same figures {r:.2f} s ({len(raw)} groups) · statement_generate "
              f"{g:.2f} s ({ng} statements) · ×{g / r:.2f}   [3-aggregate GROUP BY {f:.2f} s ({nf} groups): "
              f"×{g / f:.2f}]", flush=True)
    f, r, g = statistics.median(floors), statistics.median(sames), statistics.median(gens)
    differing = check_equal(raw)
    print(f"statements differing from the raw query's figures: {differing}")
    print(f"median: raw GROUP BY (same figures) {r:.2f} s · statement_generate {g:.2f} s · ratio ×{g / r:.2f} "
          f"(target ≤ 60 s and ≤ ×1.5)")
    print(f"        reference: 3-aggregate GROUP BY (count, gross, benefit) {f:.2f} s · ratio ×{g / f:.2f}")
    return 0 if g <= 60 and g <= 1.5 * r and differing == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
