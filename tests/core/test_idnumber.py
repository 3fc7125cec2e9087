"""Tests for zhucan.core.idnumber (pure Python, no database)."""

from __future__ import annotations

import pickle
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhucan.core.idnumber import (
    MAINLAND_PROVINCE_CODES,
    PROVINCE_CODES,
    IdNumber,
    IdNumberError,
    check_digit,
    make_id_number,
    mask_id_number,
    parse_id_number,
)

TODAY = date(2025, 6, 1)


def _with_check(first17: str) -> str:
    return first17 + check_digit(first17)


def _error(raw: str, today: date = TODAY) -> IdNumberError:
    with pytest.raises(IdNumberError) as info:
        parse_id_number(raw, today=today)
    return info.value


# --- valid numbers -----------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "birth", "sex", "region"),
    [
        # Example printed in GB 11643-1999 itself (北京市朝阳区, check character X).
        ("11010519491231002X", date(1949, 12, 31), "F", "110105"),
        # The classic 15 -> 18 digit conversion example (130503670401001 -> ...0016).
        ("130503196704010016", date(1967, 4, 1), "M", "130503"),
        # Synthetic numbers for the two demo cities.
        (make_id_number("330106", date(1945, 3, 8), 12, "F"), date(1945, 3, 8), "F", "330106"),
        (make_id_number("371502", date(1938, 10, 1), 0, "M"), date(1938, 10, 1), "M", "371502"),
        (make_id_number("330127", date(1900, 1, 1), 499, "M"), date(1900, 1, 1), "M", "330127"),
        (make_id_number("820000", date(1960, 2, 29), 7, "F"), date(1960, 2, 29), "F", "820000"),
    ],
)
def test_valid_numbers(number: str, birth: date, sex: str, region: str) -> None:
    parsed = parse_id_number(number, today=TODAY)
    assert parsed == IdNumber(
        number=number,
        birth_date=birth,
        sex=sex,
        region_code=region,
        is_foreign_permanent_resident=False,
    )


@pytest.mark.parametrize(
    ("first17", "expected"),
    [
        ("11010519491231002", "X"),
        ("13050319670401001", "6"),
        ("44052418800101001", "4"),  # GB 11643-1999's second example (born 1880)
    ],
)
def test_check_digit_of_published_examples(first17: str, expected: str) -> None:
    assert check_digit(first17) == expected


@pytest.mark.parametrize("bad", ["1101051949123100", "110105194912310021", "1101051949123100X", "１" * 17])
def test_check_digit_rejects_non_17_digit_input(bad: str) -> None:
    with pytest.raises(ValueError):
        check_digit(bad)


def test_birth_date_before_1900_is_rejected_even_with_valid_check_digit() -> None:
    err = _error("440524188001010014")
    assert err.code == "BAD_BIRTH_DATE"
    assert "1880-01-01" in err.message_zh


# --- normalisation -----------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "11010519491231002x",  # lower-case x
        "  11010519491231002X  ",  # surrounding spaces
        "\t11010519491231002x\n",  # tabs / newline from an Excel cell
        "\u300011010519491231002X\u3000",  # ideographic (full-width) spaces
        "１１０１０５１９４９１２３１００２Ｘ",  # full-width digits and X
        "１１０１０５１９４９１２３１００２ｘ",  # full-width lower-case x
        "\ufeff11010519491231002X",  # BOM left by a CSV export
        "110105１９４９１２３１002X",  # mixed half/full width
    ],
)
def test_normalisation(raw: str) -> None:
    assert parse_id_number(raw, today=TODAY).number == "11010519491231002X"


# --- errors ------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["", "   ", "\u3000", "\n\t"])
def test_empty(raw: str) -> None:
    err = _error(raw)
    assert err.code == "EMPTY"
    assert err.message_zh == "请填写身份证号码"


def test_wrong_check_digit() -> None:
    err = _error("110105194912310021")
    assert err.code == "BAD_CHECK_DIGIT"
    assert err.message_zh == "身份证号码校验位不正确，请核对最后一位"
    assert str(err) == err.message_zh
    assert err.message_en


@pytest.mark.parametrize("last", [str(d) for d in range(10)] + ["X"])
def test_every_wrong_check_character_is_rejected(last: str) -> None:
    first17 = "33010619450308012"
    number = first17 + last
    if last == check_digit(first17):
        assert parse_id_number(number, today=TODAY).number == number
    else:
        assert _error(number).code == "BAD_CHECK_DIGIT"


@pytest.mark.parametrize(
    ("first17", "shown"),
    [
        ("33010619450230012", "1945-02-30"),
        ("33010619451301012", "1945-13-01"),
        ("33010619450000012", "1945-00-00"),
        ("33010619490229012", "1949-02-29"),  # not a leap year
        ("33010619450431012", "1945-04-31"),
    ],
)
def test_impossible_birth_date(first17: str, shown: str) -> None:
    # Correct check character, so only the date is wrong.
    err = _error(_with_check(first17))
    assert err.code == "BAD_BIRTH_DATE"
    assert err.message_zh == f"身份证号码中的出生日期 {shown} 不存在"


def test_leap_day_is_accepted() -> None:
    assert parse_id_number(_with_check("33010619480229012"), today=TODAY).birth_date == date(1948, 2, 29)


def test_future_birth_date() -> None:
    number = make_id_number("330106", date(2025, 6, 2), 1, "M")
    err = _error(number, today=date(2025, 6, 1))
    assert err.code == "FUTURE_BIRTH_DATE"
    assert "2025-06-02" in err.message_zh
    # Born today is fine.
    assert parse_id_number(number, today=date(2025, 6, 2)).birth_date == date(2025, 6, 2)


def test_default_today_is_china_today() -> None:
    number = make_id_number("330106", date(2999, 1, 1), 1, "M")
    assert _error(number, today=None).code == "FUTURE_BIRTH_DATE"
    assert parse_id_number("11010519491231002X").sex == "F"


@pytest.mark.parametrize(
    ("raw", "length"),
    [
        ("11010519491231002", 17),
        ("11010519491231002X1", 19),
        ("1101051949123100", 16),
        ("110105491231002", 15),
        ("1", 1),
    ],
)
def test_wrong_length(raw: str, length: int) -> None:
    err = _error(raw)
    assert err.code == "BAD_LENGTH"
    assert err.message_zh.startswith(f"身份证号码应为18位，当前为{length}位")


def test_fifteen_digit_old_number_gets_a_hint() -> None:
    assert "15位的旧号码" in _error("110105491231002").message_zh


@pytest.mark.parametrize(
    ("raw", "position", "zh"),
    [
        ("110105194912O1002X", 13, "身份证号码第13位“O”不是数字（只有最后一位可以是 X）"),
        ("1101051949l231002X", 11, "身份证号码第11位“l”不是数字（只有最后一位可以是 X）"),
        ("110105X94912310021", 7, "身份证号码第7位“X”不是数字（只有最后一位可以是 X）"),
        ("110105x94912310021", 7, "身份证号码第7位“x”不是数字（只有最后一位可以是 X）"),
        ("110105 19491231002X", 7, "身份证号码第7位是空格，请删除"),
        ("110105-19491231-002X", 7, "身份证号码第7位“-”不是数字（只有最后一位可以是 X）"),
        ("11010519491231002Y", 18, "身份证号码第18位“Y”不是数字（只有最后一位可以是 X）"),
        ("1101051949\u200b1231002X", 11, "身份证号码第11位是不可见字符，请删除后重新输入"),
        ("١١٠١٠٥١٩٤٩١٢٣١٠٠٢X", 1, None),  # Arabic-Indic digits are digits, but not ours
    ],
)
def test_bad_characters(raw: str, position: int, zh: str | None) -> None:
    err = _error(raw)
    assert err.code == "BAD_CHARACTERS"
    assert f"第{position}位" in err.message_zh
    if zh is not None:
        assert err.message_zh == zh


@pytest.mark.parametrize("province", ["00", "10", "16", "20", "30", "39", "47", "55", "66", "70", "80", "83"])
def test_bad_province_code(province: str) -> None:
    err = _error(_with_check(province + "010619450308012"))
    assert err.code == "BAD_REGION"
    assert f"“{province}”" in err.message_zh


@pytest.mark.parametrize("province", sorted(PROVINCE_CODES))
def test_every_province_code_is_accepted(province: str) -> None:
    number = _with_check(province + "010119450308012")
    assert parse_id_number(number, today=TODAY).region_code == province + "0101"


def test_date_is_reported_before_check_digit() -> None:
    # Both the date (Feb 30) and the check character are wrong: the date is the useful error.
    first17 = "33010619450230012"
    wrong = next(c for c in "0123456789X" if c != check_digit(first17))
    assert _error(first17 + wrong).code == "BAD_BIRTH_DATE"


# --- 2023 Foreign Permanent Resident ID Card ---------------------------------


@pytest.mark.parametrize(
    ("prefix", "nationality", "region"),
    [
        ("933840", "840", "330000"),  # applied for in Zhejiang, US national
        ("911392", "392", "110000"),  # Beijing, Japan
        ("937410", "410", "370000"),  # Shandong, Republic of Korea
        ("965004", "004", "650000"),  # Xinjiang, Afghanistan
    ],
)
def test_foreign_permanent_resident_number(prefix: str, nationality: str, region: str) -> None:
    number = make_id_number(prefix, date(1975, 7, 14), 3, "M")
    parsed = parse_id_number(number, today=TODAY)
    assert parsed.is_foreign_permanent_resident is True
    assert parsed.nationality_code == nationality
    assert parsed.region_code == region
    assert parsed.province_code == region[:2]
    assert parsed.birth_date == date(1975, 7, 14)
    assert parsed.sex == "M"


@pytest.mark.parametrize("province", ["00", "90", "99", "71", "81", "82", "16"])
def test_foreign_permanent_resident_bad_province(province: str) -> None:
    err = _error(_with_check(f"9{province}84019750714007"))
    assert err.code == "BAD_REGION"
    assert "外国人永久居留身份证" in err.message_zh


def test_foreign_permanent_resident_check_digit_is_verified() -> None:
    number = make_id_number("933840", date(1975, 7, 14), 3, "F")
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    assert _error(wrong).code == "BAD_CHECK_DIGIT"


def test_citizen_numbers_never_start_with_9() -> None:
    assert not any(code.startswith("9") for code in PROVINCE_CODES)
    assert MAINLAND_PROVINCE_CODES < PROVINCE_CODES


# --- sex ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seventeenth", "sex"),
    [(str(d), "M" if d % 2 else "F") for d in range(10)],
)
def test_sex_from_seventeenth_digit(seventeenth: str, sex: str) -> None:
    number = _with_check("3301061945030801" + seventeenth)
    assert parse_id_number(number, today=TODAY).sex == sex


@pytest.mark.parametrize("sex", ["M", "F"])
@pytest.mark.parametrize("seq", [0, 1, 250, 499])
def test_make_id_number_encodes_sex(seq: int, sex: str) -> None:
    number = make_id_number("330106", date(1950, 1, 1), seq, sex)
    assert int(number[14:17]) == 2 * seq + (sex == "M")
    assert parse_id_number(number, today=TODAY).sex == sex


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("33010", date(1950, 1, 1), 0, "M"), "6 ASCII digits"),
        (("001234", date(1950, 1, 1), 0, "M"), "province"),
        (("900840", date(1950, 1, 1), 0, "M"), "mainland province"),
        (("330106", date(1899, 12, 31), 0, "M"), "before"),
        (("330106", date(1950, 1, 1), 500, "M"), "seq"),
        (("330106", date(1950, 1, 1), -1, "M"), "seq"),
        (("330106", date(1950, 1, 1), 0, "男"), "sex"),
    ],
)
def test_make_id_number_rejects_bad_arguments(args: tuple, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make_id_number(*args)


# --- masking and presentation ------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("330106194503081234", "330106********1234"),
        ("11010519491231002X", "110105********002X"),
        ("11010519491231002x", "110105********002X"),
        (" ３３０１０６１９４５０３０８１２３４ ", "330106********1234"),
        ("1101051949", "**********"),
        ("", ""),
    ],
)
def test_mask_id_number(raw: str, masked: str) -> None:
    assert mask_id_number(raw) == masked


def test_parsed_number_does_not_leak_in_str_or_repr() -> None:
    parsed = parse_id_number("11010519491231002X", today=TODAY)
    assert str(parsed) == parsed.masked == "110105********002X"
    assert "19491231" not in repr(parsed)
    assert parsed.number == "11010519491231002X"


def test_age_on() -> None:
    parsed = parse_id_number(make_id_number("330106", date(1945, 3, 8), 0, "F"), today=TODAY)
    assert parsed.age_on(date(2025, 3, 7)) == 79
    assert parsed.age_on(date(2025, 3, 8)) == 80


def test_error_pickles_with_its_fields() -> None:
    err = _error("110105194912310021")
    clone = pickle.loads(pickle.dumps(err))
    assert (clone.code, clone.message_zh, clone.message_en) == (err.code, err.message_zh, err.message_en)


def test_non_string_input_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        parse_id_number(11010519491231002)  # type: ignore[arg-type]


# --- property ----------------------------------------------------------------

_region_codes = st.one_of(
    # Citizens: any real province prefix, any 4 digits after it.
    st.builds(
        lambda p, rest: p + rest,
        st.sampled_from(sorted(PROVINCE_CODES)),
        st.from_regex(r"[0-9]{4}", fullmatch=True),
    ),
    # Foreign permanent residents: 9 + mainland province + 3-digit nationality code.
    st.builds(
        lambda p, nat: "9" + p + nat,
        st.sampled_from(sorted(MAINLAND_PROVINCE_CODES)),
        st.from_regex(r"[0-9]{3}", fullmatch=True),
    ),
)


@given(
    region=_region_codes,
    birth=st.dates(min_value=date(1900, 1, 1), max_value=TODAY),
    seq=st.integers(min_value=0, max_value=499),
    sex=st.sampled_from(["M", "F"]),
    decorate=st.sampled_from(["plain", "spaces", "fullwidth", "lower"]),
)
def test_make_then_parse_round_trips(region: str, birth: date, seq: int, sex: str, decorate: str) -> None:
    number = make_id_number(region, birth, seq, sex)
    raw = {
        "plain": number,
        "spaces": f"  {number}\t",
        "fullwidth": number.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")),
        "lower": number.lower(),
    }[decorate]
    parsed = parse_id_number(raw, today=TODAY)
    assert parsed.number == number
    assert parsed.birth_date == birth
    assert parsed.sex == sex
    assert parsed.is_foreign_permanent_resident == region.startswith("9")
    assert mask_id_number(number) == number[:6] + "*" * 8 + number[14:]


@given(st.text(max_size=25))
def test_parse_never_raises_anything_but_id_number_error(raw: str) -> None:
    try:
        parsed = parse_id_number(raw, today=TODAY)
    except IdNumberError as err:
        assert err.message_zh and err.message_en
    else:
        assert len(parsed.number) == 18
