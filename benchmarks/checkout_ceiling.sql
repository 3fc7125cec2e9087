-- The SQL one API checkout (signed quote + signed commit) issues, for pgbench: the ceiling that
-- benchmarks/checkout_load.py compares the platform with. Same statements, same transactions, same
-- tables and indexes; values drawn at random. Keep in step with the code path:
--   auth (api/auth.py): one statement reading terminal + canteen + region by key and recording the
--     nonce (PostgreSQL path once the process knows the terminal's secret)
--   identify (identity/lookup.py): one statement: elder by card within the city, household district,
--     tags as JSON; for the quote also the day's usage row (read, not locked). The platform finds the
--     card by its keyed blind index (number_index), which pgbench cannot compute; the ceiling probes
--     the card table by elder_id instead (also an indexed lookup of one row) so that it finds the elder.
--   designation: no statement (the canteen's designated spans are cached with its context)
--   commit: idempotency probe (id, digest), then one transaction: usage + chain upsert-lock (one statement), one CTE
--   writing meal + items + benefit line + tender + usage + chain head + the four roll-ups
--   (checkout/fastpath.py, checkout/rollups.py; the ceiling finds the canteen's region and the
--   elder's community by a join where the platform passes their ids)
-- pgbench runs with PGTZ=Asia/Shanghai: current_date is the platform's local date, and a usage row
-- written here is one the platform can read in the next round of benchmarks/checkout_load.py.
\set elder random(1, :n_elders)
\set canteen random(1, :n_canteens)

-- ---- quote request ----
WITH tr AS (SELECT t.id AS _tid, t.revoked_at AS _trev, t.secret_encrypted AS _tsec, t.*, c.*, r.*
       FROM accounts_terminal t JOIN canteens_canteen c ON c.id = t.canteen_id JOIN regions_region r ON r.id = c.region_id
       WHERE t.canteen_id = :canteen),
     n AS (INSERT INTO accounts_terminalnonce (terminal_id, nonce, seen_at)
       SELECT _tid, md5(random()::text), now() FROM tr WHERE _trev IS NULL AND _tsec = _tsec
       ON CONFLICT (terminal_id, nonce) DO NOTHING RETURNING id)
SELECT tr.*, (SELECT count(*) FROM n) FROM tr;
SELECT e.*, h.name, (SELECT json_agg(json_build_array(tg.id, tg.code, tg.name, tg.region_id))
       FROM elders_tag tg JOIN elders_elder_tags et ON et.tag_id = tg.id WHERE et.elder_id = e.id), u.usage
       FROM elders_elder e JOIN regions_region m ON m.id = e.community_id
       LEFT JOIN regions_region h ON h.id = e.hukou_district_id
       LEFT JOIN checkout_elderdayusage u ON u.elder_id = e.id AND u.local_date = current_date
       WHERE e.id IN (SELECT c.elder_id FROM identity_citizencard c WHERE c.elder_id = :elder
         AND c.status = 'active') AND m.path LIKE '330100/%' ESCAPE '\';

-- ---- commit request ----
WITH tr AS (SELECT t.id AS _tid, t.revoked_at AS _trev, t.secret_encrypted AS _tsec, t.*, c.*, r.*
       FROM accounts_terminal t JOIN canteens_canteen c ON c.id = t.canteen_id JOIN regions_region r ON r.id = c.region_id
       WHERE t.canteen_id = :canteen),
     n AS (INSERT INTO accounts_terminalnonce (terminal_id, nonce, seen_at)
       SELECT _tid, md5(random()::text), now() FROM tr WHERE _trev IS NULL AND _tsec = _tsec
       ON CONFLICT (terminal_id, nonce) DO NOTHING RETURNING id)
SELECT tr.*, (SELECT count(*) FROM n) FROM tr;
SELECT e.*, h.name, (SELECT json_agg(json_build_array(tg.id, tg.code, tg.name, tg.region_id))
       FROM elders_tag tg JOIN elders_elder_tags et ON et.tag_id = tg.id WHERE et.elder_id = e.id)
       FROM elders_elder e JOIN regions_region m ON m.id = e.community_id
       LEFT JOIN regions_region h ON h.id = e.hukou_district_id
       WHERE e.id IN (SELECT c.elder_id FROM identity_citizencard c WHERE c.elder_id = :elder
         AND c.status = 'active') AND m.path LIKE '330100/%' ESCAPE '\';
SELECT id, request_digest FROM checkout_meal WHERE canteen_id = :canteen AND idempotency_key = md5(random()::text);
BEGIN;
WITH u AS (INSERT INTO checkout_elderdayusage (elder_id, local_date, usage, benefit_fen, meals, updated_at)
       VALUES (:elder, current_date, jsonb_build_object('date', current_date, 'layers', '{}'::jsonb), 0, 0, now())
       ON CONFLICT (elder_id, local_date) DO UPDATE SET elder_id = EXCLUDED.elder_id RETURNING id, usage, meals),
     c AS (INSERT INTO checkout_canteenchain (canteen_id, seq, head_hash)
       VALUES (:canteen, 0, '0000000000000000000000000000000000000000000000000000000000000000')
       ON CONFLICT (canteen_id) DO UPDATE SET seq = checkout_canteenchain.seq RETURNING seq, head_hash)
SELECT u.id AS usage_id, u.usage, u.meals AS usage_meals, c.seq AS chain_seq, c.head_hash FROM u, c;
\gset
WITH m AS (
  INSERT INTO checkout_meal (canteen_id, terminal_id, cashier_id, elder_id, kind, mode, reverses_id, identified_by,
    receipt_no, at, local_date, period, gross_fen, benefit_fen, payable_fen, benefit_city_fen,
    benefit_district_fen, benefit_canteen_fen, benefit_other_fen, settle_month, policy_id, policy_version,
    explanation_zh, explanation_en, usage_delta, idempotency_key, request_digest, chain_seq, prev_hash,
    record_hash, created_at)
  VALUES (:canteen, NULL, NULL, :elder, 'sale', 'live', NULL, 'card', 'B' || substr(md5(random()::text), 1, 14), now(),
    current_date, 'lunch', 1600, 320, 1280, 320, 0, 0, 0, date_trunc('month', current_date)::date, 'hangzhou', 'hz-2022', '70岁，8折；午餐时段首次优惠；今日已优惠3.20元，封顶20.00元',
    'age 70: 20% off; first benefit of the lunch period; 3.20 used today, cap 20.00',
    jsonb_build_object('date', current_date, 'layers', '{"city": {"benefit_fen": 320, "meals": 1, "periods": {"lunch": 1}}}'::jsonb),
    md5(random()::text), md5(random()::text), :chain_seq + 1, :head_hash, md5(random()::text) || md5(random()::text),
    now())
  RETURNING id
), i AS (
  INSERT INTO checkout_mealitem (meal_id, dish_id, name, quantity, unit_price_fen, line_fen)
  SELECT m.id, x.dish_id, x.name, x.quantity, x.unit_price_fen, x.quantity * x.unit_price_fen
  FROM m, jsonb_to_recordset('[{"dish_id": null, "name": "套餐A", "quantity": 1, "unit_price_fen": 1500},
                               {"dish_id": null, "name": "米饭", "quantity": 1, "unit_price_fen": 100}]'::jsonb)
       AS x(dish_id bigint, name text, quantity int, unit_price_fen bigint)
), b AS (
  INSERT INTO checkout_benefitline (meal_id, rule_id, layer_id, funder, amount_fen)
  SELECT m.id, x.rule_id, x.layer_id, x.funder, x.amount_fen
  FROM m, jsonb_to_recordset('[{"rule_id": "hz.city.discount", "layer_id": "city", "funder": "city",
                               "amount_fen": 320}]'::jsonb) AS x(rule_id text, layer_id text, funder text, amount_fen bigint)
), t AS (
  INSERT INTO checkout_tender (meal_id, kind, amount_fen, reference)
  SELECT m.id, x.kind, x.amount_fen, x.reference
  FROM m, jsonb_to_recordset('[{"kind": "cash", "amount_fen": 1280, "reference": ""}]'::jsonb)
       AS x(kind text, amount_fen bigint, reference text)
), u AS (
  UPDATE checkout_elderdayusage SET usage = jsonb_build_object('date', current_date,
    'layers', '{"city": {"benefit_fen": 320, "meals": 1, "periods": {"lunch": 1}}}'::jsonb),
    benefit_fen = benefit_fen + 320, meals = meals + 1, updated_at = now()
  WHERE id = :usage_id
), c AS (
  UPDATE checkout_canteenchain SET seq = :chain_seq + 1, head_hash = md5(random()::text) || md5(random()::text)
  WHERE canteen_id = :canteen
), rc AS (
  INSERT INTO checkout_canteendayrollup (canteen_id, region_path, local_date, period, identified_by, meals,
    elder_meals, sales, voids, refunds, gross_fen, benefit_fen, payable_fen, benefit_city_fen, benefit_district_fen,
    benefit_canteen_fen, benefit_other_fen)
  SELECT :canteen, r.path, current_date, 'lunch', 'card', 1, 1, 1, 0, 0, 1600, 320, 1280, 320, 0, 0, 0
  FROM regions_region r JOIN canteens_canteen cc ON cc.region_id = r.id WHERE cc.id = :canteen
  ON CONFLICT (canteen_id, local_date, period, identified_by) DO UPDATE SET
    meals = checkout_canteendayrollup.meals + excluded.meals,
    elder_meals = checkout_canteendayrollup.elder_meals + excluded.elder_meals,
    sales = checkout_canteendayrollup.sales + excluded.sales, voids = checkout_canteendayrollup.voids + excluded.voids,
    refunds = checkout_canteendayrollup.refunds + excluded.refunds,
    gross_fen = checkout_canteendayrollup.gross_fen + excluded.gross_fen,
    benefit_fen = checkout_canteendayrollup.benefit_fen + excluded.benefit_fen,
    payable_fen = checkout_canteendayrollup.payable_fen + excluded.payable_fen,
    benefit_city_fen = checkout_canteendayrollup.benefit_city_fen + excluded.benefit_city_fen,
    benefit_district_fen = checkout_canteendayrollup.benefit_district_fen + excluded.benefit_district_fen,
    benefit_canteen_fen = checkout_canteendayrollup.benefit_canteen_fen + excluded.benefit_canteen_fen,
    benefit_other_fen = checkout_canteendayrollup.benefit_other_fen + excluded.benefit_other_fen
), rr AS (
  INSERT INTO checkout_benefitruledayrollup (canteen_id, region_path, local_date, rule_id, funder, lines, amount_fen)
  SELECT :canteen, r.path, current_date, x.rule_id, x.funder, x.lines, x.amount_fen
  FROM regions_region r JOIN canteens_canteen cc ON cc.region_id = r.id,
       jsonb_to_recordset('[{"rule_id": "hz.city.discount", "funder": "city", "lines": 1, "amount_fen": 320}]'::jsonb)
       AS x(rule_id text, funder text, lines int, amount_fen bigint)
  WHERE cc.id = :canteen
  ON CONFLICT (canteen_id, local_date, rule_id, funder) DO UPDATE SET
    lines = checkout_benefitruledayrollup.lines + excluded.lines,
    amount_fen = checkout_benefitruledayrollup.amount_fen + excluded.amount_fen
), re AS (
  INSERT INTO checkout_eldermonthrollup (elder_id, month, region_path, days_mask, meals, benefit_fen)
  SELECT :elder, date_trunc('month', current_date)::date, r.path,
    CAST(1 AS BIGINT) << (extract(day FROM current_date)::int - 1), 1, 320
  FROM regions_region r JOIN elders_elder e ON e.community_id = r.id WHERE e.id = :elder
  ON CONFLICT (elder_id, month) DO UPDATE SET
    days_mask = checkout_eldermonthrollup.days_mask | excluded.days_mask,
    meals = checkout_eldermonthrollup.meals + excluded.meals,
    benefit_fen = checkout_eldermonthrollup.benefit_fen + excluded.benefit_fen
), rd AS (
  INSERT INTO checkout_communitydayrollup (community_id, region_path, local_date, elders, meals, benefit_fen)
  SELECT r.id, r.path, current_date, CASE WHEN :usage_meals = 0 THEN 1 ELSE 0 END, 1, 320
  FROM regions_region r JOIN elders_elder e ON e.community_id = r.id WHERE e.id = :elder
  ON CONFLICT (community_id, local_date) DO UPDATE SET
    elders = checkout_communitydayrollup.elders + excluded.elders,
    meals = checkout_communitydayrollup.meals + excluded.meals,
    benefit_fen = checkout_communitydayrollup.benefit_fen + excluded.benefit_fen
)
SELECT id FROM m;
END;
