"""Benefits reserved for orders (issue 17): reserve, release, handover, expiry, against the policy
cases (once per period, daily cap, Liaocheng one meal a day) and with usage verification."""

from __future__ import annotations

from datetime import date

import pytest

from tests.checkout.conftest import at
from tests.conftest import make_canteen, make_elder
from zhucan.canteens.models import Dish
from zhucan.checkout import reservations as R
from zhucan.checkout import services as S
from zhucan.checkout.models import ElderDayUsage, Meal, Reservation
from zhucan.checkout.usage_verification import usage_verify
from zhucan.core.errors import DomainError

DAY = date(2025, 6, 2)


def lines(menu, *names):
    return [S.OrderLine(dish_id=menu[n].pk, quantity=1) for n in names]


def reserve(world, menu, source, *names, elder=None, period="lunch", delivery=False, canteen=None, day=DAY):
    return R.benefit_reserve(canteen=canteen or world.canteen, elder=elder or world.elder,
                             lines=lines(menu, *(names or ("套餐",))), local_date=day, period=period,
                             delivery=delivery, source=source)


def counter(world, menu, key, when="2025-06-02 11:40", elder=None):
    return S.meal_commit(canteen=world.canteen, elder=elder or world.elder, lines=lines(menu, "套餐"),
                         idempotency_key=key, request_digest=key, identified_by="card", at=at(when)).meal


def usage(elder, day=DAY):
    return ElderDayUsage.objects.get(elder=elder, local_date=day)


def problems():
    return usage_verify()[1]


def test_reserve_holds_the_period_and_a_counter_meal_gets_no_second_discount(world, menu):
    res = reserve(world, menu, "order:1")
    assert (res.status, res.gross_fen, res.benefit_fen, res.payable_fen) == ("held", 1500, 450, 1050)
    assert res.policy_period == "lunch" and res.lines[0]["funder"] == "city"
    row = usage(world.elder)
    assert row.usage["layers"]["city"]["periods"] == {"lunch": 1}
    assert (row.meals, row.benefit_fen) == (0, 0)  # the ledger columns: nothing eaten yet
    assert problems() == []
    meal = counter(world, menu, "c1")
    assert meal.benefit_fen == 0 and meal.payable_fen == 1500
    assert problems() == []
    # the same source again: the same reservation, nothing held twice
    assert reserve(world, menu, "order:1").pk == res.pk
    assert usage(world.elder).usage["layers"]["city"]["meals"] == 1


def test_release_gives_back_exactly_the_delta_and_is_idempotent(world, menu):
    counter(world, menu, "breakfast", when="2025-06-02 07:30")
    before = usage(world.elder).usage
    reserve(world, menu, "order:2")
    released = R.reservation_release(source="order:2", reason="家属取消")
    assert released.status == "released" and released.release_reason == "家属取消"
    assert usage(world.elder).usage == before
    assert R.reservation_release(source="order:2", reason="again").release_reason == "家属取消"
    assert usage(world.elder).usage == before
    # the period is free again at the counter
    assert counter(world, menu, "c2").benefit_fen == 450
    assert problems() == []


def _live_html(client, world, when, frozen_clock):
    from tests.conftest import login

    frozen_clock(at(when))
    return login(client, world.users["district_admin"]).get("/checkout/live/").content.decode()


def test_handover_writes_the_meal_carrying_the_reservation(world, menu, client, frozen_clock):
    res = reserve(world, menu, "order:3", "套餐", "米饭")
    meal = R.reservation_handover(source="order:3", channel="delivery", tenders=None, identified_by="qr",
                                  idempotency_key="order:3", at=at("2025-06-02 11:50"))
    assert (meal.gross_fen, meal.benefit_fen, meal.payable_fen) == (1600, res.benefit_fen, 1600 - res.benefit_fen)
    assert meal.channel == "delivery" and meal.period == "lunch" and meal.usage_delta == res.usage_delta
    res.refresh_from_db()
    assert res.status == "consumed" and res.meal_id == meal.pk
    row = usage(world.elder)
    assert (row.meals, row.benefit_fen) == (1, res.benefit_fen)
    assert row.usage["layers"]["city"]["meals"] == 1  # not applied twice
    # handing over again returns the same meal; releasing a consumed reservation is refused
    again = R.reservation_handover(source="order:3", channel="delivery", tenders=None, identified_by="qr",
                                   idempotency_key="other-key", at=at("2025-06-02 11:55"))
    assert again.pk == meal.pk and Meal.objects.count() == 1
    with pytest.raises(DomainError) as err:
        R.reservation_release(source="order:3", reason="x")
    assert err.value.code == "RESERVATION_CONSUMED"
    assert problems() == []
    # the live feed shows how the meal came, and the elder's code the handover scanned
    live = _live_html(client, world, "2025-06-02 12:00", frozen_clock)
    assert "<td>送餐上门·长者码</td>" in live and "（送餐）" not in live
    # a void of the delivered meal gives the period back
    S.meal_reverse(canteen=world.canteen, receipt_no=meal.receipt_no, kind="void", idempotency_key="v",
                   request_digest="v", at=at("2025-06-02 12:00"))
    assert usage(world.elder).usage["layers"].get("city", {}).get("meals", 0) == 0
    assert problems() == []


def test_handover_after_release_or_on_another_day_is_refused(world, menu):
    reserve(world, menu, "order:4")
    with pytest.raises(DomainError) as err:
        R.reservation_handover(source="order:4", channel="pickup", tenders=None, identified_by="card",
                               idempotency_key="h4", at=at("2025-06-03 11:50"))
    assert err.value.code == "RESERVATION_OTHER_DAY"
    R.reservation_release(source="order:4", reason="取消")
    with pytest.raises(DomainError) as err:
        R.reservation_handover(source="order:4", channel="pickup", tenders=None, identified_by="card",
                               idempotency_key="h4", at=at("2025-06-02 11:50"))
    assert err.value.code == "RESERVATION_RELEASED"
    with pytest.raises(DomainError) as err:
        R.reservation_release(source="order:nope", reason="x")
    assert err.value.code == "RESERVATION_NOT_FOUND"
    # a tender that does not add up to what is payable writes nothing
    reserve(world, menu, "order:5")
    with pytest.raises(DomainError) as err:
        R.reservation_handover(source="order:5", channel="pickup", tenders=[S.TenderIn("cash", 1)],
                               identified_by="card", idempotency_key="h5", at=at("2025-06-02 11:50"))
    assert err.value.code == "TENDER_MISMATCH"
    assert Meal.objects.count() == 0 and Reservation.objects.get(source="order:5").status == "held"


def test_expiry_releases_held_reservations_when_their_period_ends(world, menu, frozen_clock):
    from zhucan.checkout.tasks import reservations_expire_task
    from zhucan.core import scheduler

    reserve(world, menu, "order:b", period="breakfast")
    reserve(world, menu, "order:l", period="lunch")
    R.reservation_handover(source="order:b", channel="pickup", tenders=None, identified_by="card",
                           idempotency_key="hb", at=at("2025-06-02 07:30"))
    assert R.reservations_expire(now=at("2025-06-02 12:00")) == 0  # lunch still on
    frozen_clock(at("2025-06-02 14:00"))
    assert reservations_expire_task.call() == {"released": 1}
    lunch = Reservation.objects.get(source="order:l")
    assert (lunch.status, lunch.release_reason) == ("released", "expired")
    assert Reservation.objects.get(source="order:b").status == "consumed"
    assert "lunch" not in usage(world.elder).usage["layers"]["city"]["periods"]
    assert problems() == []
    assert "reservations-expire" in {job.name for job in scheduler.jobs()}


def test_daily_cap_counts_held_reservations(world, menu):
    """HZ-4: a 92-year-old gets at most 20 yuan a day, orders and counter together."""
    elder = make_elder(world.xihu_c1, birth=date(1933, 1, 1), name="王九二")
    Dish.objects.filter(pk=menu["红烧肉"].pk).update(price_fen=3000)
    reserve(world, menu, "order:d1", "红烧肉", elder=elder, period="breakfast")  # 15.00 benefit
    res = reserve(world, menu, "order:d2", "红烧肉", elder=elder, period="lunch")  # only 5.00 left
    assert res.benefit_fen == 500
    meal = counter(world, menu, "c-dinner", when="2025-06-02 17:30", elder=elder)
    assert meal.benefit_fen == 0  # the cap is used up by the two orders
    assert problems() == []
    R.reservation_release(source="order:d1", reason="取消")
    assert usage(elder).usage["layers"]["city"]["benefit_fen"] == 500
    assert problems() == []


@pytest.fixture
def liaocheng(world):
    """A Liaocheng canteen (the policy has no meal periods: one subsidised meal a day, LC-4) that
    takes orders for lunch and dinner, and a verified 85-year-old."""
    from datetime import time

    from tests.conftest import _system_user
    from zhucan.canteens.services import canteen_set_periods
    from zhucan.elders.models import Elder

    world.lc.policy_id = "liaocheng"
    world.lc.save()
    canteen = make_canteen(world.lc_sub, "蒋官屯幸福食堂")
    canteen_set_periods(actor=_system_user(), canteen_id=canteen.pk,
                        periods=[("lunch", time(11), time(13)), ("dinner", time(17), time(19))])
    canteen.refresh_from_db()
    elder = make_elder(world.lc_c1, birth=date(1940, 5, 1), name="赵老汉")
    Elder.objects.filter(pk=elder.pk).update(verification="verified")
    elder.refresh_from_db()
    return canteen, elder, Dish.objects.create(canteen=canteen, name="套餐", price_fen=1000)


def test_liaocheng_one_meal_a_day_across_order_and_counter(liaocheng):
    canteen, elder, dish = liaocheng
    order = [S.OrderLine(dish_id=dish.pk, quantity=1)]
    res = R.benefit_reserve(canteen=canteen, elder=elder, lines=order, local_date=DAY, period="dinner",
                            delivery=True, source="order:lc")
    assert res.benefit_fen == 400 and res.delivery_fee_fen == 0 and res.policy_period == ""
    lunch = S.meal_commit(canteen=canteen, elder=elder, lines=order, idempotency_key="lc-lunch",
                          request_digest="lc-lunch", identified_by="card", at=at("2025-06-02 11:30")).meal
    assert lunch.benefit_fen == 0  # the day's one subsidised meal is held by the dinner order
    assert problems() == []
    R.reservation_release(source="order:lc", reason="取消")
    supper = S.meal_commit(canteen=canteen, elder=elder, lines=order, idempotency_key="lc-dinner",
                           request_digest="lc-dinner", identified_by="card", at=at("2025-06-02 17:30")).meal
    assert supper.benefit_fen == 400
    assert problems() == []


def test_delivery_fee_and_subsidy_from_the_xihu_example_reach_the_ledger(world, menu, settings):
    settings.ZHUCAN_POLICY_OVERLAYS = {"hangzhou": ["xihu"]}
    res = reserve(world, menu, "order:x", delivery=True)
    assert (res.delivery_fee_fen, res.delivery_subsidy_fen) == (300, 100)  # 80 years old: 1.00 of 3.00
    assert (res.benefit_fen, res.payable_fen) == (450 + 100, 1500 + 300 - 550)
    assert "送餐费3.00元" in res.explanation_zh
    meal = R.reservation_handover(source="order:x", channel="delivery", tenders=[S.TenderIn("wechat", 1250, "wx1")],
                                  identified_by="qr", idempotency_key="hx", at=at("2025-06-02 11:45"))
    assert [(i.name, i.line_fen) for i in meal.items.order_by("id")] == [("套餐", 1500), ("配送费", 300)]
    assert (meal.gross_fen, meal.benefit_fen, meal.payable_fen, meal.benefit_district_fen) == (1800, 550, 1250, 100)
    assert sorted((b.layer_id, b.funder, b.amount_fen) for b in meal.benefit_lines.all()) == [
        ("city", "city", 450), ("delivery", "district", 100)]
    assert problems() == []
    quote = R.reservation_quote(canteen=world.canteen, elder=world.elder, lines=lines(menu, "套餐"), local_date=DAY,
                                period="dinner", delivery=True)
    assert (quote.delivery_fee_fen, quote.payable_fen) == (300, 1500 + 300 - 450 - 100)


def test_verify_reports_a_usage_row_that_lost_a_held_reservation(world, menu):
    reserve(world, menu, "order:v")
    ElderDayUsage.objects.filter(elder=world.elder).update(usage={"date": "2025-06-02", "layers": {}})
    found = problems()
    assert [p.kind for p in found] == ["usage_mismatch"] and "layer city" in found[0].detail
