"""Writing a list to .xlsx: Chinese headers, frozen header row, sensible column widths. Money is
passed as two-place Decimal yuan (never a float) and shown with two decimals."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from io import BytesIO

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter


def xlsx_bytes(*, sheet: str, headers: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    wb = Workbook(write_only=False)
    ws = wb.active
    ws.title = sheet[:31]
    ws.append(list(headers))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    widths = [max(4, len(str(h)) * 2) for h in headers]
    # Count the rows here: ws.max_row scans every cell, which made a long export quadratic.
    for row_number, row in enumerate(rows, start=2):
        values = list(row)
        ws.append(values)
        for column, value in enumerate(values, start=1):
            if isinstance(value, Decimal):  # money (core.money.fen_to_decimal): shown as 12.50
                ws.cell(row=row_number, column=column).number_format = "0.00"
        for i, v in enumerate(values):
            widths[i] = min(40, max(widths[i], len(str(v or "")) + 2))
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def xlsx_response(filename: str, content: bytes) -> HttpResponse:
    from urllib.parse import quote

    response = HttpResponse(
        content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response
