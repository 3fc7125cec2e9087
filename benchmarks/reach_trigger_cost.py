#!/usr/bin/env python
"""What the coverage-facts trigger adds to a meal's commit (elders.ElderReach, checkout migration 0010).

    .venv/bin/python benchmarks/reach_trigger_cost.py [--db zhucan_dashbench_full] [--rows 3000] [--rounds 5]

On a database the dashboard benchmark kept (`dashboard_bench.py --keep`: 300,000 elders and their
month rows), sets one new day's bit in each of `--rows` elders' month rows for November — the
checkout's own month-row statement on a crossing (the first meal of an elder's day), the only
write that fires the trigger — once with the trigger firing and once without
(`session_replication_role = replica`), alternating for `--rounds` rounds, each round in a
transaction rolled back (the data is left as it was). Prints the median ms per statement with and
without, and the difference: the cost the trigger adds to such a commit.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import psycopg

STATEMENT = """UPDATE checkout_eldermonthrollup SET days_mask = days_mask | (CAST(1 AS BIGINT) << 30)
WHERE elder_id = %s AND month = DATE '2026-11-01'"""


def one_round(conn, elders: list[int], *, trigger: bool) -> float:
    with conn.transaction(force_rollback=True):
        if not trigger:
            conn.execute("SET LOCAL session_replication_role = replica")
        t0 = time.perf_counter()
        for elder in elders:
            conn.execute(STATEMENT, [elder])
        return (time.perf_counter() - t0) * 1000 / len(elders)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--db", default="zhucan_dashbench_full")
    p.add_argument("--rows", type=int, default=3000)
    p.add_argument("--rounds", type=int, default=5)
    args = p.parse_args()
    with psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{args.db}") as conn:
        elders = [r[0] for r in conn.execute(
            "SELECT elder_id FROM checkout_eldermonthrollup WHERE month = DATE '2026-11-01' "
            "AND days_mask & (CAST(1 AS BIGINT) << 30) = 0 ORDER BY random() LIMIT %s", [args.rows])]
        conn.commit()
        with_trigger, without = [], []
        for _ in range(args.rounds):
            with_trigger.append(one_round(conn, elders, trigger=True))
            without.append(one_round(conn, elders, trigger=False))
    a, b = statistics.median(with_trigger), statistics.median(without)
    print(f"# load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {len(elders)} rows × {args.rounds} rounds")
    print(f"month-row statement on a crossing: {a:.3f} ms with the trigger, {b:.3f} ms without; "
          f"the trigger adds {a - b:.3f} ms ({a / b:.2f} ×)")


if __name__ == "__main__":
    main()
