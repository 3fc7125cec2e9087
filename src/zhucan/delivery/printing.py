"""The kitchen's paper: the production sheet (portions per dish, then every order with its diet
notes) and one label per meal, as PDF (zhucan.core.pdf) and as ESC/POS bytes for the canteen's
receipt printer (the checkout's printer URLs: tcp://, usb://, serial://, file://)."""

from __future__ import annotations

from django.template.loader import render_to_string
from escpos.printer import Dummy

from zhucan.checkout.receipts_printers import (
    ESC_BOLD_OFF,
    ESC_BOLD_ON,
    ESC_INIT,
    FS_CHINESE_ON,
    _unreachable,
    describe,
)
from zhucan.core.pdf import render_pdf
from zhucan.delivery import selectors


def _context(canteen, local_date, period, period_label):
    board = selectors.board(canteen=canteen, local_date=local_date, period=period)
    return {"canteen": canteen, "day": local_date, "period_label": period_label, "board": board,
            "labels": selectors.labels(canteen=canteen, local_date=local_date, period=period)}


def sheet_pdf(canteen, local_date, period, period_label) -> bytes:
    return render_pdf(render_to_string("delivery/sheet_pdf.html", _context(canteen, local_date, period, period_label)))


def labels_pdf(canteen, local_date, period, period_label) -> bytes:
    return render_pdf(render_to_string("delivery/labels_pdf.html", _context(canteen, local_date, period, period_label)))


def labels_lines(canteen, local_date, period, period_label) -> list[list[tuple[str, str]]]:
    """Each label as (style, text) lines: "bold" or "" ."""
    out = []
    for label in selectors.labels(canteen=canteen, local_date=local_date, period=period):
        lines = [("bold", f"{label.name}  {label.fulfilment}"),
                 ("", f"{canteen.name} {local_date:%m-%d} {period_label}")]
        if label.route:
            lines.append(("", label.route))
        lines.append(("", f"地址：{label.address}"))
        lines.append(("", f"餐品：{label.dishes}"))
        if label.diet:
            lines.append(("bold", f"饮食：{label.diet}"))
        lines.append(("", f"订单号：{label.order_id}"))
        out.append(lines)
    return out


def labels_escpos(canteen, local_date, period, period_label) -> bytes:
    """The ESC/POS byte stream of all labels, each cut."""
    out = Dummy()
    for label in labels_lines(canteen, local_date, period, period_label):
        out._raw(ESC_INIT + FS_CHINESE_ON)
        for style, text in label:
            line = text.encode("gb18030", errors="replace") + b"\n"
            out._raw(ESC_BOLD_ON + line + ESC_BOLD_OFF if style == "bold" else line)
        out.cut()
    return out.output


def print_labels(canteen, local_date, period, period_label, printer) -> int:
    payload = labels_escpos(canteen, local_date, period, period_label)
    try:
        printer._raw(payload)
        if hasattr(printer, "flush"):
            printer.flush()
    except Exception as exc:
        raise _unreachable(describe(printer), exc) from exc
    finally:
        try:
            printer.close()
        except Exception:
            pass
    return len(payload)
