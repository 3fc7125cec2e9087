"""Identify an elder; their usage today."""

from __future__ import annotations

from ninja import Router
from ninja.responses import codes_4xx

from zhucan.api.endpoints.common import terminal_of
from zhucan.api.present import remaining
from zhucan.api.schemas import ElderOut, ErrorOut, IdentifyIn, UsageOut
from zhucan.api.selectors import elder_identify, elder_usage_today, eligibility, mask_name, remaining_now
from zhucan.core import clock
from zhucan.policy import format_fen

router = Router(tags=["elders"])


@router.post("/elders/identify", response={200: ElderOut, codes_4xx: ErrorOut}, summary="识别老人")
def identify(request, payload: IdentifyIn):
    """By citizen card number, 18-digit ID number or elder id (exactly one). Answers the masked name,
    age, masked ID number, an eligibility hint for a meal now and today's remaining allowance."""
    canteen = terminal_of(request).canteen
    found = elder_identify(canteen=canteen, card_number=payload.card_number, id_number=payload.id_number,
                           elder_id=payload.elder_id, identified_by=payload.identified_by)
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


@router.get("/elders/{elder_id}/usage", response={200: UsageOut, codes_4xx: ErrorOut}, summary="老人今日用量")
def usage(request, elder_id: int):
    """Meals and benefit used today (city-wide, HZ-5) and what is left."""
    canteen = terminal_of(request).canteen
    elder = elder_identify(canteen=canteen, elder_id=elder_id).elder
    answer = elder_usage_today(canteen=canteen, elder=elder)
    answer["benefit_used_yuan"] = format_fen(answer["benefit_used_fen"])
    answer["remaining"] = remaining(answer["remaining"])
    return answer
