"""Report mode (HZ-F5): a vendor POS that priced the meal itself uploads the finished meal. The
platform re-rates it; it is accepted when the benefits agree and filed for district review when
they do not (the ledger keeps the platform's rating either way)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from ninja import Router

from zhucan.api.endpoints.common import (
    idempotency,
    identify_for_write,
    report_lines,
    tenders_in,
    terminal_of,
    written_answer,
)
from zhucan.api.errors import api_error
from zhucan.api.openapi import errors, signed
from zhucan.api.schemas import ErrorOut, MealOut, ReportIn
from zhucan.checkout.models import IdentifiedBy, Mode
from zhucan.checkout.services import meal_commit
from zhucan.core import clock

router = Router(tags=["report"])


def _occurred_at(value):
    now = clock.now()
    if value is None:
        return now
    hours = int(getattr(settings, "ZHUCAN_API_REPORT_MAX_AGE_HOURS", 72))
    if value > now + timedelta(minutes=5) or value < now - timedelta(hours=hours):
        raise api_error("OCCURRED_AT_INVALID", field="occurred_at", hours=hours)
    return value


@router.post("/meals/report", response={200: MealOut, errors(404, 409, 422, 503): ErrorOut},
             openapi_extra=signed(idempotent=True), summary="上报已完成的用餐")
def report(request, payload: ReportIn):
    """Upload a meal priced by the vendor (items with prices, its benefit, its tenders). The answer
    says `accepted: true`, or `accepted: false` with the `mismatch_id` filed for review."""
    terminal = terminal_of(request)
    key, digest = idempotency(request, "report")
    at = _occurred_at(payload.occurred_at)
    found, claim = identify_for_write(request, payload.elder, key)
    result = meal_commit(
        canteen=terminal.canteen, elder=found.elder if found else None, lines=report_lines(payload.items),
        idempotency_key=key, request_digest=digest,
        identified_by=found.identified_by if found else IdentifiedBy.NONE, terminal=terminal,
        tenders=tenders_in(payload.tenders), at=at, mode=Mode.REPORT, reported_benefit_fen=payload.benefit_fen,
        claim=claim,
    )
    return written_answer(terminal, result)
