from decimal import Decimal

import pytest

from zhucan.policy import InputError, apply_rate, format_fen, parse_rate, parse_yuan
from zhucan.policy.money import bp_to_zhe, split_proportional


@pytest.mark.parametrize(
    ("text", "fen"),
    [("0", 0), ("0.00", 0), ("12", 1200), ("12.5", 1250), ("12.50", 1250), ("0.01", 1), (" 7.05 ", 705),
     (3, 300), (Decimal("3.1"), 310), (2.25, 225)],
)
def test_parse_yuan_exact(text, fen):
    assert parse_yuan(text) == fen


@pytest.mark.parametrize("bad", ["-1.00", "1.005", "abc", "", "1,00", -3, True, None, 1.005, "1e3"])
def test_parse_yuan_rejects_with_field_name(bad):
    with pytest.raises(InputError) as err:
        parse_yuan(bad, "meals[0].amount")
    assert err.value.field == "meals[0].amount"
    assert "meals[0].amount" in str(err.value)


def test_three_decimals_and_negative_messages_are_specific():
    with pytest.raises(InputError, match="more than two decimals"):
        parse_yuan("1.005")
    with pytest.raises(InputError, match="negative"):
        parse_yuan("-0.01")


def test_format_fen_round_trips():
    for fen in (0, 1, 9, 10, 99, 100, 1234, 2_000_000_00):
        assert parse_yuan(format_fen(fen)) == fen
    assert format_fen(-150) == "-1.50"


@pytest.mark.parametrize(
    ("amount", "bp", "expected"),
    [(1235, 3000, 371), (5, 3000, 2), (1, 5000, 1), (1003, 2000, 201), (1002, 2000, 200), (1500, 2000, 300),
     (0, 5000, 0), (1235, 5000, 618)],
)
def test_apply_rate_rounds_half_up(amount, bp, expected):
    assert apply_rate(amount, bp) == expected


def test_parse_rate():
    assert parse_rate("0.20") == 2000
    assert parse_rate("0.3") == 3000
    assert parse_rate("1") == 10000
    assert parse_rate("0.1234") == 1234
    for bad in ("1.5", "-0.1", "0.12345", "x"):
        with pytest.raises(InputError):
            parse_rate(bad)


def test_zhe_labels():
    assert bp_to_zhe(2000) == "8折"
    assert bp_to_zhe(3000) == "7折"
    assert bp_to_zhe(5000) == "5折"
    assert bp_to_zhe(1500) == "8.5折"


@pytest.mark.parametrize(
    ("total", "weights", "shares"),
    [(300, [200, 200], [150, 150]), (301, [200, 200], [151, 150]), (1, [200, 200], [1, 0]),
     (101, [100, 100], [51, 50]), (301, [300, 100], [226, 75]), (5, [1, 1, 1], [2, 2, 1]),
     (400, [200, 200], [200, 200]), (7, [0, 100], [0, 7])],
)
def test_split_proportional_is_exact_with_the_odd_fen_to_the_largest_remainder_then_the_earlier(
        total, weights, shares):
    assert split_proportional(total, weights) == shares
    assert sum(shares) == total
