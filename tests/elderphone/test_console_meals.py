"""The elder page's meals section, for staff asked on the phone: today's allowance under the policy
in force and the recent meals with the benefit by funder, how the elder was identified and whether
the meal was voided or refunded. Meals go through the real checkout."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

import pytest

from tests.checkout.conftest import at
from tests.conftest import login, make_elder
from zhucan.checkout import services as checkout
from zhucan.core.errors import NotFound
from zhucan.elderphone import selectors
from zhucan.elderphone.console_meals import elder_meal_overview

SH = ZoneInfo("Asia/Shanghai")


def _sell(world, menu, key, when, *, names=("套餐",), elder=None, by="card"):
    lines = [checkout.OrderLine(dish_id=menu[n].pk, quantity=1) for n in names]
    return checkout.meal_commit(canteen=world.canteen, elder=elder or world.elder, lines=lines, idempotency_key=key,
                                request_digest=key, identified_by=by, at=at(when)).meal


def _reverse(world, meal, kind, when):
    checkout.meal_reverse(canteen=world.canteen, receipt_no=meal.receipt_no, kind=kind, idempotency_key=f"r-{kind}",
                          request_digest=f"r-{kind}", at=at(when))


@pytest.fixture
def meals(world, menu, settings, frozen_clock):
    """西湖区's example overlay enabled (a district share for 80+ residents of 西湖区); world.elder
    (80, 西湖区 hukou): yesterday's lunch refunded, today's lunch by ID number (city 7折 + district
    2.00), a bowl of rice after it (the lunch discount used: no benefit) voided; another elder's meal."""
    settings.ZHUCAN_POLICY_OVERLAYS = {"hangzhou": ["xihu"]}
    world.elder.hukou_district = world.xihu
    world.elder.save(update_fields=["hukou_district"])
    frozen_clock(at("2025-06-03 12:40"))
    m = {
        "yesterday": _sell(world, menu, "y", "2025-06-02 11:30"),
        "lunch": _sell(world, menu, "l", "2025-06-03 11:30", by="id_number"),
        "rice": _sell(world, menu, "r", "2025-06-03 12:00", names=("米饭",), by="qr"),
        "other": _sell(world, menu, "o", "2025-06-03 11:35", elder=world.other_elder),
    }
    _reverse(world, m["yesterday"], "refund", "2025-06-02 12:10")
    _reverse(world, m["rice"], "void", "2025-06-03 12:05")
    return m


def test_overview_lists_meals_with_funders_identification_and_reversals(world, meals):
    overview = elder_meal_overview(actor=world.users["district_admin"], elder_id=world.elder.pk)
    rows = overview.meals
    assert [r.receipt_no for r in rows] == [meals["rice"].receipt_no, meals["lunch"].receipt_no,
                                            meals["yesterday"].receipt_no]  # newest first, not another elder's
    rice, lunch, yesterday = rows
    assert lunch.at == at("2025-06-03 11:30") and lunch.at.tzinfo == SH and lunch.at.hour == 11
    assert lunch.canteen == "北山长者食堂" and lunch.period == "午餐" and lunch.identified_by == "身份证"
    assert (lunch.gross_fen, lunch.benefit_fen, lunch.payable_fen) == (1500, 650, 850)
    assert [(f.name_zh, f.fen) for f in lunch.funders] == [("市级", 450), ("区级", 200)]
    assert lunch.reversal == "" and lunch.reversed_at is None
    assert rice.benefit_fen == 0 and rice.funders == [] and rice.identified_by == "长者码"
    assert rice.reversal == "void" and rice.reversed_at == at("2025-06-03 12:05") and rice.reversed_at.tzinfo == SH
    assert yesterday.reversal == "refund" and yesterday.identified_by == "市民卡"
    assert [(f.name_zh, f.fen) for f in yesterday.funders] == [("市级", 450), ("区级", 200)]


def test_overview_allowance_is_the_counters_figure(world, meals):
    """Today's remaining allowance per layer of the policy in force, the periods already used: the
    phone page's calculation (the same figures as the counter's), not a second one."""
    overview = elder_meal_overview(actor=world.users["district_admin"], elder_id=world.elder.pk)
    allowance = overview.allowance
    assert allowance.status == "ok" and allowance.periods_used == ["午餐"]
    assert allowance.used_fen == 650 and allowance.meals == 1  # the voided rice gave back its (empty) usage
    left = {layer.cap_fen: layer.remaining_fen for layer in allowance.layers}
    assert left == {2000: 1550, 600: 400}  # city cap 20.00 − 4.50; 西湖区 cap 6.00 − 2.00
    assert allowance == selectors.allowance_today(elder=world.elder)
    from zhucan.api.selectors import remaining_now

    assert remaining_now(canteen=world.canteen, elder=world.elder)[0]["remaining_fen"] == 1550


def test_overview_is_scoped_like_the_elder_record(world, meals):
    with pytest.raises(NotFound):
        elder_meal_overview(actor=world.other["district_admin"], elder_id=world.elder.pk)
    assert elder_meal_overview(actor=world.users["auditor"], elder_id=world.elder.pk).meals


def test_elder_page_shows_allowance_and_meals(client, world, meals):
    html = login(client, world.users["subdistrict_staff"]).get(f"/elders/{world.elder.pk}/").content.decode()
    section = re.search(r'<div class="card" id="elder-meals">.*?</table>', html, re.S).group(0)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", section))
    assert "今日还可优惠 ¥15.50（每日封顶 ¥20.00）" in text and "今日还可优惠 ¥4.00（每日封顶 ¥6.00）" in text
    assert "¥6.50，共 1 餐" in text and "已用时段：午餐" in text
    assert "最近就餐（近 30 天）" in text
    lunch = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", re.search(
        rf'<tr data-receipt="{meals["lunch"].receipt_no}".*?</tr>', section, re.S).group(0))).strip()
    assert lunch == "2025-06-03 11:30 北山长者食堂 午餐 ¥15.00 ¥6.50 市级 ¥4.50，区级 ¥2.00 ¥8.50 身份证 已收款"
    assert "已撤销 2025-06-03 12:05" in text and "已退款 2025-06-02 12:10" in text
    assert meals["other"].receipt_no not in html


def test_elder_without_meals_says_so(client, world, frozen_clock):
    frozen_clock(at("2025-06-03 12:40"))
    elder = make_elder(world.xihu_c1, name="赵新来")
    html = login(client, world.users["district_admin"]).get(f"/elders/{elder.pk}/").content.decode()
    assert "近 30 天没有就餐记录" in html and "今日还可优惠 ¥20.00（每日封顶 ¥20.00）" in html


def test_elder_page_meals_in_english(client, world, meals, settings):
    client = login(client, world.users["district_admin"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(f"/elders/{world.elder.pk}/").content.decode()
    assert "Recent meals (last 30 days)" in html and "¥15.50 of discount left today (daily cap ¥20.00)" in html
    assert "city ¥4.50, district ¥2.00" in html and "Voided" in html and "Refunded" in html
