#!/usr/bin/env python
"""The server's own cost of one API checkout, without HTTP, clients or other processes on the CPU.

    .venv/bin/python benchmarks/checkout_load.py --rounds 1     # once: leaves the seeded zhucan_bench
    .venv/bin/python benchmarks/checkout_inprocess.py [--checkouts 800] [--runs 3]

Calls the WSGI application (`config.wsgi`, production settings) in this process for signed quote +
commit pairs on elders with no meal today, against the PostgreSQL database `zhucan_bench` that
checkout_load.py seeded, and prints

- the process CPU per checkout (median of `--runs`; it includes signing the requests, ≈ 0.1 ms),
- the Python function calls per checkout (cProfile's count over one run): a figure that does not
  move with the load on a shared machine, for comparing two versions of the hot path.

Every checkout must carry a benefit (the seeded canteens are designated); if one does not, the run
fails. The keys the database was seeded with are reused (checkout_load.bench_keys).

A diagnostic beside checkout_load.py (which measures the target figures), not a target itself.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import secrets
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def designation_cost(canteen) -> tuple[float, float]:
    """What gating benefits on designation adds to a checkout, timed on its own (medians of 7):
    the per-meal decision the checkout makes (µs per call), and the spans query the cached canteen
    context makes when it is built (ms)."""
    import timeit

    from django.db import connection

    from zhucan.checkout.context import canteen_context
    from zhucan.core import clock
    from zhucan.rules.facts import designated_spans

    context = canteen_context(canteen)
    day = clock.local_date(clock.now())
    if not context.facts_on(day).designated:
        raise SystemExit(f"canteen {canteen.pk} is not designated today")
    per_call = statistics.median(timeit.repeat(lambda: context.facts_on(day), number=100_000, repeat=7)) * 10
    designated_spans(canteen.pk)  # the connection is open
    query = statistics.median(timeit.repeat(lambda: designated_spans(canteen.pk), number=200, repeat=7)) * 5
    connection.close()
    return per_call, query


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--checkouts", type=int, default=800)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--db", default="zhucan_bench")
    p.add_argument("--profile", metavar="FILE", help="also write the profiled run's pstats to FILE")
    args = p.parse_args()

    import checkout_load

    os.environ.update(checkout_load.bench_env(args.db))
    from django.db import connection

    from config.wsgi import application
    from zhucan.accounts.models import User
    from zhucan.api.services import terminal_register
    from zhucan.api.signing import signed_headers
    from zhucan.canteens.models import Canteen, Dish
    from zhucan.core import crypto
    from zhucan.identity.services import CARD_CONTEXT

    canteen = Canteen.objects.order_by("pk").first()
    if canteen is None:
        raise SystemExit(f"{args.db} is empty: run benchmarks/checkout_load.py first")
    reg = terminal_register(actor=User.objects.get(username="bench"), canteen=canteen, name="in-process",
                            vendor="bench")
    dishes = list(Dish.objects.filter(canteen=canteen).order_by("pk").values_list("pk", flat=True))
    with connection.cursor() as cur:  # elders without a meal today: each checkout gets its benefit
        cur.execute("SELECT number_encrypted FROM identity_citizencard c WHERE c.status = 'active' AND NOT EXISTS "
                    "(SELECT 1 FROM checkout_elderdayusage u WHERE u.elder_id = c.elder_id) ORDER BY random() LIMIT %s",
                    [args.checkouts * (args.runs + 1) + 100])
        cards = [crypto.decrypt(row[0], context=CARD_CONTEXT) for row in cur.fetchall()]
    connection.close()
    if len(cards) < args.checkouts * (args.runs + 1) + 50:
        raise SystemExit("not enough elders without a meal today: run checkout_load.py again")
    rng = random.Random(1)

    def call(path: str, body: dict, idem: str | None = None) -> dict:
        raw = json.dumps(body, separators=(",", ":")).encode()
        environ = {"REQUEST_METHOD": "POST", "PATH_INFO": path, "SCRIPT_NAME": "", "QUERY_STRING": "",
                   "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1",
                   "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(raw), "wsgi.errors": sys.stderr,
                   "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(raw)), "HTTP_HOST": "127.0.0.1"}
        for k, v in signed_headers(reg.terminal.key_id, reg.secret, "POST", path, raw).items():
            environ["HTTP_" + k.upper().replace("-", "_")] = v
        if idem:
            environ["HTTP_IDEMPOTENCY_KEY"] = idem
        status = []
        answer = json.loads(b"".join(application(environ, lambda s, h, e=None: status.append(s))))
        if not status[0].startswith("200"):
            raise SystemExit(f"{path}: {status[0]} {answer}")
        return answer

    full_price = []

    def checkout() -> None:
        items = [{"dish_id": rng.choice(dishes[:2]), "quantity": 1}, {"dish_id": dishes[2], "quantity": 1}]
        elder = {"card_number": cards.pop()}
        quote = call("/api/v1/meals/quote", {"elder": elder, "items": items})
        if not quote["benefit_fen"]:  # e.g. an undesignated canteen: not the path this measures
            full_price.append(quote)
        call("/api/v1/meals/commit", {"elder": elder, "items": items, "expected_payable_fen": quote["payable_fen"]},
             idem=secrets.token_hex(8))

    for _ in range(50):  # warm-up: secrets, canteen context, prepared statements
        checkout()
    cpu = []
    for _ in range(args.runs):
        t0 = time.process_time()
        for _ in range(args.checkouts):
            checkout()
        cpu.append((time.process_time() - t0) * 1000 / args.checkouts)
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(args.checkouts):
        checkout()
    profile.disable()
    calls = pstats.Stats(profile).total_calls / args.checkouts
    if args.profile:
        profile.dump_stats(args.profile)
    gate_us, spans_ms = designation_cost(canteen)
    print(f"{args.checkouts} checkouts × {args.runs} runs in process: CPU {statistics.median(cpu):.2f} ms per "
          f"checkout (median; runs {', '.join(f'{c:.2f}' for c in cpu)})")
    print(f"Python function calls per checkout: {calls:,.0f}")
    print(f"designation: deciding it for a meal {gate_us:.2f} µs (the cached spans against the meal's date; "
          f"quote and commit each decide once); reading the spans when the canteen context is built "
          f"{spans_ms:.2f} ms (once per canteen and config version)")
    if full_price:
        print(f"{len(full_price)} checkouts had no benefit (first: {full_price[0]}): not the measured path")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
