"""Verifying a signed request (see signing.py): the Ninja auth class every endpoint uses.

Order of checks, cheapest and least revealing first: headers present → body size → terminal known
→ timestamp within the window → signature → terminal not revoked → nonce unused (recorded) → body is
a JSON object → the canteen named (if any) is the terminal's. A refused request writes nothing but,
once the signature is good, its nonce.
"""

from __future__ import annotations

import json
import random
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import connection
from ninja.security.base import AuthBase

from zhucan.accounts.models import Terminal, TerminalNonce
from zhucan.api import signing
from zhucan.api.errors import api_error
from zhucan.core import clock, crypto

SECRET_CONTEXT = "terminal.secret"


def max_body_bytes() -> int:
    return int(getattr(settings, "ZHUCAN_API_MAX_BODY_BYTES", 64 * 1024))


def clock_window_seconds() -> int:
    return int(getattr(settings, "ZHUCAN_API_CLOCK_WINDOW_SECONDS", 300))


def _header(request, name: str) -> str:
    value = request.headers.get(name, "").strip()
    if not value:
        raise api_error("SIGNATURE_MISSING", header=name)
    return value


def _read_body(request) -> bytes:
    limit = max_body_bytes()
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        raise api_error("BODY_TOO_LARGE", limit=limit)
    try:
        body = request.body
    except RequestDataTooBig:
        raise api_error("BODY_TOO_LARGE", limit=limit) from None
    if len(body) > limit:
        raise api_error("BODY_TOO_LARGE", limit=limit)
    return body


_NONCE_SQL = (f"INSERT INTO {TerminalNonce._meta.db_table} (terminal_id, nonce, seen_at) VALUES (%s, %s, %s) "
              "ON CONFLICT (terminal_id, nonce) DO NOTHING RETURNING id")


def _record_nonce(terminal: Terminal, nonce: str, now) -> None:
    """One statement: a nonce seen before inserts nothing (the unique constraint decides)."""
    with connection.cursor() as cur:
        cur.execute(_NONCE_SQL, [terminal.pk, nonce, connection.ops.adapt_datetimefield_value(now)])
        inserted = cur.fetchone()
    if inserted is None:
        raise api_error("NONCE_REUSED")
    # A nonce older than twice the window cannot come back: its request's timestamp is stale by then.
    if random.random() < float(getattr(settings, "ZHUCAN_API_NONCE_PRUNE_PROBABILITY", 0.01)):
        TerminalNonce.objects.filter(seen_at__lt=now - timedelta(seconds=2 * clock_window_seconds() + 60)).delete()


def _check_canteen(request, terminal: Terminal, data) -> None:
    named = [request.GET.get("canteen_id")]
    if isinstance(data, dict):
        named.append(data.get("canteen_id"))
    for value in named:
        if value is None or value == "":
            continue
        if str(value).strip() != str(terminal.canteen_id):
            raise api_error("CANTEEN_MISMATCH", field="canteen_id")


def authenticate_request(request) -> Terminal:
    """Verify the signature headers of `request`; returns the terminal or raises a DomainError.
    Leaves the parsed JSON body on `request.api_json` (None when the body is empty)."""
    key_id = _header(request, signing.HEADER_KEY)
    timestamp = _header(request, signing.HEADER_TIMESTAMP)
    nonce = _header(request, signing.HEADER_NONCE)
    signature = _header(request, signing.HEADER_SIGNATURE)
    body = _read_body(request)
    terminal = Terminal.objects.select_related("canteen", "canteen__region").filter(key_id=key_id[:40]).first()
    if terminal is None:
        raise api_error("TERMINAL_UNKNOWN")
    now = clock.real_now()
    window = clock_window_seconds()
    if not timestamp.isdigit() or abs(int(timestamp) - now.timestamp()) > window:
        raise api_error("TIMESTAMP_STALE", window=window)
    if not signing.NONCE_RE.match(nonce) or not signing.SIGNATURE_RE.match(signature):
        raise api_error("SIGNATURE_INVALID")
    secret = crypto.decrypt(terminal.secret_encrypted, context=SECRET_CONTEXT)
    if not signing.verify(secret, request.method, request.get_full_path(), timestamp, nonce, body, signature):
        raise api_error("SIGNATURE_INVALID")
    if terminal.revoked_at is not None:
        raise api_error("TERMINAL_REVOKED")
    _record_nonce(terminal, nonce, now)
    data = None
    if body.strip():
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise api_error("BAD_JSON", field="body") from None
        if not isinstance(data, dict):
            raise api_error("BAD_JSON", field="body")
    request.api_json = data
    _check_canteen(request, terminal, data)
    if terminal.last_seen_at is None or now - terminal.last_seen_at > timedelta(seconds=60):
        Terminal.objects.filter(pk=terminal.pk).update(last_seen_at=now)
    return terminal


class TerminalSignature(AuthBase):
    """HMAC-SHA256 signed request (headers X-Zhucan-Key, -Timestamp, -Nonce, -Signature)."""

    openapi_type = "apiKey"
    openapi_in = "header"
    openapi_name = signing.HEADER_SIGNATURE
    openapi_description = (
        "HMAC-SHA256 (hex) of METHOD\\nPATH\\nTIMESTAMP\\nNONCE\\nSHA256_HEX(BODY) with the terminal's secret; "
        "send X-Zhucan-Key, X-Zhucan-Timestamp and X-Zhucan-Nonce too. See docs/integration.md."
    )

    def __call__(self, request):
        return authenticate_request(request)
