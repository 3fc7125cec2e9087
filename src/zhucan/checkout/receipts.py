"""Receipts: a committed meal → `ReceiptData` → text lines / ESC/POS bytes → printer.

    result = services.meal_commit(...)
    data = receipt_from_meal(result.meal, remaining=result.remaining)
    try:
        print_receipt(data, printer_from_url(terminal_printer_url))
    except PrinterError as exc:        # PRINTER_UNREACHABLE: the meal stands, offer a reprint
        ...

Layout: receipts_render (pure text, 58 mm = 32 columns, 80 mm = 48). Printers: receipts_printers.
"""

from __future__ import annotations

from zhucan.checkout.receipts_printers import (
    FS_CHINESE_ON,
    PrinterError,
    print_receipt,
    printer_from_url,
    receipt_bytes,
)
from zhucan.checkout.receipts_render import (
    FUNDER_ORDER,
    FUNDER_ZH,
    TENDER_ZH,
    WIDTH_58MM,
    WIDTH_80MM,
    ReceiptData,
    fen_to_yuan,
    mask_name,
    render_lines,
    text_width,
)

__all__ = [
    "FS_CHINESE_ON", "FUNDER_ZH", "TENDER_ZH", "WIDTH_58MM", "WIDTH_80MM", "PrinterError", "ReceiptData",
    "fen_to_yuan", "mask_name", "print_receipt", "printer_from_url", "receipt_bytes", "receipt_from_meal",
    "render_lines", "text_width",
]


def receipt_from_meal(meal, remaining: list[dict] | None = None) -> ReceiptData:
    """Read a zhucan.checkout.models.Meal (a sale or a reversal) into ReceiptData.

    `remaining` is today's allowance after this meal (CommitResult.remaining); None prints no
    allowance section (e.g. a reprint, where "today's remaining" may no longer be true)."""
    by_funder: dict[str, int] = {}
    for line in meal.rows("benefit_lines"):
        by_funder[line.funder] = by_funder.get(line.funder, 0) + line.amount_fen
    order = {code: i for i, code in enumerate(FUNDER_ORDER)}
    funders = sorted(by_funder, key=lambda code: (order.get(code, len(order)), code))
    return ReceiptData(
        canteen_name=meal.canteen.name,
        receipt_no=meal.receipt_no,
        at=meal.at,
        kind=meal.kind,
        reverses_receipt_no=meal.reverses.receipt_no if meal.reverses_id else "",
        elder_label=mask_name(meal.elder.name) if meal.elder_id else "",
        items=[(i.name, i.quantity, i.unit_price_fen, i.line_fen) for i in meal.rows("items")],
        gross_fen=meal.gross_fen,
        benefit_by_funder=[(code, by_funder[code]) for code in funders if by_funder[code]],
        payable_fen=meal.payable_fen,
        tenders=[(t.kind, t.amount_fen) for t in meal.rows("tenders")],
        remaining=[dict(entry) for entry in remaining or []],
        explanation_zh=meal.explanation_zh,
    )
