"""The district's view of a canteen's terminals for its filing (HZ-F4, HZ-F5): what each terminal
reported it can do, and the test receipts, identifications and training-mode meals it sent."""

from __future__ import annotations

from django.shortcuts import render

from zhucan.accounts.gate import requires
from zhucan.core.money import fen_to_yuan
from zhucan.filing import selectors
from zhucan.filing.checks import CAPABILITIES, realtime_seconds
from zhucan.filing.models import TerminalTestKind
from zhucan.filing.terminal_reports import terminal_reports


def _test_row(test) -> dict:
    d = test.detail or {}
    if test.kind == TerminalTestKind.RECEIPT:
        what = f"小票 {d.get('receipt_no', '')}：{'已打印' if d.get('printed') else '打印失败'}"
    elif test.kind == TerminalTestKind.IDENTIFICATION:
        what = f"识别老人 {d.get('elder', '')}"
    else:
        dishes = "、".join(f"{i.get('name')}×{i.get('quantity')}" for i in d.get("items") or [])
        delay = (test.at - test.occurred_at).total_seconds() if test.occurred_at else None
        what = (f"{d.get('elder', '')}，{dishes}，消费{fen_to_yuan(d.get('gross_fen') or 0)}元，"
                f"优惠{fen_to_yuan(d.get('benefit_fen') or 0)}元"
                + (f"，{delay:.0f}秒后到达平台" if delay is not None else ""))
    return {"test": test, "what": what, "receipt_text": d.get("text", "") if test.kind == "receipt" else ""}


@requires("filing", "view")
def terminals(request, canteen_id: int):
    canteen = selectors.canteen_get(user=request.user, canteen_id=canteen_id)
    rows = [{"terminal": r.terminal, "caps": [(label, getattr(r.capabilities, name)) for name, label in CAPABILITIES]
             if r.capabilities else None, "reported_at": r.capabilities.reported_at if r.capabilities else None,
             "software": r.capabilities.software if r.capabilities else "", "tests": [_test_row(t) for t in r.tests]}
            for r in terminal_reports(canteen=canteen)]
    return render(request, "filing/terminals.html", {"canteen": canteen, "rows": rows,
                                                     "realtime_seconds": realtime_seconds()})
