"""Receipt layout as plain text: pure, no Django, no printer.

Amounts are integer fen and are formatted exactly (1234 → "12.34", -450 → "-4.50"). Columns are
counted as a Chinese thermal printer prints them: an ASCII character takes one column, every other
character (sent as GB18030 double/four-byte) a full-width glyph of two columns. 58 mm paper holds
32 columns, 80 mm paper 48.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from zhucan.core import sealed
from zhucan.core.money import fen_to_yuan

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
WIDTH_58MM = 32
WIDTH_80MM = 48
MIN_WIDTH = 24

FUNDER_ZH = {"city": "市级优惠", "district": "区级补贴", "canteen": "助餐机构让利"}
FUNDER_ORDER = ("city", "district", "canteen")
TENDER_ZH = {"cash": "现金", "card": "市民卡", "wechat": "微信", "alipay": "支付宝", "other": "其他"}
KIND_TITLE_ZH = {"sale": "助餐消费小票", "void": "撤销小票", "refund": "退款小票"}
KIND_ZH = {"sale": "消费", "void": "撤销", "refund": "退款"}
DEFAULT_FOOTER = "全城通 智慧助餐 · 凭小票可查询"

Item = tuple[str, int, int, int]  # (name, quantity, unit price fen, line total fen)


@dataclass
class ReceiptData:
    canteen_name: str
    receipt_no: str
    at: datetime  # aware; printed in Asia/Shanghai
    kind: str = "sale"  # sale / void / refund
    reverses_receipt_no: str = ""
    elder_label: str = ""  # already masked: 张*英
    items: list[Item] = field(default_factory=list)
    gross_fen: int = 0
    benefit_by_funder: list[tuple[str, int]] = field(default_factory=list)  # (funder code, fen)
    payable_fen: int = 0
    tenders: list[tuple[str, int]] = field(default_factory=list)  # (tender kind, fen)
    remaining: list[dict] = field(default_factory=list)  # {"name_zh", "remaining_fen"?, "remaining_meals"?}
    explanation_zh: str = ""
    footer: str = DEFAULT_FOOTER


def mask_name(name: str) -> str:
    """The masked name (张*英) with printer control characters blanked."""
    return sealed.mask_name(clean(name))


def clean(text: str) -> str:
    """Control and format characters (newlines, ESC …) would inject printer commands: blank them."""
    return "".join(" " if unicodedata.category(ch).startswith("C") else ch for ch in str(text))


def char_width(ch: str) -> int:
    if unicodedata.combining(ch):
        return 0
    return 1 if ord(ch) < 0x80 else 2


def text_width(text: str) -> int:
    return sum(char_width(ch) for ch in text)


def wrap(text: str, width: int) -> list[str]:
    """Break text into lines of at most `width` columns (character-wise; Chinese has no spaces)."""
    lines, cur, cur_w = [], "", 0
    for ch in clean(text):
        w = char_width(ch)
        if cur_w + w > width and cur:
            lines.append(cur.rstrip())
            cur, cur_w = "", 0
            if ch == " ":
                continue
        cur += ch
        cur_w += w
    if cur.strip() or not lines:
        lines.append(cur.rstrip())
    return lines


def pad(text: str, width: int) -> str:
    return text + " " * max(0, width - text_width(text))


def rjust(text: str, width: int) -> str:
    return " " * max(0, width - text_width(text)) + text


def center(text: str, width: int) -> list[str]:
    return [" " * ((width - text_width(line)) // 2) + line for line in wrap(text, width)]


def left_right(left: str, right: str, width: int) -> list[str]:
    """`left` … `right` on one line; if they do not fit, `left` wrapped and `right` alone, right-aligned."""
    left, right = clean(left), clean(right)
    if text_width(left) + 1 + text_width(right) <= width:
        return [left + " " * (width - text_width(left) - text_width(right)) + right]
    return wrap(left, width) + [rjust(line, width) for line in wrap(right, width)]


def _item_lines(name: str, qty: int, unit_fen: int, line_fen: int, width: int) -> list[str]:
    unit, total = fen_to_yuan(unit_fen), fen_to_yuan(line_fen)
    if width >= 40:  # one row: name | qty | unit | total, the name wrapping in its own column
        name_w = width - 24
        names = wrap(name, name_w)
        row = pad(names[0], name_w) + rjust(str(qty), 4) + rjust(unit, 10) + rjust(total, 10)
        if text_width(row) <= width:
            return [row, *names[1:]]
    return wrap(name, width) + left_right(f"    {qty} × {unit}", total, width)


def render_styled(data: ReceiptData, width: int = WIDTH_58MM) -> list[tuple[str, str]]:
    """The receipt as (style, text) pairs; style is "" or "bold", or "qr" (text = what the code holds)."""
    if width < MIN_WIDTH:
        raise ValueError(f"receipt width must be at least {MIN_WIDTH} columns")
    if data.at.tzinfo is None:
        raise ValueError("naive datetime: the receipt time must carry its timezone")
    if data.kind not in KIND_TITLE_ZH:
        raise ValueError(f"unknown receipt kind {data.kind!r}")
    sep = ("", "-" * width)
    out: list[tuple[str, str]] = [("bold", line) for line in center(data.canteen_name, width)]
    out += [("bold", line) for line in center(KIND_TITLE_ZH[data.kind], width)]
    out.append(sep)
    out += [("", line) for line in wrap(f"单号：{data.receipt_no}", width)]
    if data.kind != "sale":
        label = f"{KIND_ZH[data.kind]}原单号：{data.reverses_receipt_no or '—'}"
        out += [("bold", line) for line in wrap(label, width)]
    out.append(("", f"时间：{data.at.astimezone(LOCAL_TZ):%Y-%m-%d %H:%M:%S}"))
    if data.elder_label:
        out += [("", line) for line in wrap(f"长者：{data.elder_label}", width)]
    out.append(sep)

    if width >= 40:
        out.append(("", pad("品名", width - 24) + rjust("数量", 4) + rjust("单价", 10) + rjust("金额", 10)))
    else:
        out += [("", line) for line in left_right("品名 数量×单价", "金额", width)]
    for name, qty, unit_fen, line_fen in data.items:
        out += [("", line) for line in _item_lines(name, qty, unit_fen, line_fen, width)]
    out.append(sep)

    out += [("", line) for line in left_right("合计", fen_to_yuan(data.gross_fen), width)]
    for funder, fen in data.benefit_by_funder:
        label = FUNDER_ZH.get(funder, f"其他优惠（{funder}）")
        out += [("", line) for line in left_right(label, fen_to_yuan(fen), width)]
    if len(data.benefit_by_funder) > 1:
        total = sum(fen for _f, fen in data.benefit_by_funder)
        out += [("", line) for line in left_right("优惠合计", fen_to_yuan(total), width)]
    label = "应付" if data.kind == "sale" else f"应付（{KIND_ZH[data.kind]}）"
    out += [("bold", line) for line in left_right(label, fen_to_yuan(data.payable_fen), width)]
    for kind, fen in data.tenders:
        out += [("", line) for line in left_right(f"  {TENDER_ZH.get(kind, kind)}", fen_to_yuan(fen), width)]

    if data.remaining:
        out.append(sep)
        for entry in data.remaining:
            if len(data.remaining) > 1 and entry.get("name_zh"):
                out += [("", line) for line in wrap(f"【{entry['name_zh']}】", width)]
            if entry.get("remaining_fen") is not None:
                value = f"{fen_to_yuan(entry['remaining_fen'])} 元"
                out += [("", line) for line in left_right("今日剩余优惠额度", value, width)]
            if entry.get("remaining_meals") is not None:
                out += [("", line) for line in left_right("今日剩余补助餐次", str(entry["remaining_meals"]), width)]
    if data.explanation_zh:
        out.append(sep)
        out += [("", line) for line in wrap(data.explanation_zh, width)]
    out.append(sep)
    out.append(("qr", data.receipt_no))
    if data.footer:
        out += [("", line) for line in center(data.footer, width)]
    return out


def render_lines(data: ReceiptData, width: int = WIDTH_58MM) -> list[str]:
    """The receipt as plain text lines, none wider than `width` columns (Han characters count 2)."""
    return [text for style, text in render_styled(data, width) if style != "qr"]
