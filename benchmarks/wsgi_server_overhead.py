#!/usr/bin/env python
"""What the WSGI server itself costs per request: a trivial application under gunicorn and granian.

    .venv/bin/python benchmarks/wsgi_server_overhead.py [--seconds 10] [--clients 32]

The application reads the body and answers a fixed JSON document, so nearly all the server
processes' CPU is the server's own (HTTP parsing, the WSGI environ, writing the answer). Each
server runs as in benchmarks/checkout_load.py (gunicorn 3 workers × 4 gthread threads, granian 2
workers × 4 blocking threads); the same keep-alive clients post a checkout-sized body with the
signature headers. Prints server CPU ms per request for both and their ratio, measured in the
same run (the reason the platform runs on granian: docs/performance.md).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from checkout_load import _Http, _proc_cpu  # noqa: E402  (the load benchmark's client and /proc reader)

BODY = json.dumps({"elder": {"card_number": "3301000000012345"},
                   "items": [{"dish_id": 101, "quantity": 1}, {"dish_id": 103, "quantity": 1}],
                   "expected_payable_fen": 1280}).encode()
HEADERS = {"Content-Type": "application/json", "X-Zhucan-Key": "tk_0123456789abcdef", "X-Zhucan-Timestamp": "1",
           "X-Zhucan-Nonce": "n" * 32, "X-Zhucan-Signature": "s" * 64, "Idempotency-Key": "k" * 24}


def application(environ, start_response):
    """The trivial WSGI application the servers run (this module, imported by them)."""
    environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    out = b'{"receipt_no":"C00001-00000001","payable_fen":1280,"payable_yuan":"12.80"}'
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(out)))])
    return [out]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _clients(indices: list[int], port: int, deadline: float, out) -> None:
    counts = []

    def till() -> None:
        conn, n = _Http(port), 0
        while time.time() < deadline:
            status, _ = conn.post("/api/v1/meals/commit", HEADERS, BODY)
            assert status == 200
            n += 1
        counts.append(n)

    threads = [threading.Thread(target=till) for _ in indices]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.put(sum(counts))


def measure(name: str, command: list[str], clients: int, seconds: int) -> float:
    port = _free_port()
    command = [c.replace("{port}", str(port)) for c in command]
    env = {**os.environ, "PYTHONPATH": str(HERE)}
    server = subprocess.Popen(command, env=env, cwd=HERE, start_new_session=True, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):  # wait until it answers
            try:
                _Http(port).post("/", HEADERS, BODY)
                break
            except OSError:
                time.sleep(0.1)
        out = mp.Queue()
        deadline = time.time() + seconds
        procs = [mp.Process(target=_clients, args=(list(range(i, clients, 2)), port, deadline, out)) for i in range(2)]
        before = _proc_cpu()
        for p in procs:
            p.start()
        done = sum(out.get(timeout=seconds + 60) for _ in procs)
        after = _proc_cpu()
        for p in procs:
            p.join()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    cpu = sum(t1 - before.get(pid, (cmd, 0.0))[1] for pid, (cmd, t1) in after.items()
              if "wsgi_server_overhead:application" in cmd)
    per = 1000 * cpu / done
    print(f"{name}: {done / seconds:.0f} requests/s, server CPU {per:.3f} ms per request", flush=True)
    return per


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seconds", type=int, default=10)
    p.add_argument("--clients", type=int, default=32)
    args = p.parse_args()
    bindir = Path(sys.executable).parent
    gunicorn = measure("gunicorn 3 × 4 gthread", [str(bindir / "gunicorn"), "wsgi_server_overhead:application",
                                                  "-b", "127.0.0.1:{port}", "-w", "3", "-k", "gthread",
                                                  "--threads", "4", "--log-level", "warning"],
                       args.clients, args.seconds)
    granian = measure("granian 2 × 4", [str(bindir / "granian"), "--interface", "wsgi",
                                        "wsgi_server_overhead:application", "--host", "127.0.0.1", "--port", "{port}",
                                        "--workers", "2", "--blocking-threads", "4", "--log-level", "warning"],
                      args.clients, args.seconds)
    print(f"granian ÷ gunicorn, server CPU per request: {granian / gunicorn:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
