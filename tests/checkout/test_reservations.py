"""Benefits reserved for orders (issue 17): reserve, release, handover, expiry, against the policy
cases (once per period, daily cap, Liaocheng one meal a day) and with usage verification."""

from __future__ import annotations

from datetime import date

import pytest

from tests.checkout.conftest import at
from zhucan.checkout import reservations as R
from zhucan.checkout import services as S
from zhucan.checkout.models import ElderDayUsage, Meal
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


def test_handover_writes_the_meal_carrying_the_reservation(world, menu):
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
    # a void of the delivered meal gives the period back
    S.meal_reverse(canteen=world.canteen, receipt_no=meal.receipt_no, kind="void", idempotency_key="v",
                   request_digest="v", at=at("2025-06-02 12:00"))
    assert usage(world.elder).usage["layers"].get("city", {}).get("meals", 0) == 0
    assert problems() == []
