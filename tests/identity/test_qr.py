"""The elder QR code end to end: issue → render PNG (segno) → decode (zxing-cpp, a real decoder)
→ identify; and every refusal, each recording nothing."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
import segno

from zhucan.core.errors import DomainError
from zhucan.core.models import AuditLog
from zhucan.identity import keys, qr, tokens
from zhucan.identity.models import CardCode, CardCodeRevocation, ElderCodeHandle, ElderPin, QrUse, SigningKey
from zhucan.identity.services import (
    canteen_card_code_factor_set,
    card_code_issue,
    card_code_revoke,
    elder_pin_set,
    elder_qr_issue,
    identify_by_qr,
    verify_card_code_pin,
)

from .conftest import NOON, camera_frame


def refused(token, canteen) -> str:
    before = QrUse.objects.count()
    with pytest.raises(DomainError) as caught:
        identify_by_qr(token=token, canteen=canteen)
    assert QrUse.objects.count() == before  # a refusal records nothing
    assert caught.value.message_zh and caught.value.message_en
    return caught.value.code


def test_render_decode_verify_round_trip(world, noon):
    token, expires_at = elder_qr_issue(elder=world.elder)
    assert expires_at == NOON + timedelta(seconds=60)
    png = qr.render_png(token)
    assert png.startswith(b"\x89PNG")
    assert qr.make(token).version == 8 and qr.make(token).error == "M"
    [decoded] = qr.decode_png(png)
    assert decoded == token
    elder, method = identify_by_qr(token=decoded, canteen=world.canteen)
    assert elder == world.elder and method.name == "qr" and not method.requires_second_factor
    use = QrUse.objects.get()
    assert (use.elder, use.canteen, use.used_at) == (world.elder, world.canteen, NOON)


def test_decode_from_a_degraded_camera_frame(world, noon):
    token, _ = elder_qr_issue(elder=world.elder)
    frame = camera_frame(qr.render_png(token, scale=8), angle=10, blur=2.0)
    assert qr.decode_png(frame) == [token]
    elder, _method = identify_by_qr(token=qr.decode_png(frame)[0], canteen=world.canteen)
    assert elder == world.elder


def test_the_code_carries_no_database_id_or_id_number(world, noon):
    token, _ = elder_qr_issue(elder=world.elder)
    claims = tokens.parse(token)[0]
    handle = ElderCodeHandle.objects.get(elder=world.elder).handle
    assert claims.handle.hex() == handle
    assert world.elder.plain_id_number not in token
    assert elder_qr_issue(elder=world.elder)[0] != token  # a new nonce each refresh, same handle
    assert ElderCodeHandle.objects.count() == 1


def test_expired(world, noon, frozen_clock):
    token, _ = elder_qr_issue(elder=world.elder)
    frozen_clock(NOON + timedelta(seconds=70))
    assert refused(token, world.canteen) == "QR_EXPIRED"


def test_not_yet_valid_from_a_fast_clock(world, noon, frozen_clock):
    token, _ = elder_qr_issue(elder=world.elder)
    frozen_clock(NOON - timedelta(minutes=2))
    assert refused(token, world.canteen) == "QR_NOT_YET_VALID"


def test_forged(world, noon):
    token, _ = elder_qr_issue(elder=world.elder)
    raw = bytearray(base64.urlsafe_b64decode(token[4:] + "=="))
    raw[8] ^= 0x40  # another elder's handle, hoping to eat on their allowance
    forged = "ZC1." + base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
    assert refused(forged, world.canteen) == "QR_BAD_SIGNATURE"


def test_wrong_key_and_unknown_key(world, noon):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    elder_qr_issue(elder=world.elder)  # creates the platform key
    handle = bytes.fromhex(ElderCodeHandle.objects.get(elder=world.elder).handle)
    kid = SigningKey.objects.get().kid
    impostor = Ed25519PrivateKey.generate()
    for use_kid, code in ((kid, "QR_BAD_SIGNATURE"), ("deadbeef", "QR_UNKNOWN_KEY")):
        payload = tokens.new_payload(kind=tokens.KIND_DYNAMIC, kid=use_kid, handle=handle, issued_at=NOON,
                                     lifetime=timedelta(seconds=60))
        assert refused(tokens.sign(payload, impostor), world.canteen) == code


@pytest.mark.parametrize("text", ["https://mp.weixin.qq.com/s/abcdef", "12345678", "ZC1.AAAA"])
def test_another_systems_qr(world, noon, text):
    [decoded] = qr.decode_png(qr.render_png(text))  # what the scanner would read
    assert refused(decoded, world.canteen) == "QR_MALFORMED"


def test_truncated(world, noon):
    token, _ = elder_qr_issue(elder=world.elder)
    assert refused(token[:100], world.canteen) == "QR_MALFORMED"
    assert refused(token[:-1], world.canteen) == "QR_MALFORMED"


def test_signed_for_an_unknown_elder(world, noon):
    key, private = keys.signing_key_current()
    payload = tokens.new_payload(kind=tokens.KIND_DYNAMIC, kid=key.kid, handle=b"\x00" * 12, issued_at=NOON,
                                 lifetime=timedelta(seconds=60))
    assert refused(tokens.sign(payload, private), world.canteen) == "QR_UNKNOWN_ELDER"


def test_replay_at_another_canteen_is_refused(world, noon, frozen_clock):
    token, _ = elder_qr_issue(elder=world.elder)
    identify_by_qr(token=token, canteen=world.canteen)
    frozen_clock(NOON + timedelta(seconds=5))
    assert refused(token, world.other_canteen) == "QR_ALREADY_USED"
    assert refused(token, world.canteen) == "QR_ALREADY_USED"
    assert QrUse.objects.count() == 1 and QrUse.objects.get().canteen == world.canteen


def test_replay_with_a_re_encoded_token_is_still_refused(world, noon):
    token, _ = elder_qr_issue(elder=world.elder)
    identify_by_qr(token=token, canteen=world.canteen)
    # The last base64 character carries 4 unused bits: a variant text decodes to the same bytes.
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet.index(token[-1])
    variant = token[:-1] + alphabet[(last & ~0xF) | ((last + 1) & 0xF)]
    assert variant != token
    assert refused(variant, world.other_canteen) == "QR_ALREADY_USED"


def test_peek_without_consuming(world, noon):
    token, _ = elder_qr_issue(elder=world.elder)
    identify_by_qr(token=token, canteen=world.canteen, consume=False)
    assert not QrUse.objects.exists()
    identify_by_qr(token=token, canteen=world.canteen)
    with pytest.raises(DomainError, match="QR_ALREADY_USED"):
        identify_by_qr(token=token, canteen=world.canteen, consume=False)


def test_use_inside_a_failed_sale_is_undone(world, noon):
    """Called inside the checkout's transaction, a sale that fails releases the code."""
    from django.db import transaction

    token, _ = elder_qr_issue(elder=world.elder)
    with pytest.raises(RuntimeError), transaction.atomic():
        identify_by_qr(token=token, canteen=world.canteen)
        raise RuntimeError("commit refused")
    assert identify_by_qr(token=token, canteen=world.canteen)[0] == world.elder


def test_key_rotation(world, noon, frozen_clock):
    old_token, _ = elder_qr_issue(elder=world.elder)
    old = SigningKey.objects.get()
    new = keys.signing_key_rotate(actor=None)
    new_token, _ = elder_qr_issue(elder=world.elder)
    assert tokens.parse(new_token)[0].kid == new.kid != old.kid
    old.refresh_from_db()
    assert old.retired_at == NOON and old.verify_until == NOON + timedelta(seconds=65)
    # The old key still verifies its last tokens…
    assert identify_by_qr(token=old_token, canteen=world.canteen)[0] == world.elder
    assert identify_by_qr(token=new_token, canteen=world.canteen)[0] == world.elder
    # …and once they have expired it is dropped from the set terminals use.
    frozen_clock(NOON + timedelta(seconds=66))
    assert set(keys.verification_keys(NOON + timedelta(seconds=66))) == {new.kid}
    assert AuditLog.objects.filter(action="identity.key_rotate").count() == 2  # first key + rotation


def test_staged_key_is_published_before_it_signs(world, noon):
    elder_qr_issue(elder=world.elder)
    signing = SigningKey.objects.get()
    staged = keys.signing_key_rotate(stage=True)
    published = keys.public_key_set(NOON)["keys"]
    assert published[staged.kid]["status"] == "staged" and published[signing.kid]["status"] == "signing"
    token, _ = elder_qr_issue(elder=world.elder)
    assert tokens.parse(token)[0].kid == signing.kid  # the staged key does not sign yet
    assert keys.signing_key_rotate() == staged
    assert tokens.parse(elder_qr_issue(elder=world.elder)[0])[0].kid == staged.kid


def test_retired_key_keeps_verifying_card_codes_until_they_expire(world, noon, staff):
    token, code = card_code_issue(actor=staff, elder_id=world.elder.pk)
    old = SigningKey.objects.get()
    keys.signing_key_rotate()
    old.refresh_from_db()
    assert old.verify_until == code.expires_at
    assert identify_by_qr(token=token, canteen=world.canteen)[0] == world.elder


# ---------------------------------------------------------------------------------------------
# Printed card code (长者卡码)


def test_card_code_needs_the_canteens_second_factor(world, noon, staff):
    token, code = card_code_issue(actor=staff, elder_id=world.elder.pk)
    assert code.expires_at - code.issued_at >= timedelta(days=3 * 365)
    assert qr.decode_png(qr.render_png(token)) == [token]
    elder, method = identify_by_qr(token=token, canteen=world.canteen)
    assert elder == world.elder and method.name == "qr_card"
    assert method.requires_second_factor and method.second_factor == "photo"  # the default
    # Reusable (a printed card), so not recorded as a single use.
    assert identify_by_qr(token=token, canteen=world.other_canteen)[0] == world.elder
    assert not QrUse.objects.exists()
    canteen_card_code_factor_set(actor=world.users["canteen_manager"], canteen_id=world.canteen.pk, factor="pin")
    assert identify_by_qr(token=token, canteen=world.canteen)[1].second_factor == "pin"
    assert identify_by_qr(token=token, canteen=world.other_canteen)[1].second_factor == "photo"


def test_factor_choice_is_the_canteens_own(world):
    with pytest.raises(DomainError, match="NOT_FOUND"):
        canteen_card_code_factor_set(actor=world.other["canteen_manager"], canteen_id=world.canteen.pk,
                                     factor="face")
    with pytest.raises(DomainError, match="FACTOR_INVALID"):
        canteen_card_code_factor_set(actor=world.users["canteen_manager"], canteen_id=world.canteen.pk,
                                     factor="sms")


def test_card_code_revoked(world, noon, staff):
    token, code = card_code_issue(actor=staff, elder_id=world.elder.pk)
    assert card_code_revoke(actor=staff, elder_id=world.elder.pk, reason="lost") == 1
    assert refused(token, world.canteen) == "QR_CARD_CODE_REVOKED"
    listed = keys.revocation_list(NOON)["revoked"]
    assert [entry["code_id"] for entry in listed] == [code.code_id]


def test_reprinting_revokes_the_previous_card_code(world, noon, staff):
    first, _ = card_code_issue(actor=staff, elder_id=world.elder.pk)
    second, _ = card_code_issue(actor=staff, elder_id=world.elder.pk)
    assert refused(first, world.canteen) == "QR_CARD_CODE_REVOKED"
    assert identify_by_qr(token=second, canteen=world.canteen)[0] == world.elder
    assert CardCode.objects.count() == 2 and CardCodeRevocation.objects.count() == 1


def test_card_code_of_another_district_cannot_be_issued(world, noon):
    with pytest.raises(DomainError, match="NOT_FOUND"):
        card_code_issue(actor=world.other["subdistrict_staff"], elder_id=world.elder.pk)
    with pytest.raises(DomainError, match="NOT_FOUND"):
        card_code_revoke(actor=world.other["subdistrict_staff"], elder_id=world.elder.pk)
    assert not CardCode.objects.exists()


def test_pin_second_factor(world, noon, frozen_clock, staff):
    with pytest.raises(DomainError, match="PIN_NOT_SET"):
        verify_card_code_pin(elder=world.elder, pin="1234")
    with pytest.raises(DomainError, match="PIN_INVALID"):
        elder_pin_set(actor=staff, elder_id=world.elder.pk, pin="12ab")
    elder_pin_set(actor=staff, elder_id=world.elder.pk, pin="2468")
    row = ElderPin.objects.get()
    assert "2468" not in row.pin_hash
    verify_card_code_pin(elder=world.elder, pin="2468", canteen=world.canteen)
    with pytest.raises(DomainError, match="PIN_WRONG"):
        verify_card_code_pin(elder=world.elder, pin="1357")
    assert ElderPin.objects.get().failed_count == 1  # the failure is kept although refused
    verify_card_code_pin(elder=world.elder, pin="2468")
    assert ElderPin.objects.get().failed_count == 0


def test_pin_locks_after_five_wrong_tries(world, noon, frozen_clock, staff):
    elder_pin_set(actor=staff, elder_id=world.elder.pk, pin="2468")
    codes = []
    for _ in range(5):
        with pytest.raises(DomainError) as caught:
            verify_card_code_pin(elder=world.elder, pin="0000")
        codes.append(caught.value.code)
    assert codes == ["PIN_WRONG"] * 4 + ["PIN_LOCKED"]
    with pytest.raises(DomainError, match="PIN_LOCKED"):
        verify_card_code_pin(elder=world.elder, pin="2468")  # even the right PIN, while locked
    frozen_clock(NOON + timedelta(minutes=16))
    verify_card_code_pin(elder=world.elder, pin="2468")


def test_segno_level_m_is_kept():
    assert qr.make("ZC1." + "A" * 142).error == "M"
    assert segno.make("short", error="m", micro=False).error == "H"  # segno boosts when it can
    assert qr.make("short").error == "M"


def test_unreadable_image():
    with pytest.raises(qr.ImageUnreadable):
        qr.decode_png(b"not an image")
    assert qr.decode_png(_blank_png()) == []


def _blank_png() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("L", (64, 64), 255).save(out, "PNG")
    return out.getvalue()
