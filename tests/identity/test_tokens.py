"""The token format, verified offline: no database, no Django (tokens.py is pure)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from zhucan.identity import tokens
from zhucan.identity.tokens import TokenError

T0 = datetime(2025, 6, 2, 3, 30, tzinfo=UTC)
KEY = Ed25519PrivateKey.generate()
KID = "0a1b2c3d"
HANDLE = bytes(range(12))


def make(*, kind=tokens.KIND_DYNAMIC, lifetime=timedelta(seconds=60), key=KEY, kid=KID, at=T0):
    payload = tokens.new_payload(kind=kind, kid=kid, handle=HANDLE, issued_at=at, lifetime=lifetime)
    return tokens.sign(payload, key), payload


def refused(token, *, keys=None, now=T0 + timedelta(seconds=10)) -> str:
    with pytest.raises(TokenError) as caught:
        tokens.verify(token, {KID: KEY.public_key()} if keys is None else keys, now)
    return caught.value.code


def test_round_trip_and_layout():
    token, payload = make()
    assert token.startswith("ZC1.") and len(token) == tokens.TOKEN_CHARS == 146
    claims = tokens.verify(token, {KID: KEY.public_key()}, T0 + timedelta(seconds=30))
    assert (claims.kind_name, claims.kid, claims.handle) == ("dynamic", KID, HANDLE)
    assert claims.issued_at == T0 and claims.expires_at == T0 + timedelta(seconds=60)
    assert claims.nonce == payload.nonce and len(claims.nonce_hash) == 64
    raw = base64.urlsafe_b64decode(token[4:] + "==")
    assert len(raw) == 42 + 64 and raw[0] == 1 and raw[1] == 1 and raw[2:6].hex() == KID and raw[6:18] == HANDLE


def test_raw_public_key_bytes_are_accepted():
    token, _ = make()
    claims = tokens.verify(token, {KID: tokens.public_key_bytes(KEY.public_key())}, T0)
    assert claims.kid == KID


def test_every_token_is_different():
    assert make()[0] != make()[0]  # fresh nonce each time


def test_expired():
    token, _ = make()
    assert refused(token, now=T0 + timedelta(seconds=66)) == "QR_EXPIRED"
    tokens.verify(token, {KID: KEY.public_key()}, T0 + timedelta(seconds=64))  # within the 5 s leeway


def test_not_yet_valid():
    token, _ = make()
    assert refused(token, now=T0 - timedelta(seconds=30)) == "QR_NOT_YET_VALID"


@pytest.mark.parametrize("position", [0, 1, 3, 10, 20, 30, 60, 100, 105])
def test_forged_flip_a_byte(position):
    token, _ = make()
    raw = bytearray(base64.urlsafe_b64decode(token[4:] + "=="))
    raw[min(position, len(raw) - 1)] ^= 0x01
    forged = "ZC1." + base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
    # A flipped version/kind byte is malformed, a flipped kid an unknown key, times may end up
    # inconsistent (malformed); anything else — handle, nonce, signature — is a bad signature.
    assert refused(forged) in {"QR_BAD_SIGNATURE", "QR_MALFORMED", "QR_UNKNOWN_KEY"}
    if position >= 26 or 6 <= position < 18:
        assert refused(forged) == "QR_BAD_SIGNATURE"


def test_forged_longer_expiry_is_a_bad_signature():
    token, _ = make()
    raw = bytearray(base64.urlsafe_b64decode(token[4:] + "=="))
    raw[22:26] = int((T0 + timedelta(days=365)).timestamp()).to_bytes(4, "big")
    forged = "ZC1." + base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
    assert refused(forged) == "QR_BAD_SIGNATURE"


def test_wrong_key_same_kid():
    token, _ = make(key=Ed25519PrivateKey.generate())
    assert refused(token) == "QR_BAD_SIGNATURE"


def test_unknown_kid():
    token, _ = make(kid="ffffffff")
    assert refused(token) == "QR_UNKNOWN_KEY"
    assert refused(make()[0], keys={}) == "QR_UNKNOWN_KEY"


@pytest.mark.parametrize("text", [
    "https://weixin.qq.com/r/abc123",  # another system's QR (a URL)
    "WIFI:S:canteen;T:WPA;P:secret;;",
    "",
    "ZC1.",
    "ZC1.!!!!",
    "zc1.AAAA",
    "ZC2." + "A" * 142,
])
def test_other_systems_and_garbage_are_malformed(text):
    assert refused(text) == "QR_MALFORMED"


def test_truncated():
    token, _ = make()
    for cut in (1, 2, 10, 70):
        assert refused(token[:-cut]) == "QR_MALFORMED"
    assert refused(token + "A") == "QR_MALFORMED"


def test_unknown_version_or_kind_is_malformed():
    token, _ = make()
    raw = bytearray(base64.urlsafe_b64decode(token[4:] + "=="))
    for index, value in ((0, 2), (1, 9)):
        bad = bytearray(raw)
        bad[index] = value
        assert refused("ZC1." + base64.urlsafe_b64encode(bytes(bad)).rstrip(b"=").decode()) == "QR_MALFORMED"


def test_surrounding_whitespace_from_a_scanner_is_tolerated():
    token, _ = make()
    assert tokens.verify(f" {token}\r\n", {KID: KEY.public_key()}, T0).kid == KID


def test_card_kind_long_lifetime():
    token, _ = make(kind=tokens.KIND_CARD, lifetime=timedelta(days=1096))
    claims = tokens.verify(token, {KID: KEY.public_key()}, T0 + timedelta(days=1000))
    assert claims.kind_name == "card" and claims.code_id == claims.nonce.hex()


def test_pure_module_imports_no_django():
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(tokens))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)} | {
        a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not any(name and name.startswith(("django", "zhucan")) for name in imported)
