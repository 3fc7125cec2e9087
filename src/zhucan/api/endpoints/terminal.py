"""The terminal's reports for its canteen's filing (HZ-F4, HZ-F5): what it can do, a test receipt,
a test identification and a training-mode test meal. None of them writes to the ledger, to the
elders' usage or to a settlement; tests need an Idempotency-Key like every other write."""

from __future__ import annotations

from ninja import Router

from zhucan.api.endpoints.common import idempotency, identify, live_lines, terminal_of
from zhucan.api.endpoints.report import _occurred_at
from zhucan.api.openapi import errors, signed
from zhucan.api.schemas import ErrorOut
from zhucan.api.terminal_schemas import (
    CapabilitiesIn,
    CapabilitiesOut,
    IdentifyTestIn,
    IdentifyTestOut,
    MealTestIn,
    MealTestOut,
    ReceiptTestIn,
    TerminalTestOut,
)
from zhucan.checkout.services import meal_quote
from zhucan.core import clock
from zhucan.core.money import fen_to_yuan as yuan
from zhucan.filing.checks import CAPABILITIES
from zhucan.filing.terminal_reports import (
    identification_test_record,
    meal_test_record,
    receipt_test_record,
    terminal_capabilities_report,
)

router = Router(tags=["terminal"])


def _test_answer(recorded) -> dict:
    test = recorded.test
    return {"test_id": test.pk, "kind": test.kind, "passed": test.passed, "replayed": recorded.replayed,
            "received_at": test.at.astimezone(clock.LOCAL_TZ),
            "occurred_at": test.occurred_at.astimezone(clock.LOCAL_TZ) if test.occurred_at else None}


@router.post("/terminal/capabilities", response={200: CapabilitiesOut, errors(): ErrorOut},
             openapi_extra=signed(), summary="报告终端能力")
def capabilities(request, payload: CapabilitiesIn):
    """What this terminal can do: card and ID-card reading, face, card and QR payment, receipt
    printing. A new report replaces the previous one."""
    terminal = terminal_of(request)
    flags = {name: getattr(payload, name) for name, _label in CAPABILITIES}
    caps = terminal_capabilities_report(terminal=terminal, flags=flags, software=payload.software)
    return {"terminal": terminal.name, **{name: getattr(caps, name) for name in flags}, "software": caps.software,
            "reported_at": caps.reported_at.astimezone(clock.LOCAL_TZ)}


@router.post("/terminal/tests/receipt", response={200: TerminalTestOut, errors(409): ErrorOut},
             openapi_extra=signed(idempotent=True), summary="报告测试小票打印")
def test_receipt(request, payload: ReceiptTestIn):
    """The terminal printed a test receipt (its number and text) — or reports that printing failed."""
    terminal = terminal_of(request)
    key, digest = idempotency(request, "terminal-test-receipt")
    recorded = receipt_test_record(terminal=terminal, key=key, digest=digest, receipt_no=payload.receipt_no,
                                   text=payload.text, printed=payload.printed,
                                   occurred_at=_occurred_at(payload.occurred_at))
    return _test_answer(recorded)


@router.post("/terminal/tests/identification", response={200: IdentifyTestOut, errors(404, 409, 503): ErrorOut},
             openapi_extra=signed(idempotent=True), summary="测试身份识别")
def test_identification(request, payload: IdentifyTestIn):
    """Identify an elder as a test (as /elders/identify does; an elder QR code is not used up).
    Nothing but the test record is written."""
    terminal = terminal_of(request)
    key, digest = idempotency(request, "terminal-test-identification")
    found = identify(request, payload)
    recorded = identification_test_record(terminal=terminal, key=key, digest=digest, identified=found,
                                          occurred_at=clock.now())
    detail = recorded.test.detail
    return {**_test_answer(recorded), "elder_id": detail["elder_id"], "name": detail["elder"],
            "identified_by": detail["identified_by"]}


@router.post("/terminal/tests/meal", response={200: MealTestOut, errors(404, 409, 422, 503): ErrorOut},
             openapi_extra=signed(idempotent=True), summary="培训模式测试就餐")
def test_meal(request, payload: MealTestIn):
    """A training-mode meal: the elder is identified, the order priced from the menu and rated by
    the city's policy exactly as a quote is, and the result kept as a test only — never in the
    ledger, the elder's usage or a settlement. Passes when complete and received within the
    platform's real-time limit of `occurred_at`."""
    terminal = terminal_of(request)
    key, digest = idempotency(request, "terminal-test-meal")
    occurred_at = _occurred_at(payload.occurred_at)
    found = identify(request, payload.elder, usage_on=clock.local_date(occurred_at))
    quote = meal_quote(canteen=terminal.canteen, elder=found.elder, lines=live_lines(payload.items), at=occurred_at)
    recorded = meal_test_record(terminal=terminal, key=key, digest=digest, identified=found, quote=quote,
                                occurred_at=occurred_at)
    test, d = recorded.test, recorded.test.detail
    items = [{"dish_id": i["dish_id"], "name": i["name"], "quantity": i["quantity"],
              "unit_price_fen": i["unit_price_fen"], "unit_price_yuan": yuan(i["unit_price_fen"])} for i in d["items"]]
    return {**_test_answer(recorded), "elder_id": d["elder_id"], "name": d["elder"], "items": items,
            "gross_fen": d["gross_fen"], "gross_yuan": yuan(d["gross_fen"]),
            "benefit_fen": d["benefit_fen"], "benefit_yuan": yuan(d["benefit_fen"]),
            "payable_fen": d["payable_fen"], "payable_yuan": yuan(d["payable_fen"]),
            "explanation_zh": d["explanation_zh"],
            "delay_seconds": round((test.at - test.occurred_at).total_seconds(), 3)}
