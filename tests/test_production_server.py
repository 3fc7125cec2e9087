"""The production server as README and deploy/zhucan.service run it: granian serving `config.wsgi`
with the production settings (DEBUG off, secrets from the environment, static files collected), for
the console and for API v1, and surviving the death of a worker under load."""

from __future__ import annotations

import base64
import configparser
import http.client
import json
import os
import re
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import date
from datetime import time as day_time
from email.message import Message
from pathlib import Path

import pytest
from granian.cli import cli as granian_cli

from tests.conftest import make_elder

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
UNIT = ROOT / "deploy" / "zhucan.service"
UNIT_ENV = ROOT / "deploy" / "zhucan.env.example"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, data: bytes | None = None, headers: dict | None = None) -> tuple[int, Message, bytes]:
    request = urllib.request.Request(url, data=data, headers=headers or {}, method="POST" if data else "GET")
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


def test_granian_serves_console_and_api_with_production_settings(tmp_path):
    """On its own SQLite file, whatever database this test run uses: the point is the server and the
    WSGI entry point, not the database."""
    key = lambda: base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()  # noqa: E731
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(DJANGO_SETTINGS_MODULE="config.settings.production", ZHUCAN_VAR_DIR=str(tmp_path),
               ZHUCAN_SECRET_KEY=secrets.token_urlsafe(40), ZHUCAN_DATA_KEY=key(), ZHUCAN_INDEX_KEY=key(),
               ZHUCAN_ALLOWED_HOSTS="127.0.0.1", ZHUCAN_SECURE_COOKIES="0", ZHUCAN_LOG_LEVEL="ERROR")
    for command in (["migrate", "-v0"], ["collectstatic", "--noinput", "-v0"]):
        subprocess.run([str(BIN / "zhucan"), *command], env=env, cwd=ROOT, check=True, timeout=120)
    port = _free_port()
    server = subprocess.Popen(
        [str(BIN / "granian"), "--interface", "wsgi", "config.wsgi:application", "--host", "127.0.0.1",
         "--port", str(port), "--workers", "1", "--blocking-threads", "2", "--log-level", "warning"],
        env=env, cwd=ROOT, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            try:
                status, headers, body = _get(f"{base}/api/v1/openapi.json")
                break
            except OSError:
                assert server.poll() is None, server.stdout.read().decode(errors="replace")
                assert time.time() < deadline, "granian did not start"
                time.sleep(0.3)
        assert status == 200 and json.loads(body)["info"]["version"] == "1.0.0"

        status, headers, body = _get(f"{base}/accounts/login/")
        assert status == 200 and "登录" in body.decode()  # the console: Chinese, static files from the manifest
        assert headers.get("X-Frame-Options") == "DENY"

        # A signed call from a key the platform does not know: refused with its code, after a
        # database read, with the security headers of the API handler.
        from zhucan.api.signing import signed_headers

        raw = json.dumps({"elder": {"card_number": "330100000000001"}, "items": []}).encode()
        headers = {**signed_headers("unknown-key", "secret", "POST", "/api/v1/meals/quote", raw),
                   "Content-Type": "application/json"}
        status, answer_headers, body = _get(f"{base}/api/v1/meals/quote", raw, headers)
        assert status == 401 and json.loads(body)["code"] == "TERMINAL_UNKNOWN"
        assert answer_headers.get("X-Content-Type-Options") == "nosniff"

        status, _h, body = _get(f"{base}/api/v1/no-such-thing")
        assert status == 404 and json.loads(body)["code"] == "NOT_FOUND"
    finally:
        _stop(server)


def _stop(server: subprocess.Popen) -> None:
    """SIGTERM to the server's group, reading its output meanwhile (a full pipe would hold it); what
    this test checks is serving, so a shutdown slower than 30 s on a loaded machine ends with SIGKILL."""
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.communicate()


# --- The deployment: README's command, the systemd unit, and a worker killed under load -------------


def _unit() -> configparser.ConfigParser:
    # systemd allows a key twice (SystemCallFilter=); the last one is enough for what is checked here.
    unit = configparser.ConfigParser(strict=False, interpolation=None, delimiters=("=",))
    unit.optionxform = str
    unit.read_string(UNIT.read_text(encoding="utf-8"))
    return unit


def _granian_args(command: str) -> list[str]:
    """The arguments after the granian executable in a shell (or ExecStart) command line."""
    words = shlex.split(command.replace("\\\n", " "), comments=True)
    start = next(i for i, word in enumerate(words) if Path(word).name == "granian")
    return words[start + 1:]


def _readme_granian_command() -> str:
    section = (ROOT / "README.md").read_text(encoding="utf-8").split("## Running in production", 1)[1]
    section = section.split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, flags=re.S)
    return next(block for block in blocks if "/granian " in block)


def _granian_options(args: list[str]) -> dict:
    """The options as granian itself reads them (an unknown or misspelt flag raises)."""
    return granian_cli.make_context("granian", list(args)).params


def test_readme_and_systemd_unit_run_granian_alike_and_replace_dead_workers():
    readme = _granian_options(_granian_args(_readme_granian_command()))
    unit = _unit()
    service = unit["Service"]
    exec_start = _granian_options(_granian_args(service["ExecStart"]))
    assert readme["respawn_failed_workers"] is True
    assert exec_start["respawn_failed_workers"] is True
    # Where they listen differs (behind the proxy on another host, or on this one); nothing else.
    same = {name for name in readme if name not in ("host", "port")}
    assert {n: readme[n] for n in same} == {n: exec_start[n] for n in same}
    assert exec_start["app"] == "config.wsgi:application" and exec_start["interface"].value == "wsgi"

    assert service["Restart"] == "always"
    assert service["User"] not in ("", "root")
    assert (service["NoNewPrivileges"], service["ProtectSystem"], service["PrivateTmp"]) == ("yes", "strict", "yes")
    assert service["EnvironmentFile"].startswith("/etc/")
    assert unit["Install"]["WantedBy"] == "multi-user.target"
    # The environment file the unit reads starts the production settings with every secret they require.
    env = _env_file(UNIT_ENV)
    assert env["DJANGO_SETTINGS_MODULE"] == "config.settings.production"
    assert {"DATABASE_URL", "ZHUCAN_SECRET_KEY", "ZHUCAN_DATA_KEY", "ZHUCAN_INDEX_KEY",
            "ZHUCAN_ALLOWED_HOSTS"} <= set(env)


def _env_file(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.lstrip().startswith("#"))
    return {key.strip(): value.strip() for key, value in pairs}


def _database_url() -> str:
    """This test run's database, for the server process (its rows are committed: transaction=True)."""
    from django.db import connection

    s = connection.settings_dict
    if connection.vendor == "postgresql":
        auth = urllib.parse.quote(s["USER"] or "postgres")
        if s["PASSWORD"]:
            auth += ":" + urllib.parse.quote(s["PASSWORD"])
        return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
    return f"sqlite:///{s['NAME']}"


def _workers(pid: int) -> set[int]:
    """Live child processes of `pid` (granian's workers), from /proc; a reaped-later zombie is not one."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            state, ppid = stat.read_text().rsplit(")", 1)[1].split()[:2]
        except (OSError, ValueError):
            continue
        if int(ppid) == pid and state != "Z":
            found.add(int(stat.parent.name))
    return found


@dataclass(frozen=True)
class Ack:
    key: str
    receipt_no: str
    elder_id: int


class Till(threading.Thread):
    """A POS terminal selling meals one after another, as a vendor's client does: a commit that got no
    answer (connection reset, 5xx) is sent again with the same Idempotency-Key until one comes."""

    def __init__(self, base: str, credentials: tuple[str, str], elder_id: int, dish_id: int, acks: list,
                 stop: threading.Event, deadline: float):
        super().__init__(daemon=True)
        self.base, self.key_id, self.secret, self.elder_id, self.dish_id = base, *credentials, elder_id, dish_id
        self.acks, self.stop, self.deadline = acks, stop, deadline
        self.retries, self.error = 0, None

    def run(self):
        try:
            for n in range(200):  # bounded; the test stops the tills long before
                if self.stop.is_set():
                    return
                key = f"till-{self.elder_id}-{n:04d}"
                answer = self.commit(key)
                self.acks.append(Ack(key, answer["receipt_no"], answer["elder_id"]))
        except Exception as exc:  # reported by the test, which runs in another thread
            self.error = exc

    def commit(self, key: str) -> dict:
        from zhucan.api import signing

        path = "/api/v1/meals/commit"
        raw = json.dumps({"elder": {"elder_id": self.elder_id},
                          "items": [{"dish_id": self.dish_id, "quantity": 1}]}).encode()
        while True:
            headers = {**signing.signed_headers(self.key_id, self.secret, "POST", path, raw),
                       signing.HEADER_IDEMPOTENCY: key, "Content-Type": "application/json"}
            try:
                status, _headers, body = _get(self.base + path, raw, headers)
            except (OSError, http.client.HTTPException):
                status, body = None, b""
            if status == 200:
                return json.loads(body)
            if status is not None and status < 500:
                raise AssertionError(f"{key}: refused {status} {body[:300]!r}")
            if time.monotonic() > self.deadline:
                raise AssertionError(f"{key}: the server did not answer again (last status {status})")
            self.retries += 1
            time.sleep(0.05)


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_under_load_is_replaced_and_no_acknowledged_meal_is_lost(world, tmp_path):
    from django.conf import settings

    from tests.conftest import _system_user
    from zhucan.api.services import terminal_register
    from zhucan.canteens.models import Dish
    from zhucan.canteens.services import canteen_set_periods
    from zhucan.checkout.models import ElderDayUsage, Meal

    # The server runs on the real clock: the canteen serves lunch all day, so the test sells whenever it runs.
    canteen_set_periods(actor=_system_user(), canteen_id=world.canteen.pk,
                        periods=[("lunch", day_time(0, 0), day_time(23, 59))])
    dish = Dish.objects.create(canteen=world.canteen, name="套餐", price_fen=1500)
    elders = [make_elder(world.xihu_c1, birth=date(1940 + i, 5, 1), name=f"测试老人{i}") for i in range(3)]
    registered = terminal_register(actor=None, canteen=world.canteen, name="1号收银台", vendor="测试厂商")

    # The unit's server and environment, on a free local port, this run's database and the test keys
    # (the terminal's secret was encrypted with them).
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRANIAN_")}
    env.update(_env_file(UNIT_ENV))
    env.update(DATABASE_URL=_database_url(), ZHUCAN_VAR_DIR=str(tmp_path), ZHUCAN_ALLOWED_HOSTS="127.0.0.1",
               ZHUCAN_SECRET_KEY=secrets.token_urlsafe(40), ZHUCAN_DATA_KEY=settings.ZHUCAN_DATA_KEY,
               ZHUCAN_INDEX_KEY=settings.ZHUCAN_INDEX_KEY, PYTHONPATH=f"{ROOT / 'src'}{os.pathsep}{ROOT}")
    port = _free_port()
    args = _granian_args(_unit()["Service"]["ExecStart"])
    args[args.index("--host") + 1], args[args.index("--port") + 1] = "127.0.0.1", str(port)
    assert _granian_options(args)["workers"] >= 2
    log = tmp_path / "granian.log"
    with log.open("wb") as out:
        server = subprocess.Popen([str(BIN / "granian"), *args], env=env, cwd=ROOT, start_new_session=True,
                                  stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    acks: list[Ack] = []
    stop = threading.Event()
    started = time.monotonic()

    def wait_for(condition, what: str, seconds: float = 30):
        limit = time.monotonic() + seconds
        while not condition():
            assert [till.error for till in tills if till.error] == []
            assert server.poll() is None, f"granian exited ({what}):\n{log.read_text(errors='replace')[-3000:]}"
            assert time.monotonic() < limit, f"timed out: {what}\n{log.read_text(errors='replace')[-3000:]}"
            time.sleep(0.05)

    credentials = (registered.terminal.key_id, registered.secret)
    tills = [Till(base, credentials, elder.pk, dish.pk, acks, stop, deadline=started + 60) for elder in elders]
    try:
        for till in tills:
            till.start()
        wait_for(lambda: len(acks) >= 6, "first meals sold", seconds=40)
        original = _workers(server.pid)
        assert len(original) == 2
        first, second = sorted(original)

        os.kill(first, signal.SIGKILL)
        wait_for(lambda: first not in _workers(server.pid) and len(_workers(server.pid)) == 2, "worker replaced")
        sold = len(acks)
        wait_for(lambda: len(acks) >= sold + 6, "selling after the first kill")

        # The other original worker too: from here on only the replacements serve.
        os.kill(second, signal.SIGKILL)
        wait_for(lambda: not original & _workers(server.pid) and len(_workers(server.pid)) == 2,
                 "second worker replaced")
        sold = len(acks)
        wait_for(lambda: len(acks) >= sold + 6, "selling with replaced workers only")
    finally:
        stop.set()
        for till in tills:
            till.join(timeout=30)
        alive = server.poll() is None
        _stop(server)
    assert alive
    assert [till.error for till in tills] == [None, None, None]
    assert time.monotonic() - started < 60

    # Every acknowledged meal is in the ledger exactly once, and nothing else is: a commit the server
    # wrote but could not answer was answered by its retry, not sold twice.
    assert len({ack.key for ack in acks}) == len(acks)
    ledger = dict(Meal.objects.filter(canteen=world.canteen).values_list("idempotency_key", "receipt_no"))
    assert ledger == {ack.key: ack.receipt_no for ack in acks}
    for elder in elders:
        sold_to = [ack for ack in acks if ack.elder_id == elder.pk]
        meals = Meal.objects.filter(elder=elder)
        assert len(sold_to) == meals.count() > 0
        usage = ElderDayUsage.objects.filter(elder=elder)
        assert sum(u.meals for u in usage) == meals.count()
        assert sum(u.benefit_fen for u in usage) == sum(m.benefit_fen for m in meals)
    verify = subprocess.run([str(BIN / "zhucan"), "ledger", "verify"], env=env, cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert verify.returncode == 0, verify.stdout + verify.stderr
