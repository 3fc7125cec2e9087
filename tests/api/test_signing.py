"""The canonical string and the HMAC, as vendors compute them."""

from __future__ import annotations

import hashlib
import hmac

from zhucan.api import signing


def test_canonical_string_is_five_lines():
    text = signing.canonical("post", "/api/v1/meals/commit?x=1", 1748835000, "n" * 16, b'{"a":1}')
    assert text.split("\n") == ["POST", "/api/v1/meals/commit?x=1", "1748835000", "n" * 16,
                                hashlib.sha256(b'{"a":1}').hexdigest()]
    assert not text.endswith("\n")


def test_empty_body_digest_is_sha256_of_nothing():
    assert signing.body_digest(b"") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def test_sign_is_hmac_sha256_hex_and_verifies():
    sig = signing.sign("s3cret", "GET", "/api/v1/canteen/menu", "1748835000", "abcdefghijklmnop", b"")
    expected = hmac.new(b"s3cret", signing.canonical("GET", "/api/v1/canteen/menu", 1748835000,
                                                     "abcdefghijklmnop", b"").encode(), hashlib.sha256).hexdigest()
    assert sig == expected and len(sig) == 64
    assert signing.verify("s3cret", "GET", "/api/v1/canteen/menu", "1748835000", "abcdefghijklmnop", b"", sig.upper())
    assert not signing.verify("other", "GET", "/api/v1/canteen/menu", "1748835000", "abcdefghijklmnop", b"", sig)
    assert not signing.verify("s3cret", "GET", "/api/v1/canteen/menu?x=1", "1748835000", "abcdefghijklmnop", b"",
                              sig)


def test_known_vector():
    """A fixed vector for vendors' own implementations (also in docs/integration.md)."""
    sig = signing.sign("test-secret", "POST", "/api/v1/meals/quote", 1748835000, "0123456789abcdef",
                       b'{"items":[{"dish_id":1,"quantity":1}]}')
    assert sig == signing.sign("test-secret", "POST", "/api/v1/meals/quote", "1748835000", "0123456789abcdef",
                               b'{"items":[{"dish_id":1,"quantity":1}]}')
    assert sig == KNOWN


KNOWN = "f01c6167d963b0158c1dce1f76cb689885683648bb9c76d572aa88de1dd49637"


def test_request_digest_ignores_key_order_and_whitespace_but_not_the_operation():
    a = signing.request_digest("commit", {"b": 1, "a": [1, 2]})
    assert a == signing.request_digest("commit", {"a": [1, 2], "b": 1})
    assert a != signing.request_digest("report", {"a": [1, 2], "b": 1})
    assert signing.canonical_json({"名": "张", "a": 1}) == '{"a":1,"名":"张"}'


def test_signed_headers_carry_everything():
    h = signing.signed_headers("tk_1", "s", "GET", "/api/v1/canteen/menu", timestamp=5, nonce="x" * 16)
    assert h == {"X-Zhucan-Key": "tk_1", "X-Zhucan-Timestamp": "5", "X-Zhucan-Nonce": "x" * 16,
                 "X-Zhucan-Signature": signing.sign("s", "GET", "/api/v1/canteen/menu", 5, "x" * 16, b"")}
    assert signing.NONCE_RE.match(signing.new_nonce())
