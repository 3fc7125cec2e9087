"""Validation of Chinese identity numbers (公民身份号码, GB 11643-1999).

Pure Python, no Django import: the module is used by forms, Excel imports, the
CLI and test factories alike, and a parse costs a few microseconds (see
``benchmarks/idnumber_bench.py``).

Citizen identity number (公民身份号码, GB 11643-1999)
----------------------------------------------------
18 characters, ``AAAAAA YYYYMMDD SSS C``:

* positions 1-6   address code (GB/T 2260) of the county-level division where
  the holder was first registered; positions 1-2 are the province-level code,
  always 1-8 (11 北京 ... 65 新疆, 71 台湾, 81 香港, 82 澳门);
* positions 7-14  birth date, ``YYYYMMDD``;
* positions 15-17 sequence code; position 17 is odd for men, even for women;
* position 18     check character, ISO 7064 MOD 11-2: the weighted sum of the
  first 17 digits (weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2) modulo 11
  maps 0..10 to ``1 0 X 9 8 7 6 5 4 3 2``.

Foreign Permanent Resident ID Card, 2023 version (外国人永久居留身份证, 2023 版)
---------------------------------------------------------------------------
Issued by the National Immigration Administration (国家移民管理局) since
2023-12-01. Its number was redesigned "after the citizen identity number": 18
characters (17 digits + check character) instead of the 2017 card's 15
(3 Latin letters + 12 digits), the 3-letter nationality code being replaced by
a numeric one:

* position 1      ``9`` - identity marker of a foreigner; citizen numbers start
  with 1-8, so the first digit alone tells the two apart;
* positions 2-3   province-level code (GB/T 2260) of the place where the card
  was applied for (受理地), e.g. ``33`` for Zhejiang;
* positions 4-6   nationality code, the numeric country code (GB/T 2659 /
  ISO 3166-1 numeric, e.g. 840 USA, 392 Japan);
* positions 7-14  birth date ``YYYYMMDD``;
* positions 15-17 sequence code, position 17 odd for men, even for women;
* position 18     check character, same MOD 11-2 algorithm as above.

Sources: the NIA's "新版外国人永久居留身份证机读信息规则 (2023 版)" as republished
by card-reader vendors, and open-source validators implementing it. We check
positions 2-3 against the mainland province codes; the nationality code is
*not* checked against a country table (we keep no such table, and a wrong
country code is not something a hand-typed sheet gets wrong in a way that the
check character would not already catch).

The pre-2023 15-character foreign card and the old 15-digit citizen numbers
are not accepted: both are rejected with ``BAD_LENGTH`` (the message for 15
characters asks for the 18-digit number).

Order of checks
---------------
``EMPTY`` → ``BAD_CHARACTERS`` (any character other than a digit or X) →
``BAD_LENGTH`` → ``BAD_CHARACTERS`` (X anywhere but last) → ``BAD_REGION`` →
``BAD_BIRTH_DATE`` / ``FUTURE_BIRTH_DATE`` → ``BAD_CHECK_DIGIT``. A wrong
character is reported before a wrong length because a hand-typed "O" for "0"
or an inner space is the more useful thing to point at; the check character is
verified last so that a mistyped date is reported as such, not as a generic
check failure.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from enum import StrEnum
from operator import mul
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "IdNumber",
    "IdNumberError",
    "IdNumberErrorCode",
    "check_digit",
    "make_id_number",
    "mask_id_number",
    "parse_id_number",
]

try:
    _SHANGHAI: ZoneInfo | timezone = ZoneInfo("Asia/Shanghai")
except ZoneInfoNotFoundError:  # pragma: no cover - no tz database installed
    # China has used UTC+8 without DST since 1991; good enough for "today".
    _SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
# sum(_WEIGHTS) == 100: summing weight * ord(c) over ASCII digits overshoots the
# digit-value sum by ord("0") * 100 = 4800, which we subtract instead of calling
# int() on every character.
_ORD0_OFFSET = ord("0") * sum(_WEIGHTS)
_CHECK_CHARS = "10X98765432"

# Province-level codes of GB/T 2260 (the 1-8 prefixed ones that exist).
PROVINCE_CODES: frozenset[str] = frozenset(
    {
        "11", "12", "13", "14", "15",
        "21", "22", "23",
        "31", "32", "33", "34", "35", "36", "37",
        "41", "42", "43", "44", "45", "46",
        "50", "51", "52", "53", "54",
        "61", "62", "63", "64", "65",
        "71", "81", "82",
    }
)  # fmt: skip
# The NIA issues permanent-resident cards only in the mainland provinces.
MAINLAND_PROVINCE_CODES: frozenset[str] = PROVINCE_CODES - {"71", "81", "82"}

PROVINCE_NAMES: dict[str, str] = {
    "11": "北京市", "12": "天津市", "13": "河北省", "14": "山西省", "15": "内蒙古自治区",
    "21": "辽宁省", "22": "吉林省", "23": "黑龙江省",
    "31": "上海市", "32": "江苏省", "33": "浙江省", "34": "安徽省", "35": "福建省",
    "36": "江西省", "37": "山东省",
    "41": "河南省", "42": "湖北省", "43": "湖南省", "44": "广东省", "45": "广西壮族自治区",
    "46": "海南省",
    "50": "重庆市", "51": "四川省", "52": "贵州省", "53": "云南省", "54": "西藏自治区",
    "61": "陕西省", "62": "甘肃省", "63": "青海省", "64": "宁夏回族自治区", "65": "新疆维吾尔自治区",
    "71": "台湾省", "81": "香港特别行政区", "82": "澳门特别行政区",
}  # fmt: skip

MIN_BIRTH_DATE = date(1900, 1, 1)

# Characters that Excel / web copy-paste leaves around a value and that
# str.strip() does not remove (they are not whitespace to Python).
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"


class IdNumberErrorCode(StrEnum):
    """Stable error codes; compare equal to their string values."""

    EMPTY = "EMPTY"
    BAD_LENGTH = "BAD_LENGTH"
    BAD_CHARACTERS = "BAD_CHARACTERS"
    BAD_CHECK_DIGIT = "BAD_CHECK_DIGIT"
    BAD_BIRTH_DATE = "BAD_BIRTH_DATE"
    FUTURE_BIRTH_DATE = "FUTURE_BIRTH_DATE"
    BAD_REGION = "BAD_REGION"


class IdNumberError(ValueError):
    """An identity number that cannot be accepted.

    ``str(error)`` is the Chinese message, meant to be shown to the operator as is.
    """

    def __init__(self, code: IdNumberErrorCode | str, message_zh: str, message_en: str) -> None:
        super().__init__(message_zh)
        self.code = IdNumberErrorCode(code)
        self.message_zh = message_zh
        self.message_en = message_en

    def __reduce__(self):  # keep the three fields across pickling (multiprocessing, caches)
        return (type(self), (str(self.code), self.message_zh, self.message_en))

    def __repr__(self) -> str:
        return f"IdNumberError({self.code.value!r}, {self.message_zh!r}, {self.message_en!r})"


@dataclass(frozen=True, slots=True, repr=False)
class IdNumber:
    """A validated identity number and what it says about its holder.

    ``str()`` and ``repr()`` show the number masked, so that it does not end up
    in logs and tracebacks by accident; use ``.number`` for the full value.
    """

    number: str  # normalised: 18 ASCII characters, upper-case X
    birth_date: date
    sex: str  # "M" or "F"
    # Citizens: the 6-digit address code (positions 1-6). Foreign permanent
    # residents: the province-level code of the place of application + "0000".
    region_code: str
    is_foreign_permanent_resident: bool
    # Foreign permanent residents only: numeric nationality code (positions 4-6).
    nationality_code: str | None = None

    @property
    def province_code(self) -> str:
        return self.region_code[:2]

    @property
    def masked(self) -> str:
        return mask_id_number(self.number)

    def age_on(self, day: date) -> int:
        """Age in completed years on ``day`` (someone born on 29 Feb ages on 1 Mar)."""
        b = self.birth_date
        return day.year - b.year - ((day.month, day.day) < (b.month, b.day))

    def __str__(self) -> str:
        return self.masked

    def __repr__(self) -> str:
        return (
            f"IdNumber(number={self.masked!r}, birth_date={self.birth_date!r}, sex={self.sex!r}, "
            f"region_code={self.region_code!r}, "
            f"is_foreign_permanent_resident={self.is_foreign_permanent_resident!r}, "
            f"nationality_code={self.nationality_code!r})"
        )


def _error(code: IdNumberErrorCode, zh: str, en: str) -> IdNumberError:
    return IdNumberError(code, zh, en)


def _today_in_china() -> date:
    return datetime.now(_SHANGHAI).date()


def _check_char(first17: str) -> str:
    # Caller guarantees 17 ASCII digits.
    return _CHECK_CHARS[(sum(map(mul, first17.encode("ascii"), _WEIGHTS)) - _ORD0_OFFSET) % 11]


def check_digit(first17: str) -> str:
    """The MOD 11-2 check character ("0"-"9" or "X") for 17 ASCII digits."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError(f"check_digit() needs exactly 17 ASCII digits, got {first17!r}")
    return _check_char(first17)


def _normalise(raw: str) -> str:
    s = raw.strip()
    if not s.isascii():
        # Full-width digits and letters (１２３Ｘ), ideographic spaces, etc.
        s = unicodedata.normalize("NFKC", s).strip().strip(_INVISIBLE).strip()
    if s and s[-1] == "x":
        s = s[:-1] + "X"
    return s


def _describe_char(pos: int, ch: str) -> tuple[str, str]:
    if ch.isspace():
        return (
            f"身份证号码第{pos}位是空格，请删除",
            f"Character {pos} of the identity number is a space; remove it.",
        )
    if ch in _INVISIBLE:
        return (
            f"身份证号码第{pos}位是不可见字符，请删除后重新输入",
            f"Character {pos} of the identity number is an invisible character; retype the number.",
        )
    return (
        f"身份证号码第{pos}位“{ch}”不是数字（只有最后一位可以是 X）",
        f"Character {pos} of the identity number ({ch!r}) is not a digit (only the last may be X).",
    )


def _bad_character(s: str) -> IdNumberError | None:
    """Error for the first character that is neither a digit nor X, if any."""
    for pos, ch in enumerate(s, start=1):
        if not ("0" <= ch <= "9" or ch == "X"):
            return _error(IdNumberErrorCode.BAD_CHARACTERS, *_describe_char(pos, ch))
    return None


def parse_id_number(raw: str, *, today: date | None = None) -> IdNumber:
    """Validate ``raw`` and return what the number says about its holder.

    ``today`` is the reference date for the "not born in the future" check; it
    defaults to today's date in China (Asia/Shanghai), whatever the server's
    time zone.

    Raises :class:`IdNumberError` (a ``ValueError``) with a stable ``code``.
    """
    if not isinstance(raw, str):
        raise TypeError(f"parse_id_number() expects str, got {type(raw).__name__}")
    s = _normalise(raw)
    if not s:
        raise _error(IdNumberErrorCode.EMPTY, "请填写身份证号码", "Please enter the identity number.")

    body = s[:17]
    last = s[-1]
    # Fast path: 18 ASCII characters, 17 digits and a digit/X at the end.
    if not (len(s) == 18 and s.isascii() and body.isdigit() and ("0" <= last <= "9" or last == "X")):
        err = _bad_character(s)
        if err is not None:
            raise err
        n = len(s)
        if n != 18:
            hint_zh = hint_en = ""
            if n == 15:
                hint_zh = "（15位的旧号码请换成18位的新号码）"
                hint_en = " (15-digit numbers are the old format; please use the 18-digit number)"
            raise _error(
                IdNumberErrorCode.BAD_LENGTH,
                f"身份证号码应为18位，当前为{n}位{hint_zh}",
                f"The identity number must have 18 characters, got {n}{hint_en}.",
            )
        pos = s.index("X") + 1  # only X left to be misplaced
        raise _error(
            IdNumberErrorCode.BAD_CHARACTERS,
            f"身份证号码第{pos}位“X”不是数字（只有最后一位可以是 X）",
            f"Character {pos} of the identity number is X; only the last character may be X.",
        )

    # Region.
    foreign = s[0] == "9"
    if foreign:
        province = s[1:3]
        if province not in MAINLAND_PROVINCE_CODES:
            raise _error(
                IdNumberErrorCode.BAD_REGION,
                f"外国人永久居留身份证号码第2～3位“{province}”不是有效的省级受理地代码，请核对",
                f"Characters 2-3 of the permanent-resident number ({province}) are not a valid "
                "province code of the place of application.",
            )
        region_code = province + "0000"
        nationality = s[3:6]
    else:
        province = s[:2]
        if province not in PROVINCE_CODES:
            raise _error(
                IdNumberErrorCode.BAD_REGION,
                f"身份证号码前两位“{province}”不是有效的省级行政区划代码，请核对",
                f"The first two digits ({province}) are not a valid province-level code.",
            )
        region_code = s[:6]
        nationality = None

    # Birth date.
    try:
        birth = date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    except ValueError:
        shown = f"{s[6:10]}-{s[10:12]}-{s[12:14]}"
        raise _error(
            IdNumberErrorCode.BAD_BIRTH_DATE,
            f"身份证号码中的出生日期 {shown} 不存在",
            f"The birth date in the identity number ({shown}) does not exist.",
        ) from None
    if birth < MIN_BIRTH_DATE:
        raise _error(
            IdNumberErrorCode.BAD_BIRTH_DATE,
            f"身份证号码中的出生日期 {birth.isoformat()} 早于1900年1月1日，请核对",
            f"The birth date in the identity number ({birth.isoformat()}) is before 1900-01-01.",
        )
    if today is None:
        today = _today_in_china()
    if birth > today:
        raise _error(
            IdNumberErrorCode.FUTURE_BIRTH_DATE,
            f"身份证号码中的出生日期 {birth.isoformat()} 晚于今天，请核对",
            f"The birth date in the identity number ({birth.isoformat()}) is in the future.",
        )

    # Check character last: see "Order of checks" in the module docstring.
    if _check_char(body) != last:
        raise _error(
            IdNumberErrorCode.BAD_CHECK_DIGIT,
            "身份证号码校验位不正确，请核对最后一位",
            "The check character (last character) of the identity number is wrong; please verify the number.",
        )

    return IdNumber(
        number=s,
        birth_date=birth,
        sex="M" if s[16] in "13579" else "F",
        region_code=region_code,
        is_foreign_permanent_resident=foreign,
        nationality_code=nationality,
    )


def mask_id_number(number: str) -> str:
    """``330106********1234``: first 6 and last 4 characters, birth date hidden.

    Input is normalised like :func:`parse_id_number` does (spaces, full-width,
    lower-case x) but not validated. Anything that is not 18 characters long is
    fully masked - we cannot know where its sensitive part is.
    """
    s = _normalise(number)
    if len(s) != 18:
        return "*" * len(s)
    return f"{s[:6]}********{s[14:]}"


def make_id_number(region_code: str, birth_date: date, seq: int, sex: str) -> str:
    """A valid synthetic number, for demo data and test factories.

    ``region_code`` is the 6-digit prefix: a citizen address code such as
    ``"330106"``, or for a foreign permanent resident ``"9"`` + province code +
    nationality code, e.g. ``"933840"``. ``seq`` (0-499) numbers the people of
    that sex born on that day in that region; it becomes the 3-digit sequence
    code ``2 * seq + 1`` for men and ``2 * seq`` for women, so sex is always
    encoded correctly and different ``seq`` give different numbers.
    """
    if len(region_code) != 6 or not region_code.isascii() or not region_code.isdigit():
        raise ValueError(f"region_code must be 6 ASCII digits, got {region_code!r}")
    if region_code[0] == "9":
        if region_code[1:3] not in MAINLAND_PROVINCE_CODES:
            raise ValueError(f"{region_code!r}: digits 2-3 must be a mainland province code")
    elif region_code[:2] not in PROVINCE_CODES:
        raise ValueError(f"{region_code!r}: digits 1-2 must be a province-level code")
    if birth_date < MIN_BIRTH_DATE:
        raise ValueError(f"birth_date must not be before {MIN_BIRTH_DATE}, got {birth_date}")
    if not 0 <= seq <= 499:
        raise ValueError(f"seq must be in 0..499, got {seq}")
    if sex not in ("M", "F"):
        raise ValueError(f"sex must be 'M' or 'F', got {sex!r}")
    order = 2 * seq + (1 if sex == "M" else 0)
    first17 = f"{region_code}{birth_date:%Y%m%d}{order:03d}"
    return first17 + _check_char(first17)
