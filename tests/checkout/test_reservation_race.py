"""A counter checkout and an order for the same elder and period are never both discounted (issue
17): real concurrent transactions — a cashier thread committing at one canteen while an ordering
thread reserves at another, released at the same instant, many times over."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from django.db import connection, connections

from tests.checkout.conftest import at
from tests.checkout.test_concurrency import world_tx  # noqa: F401  (the committed world fixture)
from tests.conftest import make_elder
from zhucan.canteens.models import Dish
from zhucan.checkout import reservations as R
from zhucan.checkout import services as S
from zhucan.checkout.models import Meal, Reservation
from zhucan.checkout.usage_verification import usage_verify

FIRST = date(2025, 6, 2)


@pytest.mark.django_db(transaction=True)
def test_counter_and_order_race_for_the_same_period(world_tx):  # noqa: F811
    w = world_tx
    elder = make_elder(w.xihu_c1, birth=date(1940, 1, 1), name="并发老人")
    counter_dish = Dish.objects.create(canteen=w.other_canteen, name="套餐", price_fen=1500)
    order_dish = Dish.objects.create(canteen=w.canteen, name="套餐", price_fen=1500)
    days = [FIRST + timedelta(days=i) for i in range(40 if connection.vendor == "postgresql" else 6)]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def cashier():
        try:
            for day in days:
                barrier.wait(timeout=30)
                S.meal_commit(canteen=w.other_canteen, elder=elder, idempotency_key=f"c-{day}",
                              request_digest=f"c-{day}", lines=[S.OrderLine(dish_id=counter_dish.pk, quantity=1)],
                              identified_by="card", at=at(f"{day} 11:30"))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
            barrier.abort()
        finally:
            connections.close_all()

    def orderer():
        try:
            for day in days:
                barrier.wait(timeout=30)
                R.benefit_reserve(canteen=w.canteen, elder=elder, lines=[S.OrderLine(dish_id=order_dish.pk,
                                                                                      quantity=1)],
                                  local_date=day, period="lunch", delivery=True, source=f"order:{day}")
        except BaseException as exc:  # pragma: no cover
            errors.append(exc)
            barrier.abort()
        finally:
            connections.close_all()

    pool = [threading.Thread(target=cashier), threading.Thread(target=orderer)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(timeout=300)
    assert errors == []
    meals = {m.local_date: m.benefit_fen for m in Meal.objects.filter(elder=elder)}
    held = {r.local_date: r.benefit_fen for r in Reservation.objects.filter(elder=elder)}
    assert len(meals) == len(held) == len(days)
    for day in days:
        assert sorted((meals[day], held[day])) == [0, 450], day  # exactly one of the two: 7折 of 15.00
    assert usage_verify()[1] == []
