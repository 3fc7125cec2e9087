"""The eight requirements' declarations: GB 32100 credit codes, licences, screens, rooms, priority
window applicability, delivery coverage, surveillance; what keeps an item from being submitted."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from zhucan.core.errors import DomainError
from zhucan.filing.requirements import credit_check_character, credit_code_clean, declaration_clean, item_problems

from .rows import F1_OK, filing_of, item_of, png_bytes

SH = ZoneInfo("Asia/Shanghai")

# Published codes of well-known companies (their business licences are public).
REAL_CODES = [
    "91330100716105852F",  # 阿里巴巴（中国）有限公司
    "9144030071526726XG",  # 深圳市腾讯计算机系统有限公司
    "914403001922038216",  # 华为技术有限公司
    "91440300192317458F",  # 比亚迪股份有限公司
    "91110108551385082Q",  # 小米科技有限责任公司
]


@pytest.mark.parametrize("code", REAL_CODES)
def test_published_credit_codes_pass_the_gb32100_check(code):
    assert credit_check_character(code[:17]) == code[17]
    assert credit_code_clean(code.lower()) == code


@pytest.mark.parametrize("code", REAL_CODES)
def test_a_wrong_check_character_is_refused(code):
    wrong = code[:17] + ("0" if code[17] != "0" else "1")
    with pytest.raises(DomainError) as exc:
        credit_code_clean(wrong)
    assert exc.value.code == "CREDIT_CODE_INVALID"
    assert "校验位不正确" in exc.value.message_zh


@pytest.mark.parametrize("code", ["", "9133010071610585", "91330100716105852FF", "9133010071610585IO",
                                  "91330100716105852S", "91A30100716105852F"])
def test_malformed_credit_codes_are_refused(code):
    with pytest.raises(DomainError) as exc:
        credit_code_clean(code)
    assert exc.value.code == "CREDIT_CODE_FORMAT"


def test_f1_declaration_is_cleaned(world, frozen_clock):
    frozen_clock(datetime(2026, 12, 7, 10, 0, tzinfo=SH))
    cleaned = declaration_clean("F1", {**F1_OK, "credit_code": " 91330100716105852f "}, world.canteen)
    assert cleaned == {**F1_OK, "credit_code": "91330100716105852F"}


def test_an_expired_licence_cannot_be_filed(world, frozen_clock):
    frozen_clock(datetime(2026, 12, 7, 10, 0, tzinfo=SH))
    with pytest.raises(DomainError) as exc:
        declaration_clean("F1", {**F1_OK, "licence_expiry": "2026-12-06"}, world.canteen)
    assert exc.value.code == "LICENCE_EXPIRED"
    assert exc.value.message_zh == "食品经营许可证已于2026-12-06到期，不能定点"
    # Valid through its last day.
    assert declaration_clean("F1", {**F1_OK, "licence_expiry": "2026-12-07"}, world.canteen)["licence_expiry"]


@pytest.mark.parametrize(("field", "value", "code", "text"), [
    ("legal_representative", "", "DECLARATION_MISSING", "请填写“法定代表人”"),
    ("licence_expiry", "2027-02-30", "DECLARATION_INVALID", "不是有效日期"),
    ("credit_code", "91330100716105852A", "CREDIT_CODE_INVALID", "校验位"),
])
def test_f1_declaration_problems_are_precise(world, field, value, code, text):
    with pytest.raises(DomainError) as exc:
        declaration_clean("F1", {**F1_OK, field: value}, world.canteen)
    assert exc.value.code == code and text in exc.value.message_zh and exc.value.field == field


def test_f2_screen_must_be_at_least_32_inches_and_show_all_rooms(world):
    rooms = ["清洗", "切配", "烹饪", "餐具消毒", "专间"]
    assert declaration_clean("F2", {"screen_inches": "32", "rooms": rooms}, world.canteen) == {
        "screen_inches": 32, "rooms": rooms}
    with pytest.raises(DomainError) as exc:
        declaration_clean("F2", {"screen_inches": 27, "rooms": rooms}, world.canteen)
    assert exc.value.message_zh == "“公示屏尺寸（英寸）”不能少于32"
    with pytest.raises(DomainError) as exc:
        declaration_clean("F2", {"screen_inches": 43, "rooms": ["清洗", "烹饪"]}, world.canteen)
    assert "还须展示：切配、餐具消毒、专间" in exc.value.message_zh


def test_f6_applies_only_to_canteens_open_to_the_public(world):
    declared = {"priority_window": "on", "reserved_tables": "4"}
    with pytest.raises(DomainError) as exc:
        declaration_clean("F6", declared, world.canteen)
    assert exc.value.code == "REQUIREMENT_NOT_APPLICABLE"
    world.canteen.open_to_public = True
    assert declaration_clean("F6", declared, world.canteen) == {"priority_window": True, "reserved_tables": 4}
    with pytest.raises(DomainError):
        declaration_clean("F6", {"priority_window": "", "reserved_tables": "4"}, world.canteen)


def test_f7_coverage_must_include_its_own_community(world):
    base = {"online_ordering": True, "home_delivery": True}
    ok = declaration_clean("F7", {**base, "coverage": [world.xihu_c1.pk, world.xihu_c2.pk]}, world.canteen)
    assert ok["coverage"] == sorted([world.xihu_c1.pk, world.xihu_c2.pk])
    with pytest.raises(DomainError) as exc:  # 西溪社区 is not under 北山街道
        declaration_clean("F7", {**base, "coverage": [world.xihu_c2.pk]}, world.canteen)
    assert exc.value.message_zh == "“送餐覆盖社区”须包括助餐点所在社区"
    with pytest.raises(DomainError) as exc:  # another district's community
        declaration_clean("F7", {**base, "coverage": [world.xihu_c1.pk, world.sc_c1.pk]}, world.canteen)
    assert "本区以外" in exc.value.message_zh


def test_f8_needs_seven_days_of_playback_and_live_view(world):
    ok = {"cameras": 2, "live_view": True, "playback_days": 7}
    assert declaration_clean("F8", ok, world.canteen) == ok
    with pytest.raises(DomainError) as exc:
        declaration_clean("F8", {**ok, "playback_days": 6}, world.canteen)
    assert exc.value.message_zh == "“录像保存天数”不能少于7"
    with pytest.raises(DomainError) as exc:
        declaration_clean("F8", {**ok, "live_view": False}, world.canteen)
    assert exc.value.message_zh == "“市级平台可实时调看就餐区画面”须确认"


def test_item_problems_name_missing_evidence_and_incomplete_declarations(world, frozen_clock):
    from zhucan.filing.evidence import evidence_store

    frozen_clock(datetime(2026, 12, 7, 10, 0, tzinfo=SH))
    filing = filing_of(world.canteen)
    f1 = item_of(filing, "F1")
    assert [p.code for p in item_problems(f1)] == ["DECLARATION_MISSING", "EVIDENCE_MISSING"]
    f1.declaration = F1_OK
    f1.save()
    problems = item_problems(f1)
    assert [p.code for p in problems] == ["EVIDENCE_MISSING"]
    assert problems[0].message_zh == "“依法登记并具备服务资质”缺少必需的证明材料"
    f1.evidence.add(evidence_store(actor=world.users["canteen_manager"], data=png_bytes(), file_name="执照.png"))
    assert item_problems(f1) == []
    # A licence that lapses after it was saved keeps the item from being submitted.
    frozen_clock(datetime(2030, 1, 1, 10, 0, tzinfo=SH))
    assert [p.code for p in item_problems(f1)] == ["LICENCE_EXPIRED"]
    # F6 does not apply to a canteen closed to the public; F7 needs no evidence.
    assert item_problems(item_of(filing, "F6")) == []
    assert [p.code for p in item_problems(item_of(filing, "F7"))] == ["DECLARATION_INVALID"]
