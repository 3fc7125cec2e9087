"""Money at the edges of the engine: yuan strings <-> integer fen (the platform's rules, from
:mod:`zhucan.core.money`), and half-up rounding of rates.

The engine never uses floats for money. Yuan strings have at most two decimals; rates (a discount
of ``"0.20"``) are kept as integer parts per ten thousand (basis points) so a percentage benefit is
``(amount_fen * bp + 5000) // 10000`` — exact, rounded half up to the fen.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

import zhucan.core.money as money

from .errors import InputError

_RATE_RE = re.compile(r"^\s*(\d+)(?:\.(\d{1,4}))?\s*$")

BP_ONE = 10_000


def parse_yuan(value: object, field: str = "amount") -> int:
    """Parse a yuan amount (``"12.50"``, ``12``, ``Decimal('3.1')``) into integer fen.

    The rules are the platform's (:func:`zhucan.core.money.parse_yuan`); policy files and meal tables
    may also hold floats, taken only when exact to the fen. A refusal is an :class:`InputError`
    naming ``field``.
    """
    if isinstance(value, float):
        # Floats only arrive from spreadsheet-like inputs; accept them only if exact to the fen.
        dec = Decimal(repr(value))
        if dec.is_finite() and dec != dec.quantize(Decimal("0.01")):
            raise InputError(field, f"amount {value!r} has more than two decimals")
        value = dec
    try:
        return money.parse_yuan(value)
    except money.MoneyError as exc:
        raise InputError(field, f"{exc.message_en}: {value!r}") from None


format_fen = money.fen_to_yuan


def parse_rate(value: object, field: str = "rate") -> int:
    """Parse a rate between 0 and 1 (``"0.20"``) into basis points (``2000``); at most 4 decimals."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
        raise InputError(field, f"expected a rate like \"0.20\", got {value!r}")
    text = repr(value) if isinstance(value, float) else str(value)
    m = _RATE_RE.match(text)
    if not m:
        try:
            Decimal(text)
        except InvalidOperation:
            raise InputError(field, f"not a rate: {text!r}") from None
        raise InputError(field, f"rate {text!r} must be between 0 and 1 with at most 4 decimals")
    bp = int(m.group(1)) * BP_ONE + int((m.group(2) or "").ljust(4, "0"))
    if bp > BP_ONE:
        raise InputError(field, f"rate {text!r} is above 1")
    return bp


def apply_rate(amount_fen: int, bp: int) -> int:
    """``amount_fen * bp / 10000`` rounded half up to the fen (policy-scenarios.md rounding rule)."""
    return (amount_fen * bp + 5_000) // BP_ONE


def bp_to_zhe(bp: int) -> str:
    """A discount in basis points as the Chinese 折 label the elder knows (2000 -> ``8折``)."""
    pay = BP_ONE - bp
    if pay % 1000 == 0:
        return f"{pay // 1000}折"
    text = f"{pay / 1000:.3f}".rstrip("0").rstrip(".")
    return f"{text}折"


def split_proportional(total_fen: int, weights: list[int]) -> list[int]:
    """``total_fen`` shared in proportion to ``weights`` (fen), exact to the fen.

    Each share is rounded down; the fen left over go one each to the largest remainders, ties to
    the earlier weight (Liaocheng: a 3.01 meal against 2.00 + 2.00 gives 1.51 + 1.50, the odd fen to
    the city rule listed first).
    """
    whole = sum(weights)
    if whole <= 0:
        return [0] * len(weights)
    shares = [total_fen * w // whole for w in weights]
    left = total_fen - sum(shares)
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(total_fen * weights[i] % whole), i))
    for i in by_remainder[:left]:
        shares[i] += 1
    return shares
