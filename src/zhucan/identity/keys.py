"""The platform's QR signing keys: creation, rotation, and the sets terminals fetch.

Rotation (`zhucan qr_rotate_key`): a new key is created and becomes the one that signs; the keys it
replaces are retired but keep verifying until the last token they signed expires — a dynamic code
within a minute, a printed card code after years. `--stage` publishes a key before it signs, so
terminals that refresh the key set hourly already know it when it takes over.
"""

from __future__ import annotations

import base64
from datetime import datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q

from zhucan.core import clock, crypto
from zhucan.core.audit import audit_record
from zhucan.identity import tokens
from zhucan.identity.models import CardCode, CardCodeRevocation, SigningKey

KEY_CONTEXT = "identity.signing_key"
_private_cache: dict[str, Ed25519PrivateKey] = {}


def qr_ttl() -> timedelta:
    return timedelta(seconds=getattr(settings, "ZHUCAN_QR_TTL_SECONDS", 60))


def card_code_lifetime() -> timedelta:
    return timedelta(days=getattr(settings, "ZHUCAN_CARD_CODE_DAYS", 3 * 365 + 1))


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _create(*, now: datetime, activate: bool) -> SigningKey:
    private = Ed25519PrivateKey.generate()
    raw = tokens.private_key_bytes(private)
    kid = tokens.new_kid()
    while SigningKey.objects.filter(kid=kid).exists():
        kid = tokens.new_kid()
    return SigningKey.objects.create(
        kid=kid,
        private_key_encrypted=crypto.encrypt(_b64(raw), context=KEY_CONTEXT),
        public_key=_b64(tokens.public_key_bytes(private.public_key())),
        created_at=now,
        activated_at=now if activate else None,
    )


def _verify_until(key: SigningKey, now: datetime) -> datetime:
    """The latest moment a token signed by `key` may still be valid (card codes included)."""
    latest_card = (CardCode.objects.filter(kid=key.kid, revocation__isnull=True)
                   .aggregate(latest=Max("expires_at"))["latest"])
    horizon = now + qr_ttl() + tokens.DEFAULT_LEEWAY
    return max(horizon, latest_card) if latest_card else horizon


def signing_key_rotate(*, actor=None, stage: bool = False) -> SigningKey:
    """Make a new key the signing key (or, with `stage`, publish it without signing yet). A staged
    key, if one exists, is the one that takes over. Returns the key created or activated."""
    now = clock.real_now()
    with transaction.atomic():
        if stage:
            key = _create(now=now, activate=False)
            audit_record(actor=actor, action="identity.key_stage", obj=key, after={"kid": key.kid})
            return key
        key = SigningKey.objects.select_for_update().filter(activated_at__isnull=True).order_by("created_at").first()
        if key is None:
            key = _create(now=now, activate=True)
        else:
            key.activated_at = now
            key.save(update_fields=["activated_at"])
        retired = []
        for old in SigningKey.objects.select_for_update().filter(activated_at__isnull=False, retired_at__isnull=True
                                                                 ).exclude(pk=key.pk):
            old.retired_at = now
            old.verify_until = _verify_until(old, now)
            old.save(update_fields=["retired_at", "verify_until"])
            retired.append({"kid": old.kid, "verify_until": old.verify_until.isoformat()})
        audit_record(actor=actor, action="identity.key_rotate", obj=key,
                     after={"kid": key.kid, "retired": retired})
    return key


def signing_key_current() -> tuple[SigningKey, Ed25519PrivateKey]:
    """The newest active key and its private key (decrypted once per process). A platform without
    any key yet creates its first one."""
    key = (SigningKey.objects.filter(activated_at__isnull=False, retired_at__isnull=True)
           .order_by("-activated_at", "-id").first())
    if key is None:
        key = signing_key_rotate(actor=None)
    private = _private_cache.get(key.kid)
    if private is None:
        raw = _unb64(crypto.decrypt(key.private_key_encrypted, context=KEY_CONTEXT))
        private = Ed25519PrivateKey.from_private_bytes(raw)
        _private_cache[key.kid] = private
    return key, private


def _verifying(now: datetime):
    return SigningKey.objects.filter(activated_at__isnull=False).filter(
        Q(retired_at__isnull=True) | Q(verify_until__gt=now))


def verification_keys(now: datetime) -> dict[str, Ed25519PublicKey]:
    """kid → public key of every key whose tokens may still be valid at `now`."""
    return {kid: Ed25519PublicKey.from_public_bytes(_unb64(public))
            for kid, public in _verifying(now).values_list("kid", "public_key")}


def public_key_set(now: datetime) -> dict:
    """What `/identity/keys.json` serves: staged, signing and still-verifying keys."""
    keys = SigningKey.objects.filter(Q(activated_at__isnull=True) | Q(retired_at__isnull=True)
                                     | Q(verify_until__gt=now)).order_by("created_at", "id")
    out = {}
    for key in keys:
        status = "staged" if key.activated_at is None else ("retired" if key.retired_at else "signing")
        out[key.kid] = {
            "alg": "Ed25519",
            "public_key": key.public_key,
            "status": status,
            "not_before": key.activated_at.isoformat() if key.activated_at else None,
            "retired_at": key.retired_at.isoformat() if key.retired_at else None,
            "verify_until": key.verify_until.isoformat() if key.verify_until else None,
        }
    return {"format": "zhucan.elder-qr.keys.v1", "generated_at": now.isoformat(),
            "token_prefix": tokens.PREFIX, "max_dynamic_ttl_seconds": int(qr_ttl().total_seconds()),
            "keys": out}


def revocation_list(now: datetime) -> dict:
    """What `/identity/revoked.json` serves: revoked card codes not yet expired (ids only)."""
    rows = (CardCodeRevocation.objects.filter(card_code__expires_at__gt=now)
            .order_by("revoked_at", "id").values_list("card_code__code_id", "card_code__expires_at", "revoked_at"))
    return {"format": "zhucan.elder-qr.revoked.v1", "generated_at": now.isoformat(),
            "revoked": [{"code_id": code_id, "expires_at": exp.isoformat(), "revoked_at": at.isoformat()}
                        for code_id, exp, at in rows]}
