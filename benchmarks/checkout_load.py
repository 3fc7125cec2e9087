#!/usr/bin/env python
"""Lunch-rush load on the checkout API, compared with what PostgreSQL itself sustains.

    .venv/bin/python benchmarks/checkout_load.py [--clients 32] [--rounds 3] [--seconds 15] [--elders 100000]

1. Creates a fresh PostgreSQL database (`zhucan_bench` on 127.0.0.1:5432), migrates it, seeds the
   real Hangzhou division tree, canteens with menus (designated, or their meals carry no benefit),
   ≥100,000 elders with citizen cards (in the identity card table, encrypted and blind-indexed with
   keys kept for checkout_inprocess.py: bench_keys), and one signed terminal per canteen.
2. Starts the platform as in production (granian, `config.settings.production`, DEBUG off; or
   `--server gunicorn` for comparison) with a simulated clock at 11:00 local time so that every
   checkout is in the lunch period.
3. Drives N concurrent clients, each a terminal: signed `quote` then signed `commit` (with an
   Idempotency-Key and the quoted payable) for a random elder, for a fixed time. A "checkout" is
   that pair; its latency is the pair's. The latency of each call alone (what a till waits for
   when the cashier rings up, and again when they confirm) is printed beside it.
4. Right after, with the server idle, measures the ceiling: pgbench at the same concurrency issuing
   the SQL a checkout issues (benchmarks/checkout_ceiling.sql: the same statements, in the same
   transactions, against the same tables). Load and ceiling alternate for `--rounds` rounds (the
   machine is shared and its speed drifts: each round's two figures see the same machine); prints
   each round and the medians of checkouts/s, p50/p99, the ceiling and the ratio.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import multiprocessing as mp
import os
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))
PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"
SH = ZoneInfo("Asia/Shanghai")


def _keys_file(db: str) -> Path:
    return Path(tempfile.gettempdir()) / f"zhucan-bench-keys-{db}.json"


def bench_keys(db: str, fresh: bool) -> dict[str, str]:
    """The secret and data keys the database `db` was seeded with. Card numbers and phones are
    encrypted and blind-indexed with them, so a later checkout_inprocess.py run on the same database
    must use the same keys: a fresh seed writes them (owner-only) beside the system's temp files."""
    path = _keys_file(db)
    if not fresh and path.exists():
        return json.loads(path.read_text())
    key = lambda: base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()  # noqa: E731
    keys = {"ZHUCAN_SECRET_KEY": secrets.token_urlsafe(40), "ZHUCAN_DATA_KEY": key(), "ZHUCAN_INDEX_KEY": key()}
    path.unlink(missing_ok=True)
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as out:
        json.dump(keys, out)
    return keys


def bench_env(db: str, fresh: bool = False) -> dict[str, str]:
    """The production-like environment for the database `db`; `fresh`: new keys (a new seed)."""
    start = datetime.now(SH).replace(hour=11, minute=0, second=0, microsecond=0)
    return {
        **os.environ,
        # The shared virtualenv installs zhucan from another checkout: the child processes (migrate,
        # the server) must import this checkout's code, as this process does.
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT), os.environ.get("PYTHONPATH", "")]),
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{db}",
        **bench_keys(db, fresh),
        "ZHUCAN_ALLOWED_HOSTS": "127.0.0.1,localhost", "ZHUCAN_SECURE_COOKIES": "0",
        "ZHUCAN_ALLOW_SIMULATED_CLOCK": "1", "ZHUCAN_CLOCK_START": start.isoformat(),
        "ZHUCAN_VAR_DIR": tempfile.mkdtemp(prefix="zhucan-bench-"),
        "ZHUCAN_LOG_LEVEL": "ERROR",
    }


def recreate_db(db: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{db}"')


# ------------------------------------------------------------------------------------------------
# Seeding (in a child process with the bench environment, so Django is configured for it)


def seed(n_elders: int, n_canteens: int) -> dict:
    import django

    django.setup()
    from django.db import connection, transaction

    from zhucan.accounts.models import User
    from zhucan.api.services import terminal_register
    from zhucan.canteens.models import Canteen, DesignatedSpan, Dish
    from zhucan.canteens.services import canteen_create
    from zhucan.core import clock, crypto
    from zhucan.core.idnumber import make_id_number, mask_id_number
    from zhucan.demo.seed import seed_regions
    from zhucan.elders.services import ID_CONTEXT, id_number_index
    from zhucan.identity.services import CARD_CONTEXT, card_number_index, card_number_mask
    from zhucan.regions.models import Region

    seed_regions()
    actor = User.objects.create(username="bench", is_superuser=True, is_staff=True)
    hz = Region.objects.get(code="330100")
    subdistricts = list(Region.objects.filter(path__startswith=hz.path, level="subdistrict").order_by("code"))
    communities = list(Region.objects.filter(path__startswith=hz.path, level="community"))
    rng = random.Random(7)
    terminals = []
    for i in range(n_canteens):
        region = subdistricts[i % len(subdistricts)]
        canteen = canteen_create(actor=actor, values={
            "name": f"{region.name}第{i // len(subdistricts) + 1}食堂", "operator": "压测餐饮",
            "canteen_type": "community_new_build", "area": "urban", "region": region, "address": "测试路1号",
            "status": "open"})
        Dish.objects.bulk_create(Dish(canteen=canteen, name=n, price_fen=p) for n, p in
                                 [("套餐A", 1500), ("套餐B", 2000), ("米饭", 100), ("汤", 300), ("红烧肉", 1200)])
        reg = terminal_register(actor=actor, canteen=canteen, name="压测终端", vendor="bench")
        terminals.append((reg.terminal.key_id, reg.secret, canteen.pk,
                          list(Dish.objects.filter(canteen=canteen).values_list("pk", flat=True))))
    # Designated canteens (HZ-8): only their meals carry benefits, the path the benchmark measures.
    DesignatedSpan.objects.bulk_create(DesignatedSpan(canteen_id=t[2], start=date(2020, 1, 1)) for t in terminals)
    Canteen.objects.update(config_version=1)
    today = clock.local_today()
    cards = []
    now = clock.now()
    with transaction.atomic(), connection.cursor() as cur:
        columns = ("name, id_number_encrypted, id_number_index, id_number_masked, birth_date, sex, phone_encrypted, "
                   "phone_index, address_encrypted, community_id, hukou_note, status, verification, "
                   "verification_reason, created_at, updated_at")
        with cur.cursor.copy(f"COPY elders_elder ({columns}) FROM STDIN") as copy:
            seen = set()
            while len(cards) < n_elders:
                birth = today - timedelta(days=rng.randint(60 * 366, 99 * 365))
                community = communities[len(cards) % len(communities)]
                number = make_id_number(community.code[:6], birth, rng.randint(0, 499), rng.choice("MF"))
                if number in seen:
                    continue
                seen.add(number)
                card = f"3301{len(cards):012d}"
                cards.append(card)
                copy.write_row((f"老人{len(cards)}", crypto.encrypt(number, context=ID_CONTEXT),
                                id_number_index(number), mask_id_number(number), birth,
                                "M" if number[16] in "13579" else "F", "", "", "", community.pk, "", "active",
                                "verified", "", now, now))
        # Card numbers live in the card table (encrypted, blind-indexed), bound to the elders just made.
        cur.execute("SELECT id, name FROM elders_elder")
        by_name = {name: pk for pk, name in cur.fetchall()}
        with cur.cursor.copy("COPY identity_citizencard (elder_id, number_encrypted, number_index, number_masked, "
                             "status, issued_at) FROM STDIN") as copy:
            for i, card in enumerate(cards, start=1):
                copy.write_row((by_name[f"老人{i}"], crypto.encrypt(card, context=CARD_CONTEXT),
                                card_number_index(card), card_number_mask(card), "active", now))
    return {"terminals": terminals, "cards": cards}


def _seed_child(queue, n_elders, n_canteens):
    queue.put(seed(n_elders, n_canteens))


# ------------------------------------------------------------------------------------------------
# Load clients


class _Http:
    """A minimal HTTP/1.1 keep-alive client for the load generator: it shares the two cores with the
    server and the database, and `http.client` parses each response's headers with the email
    package, several times the CPU of this (which reads the status, Content-Length or chunks)."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        self.buf += chunk

    def _take(self, n: int) -> bytes:
        while len(self.buf) < n:
            self._fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def _line(self) -> bytes:
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def post(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self.sock.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(body)}\r\n{head}\r\n"
                          .encode() + body)
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        raw_head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = raw_head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        fields = {k.strip().lower(): v.strip() for k, v in (ln.split(":", 1) for ln in lines[1:])}
        if "content-length" in fields:
            return status, self._take(int(fields["content-length"]))
        if fields.get("transfer-encoding", "").lower() == "chunked":
            data = b""
            while size := int(self._line().split(b";")[0], 16):
                data += self._take(size)
                self._take(2)
            while self._line():  # trailers, then the empty line
                pass
            return status, data
        raise RuntimeError(f"response without a length: {lines[0]}")


def _client(worker: int, terminals: list, cards: list, port: int, deadline: float, warmup_end: float, out,
            interval: float | None = None):
    """One till. Closed loop (interval None): the next checkout starts when the last one ends. Open
    loop: checkouts are due every `interval` seconds; latency counts from when a checkout was due,
    so a till that falls behind reports its queueing too (no coordinated omission)."""
    from zhucan.api.signing import signed_headers

    rng = random.Random(worker)
    key_id, secret, _canteen_id, dishes = terminals[worker % len(terminals)]
    conn = _Http(port)
    latencies, calls, errors, n = [], [], {}, 0

    def post(path: str, body: dict, idem: str | None = None) -> tuple[int, dict]:
        raw = json.dumps(body, separators=(",", ":")).encode()
        headers = signed_headers(key_id, secret, "POST", path, raw)
        headers["Content-Type"] = "application/json"
        if idem:
            headers["Idempotency-Key"] = idem
        status, data = conn.post(path, headers, raw)
        return status, json.loads(data) if data else {}

    due = time.perf_counter() + rng.random() * (interval or 0)  # open loop: tills start staggered
    while time.time() < deadline:
        items = [{"dish_id": rng.choice(dishes[:2]), "quantity": 1}, {"dish_id": dishes[2], "quantity": 1}]
        elder = {"card_number": rng.choice(cards)}
        if interval:
            time.sleep(max(0.0, due - time.perf_counter()))
            t0, due = due, due + interval
        else:
            t0 = time.perf_counter()
        status, quote = post("/api/v1/meals/quote", {"elder": elder, "items": items})
        quoted = time.perf_counter()
        if status == 200:
            status, done = post("/api/v1/meals/commit", {"elder": elder, "items": items,
                                                         "expected_payable_fen": quote["payable_fen"]},
                                idem=f"w{worker}-{n}-{secrets.token_hex(4)}")
        else:
            done = quote
        elapsed = time.perf_counter() - t0
        n += 1
        if time.time() < warmup_end:
            continue
        if status == 200:
            latencies.append(elapsed)
            calls += (quoted - t0, elapsed - (quoted - t0))
        else:
            code = done.get("code", str(status))
            errors[code] = errors.get(code, 0) + 1
    out.put((latencies, calls, errors))


def _client_proc(indices, terminals, cards, port, deadline, warmup_end, out, interval=None):
    import threading

    threads = [threading.Thread(target=_client, args=(i, terminals, cards, port, deadline, warmup_end, out,
                                                      interval))
               for i in indices]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


# ------------------------------------------------------------------------------------------------
# Where the CPU goes: user+system ticks of the server, the database backends of this database and
# the load generator, read from /proc over the measured window (a diagnostic, not a target).

_TICK = os.sysconf("SC_CLK_TCK")


def _proc_cpu() -> dict[int, tuple[str, float]]:
    out = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[int(entry)] = (cmd, (int(fields[11]) + int(fields[12])) / _TICK)
    return out


def cpu_split(before, after, db: str, client_pids: set[int]) -> dict[str, float]:
    split = {"server": 0.0, "database": 0.0, "load generator": 0.0, "pgbench": 0.0}
    for pid, (cmd, t1) in after.items():
        t0 = before.get(pid, (cmd, 0.0))[1]
        if "gunicorn config.wsgi" in cmd or "bin/granian " in cmd:
            split["server"] += t1 - t0
        elif cmd.startswith("postgres:") and f" {db} " in cmd + " ":
            split["database"] += t1 - t0
        elif pid in client_pids:
            split["load generator"] += t1 - t0
        elif cmd.split(" ", 1)[0].endswith("pgbench"):
            split["pgbench"] += t1 - t0
    return split


def run_load(terminals, cards, port, clients, seconds, warmup, procs=2, cpu=None, rate=None):
    out = mp.Queue()
    start = time.time()
    warmup_end, deadline = start + warmup, start + warmup + seconds
    groups = [list(range(i, clients, procs)) for i in range(procs)]
    interval = clients / rate if rate else None
    workers = [mp.Process(target=_client_proc, args=(g, terminals, cards, port, deadline, warmup_end, out,
                                                     interval))
               for g in groups]
    for w in workers:
        w.start()
    if cpu is not None:  # snapshots at the start and the end of the measured window
        cpu["client_pids"] = {w.pid for w in workers}
        time.sleep(max(0.0, warmup_end - time.time() - 1.0))
        if cpu.get("on_warm"):
            cpu["on_warm"]()
        time.sleep(max(0.0, warmup_end - time.time()))
        cpu["before"] = _proc_cpu()
        time.sleep(max(0.0, deadline - time.time()))
        cpu["after"] = _proc_cpu()
    latencies, calls, errors = [], [], {}
    for _ in range(clients):
        lat, call, err = out.get(timeout=seconds + warmup + 120)
        latencies += lat
        calls += call
        for k, v in err.items():
            errors[k] = errors.get(k, 0) + v
    for w in workers:
        w.join()
    return latencies, calls, errors


# ------------------------------------------------------------------------------------------------
# The ceiling: pgbench with the checkout's SQL


def run_ceiling(db: str, clients: int, seconds: int, n_elders: int, n_canteens: int, cpu=None,
                mode: str = "prepared") -> float:
    script = ROOT / "benchmarks" / "checkout_ceiling.sql"
    cmd = ["pgbench", "-n", "-M", mode, "-h", "127.0.0.1", "-U", "postgres", "-c", str(clients), "-j", "2",
           "-T", str(seconds), "-D", f"n_elders={n_elders}", "-D", f"n_canteens={n_canteens}", "-f", str(script), db]
    import threading

    before, last, stop = _proc_cpu(), {}, threading.Event()

    def sample() -> None:  # pgbench's backends exit with it: keep each one's last reading
        while not stop.is_set():
            last.update(_proc_cpu())
            stop.wait(0.5)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    # Asia/Shanghai: current_date in checkout_ceiling.sql is then the platform's local date.
    done = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "PGTZ": "Asia/Shanghai"})
    stop.set()
    sampler.join()
    if cpu is not None:
        cpu["split"] = cpu_split(before, last, db, set())
    if done.returncode != 0:
        raise RuntimeError(f"pgbench failed:\n{done.stdout}\n{done.stderr}")
    out = done.stdout
    for line in out.splitlines():
        if line.startswith("tps = "):
            return float(line.split()[2])
    raise RuntimeError(out)


def wait_ready(port: int, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/v1/openapi.json")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError("the platform did not start")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--clients", type=int, default=32)
    p.add_argument("--seconds", type=int, default=15, help="length of each round's load and ceiling runs")
    p.add_argument("--rounds", type=int, default=3,
                   help="load and ceiling are measured alternately this many times; medians are reported")
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--elders", type=int, default=100_000)
    p.add_argument("--canteens", type=int, default=200)
    p.add_argument("--server", default="granian", choices=["granian", "gunicorn"])
    p.add_argument("--workers", type=int, default=2, help="server worker processes")
    p.add_argument("--threads", type=int, default=4,
                   help="threads per worker (granian --blocking-threads, gunicorn gthread --threads)")
    p.add_argument("--port", type=int, default=8931)
    p.add_argument("--db", default="zhucan_bench")
    p.add_argument("--rate", type=float, default=None,
                   help="open loop: checkouts per second offered by the N clients together (default: closed "
                        "loop, each client starts its next checkout when the last one ends)")
    p.add_argument("--pgbench-mode", default="prepared", choices=["prepared", "extended"],
                   help="pgbench's protocol: prepared, like the platform's connections (psycopg prepares a "
                        "statement after its 5th use), or extended (parsed and planned on every call)")
    args = p.parse_args()

    env = bench_env(args.db, fresh=True)
    os.environ.update(env)
    print(f"# database {args.db}: recreate, migrate, seed {args.elders} elders, {args.canteens} canteens")
    t0 = time.time()
    recreate_db(args.db)
    subprocess.run([sys.executable, "-m", "zhucan.cli", "migrate", "-v0"], env=env, check=True, cwd=ROOT)
    queue = mp.get_context("spawn").Queue()
    child = mp.get_context("spawn").Process(target=_seed_child, args=(queue, args.elders, args.canteens))
    child.start()
    seeded = queue.get(timeout=1800)
    child.join()
    print(f"# seeded in {time.time() - t0:.0f} s")
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-q", "-d", args.db, "-c", "VACUUM ANALYZE"],
                   check=True)

    bindir = Path(sys.executable).parent
    if args.server == "granian":
        command = [str(bindir / "granian"), "--interface", "wsgi", "config.wsgi:application", "--host", "127.0.0.1",
                   "--port", str(args.port), "--workers", str(args.workers), "--blocking-threads", str(args.threads),
                   "--log-level", "warning"]
    else:
        command = [str(bindir / "gunicorn"), "config.wsgi:application", "-b", f"127.0.0.1:{args.port}",
                   "-w", str(args.workers), "-k", "gthread" if args.threads > 1 else "sync", "--threads",
                   str(args.threads), "--log-level", "warning", "--backlog", "512"]
    server = subprocess.Popen(command, env=env, cwd=ROOT, start_new_session=True)
    loop = f"open loop at {args.rate:.0f} checkouts/s offered" if args.rate else "closed loop"
    print(f"clients={args.clients} {loop} {args.rounds} rounds of {args.seconds} s "
          f"{args.server}={args.workers}x{args.threads} elders={args.elders} canteens={args.canteens}")
    rounds: list[dict] = []
    try:
        wait_ready(args.port)
        for r in range(args.rounds):
            cpu: dict = {}
            if r == 0:
                # The ledger tables start empty: once the warm-up has written some rows, give the
                # planner statistics, as a live platform's tables have (an empty table's estimates
                # make the idempotency probe scan checkout_meal sequentially).
                cpu["on_warm"] = lambda: subprocess.run(
                    ["psql", "-h", "127.0.0.1", "-U", "postgres", "-q", "-d", args.db, "-c",
                     "ANALYZE checkout_meal, checkout_mealitem, checkout_benefitline, checkout_tender, "
                     "checkout_elderdayusage, checkout_canteenchain, accounts_terminalnonce"], check=True)
            latencies, calls, errors = run_load(seeded["terminals"], seeded["cards"], args.port, args.clients,
                                                args.seconds, args.warmup if r == 0 else 2, cpu=cpu,
                                                rate=args.rate)
            # The ceiling right after, the server idle: the two figures of a round see the same machine.
            ceiling_cpu: dict = {}
            ceiling = run_ceiling(args.db, args.clients, args.seconds, args.elders, args.canteens,
                                  cpu=ceiling_cpu, mode=args.pgbench_mode)
            rounds.append(report_round(r + 1, args, latencies, calls, errors, cpu, ceiling, ceiling_cpu))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

    med = {k: statistics.median(x[k] for x in rounds)
           for k in ("rate", "p50", "p99", "call_p50", "call_p99", "ceiling", "ratio")}
    print(f"median of {len(rounds)} rounds: checkouts/s {med['rate']:.1f}, p50 {med['p50']:.1f} ms, "
          f"p99 {med['p99']:.1f} ms (per API call: p50 {med['call_p50']:.1f} ms, p99 {med['call_p99']:.1f} ms), "
          f"ceiling (pgbench -M {args.pgbench_mode}, same SQL, same concurrency) {med['ceiling']:.1f} /s")
    print(f"ratio (median of the rounds' ratios): {med['ratio']:.2f}  (target ≥ 0.5; p99 target ≤ 100 ms)")
    return 0


def _p50_p99(seconds: list[float]) -> tuple[float, float]:
    """Milliseconds; nan for an empty list."""
    if not seconds:
        return float("nan"), float("nan")
    lat = sorted(seconds)
    return statistics.median(lat) * 1000, lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000


def report_round(n: int, args, latencies, calls, errors, cpu, ceiling, ceiling_cpu) -> dict:
    done = len(latencies)
    rate = done / args.seconds
    p50, p99 = _p50_p99(latencies)
    call_p50, call_p99 = _p50_p99(calls)
    line = (f"round {n}: {done} checkouts ({rate:.1f} /s), errors {errors or 'none'}; p50 {p50:.1f} ms, "
            f"p99 {p99:.1f} ms; ceiling {ceiling:.1f} /s; ratio {rate / ceiling:.2f}"
            f"\n  per API call (quote or commit alone): p50 {call_p50:.1f} ms, p99 {call_p99:.1f} ms")
    if done and "after" in cpu:
        split = cpu_split(cpu["before"], cpu["after"], args.db, cpu["client_pids"])
        line += "\n  CPU ms per checkout (load): " + ", ".join(
            f"{k} {1000 * v / done:.1f}" for k, v in split.items() if k != "pgbench")
        line += f"; load average {os.getloadavg()[0]:.1f}"
    if ceiling and "split" in ceiling_cpu:
        n_ceiling = ceiling * args.seconds
        line += "\n  CPU ms per checkout (ceiling): " + ", ".join(
            f"{k} {1000 * v / n_ceiling:.1f}" for k, v in ceiling_cpu["split"].items() if k in ("database", "pgbench"))
    print(line, flush=True)
    return {"rate": rate, "p50": p50, "p99": p99, "call_p50": call_p50, "call_p99": call_p99, "ceiling": ceiling,
            "ratio": rate / ceiling}


if __name__ == "__main__":
    raise SystemExit(main())
