"""Request signing for API v1: HMAC-SHA256 over a canonical string. Pure standard library.

The canonical string is five lines joined by "\\n" (no trailing newline)::

    METHOD            upper case, e.g. POST
    PATH              the request path with its query string, as sent: /api/v1/elders/5/usage?x=1
    TIMESTAMP         unix seconds, decimal
    NONCE             16–64 characters [A-Za-z0-9_-], never reused by the same terminal
    SHA256_HEX(BODY)  lower-case hex digest of the raw body bytes (of b"" when there is no body)

The signature is the lower-case hex HMAC-SHA256 of that string, keyed with the terminal's secret
(UTF-8). docs/examples/vendor_client.py carries a copy of these few lines for vendors; a test keeps
the two in agreement.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import time
from typing import Any

HEADER_KEY = "X-Zhucan-Key"
HEADER_TIMESTAMP = "X-Zhucan-Timestamp"
HEADER_NONCE = "X-Zhucan-Nonce"
HEADER_SIGNATURE = "X-Zhucan-Signature"
HEADER_IDEMPOTENCY = "Idempotency-Key"

NONCE_RE = re.compile(r"^[A-Za-z0-9_\-]{16,64}$")
SIGNATURE_RE = re.compile(r"^[0-9a-fA-F]{64}$")


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def canonical(method: str, path: str, timestamp: int | str, nonce: str, body: bytes) -> str:
    """The string that is signed (see the module docstring)."""
    return "\n".join([method.upper(), path, str(timestamp), nonce, body_digest(body)])


def sign(secret: str, method: str, path: str, timestamp: int | str, nonce: str, body: bytes) -> str:
    message = canonical(method, path, timestamp, nonce, body).encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify(secret: str, method: str, path: str, timestamp: int | str, nonce: str, body: bytes,
           signature: str) -> bool:
    """Constant-time comparison of the expected and the given signature."""
    expected = sign(secret, method, path, timestamp, nonce, body)
    return hmac.compare_digest(expected, signature.strip().lower())


def new_nonce() -> str:
    return secrets.token_hex(16)


def signed_headers(key_id: str, secret: str, method: str, path: str, body: bytes = b"", *,
                   timestamp: int | None = None, nonce: str | None = None) -> dict[str, str]:
    """The four signature headers for one request (what a client sends)."""
    ts = int(time.time()) if timestamp is None else int(timestamp)
    nonce = nonce or new_nonce()
    return {
        HEADER_KEY: key_id,
        HEADER_TIMESTAMP: str(ts),
        HEADER_NONCE: nonce,
        HEADER_SIGNATURE: sign(secret, method, path, ts, nonce, body),
    }


def canonical_json(data: Any) -> str:
    """Sorted keys, no insignificant whitespace, UTF-8: equal documents give equal text."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def request_digest(operation: str, data: Any) -> str:
    """What a write's idempotency record remembers: SHA-256 of the operation and the canonical JSON
    body. The operation is included so that one key cannot be both a void and a refund."""
    return hashlib.sha256(f"{operation}\n{canonical_json(data)}".encode()).hexdigest()
