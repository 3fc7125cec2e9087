"""Identify an elder; their usage today."""

from __future__ import annotations

from ninja import Router

from zhucan.api.endpoints.common import identify as identify_ref
from zhucan.api.endpoints.common import terminal_of
from zhucan.api.openapi import errors, signed
from zhucan.api.present import remaining
from zhucan.api.schemas import ElderOut, ErrorOut, IdentifyIn, UsageOut
from zhucan.api.selectors import elder_usage_today, eligibility, remaining_now
from zhucan.core import clock
from zhucan.core.money import fen_to_yuan as format_fen
from zhucan.core.sealed import mask_name
from zhucan.identity import identification

router = Router(tags=["elders"])


@router.post("/elders/identify", response={200: ElderOut, errors(404, 409, 503): ErrorOut},
              openapi_extra=signed(), summary="识别老人")
def identify(request, payload: IdentifyIn):
    """By citizen card number, 18-digit ID number, elder id, elder QR code (not used up here) or face
    ticket (exactly one; a printed card code with its pin or face ticket). Answers the masked name,
    age, masked ID number, an eligibility hint for a meal now and today's remaining allowance."""
    canteen = terminal_of(request).canteen
    found = identify_ref(request, payload)
    elder, now = found.elder, clock.now()
    return {
        "elder_id": elder.pk,
        "name": mask_name(elder.name),
        "age": elder.age_on(clock.local_date(now)),
        "id_number_masked": elder.id_number_masked,
        "identified_by": found.identified_by,
        "eligibility": eligibility(canteen=canteen, elder=elder, at=now),
        "remaining": remaining(remaining_now(canteen=canteen, elder=elder, at=now)),
    }


@router.get("/elders/{elder_id}/usage", response={200: UsageOut, errors(404, 503): ErrorOut},
            openapi_extra=signed(), summary="老人今日用量")
def usage(request, elder_id: int):
    """Meals and benefit used today (city-wide, HZ-5) and what is left."""
    canteen = terminal_of(request).canteen
    elder = identification.identify(canteen=canteen, elder_id=elder_id).elder
    answer = elder_usage_today(canteen=canteen, elder=elder)
    answer["benefit_used_yuan"] = format_fen(answer["benefit_used_fen"])
    answer["remaining"] = remaining(answer["remaining"])
    return answer
