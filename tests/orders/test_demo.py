"""The demo of ordering ahead goes through the real services and seeding again changes nothing."""

from __future__ import annotations

from datetime import date

from tests.conftest import _system_user, make_canteen, make_elder
from tests.orders.conftest import at
from zhucan.canteens.models import Dish
from zhucan.checkout.models import Reservation
from zhucan.orders.models import CoverageArea, MenuOffer, Order, PeriodCutoff


def test_demo_orders_are_idempotent(world, frozen_clock):
    from zhucan.demo.orders import seed_demo_orders

    frozen_clock(at("2025-06-02 08:00"))
    canteen = make_canteen(world.xihu_sub2, "西溪长者食堂")  # the demo's subdistrict code 330106002
    Dish.objects.create(canteen=canteen, name="套餐", price_fen=1500)
    Dish.objects.create(canteen=canteen, name="米饭", price_fen=100)
    for i in range(2):
        elder = make_elder(world.xihu_c2, name=f"西溪老人{i}", birth=date(1944, 1, 1 + i))
        elder.address = f"西溪路{i}号"
        elder.save()
    first = seed_demo_orders(_system_user())
    assert first == {"canteens": 1, "orders": 2}
    assert list(CoverageArea.objects.get(canteen=canteen).communities.all()) == [world.xihu_c2]
    assert PeriodCutoff.objects.filter(canteen=canteen, delivers=True).count() == 2
    assert MenuOffer.objects.filter(canteen=canteen).count() == 7 * 2 * 2
    orders = list(Order.objects.filter(canteen=canteen))
    assert {(o.period, o.fulfilment) for o in orders} == {("lunch", "delivery"), ("lunch", "pickup")}
    assert Reservation.objects.filter(status="held").count() == 2
    counts = (MenuOffer.objects.count(), Order.objects.count(), Reservation.objects.count())
    seed_demo_orders(_system_user())
    assert counts == (MenuOffer.objects.count(), Order.objects.count(), Reservation.objects.count())
