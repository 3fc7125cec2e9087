"""zhucan.core.money: fen <-> yuan text, exact both ways."""

import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhucan.core.money import (
    MoneyError,
    fen_to_decimal,
    fen_to_grouped,
    fen_to_label,
    fen_to_yuan,
    parse_yuan,
)

fens = st.integers(min_value=-10**15, max_value=10**15)


@given(fens)
def test_yuan_text_round_trips(fen):
    assert parse_yuan(fen_to_yuan(fen), allow_negative=True) == fen


@given(fens)
def test_grouped_text_round_trips(fen):
    assert parse_yuan(fen_to_grouped(fen), allow_negative=True) == fen


@given(fens)
def test_decimal_is_exact_with_two_places(fen):
    d = fen_to_decimal(fen)
    assert d.as_tuple().exponent == -2
    assert d * 100 == fen
    assert parse_yuan(d, allow_negative=True) == fen


@given(st.integers(min_value=0, max_value=10**12), st.integers(min_value=0, max_value=99))
def test_one_or_two_decimals_parse_exactly(whole, cents):
    assert parse_yuan(f"{whole}.{cents:02d}") == whole * 100 + cents
    if cents % 10 == 0:
        assert parse_yuan(f"{whole}.{cents // 10}") == whole * 100 + cents


@pytest.mark.parametrize(
    ("fen", "plain", "label", "grouped"),
    [(0, "0.00", "¥0.00", "0.00"), (5, "0.05", "¥0.05", "0.05"), (-5, "-0.05", "-¥0.05", "-0.05"),
     (1234, "12.34", "¥12.34", "12.34"), (-450, "-4.50", "-¥4.50", "-4.50"),
     (123456789, "1234567.89", "¥1234567.89", "1,234,567.89"), (100000, "1000.00", "¥1000.00", "1,000.00")],
)
def test_formats(fen, plain, label, grouped):
    assert fen_to_yuan(fen) == plain
    assert fen_to_label(fen) == label
    assert fen_to_grouped(fen) == grouped


@pytest.mark.parametrize(
    ("text", "fen"),
    [("12", 1200), ("12.3", 1230), ("12.30", 1230), (" 0.01 ", 1), ("1,234.50", 123450),
     ("1,234,567", 123456700), (7, 700), (Decimal("3.1"), 310), (Decimal("12.500"), 1250), ("-0", 0)],
)
def test_parse_accepts(text, fen):
    assert parse_yuan(text) == fen


@pytest.mark.parametrize(
    ("text", "reason"),
    [("12.345", "TOO_MANY_DECIMALS"), ("0.001", "TOO_MANY_DECIMALS"), (Decimal("1.005"), "TOO_MANY_DECIMALS"),
     ("-1.00", "NEGATIVE"), (-3, "NEGATIVE"), ("1,00", "BAD_GROUPING"), ("12,34.5", "BAD_GROUPING"),
     ("", "EMPTY"), ("  ", "EMPTY"), ("abc", "NOT_A_NUMBER"), ("1e3", "NOT_A_NUMBER"), ("12.", "NOT_A_NUMBER"),
     (".5", "NOT_A_NUMBER"), ("¥12", "NOT_A_NUMBER"), ("１２", "NOT_A_NUMBER"), (12.5, "NOT_A_NUMBER"),
     (True, "NOT_A_NUMBER"), (None, "NOT_A_NUMBER"), (Decimal("NaN"), "NOT_A_NUMBER")],
)
def test_parse_refuses_with_a_precise_reason(text, reason):
    with pytest.raises(MoneyError) as err:
        parse_yuan(text)
    assert err.value.reason == reason
    assert err.value.message_zh and err.value.message_en


def test_negative_and_maximum_on_request():
    assert parse_yuan("-0.05", allow_negative=True) == -5
    assert parse_yuan("100000", max_fen=10_000_000) == 10_000_000
    with pytest.raises(MoneyError) as err:
        parse_yuan("100000.01", max_fen=10_000_000)
    assert err.value.reason == "TOO_LARGE"


@pytest.mark.parametrize("bad", [12.5, Decimal("12.5"), "1250", True, None])
def test_formatting_takes_integer_fen_only(bad):
    with pytest.raises(TypeError):
        fen_to_yuan(bad)


def test_money_module_is_pure_python():
    code = "import sys, zhucan.core.money; print(sorted(m for m in sys.modules if m.startswith(('django', 'zhucan.'))))"
    src = Path(__file__).resolve().parents[2] / "src"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(src), "PATH": "/usr/bin:/bin"}).stdout
    assert out.strip() == "['zhucan.core', 'zhucan.core.money']"
