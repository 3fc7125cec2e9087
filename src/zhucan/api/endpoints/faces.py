"""Face at a vendor's till (HZ-9 脸, LC-7): enrolment with the terminal's camera, 1:N identification
and 1:1 verification of a photo or camera frame. The checks answer a face ticket that the following
quote and commit present in `elder.face_ticket` (alone: identified by face; with a printed card
code: its second factor), so the photo travels once and the signed JSON calls stay small. Nothing is
recorded by a face check; the meal records how the elder was identified."""

from __future__ import annotations

import base64
import binascii

from ninja import Router

from zhucan.api.endpoints.common import terminal_of
from zhucan.api.openapi import errors, signed
from zhucan.api.schemas import ErrorOut, FaceEnrolOut, FaceIdentifyIn, FaceOut, FaceVerifyIn
from zhucan.core import clock
from zhucan.core.errors import DomainError
from zhucan.core.sealed import mask_name
from zhucan.identity import identification
from zhucan.identity.errors import input_invalid
from zhucan.identity.face_tickets import FACE_TICKET_SECONDS

router = Router(tags=["faces"])

def _image(payload) -> bytes:
    try:
        return base64.b64decode(payload.image_b64, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise DomainError(code="FACE_IMAGE_INVALID", message_zh="image_b64 不是有效的 base64 编码",
                          message_en="image_b64 is not valid base64", field="image_b64", http_status=400) from exc


def _presented(request, ref) -> identification.Identified:
    """The elder of the card, ID number, elder id or code presented with a photo (a face ticket or
    PIN makes no sense here). A code is checked, not used up: the commit uses it; a printed card
    code waits for this very check as its second factor."""
    if ref.face_ticket or ref.pin:
        raise input_invalid("face_check_ref")
    return identification.identify(canteen=terminal_of(request).canteen, card_number=ref.card_number,
                                   id_number=ref.id_number, elder_id=ref.elder_id, qr_token=ref.qr_token,
                                   identified_by=ref.identified_by, factor_later=True)


def _answer(identified: identification.Identified, match, canteen) -> dict:
    elder = identified.elder
    return {"elder_id": elder.pk, "name": mask_name(elder.name), "age": elder.age_on(clock.local_today()),
            "id_number_masked": elder.id_number_masked, "identified_by": identified.method,
            "face_ticket": identification.face_ticket(identified, canteen=canteen),
            "ticket_expires_in_s": FACE_TICKET_SECONDS, "distance": round(match.distance, 4),
            "threshold": match.threshold}


@router.post("/faces/identify", response={200: FaceOut, errors(): ErrorOut},
             openapi_extra=signed(), summary="刷脸识别（1:N）")
def face_identify(request, payload: FaceIdentifyIn):
    """Who is this? Among the elders who consented to 1:N identification, where the canteen has it
    switched on. A refusal (FACE_NO_MATCH, FACE_AMBIGUOUS, FACE_IDENTIFY_DISABLED, FACE_NO_FACE…)
    never guesses: ask for the citizen card or the elder code."""
    canteen = terminal_of(request).canteen
    identified, match = identification.identify_face(canteen=canteen, image_bytes=_image(payload))
    return _answer(identified, match, canteen)


@router.post("/faces/verify", response={200: FaceOut, errors(404, 409): ErrorOut},
             openapi_extra=signed(), summary="人脸核验（1:1）")
def face_verify(request, payload: FaceVerifyIn):
    """Is the person at the till the elder of the card or code just presented? The answer's ticket
    carries the first method (card, qr, qr_card…); for a printed card code it is the second factor.
    A dynamic elder code is not used up here (the commit uses it)."""
    canteen = terminal_of(request).canteen
    identified = _presented(request, payload.elder)
    match = identification.check_face(identified, image_bytes=_image(payload))
    return _answer(identified, match, canteen)


@router.post("/faces/enrol", response={200: FaceEnrolOut, errors(404, 409): ErrorOut},
             openapi_extra=signed(), summary="终端现场录入人脸")
def face_enrol(request, payload: FaceVerifyIn):
    """Enrol the face of the elder just identified (citizen card, ID card, elder code or elder id)
    with this terminal's camera. Only where subdistrict staff have already recorded the elder's
    separate consent (FACE_NO_CONSENT otherwise), and only a first enrolment (FACE_ALREADY_ENROLLED:
    replacing a face is done by staff). The photo is reduced to an encrypted embedding and dropped
    unless the elder agreed to keep it."""
    from zhucan.face.models import ConsentScope, FaceConsent
    from zhucan.face.services import face_enrol_at_terminal

    terminal = terminal_of(request)
    elder = _presented(request, payload.elder).elder
    enrolment = face_enrol_at_terminal(terminal=terminal, elder_id=elder.pk, image_bytes=_image(payload))
    in_index = FaceConsent.objects.filter(elder_id=elder.pk, scope=ConsentScope.IDENTIFY,
                                          withdrawn_at__isnull=True).exists()
    return {"elder_id": elder.pk, "name": mask_name(elder.name), "enrolled_at": enrolment.enrolled_at,
            "in_identify_index": in_index}
