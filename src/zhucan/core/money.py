"""Money at the edges: integer fen inside, yuan text outside.

Everything inside the platform counts integer fen. This module is the one place that turns fen into
what people read ("12.34", "¥12.34", "1,234.50", a two-place Decimal for a spreadsheet cell) and yuan
text typed or imported by people back into fen.

It is the ground floor for money: pure Python with no Django and no other zhucan import, so the pure
policy engine uses it as well as every Django app. Nothing here touches a float: a float cannot hold
most fen amounts exactly, so it is refused on the way in and never produced on the way out.
"""

from __future__ import annotations

import re
from decimal import Decimal

__all__ = [
    "MoneyError", "fen_to_decimal", "fen_to_grouped", "fen_to_label", "fen_to_yuan", "parse_yuan",
]

_CENT = Decimal("0.01")

# Whole part either plain digits or digits grouped by threes ("1,234,567"); at most two decimals.
_PLAIN = r"\d+"
_GROUPED = r"\d{1,3}(?:,\d{3})+"
# ASCII digits only: Python's \d also matches full-width and other scripts' digits.
_YUAN_RE = re.compile(rf"^(-)?({_PLAIN}|{_GROUPED})(?:\.(\d{{1,2}}))?$", re.ASCII)
_TOO_PRECISE_RE = re.compile(rf"^-?(?:{_PLAIN}|{_GROUPED})\.\d{{3,}}$", re.ASCII)
_NUMBERISH_RE = re.compile(r"^-?[\d,]+(?:\.\d*)?$", re.ASCII)


class MoneyError(ValueError):
    """A yuan amount that cannot be taken as exact fen. ``reason`` is a stable code; the messages
    say what is wrong in the words a cashier or an importer of a spreadsheet understands."""

    MESSAGES = {
        "EMPTY": ("请填写金额", "the amount is empty"),
        "NOT_A_NUMBER": ("金额应为数字，如 12.50", "not a yuan amount such as 12.50"),
        "TOO_MANY_DECIMALS": ("金额最多两位小数（精确到分）", "more than two decimals (a fen is 0.01)"),
        "NEGATIVE": ("金额不能为负数", "negative amount"),
        "BAD_GROUPING": ("千位分隔符位置不对，如 1,234.50", "thousands separators misplaced (write 1,234.50)"),
        "TOO_LARGE": ("金额超出允许范围", "amount above the allowed maximum"),
    }

    def __init__(self, reason: str, value: object):
        self.reason = reason
        self.value = value
        self.message_zh, self.message_en = self.MESSAGES[reason]
        super().__init__(f"{self.message_en}: {value!r}")


def _check_fen(fen: object) -> int:
    if isinstance(fen, bool) or not isinstance(fen, int):
        raise TypeError(f"amount must be integer fen, got {type(fen).__name__}")
    return fen


def fen_to_yuan(fen: int) -> str:
    """1234 → "12.34", 5 → "0.05", -5 → "-0.05"."""
    fen = _check_fen(fen)
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}.{cents:02d}"


def fen_to_grouped(fen: int) -> str:
    """Thousands separators for reports: 123456789 → "1,234,567.89"."""
    fen = _check_fen(fen)
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole:,}.{cents:02d}"


def fen_to_label(fen: int) -> str:
    """With the currency sign for a screen or a receipt line: 1234 → "¥12.34", -5 → "-¥0.05"."""
    text = fen_to_yuan(fen)
    return f"-¥{text[1:]}" if text.startswith("-") else f"¥{text}"


def fen_to_decimal(fen: int) -> Decimal:
    """Exact yuan with two places for a spreadsheet cell or a JSON number: 1234 → Decimal("12.34")."""
    return (Decimal(_check_fen(fen)) / 100).quantize(_CENT)


def parse_yuan(value: object, *, allow_negative: bool = False, max_fen: int | None = None) -> int:
    """Yuan as people write it → integer fen.

    Accepts "12", "12.3" (12.30), "12.30", "1,234.50" (separators only in threes), surrounding
    blanks, an ``int`` (whole yuan) or a ``Decimal``. Refuses with :class:`MoneyError` naming the
    reason: more than two decimals ("12.345"), a negative amount unless ``allow_negative``, a
    misplaced separator ("1,00"), anything else, and any float (a float cannot say 0.10 exactly).
    """
    if isinstance(value, bool) or isinstance(value, float):
        raise MoneyError("NOT_A_NUMBER", value)
    if isinstance(value, int):
        text = str(value)
    elif isinstance(value, Decimal):
        if not value.is_finite():
            raise MoneyError("NOT_A_NUMBER", value)
        text = format(value, "f")
        if "." in text:  # Decimal("12.500") is exact to the fen: trailing zeros are not precision
            text = text.rstrip("0").rstrip(".") or "0"
    elif isinstance(value, str):
        text = value.strip()
    else:
        raise MoneyError("NOT_A_NUMBER", value)
    if not text:
        raise MoneyError("EMPTY", value)
    m = _YUAN_RE.match(text)
    if m is None:
        if _TOO_PRECISE_RE.match(text):
            raise MoneyError("TOO_MANY_DECIMALS", value)
        if "," in text and _NUMBERISH_RE.match(text):
            raise MoneyError("BAD_GROUPING", value)
        raise MoneyError("NOT_A_NUMBER", value)
    negative, whole, frac = m.group(1), m.group(2).replace(",", ""), m.group(3) or ""
    fen = int(whole) * 100 + int(frac.ljust(2, "0"))
    if negative and fen:
        if not allow_negative:
            raise MoneyError("NEGATIVE", value)
        fen = -fen
    if max_fen is not None and abs(fen) > max_fen:
        raise MoneyError("TOO_LARGE", value)
    return fen
