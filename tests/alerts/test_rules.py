"""Each ledger rule fires on a crafted case and stays silent on a normal day. Meals go through the
real checkout (`meal_commit`, `meal_reverse`); the clock is injected."""

from __future__ import annotations

from datetime import date

from tests.alerts.conftest import reverse, sell
from tests.conftest import _system_user, make_canteen, make_elder
from zhucan.alerts.detection import detect
from zhucan.alerts.models import Alert
from zhucan.alerts.services import rule_configure
from zhucan.canteens.models import Canteen, Dish

DAY = date(2026, 3, 9)


def _coords(canteen, lat, lon):
    Canteen.objects.filter(pk=canteen.pk).update(latitude=lat, longitude=lon)


def _alerts(rule):
    return list(Alert.objects.filter(rule=rule).order_by("id"))


def test_a_normal_day_raises_nothing(world, menu, today):
    """Lunch at two canteens 7 km apart for different elders, one void among many sales, meals
    within the hours, face and card mixed: every rule stays silent, and a second run too."""
    _coords(world.canteen, "30.259000", "120.130000")
    _coords(world.other_canteen, "30.259000", "120.203000")
    elders = [world.elder, world.other_elder] + [make_elder(world.xihu_c1, name=f"老人{i}") for i in range(3)]
    for i, elder in enumerate(elders):
        sell(world.canteen, elder, menu["套餐"], f"2026-03-09 11:{10 + i * 3}", ident="face" if i % 2 else "card")
    sell(world.other_canteen, world.other_elder, menu["other:套餐"], "2026-03-09 17:30")
    slip = sell(world.canteen, None, menu["米饭"], "2026-03-09 11:40", ident="none")
    reverse(slip, "2026-03-09 11:41")
    result = detect(day=DAY)
    assert (result.raised, result.errors) == (0, {})
    assert Alert.objects.count() == 0


def test_meals_after_death_are_found_even_when_the_death_is_registered_late(world, menu, today):
    from zhucan.elders.services import ElderData, elder_update

    sell(world.canteen, world.elder, menu["套餐"], "2026-03-07 11:30")  # the day of death: not flagged
    after = sell(world.canteen, world.elder, menu["套餐"], "2026-03-09 11:30")
    e = world.elder
    elder_update(actor=_system_user(), elder_id=e.pk,
                 data=ElderData(name=e.name, id_number="", community=e.community, status="deceased",
                                status_since=date(2026, 3, 7)))
    assert detect(day=DAY).raised == 1
    alert = _alerts("elder.after_status")[0]
    assert alert.elder_id == e.pk and alert.canteen_id == world.canteen.pk
    assert [m.pk for m in alert.meals.all()] == [after.pk]
    assert alert.title == "张*英已故后仍有就餐记录"
    assert alert.details["老人状态"] == "已故（2026年3月7日起）"
    assert alert.details["享受补贴"] == "4.50元"  # 80 years old: 7折 of 15.00
    assert detect(day=DAY).raised == 0  # idempotent


def test_two_distant_canteens_within_minutes(world, menu, today):
    _coords(world.canteen, "30.259000", "120.130000")
    _coords(world.other_canteen, "30.259000", "120.203000")  # about 7 km east
    sell(world.canteen, world.elder, menu["套餐"], "2026-03-09 11:05")
    sell(world.other_canteen, world.elder, menu["other:套餐"], "2026-03-09 11:20")
    # Another elder at both canteens, but 3 hours apart: plausible.
    sell(world.canteen, world.other_elder, menu["套餐"], "2026-03-09 08:00")
    sell(world.other_canteen, world.other_elder, menu["other:套餐"], "2026-03-09 11:00")
    detect(day=DAY)
    (alert,) = _alerts("elder.far_apart")
    # Handled where the benefit went: the first meal of the period (the second paid full price).
    assert alert.elder_id == world.elder.pk and alert.canteen_id == world.canteen.pk
    assert alert.details["两地距离"] == "7.0公里" and alert.details["间隔"] == "15分钟"
    assert alert.details["第一次"] == "北山长者食堂 11:05"
    assert alert.meals.count() == 2
    # The city widens the distance threshold: the next day's same pattern no longer fires.
    rule_configure(actor=world.users["city_admin"], code="elder.far_apart",
                   params={"distance_m": "8000", "minutes": "30"})
    sell(world.canteen, world.elder, menu["套餐"], "2026-03-08 11:05")
    sell(world.other_canteen, world.elder, menu["other:套餐"], "2026-03-08 11:20")
    assert detect(day=date(2026, 3, 8)).raised == 0


def test_a_canteen_above_its_seats_times_turns_and_far_above_its_history(world, menu, today):
    small = make_canteen(world.xihu_sub2, "西溪小食堂", seats=2)
    dish = Dish.objects.create(canteen=small, name="套餐", price_fen=1200)
    for _ in range(7):  # 2 seats × 3 turns = 6
        sell(small, world.elder, dish, "2026-03-09 11:30")
    # 北山: seven days of 1 meal, then 4 on the day (4 > 300 % of the median 1, at least 4 meals).
    rule_configure(actor=world.users["city_admin"], code="canteen.volume",
                   params={"turns": "3", "history_days": "28", "factor_pct": "300", "min_meals": "4"})
    for d in range(1, 8):
        sell(world.canteen, world.elder, menu["套餐"], f"2026-03-0{d} 11:30")
    for _ in range(4):
        sell(world.canteen, world.other_elder, menu["套餐"], "2026-03-09 11:30")
    detect(day=DAY)
    by_canteen = {a.canteen_id: a for a in _alerts("canteen.volume")}
    assert set(by_canteen) == {small.pk, world.canteen.pk}
    assert by_canteen[small.pk].details["接待能力"] == "座位2个 × 翻台3次 = 6人次"
    assert by_canteen[world.canteen.pk].details["近期中位数"] == "前28天每日中位数1人次，当日为其4.0倍"
    assert "接待能力" not in by_canteen[world.canteen.pk].details  # 4 < 40 seats × 3


def test_meals_clustered_at_the_benefit_cap(world, menu, today):
    # 80 years old (7折): 4 × 红烧肉 = 80.00 → 30 % would be 24.00, capped at 20.00 a day.
    for d in range(5, 10):
        sell(world.canteen, world.elder, menu["红烧肉"], f"2026-03-0{d} 11:30", qty=4)
    for d in range(5, 10):  # an ordinary eater: 15.00 meals, 4.50 benefit
        sell(world.canteen, world.other_elder, menu["套餐"], f"2026-03-0{d} 11:40")
    detect(day=DAY)
    (alert,) = _alerts("meal.cap_cluster")
    assert alert.elder_id == world.elder.pk and alert.meals.count() == 5
    assert alert.details["贴近上限的餐次"] == "5次，占享受补贴餐次（5次）的100%"
    assert alert.details["这些餐次的补贴合计"] == "100.00元"  # 20.00 each


def test_many_voids_at_one_till(world, menu, today):
    cashier = world.users["cashier"]
    for i in range(6):
        meal = sell(world.canteen, None, menu["米饭"], f"2026-03-09 11:{10 + i}", ident="none", cashier=cashier)
        if i < 5:
            reverse(meal, f"2026-03-09 11:{30 + i}", cashier=cashier, kind="void" if i < 3 else "refund")
    other = world.users["canteen_manager"]
    for i in range(4):  # another till: fewer than 5 reversals
        meal = sell(world.canteen, None, menu["米饭"], f"2026-03-09 12:{10 + i}", ident="none", cashier=other)
        reverse(meal, f"2026-03-09 12:{20 + i}", cashier=other)
    detect(day=DAY)
    (alert,) = _alerts("till.reversals")
    assert alert.details["收银员"] == "beishan_cashier"
    assert (alert.details["撤销"], alert.details["退款"], alert.details["当日消费"]) == ("3笔", "2笔", "6笔")
    assert alert.meals.count() == 5


def test_benefits_outside_the_canteens_announced_hours(world, today):
    """Liaocheng's subsidy is not bound to meal periods, so a vendor POS reporting a 17:40 meal
    at a canteen that announced lunch only gets a benefit the announcement does not cover."""
    from datetime import time

    from zhucan.canteens.services import canteen_set_periods
    from zhucan.elders.models import Elder

    system = _system_user()
    world.lc.policy_id = "liaocheng"
    world.lc.save()
    canteen = make_canteen(world.lc_sub, "蒋官屯幸福食堂")
    dish = Dish.objects.create(canteen=canteen, name="套餐", price_fen=1000)
    canteen_set_periods(actor=system, canteen_id=canteen.pk, periods=[("lunch", time(11, 0), time(12, 30))])
    elders = [make_elder(world.lc_c1, birth=date(1940, 5, 1), name=n) for n in ("赵大娘", "钱大爷")]
    Elder.objects.filter(pk__in=[e.pk for e in elders]).update(verification="verified")  # as tests/checkout do
    for elder in elders:
        elder.refresh_from_db()
    inside = sell(canteen, elders[0], dish, "2026-03-09 11:30")
    outside = sell(canteen, elders[1], dish, "2026-03-09 17:40", mode="report")
    assert inside.benefit_fen == outside.benefit_fen == 400
    detect(day=DAY)
    (alert,) = _alerts("meal.outside_hours")
    assert [m.pk for m in alert.meals.all()] == [outside.pk]
    assert alert.details["公告时段"] == "午餐11:00–12:30" and alert.details["时段外餐次"] == "17:40"
    assert alert.details["时段外补贴合计"] == "4.00元"


def test_cards_at_a_canteen_whose_elders_use_face_and_one_face_for_many_elders(world, menu, today):
    rule_configure(actor=world.users["city_admin"], code="ident.card_at_face_canteen",
                   params={"history_days": "28", "face_share_pct": "80", "min_history": "4", "min_count": "2",
                           "card_share_pct": "40"})
    elders = [make_elder(world.xihu_c1, name=f"刷脸{i}") for i in range(3)]
    for d in range(2, 6):  # history: face only, one meal a day
        sell(world.canteen, elders[0], menu["套餐"], f"2026-03-0{d} 11:30", ident="face")
    sell(world.canteen, elders[1], menu["套餐"], "2026-03-09 11:00", ident="card")
    sell(world.canteen, elders[2], menu["套餐"], "2026-03-09 11:05", ident="qr")
    # Three elders recognised by one till's camera within 40 seconds.
    for i, elder in enumerate([world.elder, world.other_elder, elders[0]]):
        sell(world.canteen, elder, menu["套餐"], f"2026-03-09 11:20:{i * 20:02d}", ident="face")
    # The same number of face identifications spread over minutes at the other canteen: normal.
    for i, elder in enumerate(elders):
        sell(world.other_canteen, elder, menu["other:套餐"], f"2026-03-09 17:{i * 2 + 1:02d}", ident="face")
    detect(day=DAY)
    (cards,) = _alerts("ident.card_at_face_canteen")
    assert cards.canteen_id == world.canteen.pk and cards.meals.count() == 2
    assert cards.details["前28天刷脸占比"] == "100%（4人次）"
    (face,) = _alerts("ident.face_many")
    assert face.canteen_id == world.canteen.pk and face.meals.count() == 3
    assert face.details["识别时间"] == "11:20–11:20"
