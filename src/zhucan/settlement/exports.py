"""Statements and the district subsidy report as .xlsx and PDF (HZ-10, HZ-11).

Money is integer fen everywhere in the platform; this module is the edge where it becomes yuan:
in .xlsx a number (``Decimal(fen).scaleb(-2)``, never a float and never a string) formatted
``#,##0.00``; in PDF text like ``12,345.67``. Every function here takes fen.

The district report is the ``DistrictReport`` the selectors build and the page shows, so the file
a user downloads carries the figures they saw.

``table_xlsx`` and ``table_pdf`` are generic, for other reports (funds: construction subsidies,
operating rewards).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Collection, Sequence
from datetime import date
from io import BytesIO
from typing import Any

from django.template.loader import render_to_string
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from zhucan.core import clock, money
from zhucan.core.pdf import render_pdf
from zhucan.settlement.selectors import DistrictReport

MONEY_FORMAT = "#,##0.00"
COUNT_FORMAT = "#,##0"
TOTAL_LABEL = "合计"
FORMULA_LABEL = "公式复核"

FUNDERS: tuple[tuple[str, str], ...] = (
    ("city", "市级"),
    ("district", "区级"),
    ("canteen", "助餐点"),
    ("other", "其他"),
)
FUNDER_ZH = dict(FUNDERS)


# --- money at the edge ---------------------------------------------------------------------------

fen_to_yuan = money.fen_to_decimal  # exact yuan for a cell: 1250 → Decimal("12.50")
yuan_text = money.fen_to_grouped  # yuan for print, grouped: 123456789 → "1,234,567.89"


def month_zh(month: date) -> str:
    return f"{month.year}年{month.month}月"


def _generated_at() -> str:
    return clock.local_now().strftime("%Y-%m-%d %H:%M") + "（北京时间）"


# --- generic .xlsx --------------------------------------------------------------------------------

def _column_indexes(headers: Sequence[str], columns: Collection[int | str]) -> set[int]:
    return {headers.index(c) if isinstance(c, str) else c for c in columns}


def _display_width(value: Any) -> int:
    text = value if isinstance(value, str) else str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


_THIN = Side(style="thin", color="999999")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_TOTAL_FILL = PatternFill("solid", fgColor="F2F2F2")


def write_table(ws: Worksheet, *, title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]],
                money_columns: Collection[int | str] = (), sum_columns: Collection[int | str] = (),
                subtitle: str = "", total_row: bool = True) -> dict[str, int]:
    """Write a titled table into ``ws``: title (and subtitle) rows, a frozen header row, the rows
    (money columns given in integer fen, written as yuan numbers), then a totals row of computed
    values — readable without a formula engine — and a ``公式复核`` row of SUM formulas that Excel
    recomputes, so an edited sheet shows any difference. Totals cover the money columns and
    ``sum_columns``. Returns the row numbers used (``header``, ``first``, ``last``, ``total``)."""
    headers = list(headers)
    money = _column_indexes(headers, money_columns)
    summed = money | _column_indexes(headers, sum_columns)
    width = len(headers)
    ws.sheet_view.showGridLines = True

    row_no = 1
    ws.cell(row=row_no, column=1, value=title).font = Font(bold=True, size=14)
    if width > 1:
        ws.merge_cells(start_row=row_no, start_column=1, end_row=row_no, end_column=width)
    ws.row_dimensions[row_no].height = 24
    if subtitle:
        row_no += 1
        ws.cell(row=row_no, column=1, value=subtitle).font = Font(color="555555")
        if width > 1:
            ws.merge_cells(start_row=row_no, start_column=1, end_row=row_no, end_column=width)

    header_row = row_no + 1
    widths = [max(8, _display_width(h) + 2) for h in headers]
    for col, header in enumerate(headers, start=1):
        cell = ws.cell(row=header_row, column=col, value=header)
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
        cell.border = _BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)

    totals: dict[int, int] = dict.fromkeys(summed, 0)
    row_no = header_row
    for values in rows:
        row_no += 1
        if len(values) != width:
            raise ValueError(f"row has {len(values)} values, expected {width}: {values!r}")
        for i, value in enumerate(values):
            cell = ws.cell(row=row_no, column=i + 1)
            cell.border = _BORDER
            if value is None:
                continue
            if i in money:
                cell.value = fen_to_yuan(value)
                cell.number_format = MONEY_FORMAT
                widths[i] = max(widths[i], len(yuan_text(value)) + 3)
            else:
                cell.value = value
                if isinstance(value, int) and not isinstance(value, bool):
                    cell.number_format = COUNT_FORMAT
                widths[i] = max(widths[i], _display_width(value) + 2)
            if i in summed:
                if isinstance(value, bool) or not isinstance(value, int):
                    raise TypeError(f"column {headers[i]!r} is totalled: integers only, got {value!r}")
                totals[i] += value
    first_row, last_row = header_row + 1, row_no

    total_row_no = 0
    if total_row:
        row_no += 1
        total_row_no = row_no
        _write_total_row(ws, row_no, width, money, summed, lambda i: totals[i])
        if last_row >= first_row:
            row_no += 1

            def formula(i: int) -> str:
                letter = get_column_letter(i + 1)
                return f"=SUM({letter}{first_row}:{letter}{last_row})"

            _write_total_row(ws, row_no, width, money, summed, formula, label=FORMULA_LABEL, italic=True)
        for i in money:
            widths[i] = max(widths[i], len(yuan_text(totals[i])) + 3)

    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = min(w, 60)
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    return {"header": header_row, "first": first_row, "last": last_row, "total": total_row_no}


def _write_total_row(ws: Worksheet, row_no: int, width: int, money: set[int], summed: set[int], value_of,
                     *, label: str = TOTAL_LABEL, italic: bool = False) -> None:
    for i in range(width):
        cell = ws.cell(row=row_no, column=i + 1)
        cell.font = Font(bold=not italic, italic=italic, color="555555" if italic else None)
        cell.fill = _TOTAL_FILL
        cell.border = _BORDER
        if i == 0 and 0 not in summed:
            cell.value = label
        elif i in summed:
            raw = value_of(i)
            if i in money:
                cell.value = raw if isinstance(raw, str) else fen_to_yuan(raw)
                cell.number_format = MONEY_FORMAT
            else:
                cell.value = raw
                cell.number_format = COUNT_FORMAT


def _workbook() -> Workbook:
    wb = Workbook()
    wb.properties.creator = "智慧助餐"
    return wb


def _save(wb: Workbook) -> bytes:
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def table_xlsx(*, title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]],
               money_columns: Collection[int | str], total_row: bool = True, subtitle: str = "",
               sum_columns: Collection[int | str] = (), sheet: str = "") -> bytes:
    """One table as .xlsx: title row, frozen Chinese header row, money columns (indexes or header
    names; values in integer fen) as yuan numbers, a totals row (values, plus a SUM-formula row)."""
    wb = _workbook()
    ws = wb.active
    ws.title = _sheet_title(sheet or title)
    write_table(ws, title=title, subtitle=subtitle, headers=headers, rows=rows, money_columns=money_columns,
                sum_columns=sum_columns, total_row=total_row)
    return _save(wb)


def _sheet_title(text: str) -> str:
    for ch in "[]:*?/\\":
        text = text.replace(ch, " ")
    return text[:31] or "Sheet"


# --- generic PDF ----------------------------------------------------------------------------------

def _pdf_rows(rows: Sequence[Sequence[Any]], money: set[int]) -> list[list[dict[str, Any]]]:
    out = []
    for values in rows:
        cells = []
        for i, value in enumerate(values):
            numeric = i in money or (isinstance(value, int) and not isinstance(value, bool))
            if value is None:
                text = ""
            elif i in money:
                text = yuan_text(value)
            elif isinstance(value, int) and not isinstance(value, bool):
                text = f"{value:,}"
            else:
                text = str(value)
            cells.append({"text": text, "numeric": numeric})
        out.append(cells)
    return out


def table_pdf(*, title: str, subtitle: str, headers: Sequence[str], rows: Sequence[Sequence[Any]],
              money_columns: Collection[int | str], totals: Sequence[Any] | None,
              signatures: Sequence[str] = (), notes: Sequence[str] = ()) -> bytes:
    """One table as an A4 landscape PDF. ``rows`` and ``totals`` (a row like the others, e.g.
    ``["合计", None, 1234, …]``, or None) carry money in integer fen in ``money_columns``."""
    headers = list(headers)
    money = _column_indexes(headers, money_columns)
    html = render_to_string("settlement/pdf/table.html", {
        "title": title,
        "subtitle": subtitle,
        "headers": [{"text": h, "numeric": i in money} for i, h in enumerate(headers)],
        "rows": _pdf_rows(rows, money),
        "totals": _pdf_rows([totals], money)[0] if totals is not None else None,
        "signatures": list(signatures),
        "notes": list(notes),
        "generated_at": _generated_at(),
    })
    return render_pdf(html)


# --- statements -----------------------------------------------------------------------------------

def _statement_title(statement) -> str:
    region = statement.canteen.region
    city, district = region.city, region.district
    place = "".join(r.name for r in (city, district) if r is not None)
    return f"{place}老年助餐服务月度结算单"


def _rule_names(statement) -> dict[str, str]:
    """Rule id → Chinese name from the canteen's city policy; ids alone if it can't be loaded."""
    from zhucan.rules.labels import rule_names

    return rule_names(statement.canteen, statement.month)


def _statement_lines(statement) -> list[list[Any]]:
    order = {code: i for i, (code, _) in enumerate(FUNDERS)}
    names = _rule_names(statement)
    lines = sorted(statement.lines.all(), key=lambda ln: (order.get(ln.funder, len(order)), ln.funder, ln.rule_id))
    return [[FUNDER_ZH.get(ln.funder, ln.funder), ln.rule_id, names.get(ln.rule_id, ""), ln.meals, ln.amount_fen]
            for ln in lines]


LINE_HEADERS = ["出资方", "规则编号", "规则名称", "人次", "补贴金额（元）"]
SUMMARY_HEADERS = ["项目", "笔数 / 人次", "金额（元）", "说明"]


def _statement_summary(statement) -> list[list[Any]]:
    s = statement
    return _base_summary(s) + _adjustment_summary(s)


def _adjustment_summary(s) -> list[list[Any]]:
    """Recoveries and other adjustments of the month (settlement.Adjustment), when there are any."""
    if not s.adj_count:
        return []
    return [
        ["追回与核减", s.adj_count, s.adj_fen, "预警核实后追回的补贴等，计入本月（负数为追回）"],
        ["其中：市级", None, s.adj_city_fen, ""],
        ["其中：区级", None, s.adj_district_fen, ""],
        ["其中：助餐点", None, s.adj_canteen_fen, ""],
        ["其中：其他", None, s.adj_other_fen, ""],
        ["应拨付补贴", None, s.net_benefit_fen, "= 优惠补贴合计 + 追回与核减"],
    ]


def _base_summary(s) -> list[list[Any]]:
    return [
        ["助餐人次（老年人）", s.elder_meals, None, "老年人用餐，已扣除作废和退款"],
        ["非老年人餐次", s.non_elder_meals, None, ""],
        ["服务老人数", s.elders, None, "按人去重"],
        ["销售笔数", s.sales, None, ""],
        ["冲正笔数（作废、退款）", s.reversals, None, ""],
        ["餐费总额", None, s.gross_fen, ""],
        ["优惠补贴合计", None, s.benefit_fen, "= 市级 + 区级 + 助餐点 + 其他"],
        ["其中：市级", None, s.benefit_city_fen, ""],
        ["其中：区级", None, s.benefit_district_fen, ""],
        ["其中：助餐点", None, s.benefit_canteen_fen, "助餐点让利"],
        ["其中：其他", None, s.benefit_other_fen, ""],
        ["老人实付", None, s.payable_fen, "= 餐费总额 − 优惠补贴合计"],
        ["跨月调整", s.adjustments, s.adjustments_benefit_fen, "以前月份终审后发生的作废、退款、补报，计入本月"],
        ["核对差异（待处理）", s.mismatches_open, None, ""],
        ["核对差异（已处理）", s.mismatches_resolved, None, ""],
    ]


def _statement_subtitle(statement) -> str:
    parts = [
        f"助餐点：{statement.canteen.name}",
        f"所在辖区：{statement.canteen.region.full_name}",
        f"结算月份：{month_zh(statement.month)}",
        f"状态：{statement.get_status_display()}",
    ]
    if statement.paid_reference:
        parts.append(f"拨付凭证号：{statement.paid_reference}")
    return "　".join(parts)


def statement_xlsx(statement) -> bytes:
    """A canteen's monthly statement as .xlsx: sheet 汇总 (the figures), sheet 补贴明细 (benefit
    by funder and rule, with totals that equal the statement's benefit)."""
    title = f"{_statement_title(statement)}（{statement.canteen.name} {month_zh(statement.month)}）"
    subtitle = _statement_subtitle(statement)
    wb = _workbook()
    summary = wb.active
    summary.title = "汇总"
    write_table(summary, title=title, subtitle=subtitle, headers=SUMMARY_HEADERS,
                rows=_statement_summary(statement), money_columns=[2], total_row=False)
    lines = wb.create_sheet("补贴明细")
    write_table(lines, title=f"{title} 补贴明细", subtitle=subtitle, headers=LINE_HEADERS,
                rows=_statement_lines(statement), money_columns=[4], sum_columns=[3])
    return _save(wb)


STATEMENT_SIGNATURES = ("助餐点", "区县民政部门", "市民政部门")


def statement_pdf(statement) -> bytes:
    """A canteen's monthly statement as an A4 landscape PDF with a signature block."""
    s = statement
    lines = _statement_lines(s)
    line_meals = sum(ln[3] for ln in lines)
    line_total = sum(ln[4] for ln in lines)
    funders = [(label, getattr(s, f"benefit_{code}_fen")) for code, label in FUNDERS]
    html = render_to_string("settlement/pdf/statement.html", {
        "title": _statement_title(s),
        "canteen": s.canteen.name,
        "region": s.canteen.region.full_name,
        "month": month_zh(s.month),
        "status": s.get_status_display(),
        "statement": s,
        "figures": [
            ("助餐人次", f"{s.elder_meals:,}"),
            ("服务老人数", f"{s.elders:,}"),
            ("非老年人餐次", f"{s.non_elder_meals:,}"),
            ("销售 / 冲正笔数", f"{s.sales:,} / {s.reversals:,}"),
            ("餐费总额（元）", yuan_text(s.gross_fen)),
            ("优惠补贴合计（元）", yuan_text(s.benefit_fen)),
            ("老人实付（元）", yuan_text(s.payable_fen)),
            ("跨月调整", f"{s.adjustments:,} 笔，补贴 {yuan_text(s.adjustments_benefit_fen)} 元"),
            ("核对差异", f"待处理 {s.mismatches_open:,}，已处理 {s.mismatches_resolved:,}"),
            *([("追回与核减", f"{s.adj_count:,} 笔，{yuan_text(s.adj_fen)} 元"),
               ("应拨付补贴（元）", yuan_text(s.net_benefit_fen))] if s.adj_count else []),
        ],
        "funders": [(label, yuan_text(fen)) for label, fen in funders],
        "funders_total": yuan_text(s.benefit_fen),
        "lines": [[ln[0], ln[1], ln[2], f"{ln[3]:,}", yuan_text(ln[4])] for ln in lines],
        "lines_meals": f"{line_meals:,}",
        "lines_total": yuan_text(line_total),
        "lines_match": line_total == s.benefit_fen,
        "signatures": STATEMENT_SIGNATURES,
        "generated_at": _generated_at(),
    })
    return render_pdf(html)


# --- the district subsidy report (HZ-11) ------------------------------------------------------------

REPORT_HEADERS = ["区县", "助餐点数", "助餐人次", "服务老人数", "餐费总额（元）", "市级补贴（元）", "区级补贴（元）",
                  "助餐点让利（元）", "其他（元）", "补贴合计（元）", "老人实付（元）", "结算状态"]
REPORT_MONEY = [4, 5, 6, 7, 8, 9, 10]
REPORT_SUMMED = [1, 2]
REPORT_NOTE = "服务老人数按区县去重：跨区县就餐的老人在各区县分别计数，故不作合计。"
REPORT_SIGNATURES = ("区县民政部门", "市民政部门", "财政部门")


def _report_rows(report: DistrictReport) -> list[list[Any]]:
    return [[r.name, r.canteens, r.meals, r.elders, r.gross_fen, r.benefit_city_fen, r.benefit_district_fen,
             r.benefit_canteen_fen, r.benefit_other_fen, r.benefit_fen, r.payable_fen, r.statuses_text]
            for r in report.rows]


def _report_subtitle(report: DistrictReport) -> str:
    return f"范围：{report.scope_name}　结算月份：{month_zh(report.month)}"


def district_report_xlsx(report: DistrictReport) -> bytes:
    """The district subsidy report (HZ-11) as .xlsx, one row per district, with totals."""
    return table_xlsx(title=f"{report.title}（{month_zh(report.month)}）",
                      subtitle=f"{_report_subtitle(report)}　{REPORT_NOTE}", headers=REPORT_HEADERS,
                      rows=_report_rows(report), money_columns=REPORT_MONEY, sum_columns=REPORT_SUMMED,
                      sheet="补贴汇总")


def district_report_pdf(report: DistrictReport) -> bytes:
    """The district subsidy report (HZ-11) as an A4 landscape PDF, ready for the finance bureau."""
    t = report.totals
    totals = [TOTAL_LABEL, t.canteens, t.meals, None, t.gross_fen, t.benefit_city_fen, t.benefit_district_fen,
              t.benefit_canteen_fen, t.benefit_other_fen, t.benefit_fen, t.payable_fen, t.statuses_text]
    return table_pdf(title=report.title, subtitle=_report_subtitle(report), headers=REPORT_HEADERS,
                     rows=_report_rows(report), money_columns=REPORT_MONEY, totals=totals,
                     signatures=REPORT_SIGNATURES, notes=[REPORT_NOTE])
