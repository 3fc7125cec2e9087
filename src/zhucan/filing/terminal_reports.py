"""What a terminal reports for its canteen's filing (HZ-F4, HZ-F5): its capabilities, a test
receipt printed, a test identification, a training-mode test meal. Test rows never touch the
ledger, the elders' usage or any settlement: they are TerminalTest rows only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from zhucan.core import clock
from zhucan.core.audit import audit_record
from zhucan.filing.checks import CAPABILITIES, meal_test_complete
from zhucan.filing.models import TerminalCapabilities, TerminalTest, TerminalTestKind

_CAPABILITY_NAMES = tuple(name for name, _label in CAPABILITIES)


def _mask_name(name: str) -> str:
    name = name.strip()
    if len(name) <= 1:
        return name
    return name[0] + "*" * max(1, len(name) - 2) + (name[-1] if len(name) > 2 else "")


def _audit(terminal, action: str, obj, after: dict) -> None:
    audit_record(actor=None, action=action, obj=obj, note=f"终端 {terminal.name}（{terminal.key_id}）",
                 region_path=terminal.canteen.region.path, after=after)


def terminal_capabilities_report(*, terminal, flags: dict[str, bool], software: str = "") -> TerminalCapabilities:
    """Record what the terminal can do (replaces its previous report)."""
    values = {name: bool(flags.get(name, False)) for name in _CAPABILITY_NAMES}
    with transaction.atomic():
        caps, _created = TerminalCapabilities.objects.update_or_create(
            terminal=terminal, defaults={**values, "software": software[:80], "reported_at": clock.now()})
        _audit(terminal, "filing.terminal_capabilities", caps, {**values, "software": caps.software})
    return caps


def _replay(terminal, kind: str, key: str) -> TerminalTest | None:
    return TerminalTest.objects.filter(terminal=terminal, kind=kind, detail__idempotency_key=key).first()


@dataclass
class Recorded:
    test: TerminalTest
    replayed: bool


def _record(terminal, kind: str, *, key: str, digest: str, detail: dict, passed: bool,
            occurred_at: datetime | None) -> Recorded:
    from zhucan.checkout.errors import checkout_error

    with transaction.atomic():
        previous = _replay(terminal, kind, key)
        if previous is not None:
            if previous.detail.get("request_digest") != digest:
                raise checkout_error("IDEMPOTENCY_KEY_REUSED")
            return Recorded(previous, True)
        test = TerminalTest(terminal=terminal, kind=kind, at=clock.now(), occurred_at=occurred_at,
                            detail={**detail, "idempotency_key": key, "request_digest": digest}, passed=passed)
        if kind == TerminalTestKind.MEAL:
            test.passed = meal_test_complete(test)
        test.save()
        _audit(terminal, f"filing.terminal_test.{kind}", test, {"passed": test.passed, **detail})
    return Recorded(test, False)


def receipt_test_record(*, terminal, key: str, digest: str, receipt_no: str, text: str, printed: bool,
                        occurred_at: datetime | None = None) -> Recorded:
    """The terminal printed (or failed to print) a test receipt."""
    detail = {"receipt_no": receipt_no, "text": text[:2000], "printed": printed}
    return _record(terminal, TerminalTestKind.RECEIPT, key=key, digest=digest, detail=detail, passed=printed,
                   occurred_at=occurred_at)


def identification_test_record(*, terminal, key: str, digest: str, identified, occurred_at=None) -> Recorded:
    """An elder identified at the terminal as a test (nothing else is written)."""
    elder = identified.elder
    detail = {"elder_id": elder.pk, "elder": _mask_name(elder.name), "identified_by": identified.identified_by}
    return _record(terminal, TerminalTestKind.IDENTIFICATION, key=key, digest=digest, detail=detail, passed=True,
                   occurred_at=occurred_at)


def meal_test_record(*, terminal, key: str, digest: str, identified, quote, occurred_at: datetime) -> Recorded:
    """A training-mode meal: priced and rated by the real quote, kept only as a test row."""
    elder = identified.elder
    detail = {
        "elder_id": elder.pk,
        "elder": _mask_name(elder.name),
        "identified_by": identified.identified_by,
        "items": [{"dish_id": d, "name": n, "quantity": q, "unit_price_fen": p} for d, n, q, p in quote.order.items],
        "gross_fen": quote.order.gross_fen,
        "benefit_fen": quote.benefit_fen,
        "payable_fen": quote.payable_fen,
        "period": quote.quote.period_name if quote.quote else None,
        "reason_code": quote.quote.reason_code if quote.quote else None,
        "explanation_zh": quote.explanation_zh,
    }
    return _record(terminal, TerminalTestKind.MEAL, key=key, digest=digest, detail=detail, passed=False,
                   occurred_at=occurred_at)


@dataclass
class TerminalReport:
    terminal: object
    capabilities: TerminalCapabilities | None
    tests: list[TerminalTest]


def terminal_reports(*, canteen, per_terminal: int = 10) -> list[TerminalReport]:
    """Each registered terminal of the canteen with its reported capabilities and latest tests
    (the caller has checked the canteen is in the user's scope)."""
    out = []
    for terminal in canteen.terminals.order_by("revoked_at", "pk"):
        caps = TerminalCapabilities.objects.filter(terminal=terminal).first()
        tests = list(TerminalTest.objects.filter(terminal=terminal)[:per_terminal])
        out.append(TerminalReport(terminal, caps, tests))
    return out
