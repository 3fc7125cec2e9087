"""Identification at the counter (HZ-9 卡、码、脸; LC-7 face): what the cashier page and API v1 turn
into "this elder, identified this way" before the same quote and commit.

- A card reader or scanner types a value: an elder QR code (`ZC1.…`), a citizen/social-security card
  number (found through the CitizenCard blind index) or an 18-digit ID number (elder blind index).
- A printed card code (长者卡码) identifies only after the canteen's second factor: the elder's PIN,
  a 1:1 face check, or the cashier comparing the registered photo (only where the elder agreed to
  keep one). Until then the identification is `pending` and nothing can be sold on it.
- A face alone (1:N) identifies where the elder consented and the canteen switched it on.

The method is what the meal records (checkout.IdentifiedBy) and what districts count 人次 by.
A face that is refused always leaves the card and the code: the messages say so.

For API clients a face check answers a short-lived *face ticket* (signed, bound to the canteen and
the elder) that a following quote or commit presents instead of the image (photos are too large
for the signed JSON calls, and the check must not be repeated per call).
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from datetime import timedelta

from django.core import signing
from django.db import transaction

from zhucan.canteens.models import Canteen
from zhucan.core import clock, crypto
from zhucan.core.audit import audit_record
from zhucan.core.errors import DomainError
from zhucan.elders.models import Elder
from zhucan.identity import services
from zhucan.identity.models import SecondFactor

QR_PREFIX = "ZC1."
_ID_SHAPE = re.compile(r"^\d{17}[\dXx]$")
_TICKET_SALT = "zhucan.identity.face_ticket"
FACE_TICKET_SECONDS = 120
PHOTO_VIEW_ACTION = "face.photo_view"
PHOTO_CHECK_WINDOW = timedelta(minutes=10)

# What a meal records (checkout.models.IdentifiedBy values; kept as strings: no checkout import).
CARD, ID_NUMBER, QR, QR_CARD, FACE = "card", "id_number", "qr", "qr_card", "face"


@dataclass(frozen=True)
class Presented:
    """Who was presented and how. `pending` names the second factor a printed card code still
    needs ("pin" | "face" | "photo"); a pending identification must not be sold on."""

    elder: Elder
    method: str
    pending: str = ""
    code_id: str = ""


def _factor_error(factor: str) -> DomainError:
    zh = {SecondFactor.PIN: "请老人输入密码", SecondFactor.FACE: "请老人正对摄像头进行人脸核验",
          SecondFactor.PHOTO: "请核对老人与登记照片是否一致"}.get(factor, "请完成二次核验")
    return DomainError(code="QR_SECOND_FACTOR_REQUIRED", message_zh=f"打印版长者卡码须二次核验：{zh}",
                       message_en=f"a printed card code needs the second factor: {factor}", field="factor",
                       http_status=409, details={"factor": factor})


def identify_wedge(*, value: str, canteen: Canteen) -> Presented:
    """What a reader or scanner typed → Presented. A phone's dynamic code is used up here, when it is
    scanned at the cashier page (the elder refreshes the phone for another; API v1 instead uses the
    code up inside the commit's transaction). Unknown values get CARD_UNKNOWN / ELDER_NOT_FOUND /
    QR_* / the ID number's own error."""
    raw = (value or "").strip()
    if raw.startswith(QR_PREFIX):
        elder, method = services.identify_by_qr(token=raw, canteen=canteen, consume=True)
        if method.requires_second_factor:
            return Presented(elder, QR_CARD, pending=method.second_factor, code_id=method.code_id)
        return Presented(elder, QR)
    value = services.strip_reader_input(raw)
    if not value:
        raise DomainError(code="INPUT_INVALID", message_zh="请刷卡、扫码或输入身份证号",
                          message_en="swipe a card, scan a code or type an ID number", field="ident")
    if len(value) == 18 and _ID_SHAPE.match(value):
        try:
            return Presented(services.identify_by_card(number=value, canteen=canteen), CARD)
        except DomainError as exc:
            if exc.code != "CARD_UNKNOWN":
                raise
        return Presented(services.identify_by_id_number(number=value, canteen=canteen), ID_NUMBER)
    return Presented(services.identify_by_card(number=value, canteen=canteen), CARD)


def identify_code_image(*, image_bytes: bytes, canteen: Canteen) -> Presented:
    """An elder code read from a camera frame or a picture (a till with a webcam instead of a
    scanner: the phone held up to it, or a printed card code). The first Zhucan code in the image is
    used exactly as if a scanner had typed it. No code → QR_IMAGE_UNREADABLE; another system's code
    → QR_MALFORMED."""
    from zhucan.identity import qr
    from zhucan.identity.errors import identity_error

    try:
        texts = qr.decode_png(bytes(image_bytes))
    except qr.ImageUnreadable as exc:
        raise identity_error("QR_IMAGE_UNREADABLE", field="image") from exc
    ours = [t for t in texts if t.startswith(QR_PREFIX)]
    if not ours:
        raise identity_error("QR_MALFORMED" if texts else "QR_IMAGE_UNREADABLE", field="image")
    return identify_wedge(value=ours[0], canteen=canteen)


def confirm_pin(presented: Presented, *, pin: str, canteen: Canteen) -> Presented:
    """The elder's PIN confirms a printed card code (5 wrong tries lock it)."""
    _must_be_pending(presented)
    services.verify_card_code_pin(elder=presented.elder, pin=(pin or "").strip(), canteen=canteen)
    return Presented(presented.elder, QR_CARD, code_id=presented.code_id)


def confirm_face(presented: Presented, *, image_bytes: bytes, canteen: Canteen) -> Presented:
    """A 1:1 face check against the elder the card code names confirms it."""
    from zhucan.face.services import face_verify

    _must_be_pending(presented)
    face_verify(elder=presented.elder, image_bytes=image_bytes)
    return Presented(presented.elder, QR_CARD, code_id=presented.code_id)


def confirm_photo(presented: Presented, *, cashier, canteen: Canteen, same_person: bool) -> Presented:
    """The cashier compared the elder with the registered photo. "Not the same person" refuses."""
    from zhucan.core.models import AuditLog

    _must_be_pending(presented)
    if not same_person:
        raise DomainError(code="PHOTO_MISMATCH", message_zh="收银员核对照片不一致，请改用市民卡或手机长者码",
                          message_en="the cashier found the registered photo does not match", field="factor",
                          http_status=403)
    shown = AuditLog.objects.filter(action=PHOTO_VIEW_ACTION, actor=cashier, object_id=str(presented.elder.pk),
                                    at__gte=clock.now() - PHOTO_CHECK_WINDOW).exists()
    if not shown:  # "same person" is only a confirmation of a photo this cashier has just looked at
        raise DomainError(code="PHOTO_NOT_SHOWN", message_zh="请先显示并核对老人的登记照片",
                          message_en="show and compare the registered photo first", field="factor",
                          http_status=409)
    return Presented(presented.elder, QR_CARD, code_id=presented.code_id)


def _must_be_pending(presented: Presented) -> None:
    if not presented.pending:
        raise DomainError(code="INPUT_INVALID", message_zh="当前识别无需二次核验", message_en="nothing to confirm",
                          field="factor", http_status=400)


def registered_photo(*, elder: Elder, cashier, canteen: Canteen) -> bytes:
    """The registered photo for the cashier's comparison: only where the elder agreed to keep it
    (face consent `keep_photo`). Each look is audited (who, which elder, which canteen)."""
    from zhucan.face.models import FaceEnrolment
    from zhucan.face.services import PHOTO_CONTEXT

    enrolment = FaceEnrolment.objects.filter(elder_id=elder.pk).exclude(photo_encrypted="").first()
    if enrolment is None:
        raise DomainError(code="PHOTO_NOT_KEPT",
                          message_zh="该老人未留存登记照片，无法人工核对，请改用市民卡或手机长者码",
                          message_en="no registered photo is kept for this elder", field="factor",
                          http_status=409)
    photo = base64.b64decode(crypto.decrypt(enrolment.photo_encrypted, context=PHOTO_CONTEXT))
    with transaction.atomic():
        audit_record(actor=cashier, action=PHOTO_VIEW_ACTION, object_type="elders.elder", object_id=str(elder.pk),
                     object_repr=str(elder)[:200], region_path=elder.community.path if elder.community_id else "",
                     note=f"收银台核对登记照片（{canteen.name}）")
    return photo


def identify_face(*, canteen: Canteen, image_bytes: bytes) -> Presented:
    """1:N: the face alone, among the consenting elders the canteen searches."""
    from zhucan.face.services import face_identify

    match = face_identify(canteen=canteen, image_bytes=image_bytes)
    return Presented(match.elder, FACE)


# --- face tickets (API) -----------------------------------------------------------------------

def face_ticket_issue(*, presented: Presented, canteen: Canteen) -> str:
    return signing.dumps({"e": presented.elder.pk, "c": canteen.pk, "m": presented.method,
                          "k": presented.code_id}, salt=_TICKET_SALT, compress=True)


def face_ticket_read(ticket: str, *, canteen: Canteen, elder_id: int | None = None) -> tuple[int, str, str]:
    """(elder id, method, card code id) of a valid ticket issued at this canteen (and, with
    `elder_id`, for that elder), else FACE_TICKET_INVALID."""
    try:
        data = signing.loads((ticket or "").strip(), salt=_TICKET_SALT, max_age=FACE_TICKET_SECONDS)
    except signing.SignatureExpired as exc:
        raise _ticket_error(f"人脸核验凭证已过期（{FACE_TICKET_SECONDS} 秒有效），请重新核验") from exc
    except signing.BadSignature as exc:
        raise _ticket_error("人脸核验凭证无效") from exc
    if data.get("c") != canteen.pk:
        raise _ticket_error("人脸核验凭证不属于本助餐点")
    if elder_id is not None and data.get("e") != elder_id:
        raise _ticket_error("人脸核验凭证与长者卡码不是同一位老人")
    return int(data["e"]), str(data.get("m", FACE)), str(data.get("k", ""))


def _ticket_error(zh: str) -> DomainError:
    return DomainError(code="FACE_TICKET_INVALID", message_zh=zh, message_en="the face ticket is invalid or expired",
                       field="face_ticket", http_status=400)


def pending_factor_error(factor: str) -> DomainError:
    return _factor_error(factor)

