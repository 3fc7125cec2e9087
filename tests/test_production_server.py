"""The production server as README documents it: granian serving `config.wsgi` with the production
settings (DEBUG off, secrets from the environment, static files collected), for the console and for
API v1. The server runs in a child process on its own SQLite file, whatever database this test run
uses; the point is the server and the WSGI entry point, not the database."""

from __future__ import annotations

import base64
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from email.message import Message
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


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
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
