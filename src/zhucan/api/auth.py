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
from functools import cache

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import DEFAULT_DB_ALIAS, connection, connections
from ninja.security.base import AuthBase

from zhucan.accounts.models import Terminal, TerminalNonce
from zhucan.api import signing
from zhucan.api.errors import api_error
from zhucan.core import clock, crypto, rows, text
from zhucan.core.hotcursor import hot_cursor

SECRET_CONTEXT = "terminal.secret"


def max_body_bytes(request=None) -> int:
    """64 KiB for every call, except the calls that carry a photo (faces, AI-box snapshots: 4 MiB)."""
    if request is not None and request.path.rstrip("/").endswith(_IMAGE_SUFFIXES):
        return int(getattr(settings, "ZHUCAN_API_MAX_IMAGE_BODY_BYTES", 4 * 1024 * 1024))
    return int(getattr(settings, "ZHUCAN_API_MAX_BODY_BYTES", 64 * 1024))


_IMAGE_SUFFIXES = ("/faces/identify", "/faces/verify", "/faces/enrol", "/video/events")


def clock_window_seconds() -> int:
    return int(getattr(settings, "ZHUCAN_API_CLOCK_WINDOW_SECONDS", 300))


def header(request, name: str) -> str:
    """A request header, read from the WSGI environ (`request.headers` parses every header first).
    A value the database could not store is refused here, before it reaches a query."""
    value = request.META.get("HTTP_" + name.upper().replace("-", "_"), "")
    if not text.is_storable(value):
        raise text.text_not_storable(field=name)
    return value


def _header(request, name: str) -> str:
    value = header(request, name).strip()
    if not value:
        raise api_error("SIGNATURE_MISSING", header=name)
    return value


def _read_body(request) -> bytes:
    limit = max_body_bytes(request)
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
    _maybe_prune(now)


def _maybe_prune(now) -> None:
    # A nonce older than twice the window cannot come back: its request's timestamp is stale by then.
    if random.random() < float(getattr(settings, "ZHUCAN_API_NONCE_PRUNE_PROBABILITY", 0.01)):
        TerminalNonce.objects.filter(seen_at__lt=now - timedelta(seconds=2 * clock_window_seconds() + 60)).delete()


def _check_canteen(request, terminal: Terminal, data) -> None:
    named = [request.GET.get("canteen_id") if request.META.get("QUERY_STRING") else None]
    if isinstance(data, dict):
        named.append(data.get("canteen_id"))
    for value in named:
        if value is None or value == "":
            continue
        if isinstance(value, int | float) and not isinstance(value, bool):
            same = value == terminal.canteen_id  # JSON's 5.0 is 5
        else:
            same = str(value).strip() == str(terminal.canteen_id)
        if not same:
            raise api_error("CANTEEN_MISMATCH", field="canteen_id")


def _terminal_sql(where: str) -> str:
    from zhucan.canteens.models import Canteen
    from zhucan.regions.models import Region

    return (f"SELECT {rows.columns(Terminal, 't')}, {rows.columns(Canteen, 'c')}, {rows.columns(Region, 'r')} "
            f"FROM {Terminal._meta.db_table} t JOIN canteens_canteen c ON c.id = t.canteen_id "
            f"JOIN regions_region r ON r.id = c.region_id WHERE {where}")


@cache
def _select_sql() -> str:
    return _terminal_sql("t.key_id = %s")


@cache
def _select_and_nonce_sql() -> str:
    """PostgreSQL, one round trip: the terminal row (as it is now: revocation, canteen) and, only if
    the terminal is not revoked and its secret is still the one the signature was verified with,
    the nonce (a nonce seen before inserts nothing)."""
    inner = _terminal_sql("t.key_id = %(key)s").replace("SELECT ", "SELECT t.id AS _tid, t.revoked_at AS _trev, "
                                                         "t.secret_encrypted AS _tsec, ", 1)
    return (f"WITH tr AS ({inner}), "
            f"n AS (INSERT INTO {TerminalNonce._meta.db_table} (terminal_id, nonce, seen_at) "
            "SELECT _tid, %(nonce)s, %(now)s FROM tr WHERE _trev IS NULL AND _tsec = %(enc)s "
            "ON CONFLICT (terminal_id, nonce) DO NOTHING RETURNING id) "
            "SELECT tr.*, (SELECT count(*) FROM n) FROM tr")


def _terminal_from(values) -> Terminal:
    from zhucan.canteens.models import Canteen
    from zhucan.regions.models import Region

    nt, nc = rows.width(Terminal), rows.width(Canteen)
    terminal = rows.build(Terminal, values[:nt])
    canteen = rows.build(Canteen, values[nt:nt + nc])
    canteen.region = rows.build(Region, values[nt + nc:])
    terminal.canteen = canteen
    return terminal


# key_id -> (the terminal, canteen and region row values, the instances built from them). Every
# request reads the rows again (revocation, a canteen closed or reconfigured, last_seen_at); only
# when they are exactly as last time are the instances reused instead of rebuilt. They are shared
# by the requests of this process: request code reads `request.auth` and its canteen, never
# assigns to them (changes go through the database, and the next request sees new rows). What
# they cache on first access (a region's parent) lives as long as they do, like the canteen's
# checkout context (checkout/context.py), which the division tree changing would not refresh either.
_built: dict[str, tuple[tuple, Terminal]] = {}


def _terminal_cached(key_id: str, values) -> Terminal:
    values = tuple(values)
    cached = _built.get(key_id)
    if cached is not None and cached[0] == values:
        return cached[1]
    terminal = _terminal_from(values)
    _built[key_id] = (values, terminal)
    return terminal


def _load_terminal(key_id: str) -> Terminal | None:
    with connection.cursor() as cur:
        cur.execute(_select_sql(), [key_id])
        row = cur.fetchone()
    return _terminal_from(row) if row is not None else None


# key_id -> (secret as stored, secret): the AEAD decryption is cached, never the checks. A rotated
# secret changes the stored ciphertext, which the one-statement path compares before recording.
_secrets: dict[str, tuple[str, str]] = {}


def _secret_of(terminal: Terminal) -> str:
    cached = _secrets.get(terminal.key_id)
    if cached is not None and cached[0] == terminal.secret_encrypted:
        return cached[1]
    secret = crypto.decrypt(terminal.secret_encrypted, context=SECRET_CONTEXT)
    _secrets[terminal.key_id] = (terminal.secret_encrypted, secret)
    return secret


def _fast_terminal(request, key_id: str, timestamp: str, nonce: str, signature: str, body: bytes, now):
    """PostgreSQL with the terminal's secret known to this process: verify the signature first,
    then read the terminal and record the nonce in one statement. Returns None whenever the
    ordinary path must decide (unknown key, stale, bad or outdated signature)."""
    db = connections[DEFAULT_DB_ALIAS]
    if db.vendor != "postgresql":
        return None
    cached = _secrets.get(key_id)
    if cached is None or not timestamp.isdigit() or abs(int(timestamp) - now.timestamp()) > clock_window_seconds():
        return None
    if not signing.NONCE_RE.match(nonce) or not signing.SIGNATURE_RE.match(signature):
        return None
    if not signing.verify(cached[1], request.method, request.get_full_path(), timestamp, nonce, body, signature):
        return None
    cur = hot_cursor()
    cur.execute(_select_and_nonce_sql(), {"key": key_id, "nonce": nonce, "enc": cached[0], "now": now})
    row = cur.fetchone()
    if row is None:
        raise api_error("TERMINAL_UNKNOWN")
    _tid, revoked, stored, *values, inserted = row
    if stored != cached[0]:
        return None  # the secret was rotated: verify again with the new one
    if revoked is not None:
        raise api_error("TERMINAL_REVOKED")
    if not inserted:
        raise api_error("NONCE_REUSED")
    _maybe_prune(now)
    return _terminal_cached(key_id, values)


def authenticate_request(request) -> Terminal:
    """Verify the signature headers of `request`; returns the terminal or raises a DomainError.
    Leaves the parsed JSON body on `request.api_json` (None when the body is empty)."""
    if request.META.get("QUERY_STRING"):
        text.require_storable(dict(request.GET.lists()))
    key_id = _header(request, signing.HEADER_KEY)[:40]
    timestamp = _header(request, signing.HEADER_TIMESTAMP)
    nonce = _header(request, signing.HEADER_NONCE)
    signature = _header(request, signing.HEADER_SIGNATURE)
    body = _read_body(request)
    now = clock.real_now()
    terminal = _fast_terminal(request, key_id, timestamp, nonce, signature, body, now)
    if terminal is None:
        terminal = _load_terminal(key_id)
        if terminal is None:
            raise api_error("TERMINAL_UNKNOWN")
        window = clock_window_seconds()
        if not timestamp.isdigit() or abs(int(timestamp) - now.timestamp()) > window:
            raise api_error("TIMESTAMP_STALE", window=window)
        if not signing.NONCE_RE.match(nonce) or not signing.SIGNATURE_RE.match(signature):
            raise api_error("SIGNATURE_INVALID")
        secret = _secret_of(terminal)
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
