"""Identification media: cards, elder QR codes, printed card codes and PINs (HZ-9).

Writes (binding cards, issuing and revoking codes, PINs) are services: one transaction, an audit
row inside it, scoped to the elders the actor may change. The checks here (`identify_by_card`,
`identify_by_qr`, `verify_card_code_pin`) are the media's own rules (a lost card, a used or revoked
code, a locked PIN) under the one door every channel identifies through,
`zhucan.identity.identification`; they raise DomainError with stable codes from
`zhucan.identity.errors`, and a refused identification records nothing.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import IntegrityError, transaction

from zhucan.accounts.scoping import get_scoped
from zhucan.canteens.models import Canteen
from zhucan.core import clock, crypto
from zhucan.core.audit import audit_record, snapshot
from zhucan.core.errors import DomainError
from zhucan.elders.models import Elder
from zhucan.identity import keys, tokens
from zhucan.identity.errors import identity_error
from zhucan.identity.models import (
    CanteenIdentitySettings,
    CardCode,
    CardCodeRevocation,
    CardStatus,
    CitizenCard,
    ElderCodeHandle,
    ElderPin,
    QrUse,
    SecondFactor,
)

CARD_CONTEXT = "identity.card"
CARD_AUDITED = ["elder", "number_masked", "status", "issued_at", "reported_lost_at", "replaced_at", "replaced_by"]
_CARD_SHAPE = re.compile(r"^[0-9A-Z]{6,32}$")
# Magnetic-stripe readers wrap track 2 in ";…?" (track 1 in "%…?"); scanners may add spaces.
_SENTINELS = re.compile(r"^[;%]+|[?]+$")


@dataclass(frozen=True)
class Method:
    """How an elder was identified. `name` is what the meal records (checkout's IdentifiedBy:
    "card", "id_number", "qr"); a printed card code ("qr_card") needs a second factor first."""

    name: str
    requires_second_factor: bool = False
    second_factor: str = ""  # "face" | "pin" | "photo" when required
    expires_at: datetime | None = None
    code_id: str = ""  # a printed card code's id (its nonce, hex)

    def __str__(self) -> str:
        return self.name


# ---------------------------------------------------------------------------------------------
# Cards


def strip_reader_input(raw: str) -> str:
    """What a card reader or scanner typed, without the stripe sentinels and spaces."""
    return _SENTINELS.sub("", (raw or "").strip()).strip().replace(" ", "")


def card_number_normalise(raw: str) -> str:
    value = strip_reader_input(raw).replace("-", "").upper()
    if not _CARD_SHAPE.match(value):
        raise identity_error("CARD_NUMBER_INVALID", field="number")
    return value


def card_number_index(number: str) -> str:
    return crypto.blind_index(number, purpose=CARD_CONTEXT)


def card_number_mask(number: str) -> str:
    keep = 4 if len(number) > 10 else 2
    return number[:keep] + "*" * (len(number) - 2 * keep) + number[-keep:]


def _elder_for_change(actor, elder_id: int) -> Elder:
    return get_scoped(Elder.objects.select_related("community"), actor, "change", what_zh="老人", what_en="elder",
                      pk=elder_id)


def _check_number_free(*, elder: Elder, number: str, index: str) -> None:
    """A card number (even of a lost card) never moves to another elder."""
    if CitizenCard.objects.filter(number_index=index).exclude(elder=elder).exists():
        raise identity_error("CARD_NUMBER_TAKEN", field="number")


def _new_card(*, actor, elder: Elder, number: str, index: str, now: datetime) -> CitizenCard:
    try:
        with transaction.atomic():  # a savepoint: a lost race surfaces as a clean refusal
            return CitizenCard.objects.create(
                elder=elder, number_encrypted=crypto.encrypt(number, context=CARD_CONTEXT), number_index=index,
                number_masked=card_number_mask(number), status=CardStatus.ACTIVE, issued_at=now,
                issued_by=actor if getattr(actor, "pk", None) else None)
    except IntegrityError as exc:
        if CitizenCard.objects.filter(elder=elder, status=CardStatus.ACTIVE).exists():
            raise identity_error("CARD_ALREADY_ACTIVE") from exc
        raise identity_error("CARD_NUMBER_TAKEN", field="number") from exc


def card_bind(*, actor, elder_id: int, number: str, ip: str | None = None) -> CitizenCard:
    """Bind a citizen card to an elder (HZ-9: one active card each)."""
    number = card_number_normalise(number)
    index = card_number_index(number)
    elder = _elder_for_change(actor, elder_id)
    now = clock.now()
    with transaction.atomic():
        Elder.objects.select_for_update().filter(pk=elder.pk).first()  # one card change per elder at a time
        if CitizenCard.objects.filter(elder=elder, status=CardStatus.ACTIVE).exists():
            raise identity_error("CARD_ALREADY_ACTIVE")
        _check_number_free(elder=elder, number=number, index=index)
        card = _new_card(actor=actor, elder=elder, number=number, index=index, now=now)
        audit_record(actor=actor, action="identity.card_bind", obj=card, region_path=elder.community.path,
                     after=snapshot(card, CARD_AUDITED), ip=ip)
    return card


def _card_for_change(actor, card_id: int) -> CitizenCard:
    return get_scoped(CitizenCard.objects.select_related("elder__community"), actor, "change",
                      what_zh="卡", what_en="card", pk=card_id)


def card_report_lost(*, actor, card_id: int, ip: str | None = None) -> CitizenCard:
    """Report a card lost (挂失): from now on it identifies nobody."""
    card = _card_for_change(actor, card_id)
    with transaction.atomic():
        card = CitizenCard.objects.select_for_update().select_related("elder__community").get(pk=card.pk)
        if card.status != CardStatus.ACTIVE:
            raise identity_error("CARD_NOT_ACTIVE")
        before = snapshot(card, CARD_AUDITED)
        card.status = CardStatus.LOST
        card.reported_lost_at = clock.now()
        card.reported_lost_by = actor if getattr(actor, "pk", None) else None
        card.save(update_fields=["status", "reported_lost_at", "reported_lost_by"])
        audit_record(actor=actor, action="identity.card_report_lost", obj=card,
                     region_path=card.elder.community.path, before=before, after=snapshot(card, CARD_AUDITED), ip=ip)
    return card


def card_replace(*, actor, card_id: int, new_number: str, ip: str | None = None) -> CitizenCard:
    """Replace a lost or damaged card (补卡): the old row stays as history, pointing to the new."""
    number = card_number_normalise(new_number)
    index = card_number_index(number)
    card = _card_for_change(actor, card_id)
    now = clock.now()
    with transaction.atomic():
        Elder.objects.select_for_update().filter(pk=card.elder_id).first()
        card = CitizenCard.objects.select_for_update().select_related("elder__community").get(pk=card.pk)
        if card.status == CardStatus.REPLACED:
            raise identity_error("CARD_NOT_REPLACEABLE")
        if CitizenCard.objects.filter(elder=card.elder, status=CardStatus.ACTIVE).exclude(pk=card.pk).exists():
            raise identity_error("CARD_ALREADY_ACTIVE")
        _check_number_free(elder=card.elder, number=number, index=index)
        before = snapshot(card, CARD_AUDITED)
        card.status = CardStatus.REPLACED
        card.replaced_at = now
        card.save(update_fields=["status", "replaced_at"])  # first: the elder may have one active card
        new = _new_card(actor=actor, elder=card.elder, number=number, index=index, now=now)
        card.replaced_by = new
        card.save(update_fields=["replaced_by"])
        audit_record(actor=actor, action="identity.card_replace", obj=card, region_path=card.elder.community.path,
                     before=before, after={**snapshot(card, CARD_AUDITED), "new_card": snapshot(new, CARD_AUDITED)},
                     ip=ip)
    return new


def card_history(*, actor, elder_id: int) -> list[CitizenCard]:
    """An elder's cards, newest first (scoped like the elder's record)."""
    elder = get_scoped(Elder.objects.all(), actor, "view", what_zh="老人", what_en="elder", pk=elder_id)
    return list(CitizenCard.objects.filter(elder=elder).order_by("-issued_at", "-id"))


def identify_by_card(*, number: str, canteen: Canteen | None = None) -> Elder:
    """The elder holding this card. Found through the blind index only: the table is never
    decrypted. A lost or replaced card → CARD_REPORTED_LOST / CARD_REPLACED."""
    try:
        number = card_number_normalise(number)
    except DomainError as exc:
        raise identity_error("CARD_UNKNOWN", field="number") from exc
    cards = list(CitizenCard.objects.filter(number_index=card_number_index(number)).select_related("elder"))
    for card in cards:
        if card.status == CardStatus.ACTIVE:
            return card.elder
    if cards:
        latest = max(cards, key=lambda c: (c.issued_at, c.pk))
        if latest.reported_lost_at is not None:
            raise identity_error("CARD_REPORTED_LOST", field="number")
        raise identity_error("CARD_REPLACED", field="number")
    raise identity_error("CARD_UNKNOWN", field="number")




# ---------------------------------------------------------------------------------------------
# Elder QR code (长者码)


def _handle_for(elder: Elder) -> bytes:
    row = ElderCodeHandle.objects.filter(elder_id=elder.pk).first()
    if row is None:
        try:
            with transaction.atomic():
                row = ElderCodeHandle.objects.create(elder_id=elder.pk, handle=os.urandom(tokens.HANDLE_BYTES).hex(),
                                                     created_at=clock.now())
        except IntegrityError:  # created meanwhile by a concurrent request
            row = ElderCodeHandle.objects.get(elder_id=elder.pk)
    return bytes.fromhex(row.handle)


def elder_qr_issue(*, elder: Elder) -> tuple[str, datetime]:
    """A fresh dynamic code for the elder's phone page: (token, expires_at). Valid for
    ZHUCAN_QR_TTL_SECONDS (60 s) and once; the page refreshes it before it expires."""
    key, private = keys.signing_key_current()
    payload = tokens.new_payload(kind=tokens.KIND_DYNAMIC, kid=key.kid, handle=_handle_for(elder),
                                 issued_at=clock.real_now(), lifetime=keys.qr_ttl())
    return tokens.sign(payload, private), payload.expires_at


def _revoke_card_codes(*, actor, elder: Elder, reason: str, now: datetime) -> list[str]:
    live = CardCode.objects.filter(elder=elder, revocation__isnull=True, expires_at__gt=now)
    revoked = []
    for code in live.select_for_update(of=("self",)):
        CardCodeRevocation.objects.create(card_code=code, revoked_at=now, reason=reason,
                                          revoked_by=actor if getattr(actor, "pk", None) else None)
        revoked.append(code.code_id)
    return revoked


def card_code_issue(*, actor, elder_id: int, ip: str | None = None) -> tuple[str, CardCode]:
    """A printed, long-lived card code (长者卡码) for an elder without a phone: (token, record).
    Printing a new one revokes the elder's earlier card codes. Confirmed at the canteen by a second
    factor (face, PIN or the registered photo)."""
    elder = _elder_for_change(actor, elder_id)
    key, private = keys.signing_key_current()
    now = clock.real_now()
    payload = tokens.new_payload(kind=tokens.KIND_CARD, kid=key.kid, handle=_handle_for(elder), issued_at=now,
                                 lifetime=keys.card_code_lifetime())
    token = tokens.sign(payload, private)
    with transaction.atomic():
        revoked = _revoke_card_codes(actor=actor, elder=elder, reason="reissued", now=now)
        code = CardCode.objects.create(code_id=payload.nonce.hex(), elder=elder, kid=key.kid,
                                       issued_at=payload.issued_at, expires_at=payload.expires_at,
                                       issued_by=actor if getattr(actor, "pk", None) else None)
        audit_record(actor=actor, action="identity.card_code_issue", obj=code, region_path=elder.community.path,
                     after={"elder": elder.pk, "kid": key.kid, "expires_at": code.expires_at.isoformat(),
                            "revoked": revoked}, ip=ip)
    return token, code


def card_code_revoke(*, actor, elder_id: int, reason: str = "revoked", ip: str | None = None) -> int:
    """Revoke every live card code of the elder (lost card, moved away…). Returns how many."""
    elder = _elder_for_change(actor, elder_id)
    now = clock.real_now()
    with transaction.atomic():
        revoked = _revoke_card_codes(actor=actor, elder=elder, reason=reason[:100], now=now)
        audit_record(actor=actor, action="identity.card_code_revoke", object_type="elders.elder",
                     object_id=str(elder.pk), object_repr=str(elder)[:200], region_path=elder.community.path,
                     after={"revoked": revoked, "reason": reason[:100]}, ip=ip)
    return len(revoked)


def canteen_card_code_factor(canteen: Canteen) -> str:
    """The second factor this canteen asks for with a printed card code."""
    row = CanteenIdentitySettings.objects.filter(canteen_id=canteen.pk).values_list("card_code_factor",
                                                                                  flat=True).first()
    return row or getattr(settings, "ZHUCAN_CARD_CODE_FACTOR", SecondFactor.PHOTO)


def canteen_card_code_factor_set(*, actor, canteen_id: int, factor: str, ip: str | None = None) -> str:
    """The canteen chooses how a card code is confirmed: face, PIN or the registered photo."""
    if factor not in SecondFactor.values:
        raise identity_error("FACTOR_INVALID", field="factor")
    canteen = get_scoped(Canteen.objects.select_related("region"), actor, "change", what_zh="助餐点",
                         what_en="canteen", pk=canteen_id)
    with transaction.atomic():
        row, _created = CanteenIdentitySettings.objects.select_for_update().get_or_create(canteen=canteen)
        before = {"card_code_factor": row.card_code_factor}
        row.card_code_factor = factor
        row.save(update_fields=["card_code_factor"])
        audit_record(actor=actor, action="identity.canteen_factor_set", obj=canteen,
                     region_path=canteen.region.path, before=before, after={"card_code_factor": factor}, ip=ip)
    return factor


def _token_error(exc: tokens.TokenError) -> DomainError:
    return identity_error(exc.code, field="token")


def identify_by_qr(*, token: str, canteen: Canteen, consume: bool = True) -> tuple[Elder, Method]:
    """The elder behind a presented code. A dynamic code is single-use across all canteens (the
    use is recorded here; call inside the checkout's transaction to undo it if the sale fails); a
    printed card code returns `requires_second_factor` and the canteen's chosen factor.
    Refusals (QR_* codes) record nothing."""
    now = clock.real_now()
    try:
        claims = tokens.verify(token, keys.verification_keys(now), now)
    except tokens.TokenError as exc:
        raise _token_error(exc) from exc
    row = ElderCodeHandle.objects.select_related("elder").filter(handle=claims.handle.hex()).first()
    if row is None:
        raise identity_error("QR_UNKNOWN_ELDER", field="token")
    elder = row.elder
    if claims.kind == tokens.KIND_CARD:
        code = CardCode.objects.filter(code_id=claims.code_id, elder=elder).select_related("revocation").first()
        if code is None or hasattr(code, "revocation"):
            raise identity_error("QR_CARD_CODE_REVOKED", field="token")
        return elder, Method("qr_card", requires_second_factor=True, second_factor=canteen_card_code_factor(canteen),
                             expires_at=claims.expires_at, code_id=claims.code_id)
    if consume:
        try:
            with transaction.atomic():
                QrUse.objects.create(nonce_hash=claims.nonce_hash, elder=elder, canteen=canteen, kid=claims.kid,
                                     used_at=now, expires_at=claims.expires_at)
        except IntegrityError as exc:
            raise identity_error("QR_ALREADY_USED", field="token") from exc
    elif QrUse.objects.filter(nonce_hash=claims.nonce_hash).exists():
        raise identity_error("QR_ALREADY_USED", field="token")
    return elder, Method("qr", expires_at=claims.expires_at)


def qr_use_prune(*, before: datetime | None = None) -> int:
    """Delete single-use records of codes long expired (they are refused as expired anyway)."""
    cutoff = before or (clock.real_now() - keys.qr_ttl() - timedelta(minutes=10))
    deleted, _ = QrUse.objects.filter(expires_at__lt=cutoff).delete()
    return deleted


# ---------------------------------------------------------------------------------------------
# PIN: the second factor of a printed card code

_PIN_SHAPE = re.compile(r"^\d{4,6}$")


def elder_pin_set(*, actor, elder_id: int, pin: str, ip: str | None = None) -> None:
    """Set (or reset) the elder's PIN; stored with Django's password hasher, never in clear."""
    if not _PIN_SHAPE.match(pin or ""):
        raise identity_error("PIN_INVALID", field="pin")
    elder = _elder_for_change(actor, elder_id)
    with transaction.atomic():
        ElderPin.objects.update_or_create(elder=elder, defaults={
            "pin_hash": make_password(pin), "set_at": clock.now(), "failed_count": 0, "locked_until": None})
        audit_record(actor=actor, action="identity.pin_set", object_type="elders.elder", object_id=str(elder.pk),
                     object_repr=str(elder)[:200], region_path=elder.community.path, ip=ip)


def verify_card_code_pin(*, elder: Elder, pin: str, canteen: Canteen | None = None) -> None:
    """Check the PIN given with a printed card code. Wrong → PIN_WRONG; after
    ZHUCAN_PIN_MAX_FAILURES (5) wrong tries the PIN is locked for ZHUCAN_PIN_LOCK_MINUTES (15)."""
    max_failures = getattr(settings, "ZHUCAN_PIN_MAX_FAILURES", 5)
    lock_minutes = getattr(settings, "ZHUCAN_PIN_LOCK_MINUTES", 15)
    now = clock.real_now()
    error = None
    with transaction.atomic():  # the failure count is written, then the refusal raised outside
        row = ElderPin.objects.select_for_update().filter(elder_id=elder.pk).first()
        if row is None:
            raise identity_error("PIN_NOT_SET", field="pin")
        if row.locked_until and row.locked_until > now:
            raise identity_error("PIN_LOCKED", field="pin", minutes=lock_minutes)
        if check_password(pin or "", row.pin_hash):
            if row.failed_count or row.locked_until:
                row.failed_count, row.locked_until = 0, None
                row.save(update_fields=["failed_count", "locked_until"])
            return
        row.failed_count += 1
        error = identity_error("PIN_WRONG", field="pin")
        if row.failed_count >= max_failures:
            row.failed_count, row.locked_until = 0, now + timedelta(minutes=lock_minutes)
            error = identity_error("PIN_LOCKED", field="pin", minutes=lock_minutes)
        row.save(update_fields=["failed_count", "locked_until"])
    raise error
