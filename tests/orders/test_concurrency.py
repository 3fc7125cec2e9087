"""No overselling and no double discount under real concurrent transactions (one thread per caller)."""

from __future__ import annotations

import threading
from datetime import date, time

import pytest
from django.db import connection, connections

from tests.conftest import make_canteen, make_elder, make_region, make_user
from tests.orders.conftest import DAY, at
from zhucan.canteens.models import Dish
from zhucan.checkout.models import Meal
from zhucan.checkout.services import OrderLine, meal_commit
from zhucan.core.errors import DomainError
from zhucan.orders.menus import cutoff_set, menu_publish
from zhucan.orders.models import MenuOffer, Order
from zhucan.orders.placing import order_place, order_quote


def _together(jobs):
    barrier = threading.Barrier(len(jobs))
    results: list = []

    def run(job):
        try:
            barrier.wait()
            results.append(job())
        except DomainError as exc:
            results.append(exc.code)
        except BaseException as exc:  # pragma: no cover - shown by the assertion
            results.append(repr(exc))
        finally:
            connections.close_all()

    pool = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for t in pool:
        t.start()
    for t in pool:
        t.join(timeout=120)
    return results


@pytest.mark.django_db(transaction=True)
def test_portions_are_never_oversold_and_counter_and_order_never_both_discounted(frozen_clock):
    frozen_clock(at("2025-06-02 08:00"))
    hz = make_region("330100", "杭州市", "city")
    hz.policy_id = "hangzhou"
    hz.save()
    xihu = make_region("330106", "西湖区", "district", hz, "urban")
    sub = make_region("330106001", "北山街道", "subdistrict", xihu)
    community = make_region("330106001001", "保俶社区", "community", sub)
    canteen = make_canteen(sub, "北山长者食堂")
    manager = make_user("mgr", "canteen_manager", canteen=canteen)
    staff = make_user("staff", "subdistrict_staff", region=sub)
    dish = Dish.objects.create(canteen=canteen, name="套餐", price_fen=1500)
    cutoff_set(actor=manager, canteen_id=canteen.pk, period="lunch", cutoff=time(9, 30), delivers=True)
    offer = menu_publish(actor=manager, canteen_id=canteen.pk, local_date=DAY, period="lunch",
                         offers=[(dish.pk, 3)])[0]
    threads = 6 if connection.vendor == "postgresql" else 4
    elders = [make_elder(community, name=f"老人{i}", birth=date(1945, 1, 1 + i)) for i in range(threads)]

    def order(elder, key):
        return lambda: order_place(actor=staff, elder_id=elder.pk, canteen_id=canteen.pk, local_date=DAY,
                                   period="lunch", lines=[(offer.pk, 1)], fulfilment="pickup", channel="staff",
                                   expected_payable_fen=1050, idempotency_key=key).pk

    results = _together([order(e, f"k{i}") for i, e in enumerate(elders)])
    assert sorted(r for r in results if isinstance(r, str)) == ["ORDER_SOLD_OUT"] * (threads - 3), results
    assert Order.objects.count() == 3 and MenuOffer.objects.get(pk=offer.pk).portions_taken == 3

    # one elder: an order ahead and a counter sale in the lunch period at the same moment
    menu_publish(actor=manager, canteen_id=canteen.pk, local_date=DAY, period="lunch", offers=[(dish.pk, None)])
    lone = make_elder(community, name="并发老人", birth=date(1944, 5, 5))

    def counter():
        return meal_commit(canteen=canteen, elder=lone, lines=[OrderLine(dish_id=dish.pk, quantity=1)],
                           idempotency_key="counter", request_digest="counter", identified_by="card",
                           at=at("2025-06-02 11:00")).meal.benefit_fen

    def ahead():  # as a phone page does: quote, place; on ORDER_PRICE_CHANGED show the new price, place again
        for _attempt in range(2):
            quote = order_quote(actor=staff, elder_id=lone.pk, canteen_id=canteen.pk, local_date=DAY,
                                period="lunch", lines=[(offer.pk, 1)], fulfilment="pickup", channel="staff")
            try:
                return order_place(actor=staff, elder_id=lone.pk, canteen_id=canteen.pk, local_date=DAY,
                                   period="lunch", lines=[(offer.pk, 1)], fulfilment="pickup", channel="staff",
                                   expected_payable_fen=quote.payable_fen, idempotency_key="lone").benefit_fen
            except DomainError as exc:
                if exc.code != "ORDER_PRICE_CHANGED":
                    raise
        raise AssertionError("the price kept changing")

    results = _together([counter, ahead])
    assert all(isinstance(r, int) for r in results), results
    assert sorted(results) == [0, 450]  # exactly one of the two is discounted
    assert Meal.objects.filter(elder=lone).count() == 1
