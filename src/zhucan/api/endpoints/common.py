"""What every endpoint needs: the terminal and its canteen, the elder reference, idempotency."""

from __future__ import annotations

import re

from django.http import HttpResponse

from zhucan.accounts.models import Terminal
from zhucan.api import signing
from zhucan.api.auth import header
from zhucan.api.errors import api_error
from zhucan.api.present import answer_response, meal_answer
from zhucan.api.schemas import ElderRef
from zhucan.api.selectors import remaining_now
from zhucan.checkout.errors import checkout_error
from zhucan.checkout.models import MealKind
from zhucan.checkout.services import OrderLine, TenderIn
from zhucan.core.errors import DomainError
from zhucan.identity import identification
from zhucan.identity.identification import Identified
from zhucan.policy.engine import CANTEEN_NOT_DESIGNATED
from zhucan.rules.facts import designated_on, designated_spans

_KEY_RE = re.compile(r"^[\x21-\x7e]{1,80}$")


def terminal_of(request) -> Terminal:
    return request.auth


def identify(request, ref: ElderRef | None, *, usage_on=None, consume: bool = False) -> Identified | None:
    """`consume`: a presented elder QR code is used up (commit and report only)."""
    if ref is None:
        return None
    return identification.identify(canteen=terminal_of(request).canteen, card_number=ref.card_number,
                                   id_number=ref.id_number, elder_id=ref.elder_id, identified_by=ref.identified_by,
                                   usage_on=usage_on, qr_token=ref.qr_token, consume=consume,
                                   face_ticket=ref.face_ticket, pin=ref.pin)


def identify_for_write(request, ref: ElderRef | None, key: str) -> tuple[Identified | None, object]:
    """Identify for a commit or a report: (who, claim). A QR code is only checked here; `claim`
    uses it up inside the commit's transaction. A retry of a committed request (same key) whose
    code is now used still reaches the commit, which answers with the original meal."""
    from zhucan.checkout.models import Meal

    canteen = terminal_of(request).canteen
    try:
        found = identify(request, ref)
    except DomainError as exc:
        if exc.code == "QR_ALREADY_USED" and Meal.objects.filter(canteen=canteen, idempotency_key=key).exists():
            return None, None  # a replay: meal_commit returns the original before anything else
        raise
    if ref is None or not ref.qr_token:
        return found, None
    return found, lambda: identification.qr_claim(qr_token=ref.qr_token, canteen=canteen)


def idempotency(request, operation: str) -> tuple[str, str]:
    """(Idempotency-Key, request digest). The digest covers the operation and the canonical JSON body,
    so a retry with the same body (whitespace and key order aside) is recognised."""
    key = header(request, signing.HEADER_IDEMPOTENCY).strip()
    if not key:
        raise checkout_error("IDEMPOTENCY_KEY_REQUIRED", field=signing.HEADER_IDEMPOTENCY)
    if not _KEY_RE.match(key):
        raise api_error("IDEMPOTENCY_KEY_INVALID", field=signing.HEADER_IDEMPOTENCY)
    return key, signing.request_digest(operation, getattr(request, "api_json", None) or {})


def tenders_in(tenders) -> list[TenderIn] | None:
    if tenders is None:
        return None
    return [TenderIn(kind=t.kind, amount_fen=t.amount_fen, reference=t.reference) for t in tenders]


def live_lines(items) -> list[OrderLine]:
    return [OrderLine(dish_id=i.dish_id, quantity=i.quantity) for i in items]


def report_lines(items) -> list[OrderLine]:
    return [OrderLine(name=i.name, unit_price_fen=i.unit_price_fen, quantity=i.quantity) for i in items]


def remaining_after(terminal: Terminal, result) -> list[dict]:
    """Today's allowance after the meal; a replay or a reversal reads the current usage instead."""
    if result.remaining or result.meal.elder_id is None:
        return result.remaining
    return remaining_now(canteen=terminal.canteen, elder=result.meal.elder)


def written_answer(terminal: Terminal, result) -> HttpResponse:
    """The answer to a meal written by commit, void, refund or report: the meal, whether this was
    a replay, and today's allowance after it."""
    return answer_response(meal_answer(result.meal, replayed=result.replayed,
                                       remaining_entries=remaining_after(terminal, result),
                                       reason_code=reason_of(result)))


def reason_of(result) -> str | None:
    """Why the meal carries no benefit. A replay re-derives only what the ledger row can still
    tell: an elder's sale at full price on a date the canteen was not designated."""
    if not result.replayed:
        return result.reason_code
    meal = result.meal
    if meal.kind != MealKind.SALE or meal.elder_id is None or meal.benefit_fen:
        return None
    if designated_on(designated_spans(meal.canteen_id), meal.local_date):
        return None
    return CANTEEN_NOT_DESIGNATED
