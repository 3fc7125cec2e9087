"""Quote → commit → void / refund (HZ-F4). Writes need an Idempotency-Key."""

from __future__ import annotations

from ninja import Router

from zhucan.api.endpoints.common import (
    idempotency,
    identify,
    identify_for_write,
    live_lines,
    tenders_in,
    terminal_of,
    written_answer,
)
from zhucan.api.openapi import errors, signed
from zhucan.api.present import answer_response, quote_answer
from zhucan.api.schemas import CommitIn, ErrorOut, MealOut, QuoteIn, QuoteOut, ReverseIn
from zhucan.checkout.models import IdentifiedBy, MealKind
from zhucan.checkout.services import meal_commit, meal_quote, meal_reverse
from zhucan.core import clock

router = Router(tags=["meals"])


@router.post("/meals/quote", response={200: QuoteOut, errors(404, 409, 422, 503): ErrorOut},
             openapi_extra=signed(), summary="询价（只读）")
def quote(request, payload: QuoteIn):
    """Price the order from the canteen's menu and rate it with the city's policy; writes nothing."""
    terminal = terminal_of(request)
    at = clock.now()
    found = identify(request, payload.elder, usage_on=clock.local_date(at))  # reads today's usage too
    q = meal_quote(canteen=terminal.canteen, elder=found.elder if found else None, lines=live_lines(payload.items),
                   at=at)
    return answer_response(quote_answer(q))


@router.post("/meals/commit", response={200: MealOut, errors(404, 409, 422, 503): ErrorOut},
             openapi_extra=signed(idempotent=True), summary="结算（记账）")
def commit(request, payload: CommitIn):
    """Record the meal in one transaction. A retry with the same Idempotency-Key and body returns the
    original receipt with `replayed: true`."""
    terminal = terminal_of(request)
    key, digest = idempotency(request, "commit")
    found, claim = identify_for_write(request, payload.elder, key)
    result = meal_commit(
        canteen=terminal.canteen, elder=found.elder if found else None, lines=live_lines(payload.items),
        idempotency_key=key, request_digest=digest,
        identified_by=found.identified_by if found else IdentifiedBy.NONE, terminal=terminal,
        tenders=tenders_in(payload.tenders), expected_payable_fen=payload.expected_payable_fen, claim=claim,
    )
    return written_answer(terminal, result)


def _reverse(request, payload: ReverseIn, kind: str):
    terminal = terminal_of(request)
    key, digest = idempotency(request, kind)
    result = meal_reverse(canteen=terminal.canteen, receipt_no=payload.receipt_no.strip(), kind=kind,
                          idempotency_key=key, request_digest=digest, terminal=terminal, reason=payload.reason)
    return written_answer(terminal, result)


@router.post("/meals/void", response={200: MealOut, errors(404, 409, 422, 503): ErrorOut},
             openapi_extra=signed(idempotent=True), summary="撤销")
def void(request, payload: ReverseIn):
    """Cancel a meal of this canteen (a reversal entry; the elder's usage is given back exactly)."""
    return _reverse(request, payload, MealKind.VOID)


@router.post("/meals/refund", response={200: MealOut, errors(404, 409, 422, 503): ErrorOut},
             openapi_extra=signed(idempotent=True), summary="退款")
def refund(request, payload: ReverseIn):
    """Refund a meal of this canteen (a reversal entry like void, recorded as a refund)."""
    return _reverse(request, payload, MealKind.REFUND)
