"""Signed elder QR tokens (长者码): compact binary claims + Ed25519, as base64url text.

Pure Python on `cryptography`: no Django, so a canteen terminal verifies a code OFFLINE with the
platform's published public keys (HZ-9: every elder identified at every designated canteen).

Text form: ``ZC1.`` + base64url(payload ‖ signature), no padding (146 characters → a version-8 QR
code at error correction M). Payload, big-endian, 42 bytes:

    offset size  field
    0      1     version (1)
    1      1     kind: 1 = dynamic phone code (60 s), 2 = printed card code (years, revocable)
    2      4     key id (kid; 8 hex digits in the public key set)
    6      12    elder handle: opaque random bytes per elder (never the database id or ID number)
    18     4     issued at, Unix seconds (uint32)
    22     4     expires at, Unix seconds (uint32)
    26     16    nonce (random; single-use key of a dynamic code, id of a card code)
    42     64    Ed25519 signature over SIGNING_CONTEXT ‖ payload

The signature covers a domain-separation prefix so that a signature made by these keys for any
other purpose can never be replayed as an elder code.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import struct
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

PREFIX = "ZC1."
VERSION = 1
SIGNING_CONTEXT = b"zhucan.elder-qr.v1\x00"
KIND_DYNAMIC = 1
KIND_CARD = 2
KINDS = {KIND_DYNAMIC: "dynamic", KIND_CARD: "card"}
HANDLE_BYTES = 12
NONCE_BYTES = 16
KID_BYTES = 4
_LAYOUT = struct.Struct(f">BB{KID_BYTES}s{HANDLE_BYTES}sII{NONCE_BYTES}s")
PAYLOAD_BYTES = _LAYOUT.size  # 42
SIGNATURE_BYTES = 64
TOKEN_BYTES = PAYLOAD_BYTES + SIGNATURE_BYTES  # 106
TOKEN_CHARS = len(PREFIX) + (TOKEN_BYTES * 4 + 2) // 3  # 146
_B64_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")

# Clock difference tolerated between the platform (which issued) and a terminal (which verifies).
DEFAULT_LEEWAY = timedelta(seconds=5)


class TokenError(Exception):
    """A refused token. `code` is stable: QR_MALFORMED, QR_UNKNOWN_KEY, QR_BAD_SIGNATURE,
    QR_EXPIRED, QR_NOT_YET_VALID."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class Payload:
    kind: int
    kid: str  # 8 hex digits
    handle: bytes
    issued_at: datetime
    expires_at: datetime
    nonce: bytes
    version: int = VERSION

    def pack(self) -> bytes:
        if self.kind not in KINDS:
            raise ValueError(f"unknown kind {self.kind}")
        if len(self.handle) != HANDLE_BYTES or len(self.nonce) != NONCE_BYTES:
            raise ValueError("handle must be 12 bytes and nonce 16 bytes")
        if self.expires_at <= self.issued_at:
            raise ValueError("expiry must come after issue")
        return _LAYOUT.pack(self.version, self.kind, kid_bytes(self.kid), self.handle,
                            _seconds(self.issued_at), _seconds(self.expires_at), self.nonce)


@dataclass(frozen=True)
class Claims(Payload):
    """What a verified token says. `nonce_hash` is the single-use key stored at identification."""

    @property
    def kind_name(self) -> str:
        return KINDS[self.kind]

    @property
    def nonce_hash(self) -> str:
        return hashlib.sha256(self.nonce).hexdigest()

    @property
    def code_id(self) -> str:
        """The id of a card code (its nonce, hex): what a revocation names."""
        return self.nonce.hex()


def new_payload(*, kind: int, kid: str, handle: bytes, issued_at: datetime, lifetime: timedelta) -> Payload:
    """A payload with a fresh random nonce; times are truncated to whole seconds."""
    issued = issued_at.astimezone(UTC).replace(microsecond=0)
    return Payload(kind=kind, kid=kid, handle=handle, issued_at=issued, expires_at=issued + lifetime,
                   nonce=os.urandom(NONCE_BYTES))


def sign(payload: Payload, private_key: Ed25519PrivateKey) -> str:
    body = payload.pack()
    signature = private_key.sign(SIGNING_CONTEXT + body)
    return PREFIX + base64.urlsafe_b64encode(body + signature).rstrip(b"=").decode("ascii")


def parse(token: str) -> tuple[Claims, bytes, bytes]:
    """Structure only (no signature, no time): (claims, signed bytes, signature) or QR_MALFORMED."""
    if not isinstance(token, str):
        raise TokenError("QR_MALFORMED", "not text")
    text = token.strip()
    if not text.startswith(PREFIX):
        raise TokenError("QR_MALFORMED", "not a Zhucan elder code")
    body = text[len(PREFIX):]
    if len(body) != TOKEN_CHARS - len(PREFIX) or not set(body) <= _B64_ALPHABET:
        raise TokenError("QR_MALFORMED", "wrong length or characters (truncated?)")
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError) as exc:
        raise TokenError("QR_MALFORMED", "bad base64") from exc
    if len(raw) != TOKEN_BYTES:
        raise TokenError("QR_MALFORMED", "wrong length")
    payload, signature = raw[:PAYLOAD_BYTES], raw[PAYLOAD_BYTES:]
    version, kind, kid, handle, iat, exp, nonce = _LAYOUT.unpack(payload)
    if version != VERSION:
        raise TokenError("QR_MALFORMED", f"unsupported version {version}")
    if kind not in KINDS:
        raise TokenError("QR_MALFORMED", f"unknown kind {kind}")
    if exp <= iat:
        raise TokenError("QR_MALFORMED", "expiry before issue")
    claims = Claims(kind=kind, kid=kid.hex(), handle=handle, issued_at=_moment(iat), expires_at=_moment(exp),
                    nonce=nonce, version=version)
    return claims, payload, signature


def verify(token: str, public_keys: dict, now: datetime, *, leeway: timedelta = DEFAULT_LEEWAY) -> Claims:
    """Check a token offline: structure, key, signature, then time. `public_keys` maps kid (hex) to
    an Ed25519PublicKey or its 32 raw bytes. Raises TokenError; never touches a database."""
    claims, payload, signature = parse(token)
    key = public_keys.get(claims.kid)
    if key is None:
        raise TokenError("QR_UNKNOWN_KEY", f"kid {claims.kid}")
    if isinstance(key, bytes | bytearray):
        key = Ed25519PublicKey.from_public_bytes(bytes(key))
    try:
        key.verify(signature, SIGNING_CONTEXT + payload)
    except InvalidSignature as exc:
        raise TokenError("QR_BAD_SIGNATURE") from exc
    if now.tzinfo is None:
        raise ValueError("naive datetime: `now` must carry its timezone")
    if now + leeway < claims.issued_at:
        raise TokenError("QR_NOT_YET_VALID")
    if now - leeway >= claims.expires_at:
        raise TokenError("QR_EXPIRED")
    return claims


def kid_bytes(kid: str) -> bytes:
    raw = bytes.fromhex(kid)
    if len(raw) != KID_BYTES:
        raise ValueError("kid must be 8 hex digits")
    return raw


def new_kid() -> str:
    return os.urandom(KID_BYTES).hex()


def public_key_bytes(key: Ed25519PublicKey) -> bytes:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def private_key_bytes(key: Ed25519PrivateKey) -> bytes:
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

    return key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())


def _seconds(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    value = int(moment.timestamp())
    if not 0 <= value < 2**32:
        raise ValueError("time out of range")
    return value


def _moment(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)
