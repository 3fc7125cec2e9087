"""The one door through which every channel identifies an elder (HZ-9 卡、码、脸; LC-7 face).

Channels: the cashier page (a reader or scanner types into one field; a webcam frame; the face
camera), API v1 (a structured `elder` reference in identify, quote, commit, report and the face
calls), and the pages still to come (the elder's phone page, the courier page, the order service),
which call `identify` like the API does.

Methods, and what the meal records (checkout's IdentifiedBy, what districts count 人次 by):

- card number (`card`): the active CitizenCard through its blind index (never decrypting the
  table); a lost or replaced card is refused with its own code;
- 18-digit ID number (`id_number`): the elder blind index; malformed numbers get the ID checks' codes;
- elder id (`elder_id`, or the method the API client says it used before);
- elder QR code (`qr`): a phone's dynamic code, signed, 60 s, single use city-wide (used up at the
  cashier's scan, or by the API's commit inside the meal's transaction through `qr_claim`);
- printed card code (`qr_card`): identifies only after the canteen's second factor (PIN, a 1:1
  face check, or the cashier comparing the registered photo). The cashier page takes it as a
  following step (`Identified.pending`); the API in the same request (`pin`, or a `face_ticket`);
- face (`face`): 1:N among consenting elders where the canteen switched it on; 1:1 as a second
  factor. For API clients a face check answers a short-lived face ticket (`face_tickets`).

Every method finds the elder within the canteen's city (`lookup`, one statement on the hot path).
Refusals are DomainErrors with the stable codes of `zhucan.identity.errors` (CARD_*, ELDER_NOT_FOUND,
QR_*, PIN_*, PHOTO_*, FACE_TICKET_INVALID, INPUT_INVALID), the ID checks' ID_* codes and face
matching's FACE_* codes; a refused identification records nothing. A face that is refused always
leaves the card and the code: the messages say so.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction

from zhucan.canteens.models import Canteen
from zhucan.core import clock, crypto
from zhucan.core.audit import audit_record
from zhucan.core.errors import DomainError
from zhucan.elders.models import Elder
from zhucan.elders.services import id_number_check, id_number_index
from zhucan.identity import face_tickets, services
from zhucan.identity.errors import identity_error, input_invalid, second_factor_required
from zhucan.identity.lookup import find_elder

QR_PREFIX = "ZC1."
_ID_SHAPE = re.compile(r"^\d{17}[\dXx]$")
PHOTO_VIEW_ACTION = "face.photo_view"
PHOTO_CHECK_WINDOW = timedelta(minutes=10)

# What a meal records (checkout.models.IdentifiedBy values; strings: identity sits below checkout).
CARD, ID_NUMBER, ELDER_ID, QR, QR_CARD, FACE = "card", "id_number", "elder_id", "qr", "qr_card", "face"
METHODS = frozenset({CARD, ID_NUMBER, ELDER_ID, QR, QR_CARD, FACE})

# The second factors a channel takes in the same request, by the factor the canteen chose. The
# registered-photo check needs the cashier page (the photo is not sent to vendors' systems); a PIN
# or a face check is at least as strong, so the API takes either there.
SAME_REQUEST_FACTORS = {"pin": ("pin",), "face": ("face",), "photo": ("pin", "face")}


@dataclass(frozen=True)
class Identified:
    """Who was presented and how (`method`, what the meal records). `pending` names the second
    factor a printed card code still needs ("pin" | "face" | "photo"): nothing may be sold on a
    pending identification. `code_id` is a printed card code's id."""

    elder: Elder
    method: str
    pending: str = ""
    code_id: str = ""

    @property
    def identified_by(self) -> str:
        return self.method


# ------------------------------------------------------------------------------------------------
# A structured reference (API v1 and the pages to come)

def identify(*, canteen: Canteen, card_number: str | None = None, id_number: str | None = None,
             elder_id: int | None = None, qr_token: str | None = None, face_ticket: str | None = None,
             pin: str | None = None, identified_by: str | None = None, usage_on: date | None = None,
             consume: bool = False, factor_later: bool = False) -> Identified:
    """Exactly one of card number, ID number, elder id, elder code or face ticket (a printed card
    code also takes its second factor: `pin` or `face_ticket`).

    `consume` uses a dynamic code up now (else it is only checked: the API's commit uses it up in
    its transaction through `qr_claim`). `factor_later` answers a printed card code as pending
    instead of requiring its factor in this call (a face check that is itself the factor). With
    `usage_on` the same statement reads the elder's usage row of that day (`elder.usage_read`)."""
    ticket_alone = face_ticket if not qr_token else None  # with a card code the ticket is its 2nd factor
    given = [v for v in (card_number, id_number, elder_id, qr_token, ticket_alone) if v not in (None, "")]
    if len(given) != 1:
        raise input_invalid("exactly_one")
    if pin and not qr_token:
        raise input_invalid("pin_alone")
    if qr_token:
        return _by_qr(canteen, qr_token.strip(), consume=consume, usage_on=usage_on, face_ticket=face_ticket,
                      pin=pin, factor_later=factor_later)
    if face_ticket:
        return _by_ticket(canteen, face_ticket, usage_on)
    if card_number:
        return _by_card(canteen, card_number, usage_on)
    if id_number:
        return _by_id_number(canteen, id_number, usage_on)
    try:
        pk = int(elder_id)
    except (TypeError, ValueError):
        pk = None
    elder = find_elder(canteen, "pk", pk, usage_on) if pk is not None and 0 < pk < 2**63 else None
    if elder is None:
        raise identity_error("ELDER_NOT_FOUND", field="elder_id")
    return Identified(elder, identified_by or ELDER_ID)


def qr_claim(*, qr_token: str, canteen: Canteen) -> None:
    """Use up a dynamic code checked earlier (call inside the meal's transaction: a refused sale
    gives it back). QR_ALREADY_USED if another meal took it meanwhile."""
    services.identify_by_qr(token=qr_token.strip(), canteen=canteen, consume=True)


def _by_card(canteen: Canteen, raw: str, usage_on: date | None, *, field: str = "card_number") -> Identified:
    """By the card's blind index; a lost or replaced card gets its own code (CARD_REPORTED_LOST /
    CARD_REPLACED), looked up only on this failure path."""
    try:
        number = services.card_number_normalise(raw)
    except DomainError:
        raise identity_error("CARD_UNKNOWN", field=field) from None
    elder = find_elder(canteen, "card", (services.card_number_index(number),), usage_on)
    if elder is None:
        try:
            services.identify_by_card(number=number, canteen=canteen)
        except DomainError as exc:  # lost / replaced / unknown
            exc.field = field
            raise
        raise identity_error("CARD_UNKNOWN", field=field)  # a card of another city
    return Identified(elder, CARD)


def _by_id_number(canteen: Canteen, raw: str, usage_on: date | None) -> Identified:
    number, _birth, _sex = id_number_check(raw)
    elder = find_elder(canteen, "index", id_number_index(number), usage_on)
    if elder is None:
        raise identity_error("ELDER_NOT_FOUND", field="id_number")
    return Identified(elder, ID_NUMBER)


def _by_qr(canteen: Canteen, token: str, *, consume: bool, usage_on: date | None, face_ticket: str | None,
           pin: str | None, factor_later: bool) -> Identified:
    """The elder code, verified with the platform's public keys. A printed card code needs its
    second factor: given here (`pin`, or a `face_ticket` for the same elder, as the canteen's
    choice allows: SAME_REQUEST_FACTORS), or later (`factor_later`)."""
    if consume:
        with transaction.atomic():  # an elder of another city does not use the code up
            found, method = _qr_elder(canteen, token, True, usage_on)
    else:
        found, method = _qr_elder(canteen, token, False, usage_on)
    if not method.requires_second_factor:
        if face_ticket or pin:
            raise input_invalid("dynamic_factor")
        return Identified(found, QR)
    factor = method.second_factor
    accepted = SAME_REQUEST_FACTORS.get(factor, ())
    if pin and "pin" in accepted:
        services.verify_card_code_pin(elder=found, pin=pin.strip(), canteen=canteen)
    elif face_ticket and "face" in accepted:
        face_tickets.read(face_ticket, canteen=canteen, elder_id=found.pk)
    elif factor_later:
        return Identified(found, QR_CARD, pending=factor, code_id=method.code_id)
    else:
        raise second_factor_required(factor, accepted, field="qr_token")
    return Identified(found, QR_CARD, code_id=method.code_id)


def _qr_elder(canteen: Canteen, token: str, consume: bool, usage_on: date | None):
    elder, method = services.identify_by_qr(token=token, canteen=canteen, consume=consume)
    found = find_elder(canteen, "pk", elder.pk, usage_on)  # the canteen's city only (HZ-5)
    if found is None:
        raise identity_error("ELDER_NOT_FOUND", field="qr_token")
    return found, method


def _by_ticket(canteen: Canteen, ticket: str, usage_on: date | None) -> Identified:
    """A face ticket from a 1:N identification (method face) or a 1:1 check after a card or code
    (that method), issued at this canteen within its lifetime."""
    elder_id, method, _code = face_tickets.read(ticket, canteen=canteen)
    found = find_elder(canteen, "pk", elder_id, usage_on)
    if found is None:
        raise identity_error("ELDER_NOT_FOUND", field="face_ticket")
    return Identified(found, method if method in METHODS else FACE)


# ------------------------------------------------------------------------------------------------
# What a reader, scanner or camera gives (the cashier page)

def identify_typed(*, value: str, canteen: Canteen) -> Identified:
    """What a card reader, an ID-card reader or a code scanner typed. A phone's dynamic code is used
    up here, when it is scanned (the elder refreshes the phone for another); a printed card code
    comes back pending its second factor. 18 digits are a card number if a card has it, else an
    ID number."""
    raw = (value or "").strip()
    if raw.startswith(QR_PREFIX):
        return _by_qr(canteen, raw, consume=True, usage_on=None, face_ticket=None, pin=None, factor_later=True)
    typed = services.strip_reader_input(raw)
    if not typed:
        raise input_invalid("nothing")
    if len(typed) == 18 and _ID_SHAPE.match(typed):
        try:
            return _by_card(canteen, typed, None, field="number")
        except DomainError as exc:
            if exc.code != "CARD_UNKNOWN":
                raise
        return _by_id_number(canteen, typed, None)
    return _by_card(canteen, typed, None, field="number")


def identify_code_image(*, image_bytes: bytes, canteen: Canteen) -> Identified:
    """An elder code read from a camera frame or a picture (a till with a webcam instead of a
    scanner: the phone held up to it, or a printed card code). The first Zhucan code in the image is
    used exactly as if a scanner had typed it. No code → QR_IMAGE_UNREADABLE; another system's code
    → QR_MALFORMED."""
    from zhucan.identity import qr

    try:
        texts = qr.decode_png(bytes(image_bytes))
    except qr.ImageUnreadable as exc:
        raise identity_error("QR_IMAGE_UNREADABLE", field="image") from exc
    ours = [t for t in texts if t.startswith(QR_PREFIX)]
    if not ours:
        raise identity_error("QR_MALFORMED" if texts else "QR_IMAGE_UNREADABLE", field="image")
    return identify_typed(value=ours[0], canteen=canteen)


def identify_face(*, canteen: Canteen, image_bytes: bytes):
    """1:N: the face alone, among the consenting elders the canteen searches. Answers
    (Identified, the match with its distance and threshold)."""
    from zhucan.face.services import face_identify

    match = face_identify(canteen=canteen, image_bytes=image_bytes)
    return Identified(match.elder, FACE), match


def face_ticket(identified: Identified, *, canteen: Canteen) -> str:
    """The ticket a face check answers an API client (see `face_tickets`)."""
    return face_tickets.issue(elder_id=identified.elder.pk, method=identified.method, code_id=identified.code_id,
                              canteen=canteen)


# ------------------------------------------------------------------------------------------------
# The second factor of a printed card code, as a following step

def confirm_pin(identified: Identified, *, pin: str, canteen: Canteen) -> Identified:
    """The elder's PIN confirms a printed card code (5 wrong tries lock it)."""
    _must_be_pending(identified)
    services.verify_card_code_pin(elder=identified.elder, pin=(pin or "").strip(), canteen=canteen)
    return Identified(identified.elder, QR_CARD, code_id=identified.code_id)


def check_face(identified: Identified, *, image_bytes: bytes):
    """1:1: is the person here the elder identified? Answers the match (distance, threshold)."""
    from zhucan.face.services import face_verify

    return face_verify(elder=identified.elder, image_bytes=image_bytes)


def confirm_face(identified: Identified, *, image_bytes: bytes, canteen: Canteen) -> Identified:
    """A 1:1 face check against the elder the card code names confirms it."""
    _must_be_pending(identified)
    check_face(identified, image_bytes=image_bytes)
    return Identified(identified.elder, QR_CARD, code_id=identified.code_id)


def confirm_photo(identified: Identified, *, cashier, canteen: Canteen, same_person: bool) -> Identified:
    """The cashier compared the elder with the registered photo. "Not the same person" refuses."""
    from zhucan.core.models import AuditLog

    _must_be_pending(identified)
    if not same_person:
        raise identity_error("PHOTO_MISMATCH", field="factor")
    shown = AuditLog.objects.filter(action=PHOTO_VIEW_ACTION, actor=cashier, object_id=str(identified.elder.pk),
                                    at__gte=clock.now() - PHOTO_CHECK_WINDOW).exists()
    if not shown:  # "same person" is only a confirmation of a photo this cashier has just looked at
        raise identity_error("PHOTO_NOT_SHOWN", field="factor")
    return Identified(identified.elder, QR_CARD, code_id=identified.code_id)


def pending_error(identified: Identified) -> DomainError:
    """What selling on a pending identification answers: which factor is still to do."""
    return second_factor_required(identified.pending)


def _must_be_pending(identified: Identified) -> None:
    if not identified.pending:
        raise input_invalid("not_pending")


def registered_photo(*, elder: Elder, cashier, canteen: Canteen) -> bytes:
    """The registered photo for the cashier's comparison: only where the elder agreed to keep it
    (face consent `keep_photo`). Each look is audited (who, which elder, which canteen)."""
    from zhucan.face.models import FaceEnrolment
    from zhucan.face.services import PHOTO_CONTEXT

    enrolment = FaceEnrolment.objects.filter(elder_id=elder.pk).exclude(photo_encrypted="").first()
    if enrolment is None:
        raise identity_error("PHOTO_NOT_KEPT", field="factor")
    photo = base64.b64decode(crypto.decrypt(enrolment.photo_encrypted, context=PHOTO_CONTEXT))
    with transaction.atomic():
        audit_record(actor=cashier, action=PHOTO_VIEW_ACTION, object_type="elders.elder", object_id=str(elder.pk),
                     object_repr=str(elder)[:200], region_path=elder.community.path if elder.community_id else "",
                     note=f"收银台核对登记照片（{canteen.name}）")
    return photo
