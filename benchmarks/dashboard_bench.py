#!/usr/bin/env python
"""The dashboards at city scale: every city-level query ≤ 300 ms, and the roll-ups equal to the ledger.

    .venv/bin/python benchmarks/dashboard_bench.py [--meals 9000000] [--canteens 2000] [--elders 300000]
        [--runs 5] [--keep] [--reuse [--upgrade] [--no-raw]] [--db zhucan_dashbench]

1. Creates a fresh PostgreSQL database (`zhucan_dashbench` on 127.0.0.1:5432) and migrates it.
2. Generates a Hangzhou-size city in SQL (generate_series, INSERT … SELECT; the ledger's secondary
   indexes and foreign keys are dropped during the load and rebuilt after): one city, 13 districts,
   190 subdistricts, 2,000 communities, 2,000 canteens, 300,000 elders (tags, ages, 2 % no longer
   active); a month of ledger (November 2026): 9,000,000 sales (5 % non-elder customers; 80 % of
   elder meals with a city benefit, 10 % with a district line too) plus 1 % voids and 1 % refunds
   (next day), with their benefit lines (items and tenders are not generated: no dashboard reads
   them). The month's roll-ups are written by the platform's own `zhucan rollups rebuild` (timed);
   the other 11 months of the year (December 2025 – October 2026) get canteen, rule, elder-month and
   community roll-ups generated directly, and their district roll-ups, canteen month totals and
   every elder's year rows folded from those (the statements `rollups rebuild` runs); the elders'
   coverage facts (elders.ElderReach: registry by its triggers, months counted from the month rows).
3. Times every query the dashboards make (`zhucan.analytics.selectors`, as a city administrator),
   for the month and for the year: median of `--runs` runs after one warm-up; target ≤ 300 ms; the
   load average at the start and the end.
4. Computes the month's figures again by raw GROUP BYs over the ledger (a reversal counted on its
   sale's day, as the roll-ups do) and compares them with the selectors' figures to the fen; prints
   each raw query's time and the ratio raw ÷ roll-up (`--no-raw` skips this: minutes at full size).
   The year's totals, per period and per method from the district roll-ups are held against the
   canteen roll-ups.
5. Drops the database unless `--keep` (`--reuse` skips 1–2 on a kept database; `--upgrade` with it
   migrates a database kept before a roll-up was added and folds the new roll-ups for every month).
"""

from __future__ import annotations

import argparse
import importlib
import os
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from checkout_load import PG_ADMIN, bench_env, recreate_db  # noqa: E402

MONTH = date(2026, 11, 1)
MONTH_END = date(2026, 11, 30)
YEAR_START = date(2025, 12, 1)
TARGET_MS = 300.0
LATER = timedelta(days=60)


def sql(conn, text: str, params=(), what: str | None = None):
    t0 = time.perf_counter()
    cur = conn.execute(text, params)
    if what:
        print(f"  {what}: {cur.rowcount:,} rows in {time.perf_counter() - t0:.1f} s", flush=True)
    return cur


# ------------------------------------------------------------------------------------------------
# Generating


def _drop_secondary(conn, table: str) -> list[str]:
    """Drop the table's indexes, unique and foreign-key constraints except the primary key; returns
    the statements that recreate them (foreign keys NOT VALID: the generator's ids are consistent)."""
    again = []
    for name, definition, kind in conn.execute(
            "SELECT conname, pg_get_constraintdef(oid), contype FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype IN ('u', 'f')", [table]).fetchall():
        conn.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        again.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'
                     + (" NOT VALID" if kind == "f" else ""))
    for name, definition in conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname NOT IN "
            "(SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)", [table, table]).fetchall():
        conn.execute(f'DROP INDEX "{name}"')
        again.append(definition)
    return again


def _restore(conn, statements: list[str], table: str) -> None:
    t0 = time.perf_counter()
    for s in statements:
        conn.execute(s)
    print(f"  {table}: {len(statements)} indexes and constraints rebuilt in {time.perf_counter() - t0:.1f} s",
          flush=True)


def generate(conn, n_meals: int, n_canteens: int, n_elders: int) -> None:
    conn.execute("SET maintenance_work_mem = '1GB'")
    conn.execute("SET work_mem = '256MB'")
    print("# regions, canteens, elders", flush=True)
    city = conn.execute(
        "INSERT INTO regions_region (code, name, level, path, area, policy_id, parent_id) "
        "VALUES ('330100', '杭州市', 'city', '330100/', '', 'hangzhou', NULL) RETURNING id").fetchone()[0]
    sql(conn, """INSERT INTO regions_region (code, name, level, path, area, policy_id, parent_id)
        SELECT '3301' || lpad(d::text, 2, '0'), '第' || d || '区', 'district',
          '330100/3301' || lpad(d::text, 2, '0') || '/', 'urban', '', %s FROM generate_series(1, 13) d""", [city])
    sql(conn, """INSERT INTO regions_region (code, name, level, path, area, policy_id, parent_id)
        SELECT p.code || lpad(s::text, 3, '0'), '第' || s || '街道', 'subdistrict',
          p.path || p.code || lpad(s::text, 3, '0') || '/', '', '', p.id
        FROM generate_series(1, 190) s
        JOIN regions_region p ON p.level = 'district' AND p.code = '3301' || lpad((1 + (s - 1) %% 13)::text, 2, '0')""")
    sql(conn, """INSERT INTO regions_region (code, name, level, path, area, policy_id, parent_id)
        SELECT p.code || lpad(c::text, 4, '0'), '第' || c || '社区', 'community',
          p.path || p.code || lpad(c::text, 4, '0') || '/', '', '', p.id
        FROM generate_series(1, 2000) c
        JOIN (SELECT id, code, path, row_number() OVER (ORDER BY code) AS k FROM regions_region
              WHERE level = 'subdistrict') p ON p.k = 1 + (c - 1) %% 190""")
    sql(conn, """INSERT INTO canteens_canteen (name, operator, credit_code, food_licence, canteen_type, area, address,
          phone, seats, floor_area_m2, status, open_to_public, public_info, service_promises, created_at,
          updated_at, region_id, config_version)
        SELECT '第' || i || '长者食堂', '压测餐饮', '', '', 'community_new_build', 'urban', '测试路', '', 80, 120,
          'open', true, '', '', now(), now(), p.id, 1
        FROM generate_series(1, %s) i
        JOIN (SELECT id, row_number() OVER (ORDER BY code) AS k FROM regions_region WHERE level = 'subdistrict') p
          ON p.k = 1 + (i - 1) %% 190""", [n_canteens], "canteens")
    sql(conn, """INSERT INTO elders_elder (name, id_number_encrypted, id_number_index, id_number_masked, birth_date,
          sex, hukou_note, status, status_since, verification, verification_reason, created_at, updated_at,
          community_id, phone_encrypted, phone_index, address_encrypted, allergies, diet_notes)
        SELECT '老人' || i, '-', md5(i::text), '', date '1926-01-01' + (abs(hashint8extended(i, 9)) %% 12000)::int,
          CASE WHEN i %% 2 = 0 THEN 'F' ELSE 'M' END, '',
          CASE WHEN i %% 50 = 0 THEN 'deceased' ELSE 'active' END,
          CASE WHEN i %% 50 = 0 THEN date '2026-06-01' END,
          CASE WHEN i %% 20 = 0 THEN 'pending' ELSE 'verified' END, '', now(), now(), c.id, '', '', '', '', '[]'
        FROM generate_series(1, %s) i
        JOIN (SELECT id, row_number() OVER (ORDER BY code) AS k FROM regions_region WHERE level = 'community') c
          ON c.k = 1 + (i - 1) %% 2000""", [n_elders], "elders")
    sql(conn, """INSERT INTO elders_elder_tags (elder_id, tag_id)
        SELECT e.id, t.id FROM elders_elder e JOIN elders_tag t ON
          (t.code = 'dibao' AND e.id %% 7 = 0) OR (t.code = 'living_alone' AND e.id %% 11 = 0)
          OR (t.code = 'disabled' AND e.id %% 13 = 0) OR (t.code = 'tekun' AND e.id %% 29 = 0)
        WHERE t.region_id IS NULL""", what="elder tags")

    c0, c1 = conn.execute("SELECT min(id), max(id) FROM canteens_canteen").fetchone()
    e0, e1 = conn.execute("SELECT min(id), max(id) FROM elders_elder").fetchone()
    print(f"# the ledger: {n_meals:,} sales in November 2026, 1 % voids, 1 % refunds", flush=True)
    conn.commit()
    again_meal = _drop_secondary(conn, "checkout_meal")
    again_line = _drop_secondary(conn, "checkout_benefitline")
    per_day = n_meals // 30
    t0 = time.perf_counter()
    for d in range(30):
        first, last = d * per_day + 1, (d + 1) * per_day if d < 29 else n_meals
        conn.execute(f"""
        INSERT INTO checkout_meal (id, canteen_id, elder_id, kind, mode, identified_by, receipt_no, at, local_date,
          period, gross_fen, benefit_fen, payable_fen, benefit_city_fen, benefit_district_fen, benefit_canteen_fen,
          benefit_other_fen, settle_month, policy_id, policy_version, explanation_zh, explanation_en, usage_delta,
          idempotency_key, request_digest, chain_seq, prev_hash, record_hash, created_at)
        SELECT g, canteen, elder, 'sale', 'live', method, 'B' || g, at, day, period, gross, city + district,
          gross - city - district, city, district, 0, 0, date '2026-11-01', 'hangzhou', 'bench', '', '', '{{}}',
          g::text, '', g, '', '', at
        FROM (
          SELECT g, day, canteen, elder, period, gross,
            CASE WHEN elder IS NULL THEN 'none' WHEN r2 < 10 THEN 'card' WHEN r2 < 15 THEN 'qr'
                 WHEN r2 < 19 THEN 'face' ELSE 'id_number' END AS method,
            CASE WHEN elder IS NOT NULL AND r5 < 8 THEN gross / 5 ELSE 0 END AS city,
            CASE WHEN elder IS NOT NULL AND r5 = 0 THEN 200 ELSE 0 END AS district,
            (day + CASE period WHEN 'breakfast' THEN time '07:00' WHEN 'lunch' THEN time '11:00'
                   ELSE time '17:00' END + (r1 %% 5400) * interval '1 second') AT TIME ZONE 'Asia/Shanghai' AS at
          FROM (
            SELECT g, date '2026-11-01' + {d} AS day, {c0} + abs(hashint8extended(g, 1)) %% ({c1 - c0 + 1}) AS canteen,
              CASE WHEN abs(hashint8extended(g, 2)) %% 20 = 0 THEN NULL
                   ELSE {e0} + abs(hashint8extended(g, 3)) %% ({e1 - e0 + 1}) END AS elder,
              CASE WHEN abs(hashint8extended(g, 4)) %% 10 = 0 THEN 'breakfast'
                   WHEN abs(hashint8extended(g, 4)) %% 10 < 8 THEN 'lunch' ELSE 'dinner' END AS period,
              1000 + (abs(hashint8extended(g, 5)) %% 16) * 100 AS gross,
              abs(hashint8extended(g, 6)) %% 20 AS r2, abs(hashint8extended(g, 7)) %% 10 AS r5,
              abs(hashint8extended(g, 8)) AS r1
            FROM generate_series({first}, {last}) g) x) y""", ())
        conn.commit()
        print(f"  day {d + 1}: {last:,} sales so far, {time.perf_counter() - t0:.0f} s", flush=True)
    sql(conn, f"""INSERT INTO checkout_meal (id, canteen_id, elder_id, kind, mode, reverses_id, identified_by,
          receipt_no, at, local_date, period, gross_fen, benefit_fen, payable_fen, benefit_city_fen,
          benefit_district_fen,
          benefit_canteen_fen, benefit_other_fen, settle_month, policy_id, policy_version, explanation_zh,
          explanation_en, usage_delta, idempotency_key, request_digest, chain_seq, prev_hash, record_hash, created_at)
        SELECT {n_meals} + m.id, m.canteen_id, m.elder_id, CASE WHEN m.id %% 100 = 7 THEN 'void' ELSE 'refund' END,
          'live', m.id, m.identified_by, 'R' || m.id, m.at + CASE WHEN m.id %% 100 = 7 THEN interval '10 minutes'
          ELSE interval '1 day' END, CASE WHEN m.id %% 100 = 7 THEN m.local_date ELSE m.local_date + 1 END,
          m.period, -m.gross_fen, -m.benefit_fen, -m.payable_fen, -m.benefit_city_fen, -m.benefit_district_fen, 0, 0,
          CASE WHEN m.id %% 100 = 57 AND m.local_date = date '2026-11-30' THEN date '2026-12-01'
               ELSE date '2026-11-01' END, 'hangzhou', 'bench', '', '', '{{}}', 'r' || m.id, '', {n_meals} + m.id,
          '', '', m.at
        FROM checkout_meal m WHERE m.id %% 100 IN (7, 57)""", what="voids and refunds")
    sql(conn, """INSERT INTO checkout_benefitline (meal_id, rule_id, layer_id, funder, amount_fen)
        SELECT id, 'hz.city.discount', 'city', 'city', benefit_city_fen FROM checkout_meal WHERE benefit_city_fen <> 0
        UNION ALL
        SELECT id, 'hz.district.extra', 'district', 'district', benefit_district_fen FROM checkout_meal
        WHERE benefit_district_fen <> 0""", what="benefit lines")
    conn.execute("SELECT setval(pg_get_serial_sequence('checkout_meal', 'id'), (SELECT max(id) FROM checkout_meal))")
    conn.commit()
    _restore(conn, again_meal, "checkout_meal")
    _restore(conn, again_line, "checkout_benefitline")
    conn.commit()


def generate_year(conn) -> None:
    """Roll-ups for December 2025 – October 2026, generated directly (no ledger behind them)."""
    print("# roll-ups for the 11 months before November 2026 (generated)", flush=True)
    days = (MONTH - YEAR_START).days
    tables = ("checkout_canteendayrollup", "checkout_benefitruledayrollup", "checkout_eldermonthrollup",
              "checkout_communitydayrollup")
    again = {t: _drop_secondary(conn, t) for t in tables}
    sql(conn, f"""INSERT INTO checkout_canteendayrollup (canteen_id, region_path, local_date, period, identified_by,
          meals, elder_meals, sales, voids, refunds, gross_fen, benefit_fen, payable_fen, benefit_city_fen,
          benefit_district_fen, benefit_canteen_fen, benefit_other_fen)
        SELECT c.id, r.path, d, p, m, n, CASE WHEN m = 'none' THEN 0 ELSE n END, n + 1, 1, 0, n * 1700,
          CASE WHEN m = 'none' THEN 0 ELSE n * 300 END, n * 1700 - CASE WHEN m = 'none' THEN 0 ELSE n * 300 END,
          CASE WHEN m = 'none' THEN 0 ELSE n * 300 END, 0, 0, 0
        FROM canteens_canteen c JOIN regions_region r ON r.id = c.region_id,
          LATERAL (SELECT date '{YEAR_START}' + i AS d FROM generate_series(0, {days - 1}) i) dd,
          unnest(ARRAY['breakfast', 'lunch', 'dinner']) p, unnest(ARRAY['card', 'qr', 'face', 'none']) m,
          LATERAL (SELECT 1 + abs(hashint8extended(c.id * 1000 + (d - date '2025-01-01'), length(p) + length(m)))
                   %% CASE p WHEN 'lunch' THEN 40 ELSE 8 END AS n) nn""", what="canteen-day")
    sql(conn, f"""INSERT INTO checkout_benefitruledayrollup (canteen_id, region_path, local_date, rule_id, funder,
          lines, amount_fen)
        SELECT c.id, r.path, date '{YEAR_START}' + i, x.rule, x.funder, 30, x.amount
        FROM canteens_canteen c JOIN regions_region r ON r.id = c.region_id, generate_series(0, {days - 1}) i,
          (VALUES ('hz.city.discount', 'city', 9000), ('hz.district.extra', 'district', 600))
          AS x(rule, funder, amount)""",
        what="rule-day")
    # Without the coverage-facts trigger row by row (3.3 million rows); the facts are counted once below.
    conn.execute("SET session_replication_role = replica")
    sql(conn, """INSERT INTO checkout_eldermonthrollup (elder_id, month, region_path, days_mask, meals, benefit_fen)
        SELECT e.id, m::date, r.path, abs(hashint8extended(e.id, extract(month FROM m)::int)) %% (1::bigint << 28),
          20, 6000
        FROM elders_elder e JOIN regions_region r ON r.id = e.community_id,
          generate_series(timestamp '2025-12-01', timestamp '2026-10-01', interval '1 month') m""",
        what="elder-month")
    conn.execute("SET session_replication_role = DEFAULT")
    sql(conn, f"""INSERT INTO checkout_communitydayrollup (community_id, region_path, local_date, elders, meals,
          benefit_fen)
        SELECT r.id, r.path, date '{YEAR_START}' + i, 95, 100, 30000
        FROM regions_region r, generate_series(0, {days - 1}) i WHERE r.level = 'community'""", what="community-day")
    # The month roll-ups of those months, folded from their day rows (as `rollups rebuild` does).
    sums = ("meals, elder_meals, sales, voids, refunds, gross_fen, benefit_fen, payable_fen, benefit_city_fen, "
            "benefit_district_fen, benefit_canteen_fen, benefit_other_fen")
    sql(conn, f"""INSERT INTO checkout_canteenmonthrollup (canteen_id, region_path, month, period, identified_by,
          {sums})
        SELECT canteen_id, MIN(region_path), date_trunc('month', local_date)::date, period, identified_by,
          {", ".join(f"SUM({c.strip()})" for c in sums.split(","))}
        FROM checkout_canteendayrollup WHERE local_date < date '{MONTH}'
        GROUP BY canteen_id, date_trunc('month', local_date)::date, period, identified_by""", what="canteen-month")
    sql(conn, f"""INSERT INTO checkout_benefitrulemonthrollup (canteen_id, region_path, month, rule_id, funder,
          lines, amount_fen)
        SELECT canteen_id, MIN(region_path), date_trunc('month', local_date)::date, rule_id, funder, SUM(lines),
          SUM(amount_fen)
        FROM checkout_benefitruledayrollup WHERE local_date < date '{MONTH}'
        GROUP BY canteen_id, date_trunc('month', local_date)::date, rule_id, funder""", what="rule-month")
    conn.commit()
    for t in tables:
        _restore(conn, again[t], t)
    # The elders' coverage facts from every month row (the statement checkout migration 0010 fills
    # them with, as `zhucan rollups rebuild` does).
    sql(conn, importlib.import_module("zhucan.checkout.migrations.0010_elder_reach_months")._backfill("postgresql"),
        what="elders' coverage facts")
    conn.commit()
    generate_year_districts(conn)


# A district's path: the first two levels of a region's path (as checkout/rollups.py computes it).
DISTRICT_OF = "substr({p},1,strpos({p},'/')+strpos(substr({p},strpos({p},'/')+1),'/'))"


def generate_year_districts(conn, before: date = MONTH) -> None:
    """The district roll-ups and canteen month totals of the months before `before` (the 11
    generated months), folded from their canteen and community rows (as `rollups rebuild` does),
    and every elder's year rows from all their month rows."""
    sums = ("meals, elder_meals, sales, voids, refunds, gross_fen, benefit_fen, payable_fen, benefit_city_fen, "
            "benefit_district_fen, benefit_canteen_fen, benefit_other_fen")
    summed = ", ".join(f"SUM({c.strip()})" for c in sums.split(","))
    for table in ("checkout_districtdayrollup", "checkout_districtresidentdayrollup"):
        conn.execute(f"DELETE FROM {table} WHERE local_date < date '{before}'")
    for table in ("checkout_districtmonthrollup", "checkout_canteenmonthtotalrollup"):
        conn.execute(f"DELETE FROM {table} WHERE month < date '{before}'")
    conn.execute("DELETE FROM checkout_elderyearrollup")
    sql(conn, f"""INSERT INTO checkout_districtdayrollup (region_path, local_date, period, identified_by, {sums})
        SELECT {DISTRICT_OF.format(p="region_path")}, local_date, period, identified_by, {summed}
        FROM checkout_canteendayrollup WHERE local_date < date '{before}'
        GROUP BY 1, local_date, period, identified_by""", what="district-day")
    sql(conn, f"""INSERT INTO checkout_districtmonthrollup (region_path, month, period, identified_by, {sums})
        SELECT region_path, date_trunc('month', local_date)::date, period, identified_by, {summed}
        FROM checkout_districtdayrollup WHERE local_date < date '{before}'
        GROUP BY region_path, date_trunc('month', local_date)::date, period, identified_by""", what="district-month")
    sql(conn, f"""INSERT INTO checkout_districtresidentdayrollup (region_path, local_date, elders)
        SELECT {DISTRICT_OF.format(p="region_path")}, local_date, SUM(elders) FROM checkout_communitydayrollup
        WHERE local_date < date '{before}' GROUP BY 1, local_date""", what="resident-day")
    # A year row: its months (bit m-1) and the year before's (bit 12+m-1).
    sql(conn, """INSERT INTO checkout_elderyearrollup (elder_id, year, region_path, months_mask)
        SELECT elder_id, y.yr, MIN(region_path),
          bit_or(CASE WHEN days_mask = 0 THEN 0 WHEN y.yr = extract(year FROM month)::int
                      THEN 1 << (extract(month FROM month)::int - 1)
                      ELSE 1 << (11 + extract(month FROM month)::int) END)
        FROM checkout_eldermonthrollup,
          LATERAL (VALUES (extract(year FROM month)::int), (extract(year FROM month)::int + 1)) y(yr)
        GROUP BY elder_id, y.yr""", what="elder-year")
    sql(conn, f"""INSERT INTO checkout_canteenmonthtotalrollup (canteen_id, region_path, month, {sums})
        SELECT canteen_id, MIN(region_path), month, {summed} FROM checkout_canteenmonthrollup
        WHERE month < date '{before}' GROUP BY canteen_id, month""", what="canteen-month totals")
    conn.commit()


# ------------------------------------------------------------------------------------------------
# Timing and checking


def median_ms(fn, runs: int) -> tuple[float, object]:
    result = fn()  # warm-up (and the result compared)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), result


# The month's figures by raw GROUP BYs over the ledger; a reversal counts on its sale's day.
RAW_COUNTED = """(SELECT m.*, m.local_date AS d, 1 AS sign FROM checkout_meal m
  WHERE m.reverses_id IS NULL AND m.local_date BETWEEN %(start)s AND %(end)s
  UNION ALL
  SELECT m.*, o.local_date AS d, -1 AS sign FROM checkout_meal m JOIN checkout_meal o ON o.id = m.reverses_id
  WHERE m.reverses_id IS NOT NULL AND m.local_date >= %(start)s AND o.local_date BETWEEN %(start)s AND %(end)s)"""
RAW_SUMS = """SUM(sign) AS meals, SUM(CASE WHEN elder_id IS NOT NULL THEN sign ELSE 0 END) AS elder_meals,
  COUNT(*) FILTER (WHERE kind = 'sale') AS sales, COUNT(*) FILTER (WHERE kind = 'void') AS voids,
  COUNT(*) FILTER (WHERE kind = 'refund') AS refunds, SUM(gross_fen) AS gross_fen, SUM(benefit_fen) AS benefit_fen,
  SUM(payable_fen) AS payable_fen, SUM(benefit_city_fen) AS benefit_city_fen,
  SUM(benefit_district_fen) AS benefit_district_fen, SUM(benefit_canteen_fen) AS benefit_canteen_fen,
  SUM(benefit_other_fen) AS benefit_other_fen"""
RAW_ELDER_DAYS = f"""(SELECT elder_id, d, SUM(sign) AS n FROM {RAW_COUNTED} x WHERE elder_id IS NOT NULL
  GROUP BY elder_id, d)"""
RAW = {
    "totals": f"SELECT {RAW_SUMS}, (SELECT COUNT(DISTINCT elder_id) FROM {RAW_ELDER_DAYS} ed WHERE n > 0) AS elders "
              f"FROM {RAW_COUNTED} x",
    "by_day": f"""SELECT a.d, a.meals, a.elder_meals, a.gross_fen, a.benefit_fen, COALESCE(e.n, 0)
                  FROM (SELECT d, SUM(sign) AS meals, SUM(CASE WHEN elder_id IS NOT NULL THEN sign ELSE 0 END)
                          AS elder_meals, SUM(gross_fen) AS gross_fen, SUM(benefit_fen) AS benefit_fen
                        FROM {RAW_COUNTED} x GROUP BY d) a
                  LEFT JOIN (SELECT d, COUNT(*) AS n FROM {RAW_ELDER_DAYS} ed WHERE n > 0 GROUP BY d) e ON e.d = a.d
                  ORDER BY a.d""",
    "by_period": f"SELECT period, {RAW_SUMS} FROM {RAW_COUNTED} x GROUP BY period ORDER BY period",
    "by_method": f"SELECT identified_by, {RAW_SUMS} FROM {RAW_COUNTED} x GROUP BY identified_by ORDER BY 1",
    "by_rule": f"""SELECT bl.rule_id, bl.funder, SUM(x.sign), SUM(bl.amount_fen) FROM {RAW_COUNTED} x
                   JOIN checkout_benefitline bl ON bl.meal_id = x.id GROUP BY 1, 2 ORDER BY 1, 2""",
    "by_canteen": f"SELECT canteen_id, {RAW_SUMS} FROM {RAW_COUNTED} x GROUP BY canteen_id ORDER BY 1",
    "by_child_region": f"""SELECT substr(r.path, 1, 14), {RAW_SUMS} FROM {RAW_COUNTED} x
                           JOIN canteens_canteen c ON c.id = x.canteen_id JOIN regions_region r ON r.id = c.region_id
                           GROUP BY 1 ORDER BY 1""",
    "coverage": f"""SELECT COUNT(*), COUNT(r.elder_id) FROM elders_elder e
                    LEFT JOIN (SELECT DISTINCT elder_id FROM {RAW_ELDER_DAYS} ed WHERE n > 0) r ON r.elder_id = e.id
                    WHERE e.status = 'active' AND e.verification = 'verified' AND e.erased_at IS NULL""",
}


def _compare(name: str, rolled, raw) -> list[str]:
    return [] if rolled == raw else [f"{name}: roll-ups {rolled!r} ≠ ledger {raw!r}"[:600]]


def check_and_time(runs: int, raw_check: bool = True) -> int:
    import django

    django.setup()
    from django.db import connection

    from zhucan.accounts.models import User
    from zhucan.analytics import selectors as S
    from zhucan.regions.models import Region

    city = Region.objects.get(code="330100")
    user, _ = User.objects.get_or_create(username="bench_city", defaults={"role": "city_admin", "region": city})
    month = {"start": MONTH, "end": MONTH_END}
    year = {"start": YEAR_START, "end": MONTH_END}
    calls = [
        ("totals", lambda r: S.totals(user=user, **r)),
        ("by_day", lambda r: S.by_day(user=user, **r)),
        ("by_period", lambda r: S.by_period(user=user, **r)),
        ("by_method", lambda r: S.by_method(user=user, **r)),
        ("by_rule", lambda r: S.by_rule(user=user, **r)),
        ("by_canteen", lambda r: S.by_canteen(user=user, **r)),
        ("by_canteen (dashboard page of 50)", lambda r: S.by_canteen_page(user=user, size=50, **r)),
        ("by_child_region", lambda r: S.by_child_region(user=user, **r)),
        ("by_period_per_day", lambda r: S.by_period_per_day(user=user, **r)),
        ("distinct_elders", lambda r: S.distinct_elders(user=user, **r)),
        ("coverage", lambda r: S.coverage(user=user, **r)),
        ("not_reached (count)", lambda r: S.not_reached(user=user, today=r["end"]).count()),
        ("not_reached (first page of 50)", lambda r: S.page_elders(S.not_reached(user=user, today=r["end"])[:50])),
        # Sixty days after the data every eligible elder is missed: the list's worst case.
        ("not_reached, all missed (count)", lambda r: S.not_reached(user=user, today=r["end"] + LATER).count()),
        ("not_reached, all missed (page)",
         lambda r: S.page_elders(S.not_reached(user=user, today=r["end"] + LATER)[:50])),
        ("latest_day_with_data", lambda r: S.latest_day_with_data(user=user, today=r["end"])),
        ("today_live", lambda r: S.today_live(user=user, today=r["end"])),
    ]
    print(f"# load average at the start of timing: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"# dashboard queries as a city administrator, median of {runs} runs (target ≤ {TARGET_MS:.0f} ms)")
    print(f"{'query':34} {'month ms':>9} {'year ms':>9}")
    results, slow = {}, []
    for name, fn in calls:
        ms_month, results[name] = median_ms(lambda fn=fn: fn(month), runs)
        ms_year, _ = median_ms(lambda fn=fn: fn(year), runs)
        flag = "" if max(ms_month, ms_year) <= TARGET_MS else "  ← over target"
        if flag:
            slow.append(name)
        print(f"{name:34} {ms_month:9.1f} {ms_year:9.1f}{flag}", flush=True)

    if not raw_check:
        print(f"# load average at the end of timing: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print(f"raw GROUP BY comparison skipped (--no-raw); queries over {TARGET_MS:.0f} ms: "
              f"{', '.join(slow) or 'none'}")
        return 1 if slow else 0
    print("# the month again by raw GROUP BY over the ledger (one run each after a warm-up)")
    problems: list[str] = []
    raw: dict = {}
    raw_ms: dict = {}
    with connection.cursor() as cur:
        cur.execute("SET work_mem = '64MB'")
        for name, text in RAW.items():
            cur.execute(text, month)  # warm-up
            t0 = time.perf_counter()
            cur.execute(text, month)
            raw[name] = sorted(tuple(r) for r in cur.fetchall())
            raw_ms[name] = (time.perf_counter() - t0) * 1000
    fields = S.COUNT_FIELDS + S.MONEY_FIELDS
    tot = results["totals"]
    problems += _compare("totals", (*[getattr(tot, f) for f in fields], tot.elders), tuple(raw["totals"][0]))
    problems += _compare("by_day", [(r["date"], r["meals"], r["elder_meals"], r["gross_fen"], r["benefit_fen"],
                                     r["elders"]) for r in results["by_day"]], [tuple(r) for r in raw["by_day"]])
    for name in ("by_period", "by_method"):
        problems += _compare(name, [(k, *[getattr(t, f) for f in fields]) for k, t in sorted(results[name].items())],
                             [tuple(r) for r in raw[name]])
    problems += _compare("by_rule", sorted((r["rule_id"], r["funder"], r["lines"], r["amount_fen"])
                                           for r in results["by_rule"]), [tuple(r) for r in raw["by_rule"]])
    problems += _compare("by_canteen", sorted((c.pk, *[getattr(t, f) for f in fields])
                                              for c, t in results["by_canteen"]), [tuple(r) for r in raw["by_canteen"]])
    districts = sorted((c.path, *[getattr(t, f) for f in fields]) for c, t in results["by_child_region"])
    problems += _compare("by_child_region (city → districts)",
                         [d for d in districts if d[1] or d[2]], [tuple(r) for r in raw["by_child_region"]])
    page, count = results["by_canteen (dashboard page of 50)"]
    if [(c.pk, t) for c, t in page] != [(c.pk, t) for c, t in results["by_canteen"][:50]] or count != len(
            results["by_canteen"]):
        problems.append("by_canteen: the dashboard's page is not the first 50 rows of the whole list")
    cov = results["coverage"].total
    problems += _compare("coverage", (cov.eligible, cov.reached), tuple(raw["coverage"][0]))
    # The last 30 days up to 30 November are the month: the elders not reached are the eligible
    # minus those the ledger shows eating; sixty days later, every eligible elder.
    eligible, reached = raw["coverage"][0]
    problems += _compare("not_reached", (results["not_reached (count)"], results["not_reached, all missed (count)"]),
                         (eligible - reached, eligible))
    timed = {"totals": "totals", "by_day": "by_day", "by_period": "by_period", "by_method": "by_method",
             "by_rule": "by_rule", "by_canteen": "by_canteen", "by_child_region": "by_child_region",
             "coverage": "coverage"}
    print(f"{'figure':20} {'raw ms':>9}  ratio raw ÷ roll-up")
    for name, sel in timed.items():
        ms_roll, _ = median_ms(lambda sel=sel: dict(calls)[sel](month), runs)
        print(f"{name:20} {raw_ms[name]:9.0f}  {raw_ms[name] / ms_roll:7.0f} × ({ms_roll:.1f} ms from roll-ups)")
    # The year has no ledger behind its first 11 months: its figures from the district roll-ups are
    # held against the canteen roll-ups instead (the same sums, folded differently).
    from zhucan.checkout.models import CanteenDayRollup, CanteenMonthRollup

    for name, group in (("totals", ()), ("by_period", ("period",)), ("by_method", ("identified_by",))):
        via_canteens = sorted(tuple(r[f] for f in (*group, *fields)) for r in S._summed(
            CanteenDayRollup, CanteenMonthRollup, user=user, **year, group=group, sums=S._sums()))
        via_districts = sorted(tuple(r[f] for f in (*group, *fields)) for r in S.canteen_sums(
            user=user, **year, group=group))
        problems += _compare(f"year {name}: district roll-ups vs canteen roll-ups", via_districts, via_canteens)
    print(f"# load average at the end of timing: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for p in problems:
        print(f"MISMATCH {p}")
    print(f"roll-ups vs ledger: {'equal to the fen' if not problems else f'{len(problems)} mismatches'}; "
          f"queries over {TARGET_MS:.0f} ms: {', '.join(slow) or 'none'}")
    return 1 if problems or slow else 0


def rebuild_month(env: dict) -> None:
    t1 = time.time()
    print("# the month's roll-ups: zhucan rollups rebuild --from 2026-11-01 --to 2026-11-30", flush=True)
    subprocess.run([sys.executable, "-m", "zhucan.cli", "rollups", "rebuild", "--from", "2026-11-01",
                    "--to", "2026-11-30"], env=env, check=True, cwd=ROOT)
    print(f"  rebuilt in {time.time() - t1:.0f} s", flush=True)


def analyze(env: dict) -> None:
    import psycopg

    with psycopg.connect(env["DATABASE_URL"], autocommit=True) as conn:
        t2 = time.time()
        conn.execute("VACUUM ANALYZE")
        print(f"  VACUUM ANALYZE in {time.time() - t2:.0f} s", flush=True)
        sizes = conn.execute(
            "SELECT relname, n_live_tup FROM pg_stat_user_tables WHERE relname LIKE 'checkout_%%' "
            "AND n_live_tup > 0 ORDER BY relname").fetchall()
        print("  rows: " + ", ".join(f"{n} {c:,}" for n, c in sizes))
        print("  size: " + conn.execute("SELECT pg_size_pretty(pg_database_size(current_database()))").fetchone()[0])


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--db", default="zhucan_dashbench")
    p.add_argument("--meals", type=int, default=9_000_000)
    p.add_argument("--canteens", type=int, default=2000)
    p.add_argument("--elders", type=int, default=300_000)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--keep", action="store_true", help="keep the database for another run (--reuse)")
    p.add_argument("--reuse", action="store_true", help="time and check a database a --keep run left")
    p.add_argument("--no-raw", action="store_true",
                   help="time the queries only (the raw GROUP BYs over 9 million meals take minutes)")
    p.add_argument("--upgrade", action="store_true",
                   help="with --reuse: migrate a database kept before the district and year roll-ups existed and "
                        "fold them from its canteen, community and elder-month rows, November included (the "
                        "statements `zhucan rollups rebuild` runs after its GROUP BYs over the ledger)")
    args = p.parse_args()
    import psycopg

    env = bench_env(args.db, fresh=not args.reuse)
    env["ZHUCAN_CLOCK_START"] = "2026-11-30T12:00:00+08:00"
    os.environ.update(env)
    try:
        if args.reuse and args.upgrade:
            print(f"# database {args.db}: migrate, rebuild the month's roll-ups, the year's district roll-ups",
                  flush=True)
            subprocess.run([sys.executable, "-m", "zhucan.cli", "migrate", "-v0"], env=env, check=True, cwd=ROOT)
            with psycopg.connect(env["DATABASE_URL"]) as conn:
                generate_year_districts(conn, before=date(2026, 12, 1))
            analyze(env)
        if not args.reuse:
            t0 = time.time()
            print(f"# database {args.db}: recreate, migrate", flush=True)
            recreate_db(args.db)
            subprocess.run([sys.executable, "-m", "zhucan.cli", "migrate", "-v0"], env=env, check=True, cwd=ROOT)
            with psycopg.connect(env["DATABASE_URL"]) as conn:
                generate(conn, args.meals, args.canteens, args.elders)
            rebuild_month(env)
            with psycopg.connect(env["DATABASE_URL"]) as conn:
                generate_year(conn)
            analyze(env)
            print(f"# generated in {time.time() - t0:.0f} s", flush=True)
        return check_and_time(args.runs, raw_check=not args.no_raw)
    finally:
        if not args.keep:
            from django.db import connections

            connections.close_all()
            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{args.db}" WITH (FORCE)')
            print(f"# database {args.db} dropped")


if __name__ == "__main__":
    sys.exit(main())
