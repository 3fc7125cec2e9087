"""Field encryption and blind indexes for sensitive personal information (PIPL).

ID numbers are stored as AES-256-GCM ciphertext (`v1:` + base64url(nonce || ciphertext)); exact
lookup uses a keyed HMAC-SHA256 "blind index" so the table is never decrypted to search it. The
two keys are separate: leaking the index key does not reveal plaintexts, and the data key can be
rotated by re-encrypting (the `v1` prefix names the key version).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings


class DecryptionError(Exception):
    pass


def _key(setting_name: str) -> bytes:
    raw = getattr(settings, setting_name)
    key = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
    if len(key) != 32:
        raise ValueError(f"{setting_name} must be 32 bytes, base64url-encoded")
    return key


@lru_cache(maxsize=4)
def _aead(raw_key: str) -> AESGCM:
    return AESGCM(_key("ZHUCAN_DATA_KEY"))


def encrypt(plaintext: str, *, context: str) -> str:
    """Encrypt `plaintext`; `context` (e.g. "elder.id_number") is bound as associated data."""
    nonce = os.urandom(12)
    sealed = _aead(settings.ZHUCAN_DATA_KEY).encrypt(nonce, plaintext.encode(), context.encode())
    return "v1:" + base64.urlsafe_b64encode(nonce + sealed).decode()


def decrypt(token: str, *, context: str) -> str:
    if not token.startswith("v1:"):
        raise DecryptionError("unknown ciphertext version")
    blob = base64.urlsafe_b64decode(token[3:])
    try:
        plain = _aead(settings.ZHUCAN_DATA_KEY).decrypt(blob[:12], blob[12:], context.encode())
    except Exception as exc:  # InvalidTag: wrong key or tampered data
        raise DecryptionError("ciphertext cannot be decrypted with the configured key") from exc
    return plain.decode()


def blind_index(value: str, *, purpose: str) -> str:
    """Keyed, deterministic digest for exact-match lookup; `purpose` separates index domains."""
    key = _key("ZHUCAN_INDEX_KEY")
    return hmac.new(key, f"{purpose}\x00{value}".encode(), hashlib.sha256).hexdigest()
