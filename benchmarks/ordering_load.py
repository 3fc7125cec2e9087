#!/usr/bin/env python
"""Orders before a cut-off while the counters serve the same elders (issue 17), on PostgreSQL.

    /work/main/.venv/bin/python benchmarks/ordering_load.py [--orders 2000] [--order-procs 3]
                                                             [--counter-procs 2] [--canteens 10] [--show-sql]

1. Creates a fresh PostgreSQL database (`zhucan_ordering_bench` on 127.0.0.1:5432), migrates it and
   seeds, through the platform's services, one district (西湖区, Hangzhou policy) with `--canteens`
   designated canteens, each in its own community, with lunch (order cut-off 09:30, delivering),
   today's published lunch menu, its coverage, and `--orders` elders (85 years old: 7折) spread over
   the communities.
2. Forks `--order-procs` processes placing one lunch order per elder (`orders.placing.order_place`,
   staff channel, half delivered, half picked up) with a simulated clock that walks through the ten
   minutes before the cut-off (09:20 → 09:30) as the orders go, as fast as the machine allows; and,
   at the same time, `--counter-procs` processes ringing up a counter lunch (`meal_commit`) for the
   same elders, in another order, at the other canteens. An order whose price changed because the
   counter got there first is re-quoted and placed again (what the person placing it would do).
3. Prints orders per second (and what 2,000 orders in ten minutes need), p50/p99 of one placement,
   the statements per placement (median, for orders placed at once and for those re-quoted and
   placed again) with the time spent waiting on them, the statements taking the most time (by verb
   and table; `--show-sql` prints one placement's), counter checkouts per second alongside
   (`--counter-procs 0`: none), and the count of elders with two discounted lunches
   (a discounted counter meal and a discounted order: must be 0), then runs the usage verification
   (`usage_verify`: every day-usage row = ledger + held reservations) and prints its problems
   (must be 0).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import statistics
import sys
import time
from datetime import datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))
SH = ZoneInfo("Asia/Shanghai")
DB = "zhucan_ordering_bench"


def fresh_database() -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB}")


def setup_django() -> None:
    os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{DB}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.dev"
    os.environ["ZHUCAN_DEBUG"] = "0"  # no query log
    import django

    django.setup()


def freeze(moment: datetime) -> None:
    from zhucan.core import clock

    clock.now = lambda: moment  # type: ignore[assignment]
    clock.real_now = lambda: moment  # type: ignore[assignment]


def seed(day, n_canteens: int, n_elders: int) -> dict:
    from django.core.management import call_command
    from django.db import connections

    from zhucan.accounts.models import User
    from zhucan.canteens.models import DesignatedSpan, Dish
    from zhucan.canteens.services import canteen_create, canteen_touch
    from zhucan.core.idnumber import make_id_number
    from zhucan.elders.models import Elder
    from zhucan.elders.services import ElderData, elder_register
    from zhucan.orders.coverage import coverage_set
    from zhucan.orders.menus import cutoff_set, menu_publish
    from zhucan.regions.models import Region

    call_command("migrate", verbosity=0)
    city = Region.objects.create(code="330100", name="杭州市", level="city", policy_id="hangzhou")
    admin = User.objects.create(username="bench-admin", role="city_admin", region=city, is_superuser=True,
                                is_staff=True)
    district = Region.objects.create(code="330106", name="西湖区", level="district", parent=city, area="urban")
    sub = Region.objects.create(code="330106001", name="北山街道", level="subdistrict", parent=district)
    canteens, offers, communities = [], {}, []
    for i in range(n_canteens):
        community = Region.objects.create(code=f"330106001{i + 1:03d}", name=f"第{i + 1}社区", level="community",
                                          parent=sub)
        communities.append(community)
        canteen = canteen_create(actor=admin, values={
            "name": f"长者食堂{i + 1}", "operator": "运营公司", "canteen_type": "community_new_build", "area": "urban",
            "region": community, "address": f"北山路{i + 1}号", "seats": 40, "floor_area_m2": 300, "status": "open"})
        DesignatedSpan.objects.create(canteen=canteen, start=day - timedelta(days=365))
        canteen_touch(canteen.pk)
        dish = Dish.objects.create(canteen=canteen, name="午餐套餐", price_fen=1500)
        cutoff_set(actor=admin, canteen_id=canteen.pk, period="lunch", cutoff=dtime(9, 30), delivers=True)
        coverage_set(actor=admin, canteen_id=canteen.pk, community_ids=[community.pk])
        offers[canteen.pk] = (menu_publish(actor=admin, canteen_id=canteen.pk, local_date=day, period="lunch",
                                           offers=[(dish.pk, None)], delivers=True)[0].pk, dish.pk)
        canteens.append(canteen.pk)
    birth = day.replace(year=day.year - 85) - timedelta(days=10)

    def register(k: int, procs: int, out) -> None:  # elders through the service, in parallel processes
        connections.close_all()
        done = []
        for i in range(k, n_elders, procs):
            community = communities[i % n_canteens]
            number = make_id_number(community.code[:6], birth - timedelta(days=i // 500), i % 500, "F")
            elder = elder_register(actor=admin, data=ElderData(name=f"老人{i}", id_number=number,
                                                               community=community, address=f"{community.name}{i}号"))
            done.append((i, elder.pk))
        out.put(done)
        connections.close_all()

    connections.close_all()
    ctx, procs = mp.get_context("fork"), 4
    out = ctx.Queue()
    workers = [ctx.Process(target=register, args=(k, procs, out)) for k in range(procs)]
    for w in workers:
        w.start()
    registered = dict(pair for _ in workers for pair in out.get(timeout=3600))
    for w in workers:
        w.join()
    elders = [(registered[i], canteens[i % n_canteens]) for i in range(n_elders)]
    Elder.objects.update(verification="verified")
    return {"admin": admin.pk, "canteens": canteens, "offers": offers, "elders": elders}


def kind_of(sql: str) -> str:
    """A statement named by its verb and first table: "SELECT canteens_canteen"."""
    words = sql.replace('"', " ").split()
    verb = words[0].upper() if words else "?"
    table = next((w for w in words if "_" in w and w.islower() and "." not in w and "%" not in w), "")
    return f"{verb} {table}".strip()


class Meter:
    """Counts the SQL statements sent through Django's cursors (savepoints included; the COMMIT at
    the end of a transaction is not a cursor statement) and the time spent waiting on them."""

    def __init__(self, show: bool = False, kinds: dict | None = None) -> None:
        self.statements, self.db_s, self.show = 0, 0.0, show
        self.kinds = {} if kinds is None else kinds  # "INSERT orders_order" -> [count, seconds]

    def __call__(self, execute, sql, params, many, context):
        t0 = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            took = time.perf_counter() - t0
            self.db_s += took
            self.statements += 1
            kind = self.kinds.setdefault(kind_of(sql), [0, 0.0])
            kind[0], kind[1] = kind[0] + 1, kind[1] + took
            if self.show:
                print(f"  [{self.statements:2d}] {took * 1000:5.1f} ms  {' '.join(sql.split())[:160]}")


def order_worker(k: int, procs: int, plan: dict, day, start_evt, out, show_sql: bool = False) -> None:
    from django.db import connection, connections

    connections.close_all()
    from zhucan.accounts.models import User
    from zhucan.core.errors import DomainError
    from zhucan.orders.placing import order_place, order_quote

    admin = User.objects.get(pk=plan["admin"])
    cutoff = datetime.combine(day, dtime(9, 30), SH)
    total = len(plan["elders"])
    latencies, retries, failures, meters, kinds = [], 0, [], [], {}
    start_evt.wait()
    for i in range(k, total, procs):
        elder_id, canteen_id = plan["elders"][i]
        offer_id, _dish = plan["offers"][canteen_id]
        freeze(cutoff - timedelta(seconds=600) + timedelta(seconds=600 * i / total))
        fulfilment = "delivery" if i % 2 else "pickup"
        kw = dict(actor=admin, elder_id=elder_id, canteen_id=canteen_id, local_date=day, period="lunch",
                  lines=[(offer_id, 1)], fulfilment=fulfilment, channel="staff")
        meter, retried = Meter(show=show_sql and i == k, kinds=kinds), False
        t0 = time.perf_counter()
        try:
            try:
                with connection.execute_wrapper(meter):
                    order_place(**kw, expected_payable_fen=1050, idempotency_key=f"bench-{i}")
            except DomainError as exc:
                if exc.code != "ORDER_PRICE_CHANGED":
                    raise
                retries, retried = retries + 1, True  # the counter was first: the person sees the new price
                with connection.execute_wrapper(meter):
                    quote = order_quote(**kw)
                    order_place(**kw, expected_payable_fen=quote.payable_fen, idempotency_key=f"bench-{i}-2")
        except Exception as exc:  # reported, not hidden
            failures.append(f"{type(exc).__name__}: {exc}")
        latencies.append(time.perf_counter() - t0)
        meters.append((retried, meter.statements, meter.db_s, latencies[-1]))
    out.put(("orders", time.perf_counter(), latencies, retries, failures[:5], len(failures), meters, kinds))
    connections.close_all()


def counter_worker(k: int, procs: int, plan: dict, day, start_evt, out) -> None:
    from django.db import connections

    connections.close_all()
    from zhucan.canteens.models import Canteen
    from zhucan.checkout import services as S
    from zhucan.core.errors import DomainError
    from zhucan.elders.models import Elder

    canteens = {c.pk: c for c in Canteen.objects.all()}
    ids = sorted(canteens)
    order = list(range(len(plan["elders"])))
    random.Random(7).shuffle(order)
    mine = order[k::procs]
    elders = Elder.objects.in_bulk([plan["elders"][i][0] for i in mine])
    freeze(datetime.combine(day, dtime(9, 25), SH))
    latencies, failures = [], []
    start_evt.wait()
    for n, i in enumerate(mine):
        elder_id, order_canteen = plan["elders"][i]
        canteen = canteens[ids[(ids.index(order_canteen) + 1) % len(ids)]]  # another canteen, city-wide usage
        dish_id = plan["offers"][canteen.pk][1]
        t0 = time.perf_counter()
        try:
            S.meal_commit(canteen=canteen, elder=elders[elder_id], lines=[S.OrderLine(dish_id=dish_id, quantity=1)],
                          idempotency_key=f"counter-{i}", request_digest=f"counter-{i}", identified_by="card",
                          at=datetime.combine(day, dtime(11, 30), SH) + timedelta(seconds=n))
        except DomainError as exc:
            failures.append(f"{exc.code}: {exc}")
        latencies.append(time.perf_counter() - t0)
    out.put(("counter", time.perf_counter(), latencies, 0, failures[:5], len(failures), [], {}))
    connections.close_all()


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--orders", type=int, default=2000)
    ap.add_argument("--order-procs", type=int, default=3)
    ap.add_argument("--counter-procs", type=int, default=2)
    ap.add_argument("--canteens", type=int, default=10)
    ap.add_argument("--show-sql", action="store_true", help="print the statements of one placement")
    args = ap.parse_args()

    fresh_database()
    setup_django()
    from django.db import connection, connections

    day = datetime.now(SH).date()
    freeze(datetime.combine(day, dtime(9, 0), SH))
    t0 = time.perf_counter()
    plan = seed(day, args.canteens, args.orders)
    print(f"seeded {args.canteens} canteens, {args.orders} elders in {time.perf_counter() - t0:.1f} s")
    connections.close_all()

    ctx = mp.get_context("fork")
    start_evt, out = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=order_worker, args=(k, args.order_procs, plan, day, start_evt, out,
                                                              args.show_sql and k == 0))
             for k in range(args.order_procs)]
    procs += [ctx.Process(target=counter_worker, args=(k, args.counter_procs, plan, day, start_evt, out))
              for k in range(args.counter_procs)]
    for p in procs:
        p.start()
    time.sleep(2)  # every process connected and ready
    began = time.perf_counter()
    start_evt.set()
    results = [out.get(timeout=1800) for _ in procs]
    for p in procs:
        p.join()

    def gather(kind):
        rows = [r for r in results if r[0] == kind]
        if not rows:
            return 0.0, [], 0, [], 0
        return (max(r[1] for r in rows) - began, [x for r in rows for x in r[2]], sum(r[3] for r in rows),
                [f for r in rows for f in r[4]], sum(r[5] for r in rows))

    o_wall, o_lat, o_retries, o_fail, o_nfail = gather("orders")
    c_wall, c_lat, _, c_fail, c_nfail = gather("counter")
    needed = 2000 / 600
    print(f"orders: {len(o_lat)} placed by {args.order_procs} processes in {o_wall:.1f} s = "
          f"{len(o_lat) / o_wall:.1f} orders/s (2,000 orders in the 10 minutes before a cut-off need "
          f"{needed:.1f}/s: {len(o_lat) / o_wall / needed:.2f}× that)")
    print(f"order placement: p50 {pct(o_lat, 50):.1f} ms, p99 {pct(o_lat, 99):.1f} ms, "
          f"mean {statistics.mean(o_lat) * 1000:.1f} ms; re-quoted after the counter was first: {o_retries}; "
          f"failed: {o_nfail} {o_fail}")
    meters = [m for r in results for m in r[6]]
    for retried, label in ((False, "placed at the first attempt"), (True, "re-quoted and placed again")):
        chosen = [m for m in meters if m[0] == retried]
        if chosen:
            print(f"  {label}: {len(chosen)}, statements median {statistics.median(m[1] for m in chosen):.0f}, "
                  f"waiting on the database median {statistics.median(m[2] for m in chosen) * 1000:.1f} ms "
                  f"of {statistics.median(m[3] for m in chosen) * 1000:.1f} ms")
    kinds: dict = {}
    for r in results:
        for kind, (n, secs) in r[7].items():
            kinds.setdefault(kind, [0, 0.0])
            kinds[kind][0] += n
            kinds[kind][1] += secs
    top = sorted(kinds.items(), key=lambda kv: -kv[1][1])[:6]
    print("  statements taking the most time: " + "; ".join(
        f"{kind} ×{n} mean {secs / n * 1000:.1f} ms" for kind, (n, secs) in top))
    if c_lat:
        print(f"counter checkouts alongside: {len(c_lat)} by {args.counter_procs} processes in {c_wall:.1f} s = "
              f"{len(c_lat) / c_wall:.1f}/s, p50 {pct(c_lat, 50):.1f} ms, p99 {pct(c_lat, 99):.1f} ms; "
              f"refused: {c_nfail} {c_fail}")

    with connection.cursor() as cur:
        cur.execute("""
            WITH d AS (
              SELECT elder_id FROM checkout_meal WHERE kind = 'sale' AND benefit_fen > 0 AND local_date = %s
                AND period = 'lunch'
                AND NOT EXISTS (SELECT 1 FROM checkout_meal r WHERE r.reverses_id = checkout_meal.id)
              UNION ALL
              SELECT elder_id FROM checkout_reservation WHERE status = 'held' AND benefit_fen > 0 AND local_date = %s
                AND period = 'lunch'
            ) SELECT count(*) FROM (SELECT elder_id FROM d GROUP BY elder_id HAVING count(*) > 1) x""", [day, day])
        doubled = cur.fetchone()[0]
        cur.execute("""SELECT
            (SELECT count(*) FROM checkout_meal WHERE kind = 'sale' AND benefit_fen > 0 AND local_date = %s),
            (SELECT count(*) FROM checkout_reservation WHERE status = 'held' AND benefit_fen > 0 AND local_date = %s)
            """, [day, day])
        counter_disc, order_disc = cur.fetchone()
    print(f"discounted lunches: {counter_disc} at the counter, {order_disc} by order "
          f"(sum {counter_disc + order_disc} for {args.orders} elders)")
    print(f"elders with two discounted meals in one period: {doubled} (must be 0)")
    from zhucan.checkout.usage_verification import usage_verify

    checked, problems = usage_verify()
    print(f"usage verification: {checked} day-usage rows checked against ledger + held reservations, "
          f"{len(problems)} problems (must be 0)")
    for p in problems[:5]:
        print("  ", p)


if __name__ == "__main__":
    main()
