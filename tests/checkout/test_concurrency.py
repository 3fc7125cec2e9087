"""Two canteens committing the same elder at the same moment never both get the period's discount
or pass the daily cap (HZ-3, HZ-4, HZ-5): real concurrent transactions, one thread per cashier."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from django.db import connection, connections

from tests.checkout.conftest import at
from tests.conftest import make_canteen, make_elder
from zhucan.checkout import services as S
from zhucan.checkout.models import ElderDayUsage, Meal
from zhucan.core.errors import DomainError


def _hammer(canteens_dishes, elder, when, per_thread, threads):
    barrier = threading.Barrier(threads)
    errors: list[BaseException] = []

    def cashier(n: int):
        canteen, dish = canteens_dishes[n % len(canteens_dishes)]
        try:
            barrier.wait()
            for i in range(per_thread):
                try:
                    S.meal_commit(canteen=canteen, elder=elder, lines=[S.OrderLine(dish_id=dish.pk, quantity=1)],
                                  idempotency_key=f"{when}-{n}-{i}", request_digest="same-body", at=at(when))
                except DomainError as exc:  # pragma: no cover - reported below
                    errors.append(exc)
        except BaseException as exc:  # pragma: no cover
            errors.append(exc)
        finally:
            connections.close_all()

    pool = [threading.Thread(target=cashier, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(timeout=120)
    return errors


@pytest.mark.django_db(transaction=True)
def test_same_elder_two_canteens_same_second(world_tx):
    w = world_tx
    elder = make_elder(w.xihu_c1, birth=date(1933, 1, 1), name="并发老人")  # 92: 5折
    from zhucan.canteens.models import Dish

    pairs = [(w.canteen, Dish.objects.create(canteen=w.canteen, name="大份套餐", price_fen=3000)),
             (w.other_canteen, Dish.objects.create(canteen=w.other_canteen, name="大份套餐", price_fen=3000))]
    threads = 6 if connection.vendor == "postgresql" else 3
    errors = _hammer(pairs, elder, "2025-06-02 11:30", per_thread=4, threads=threads)
    assert errors == []
    meals = list(Meal.objects.filter(elder=elder))
    assert len(meals) == threads * 4
    discounted = [m for m in meals if m.benefit_fen > 0]
    assert len(discounted) == 1  # HZ-3: once in the lunch period, city-wide
    assert discounted[0].benefit_fen == 1500
    usage = ElderDayUsage.objects.get(elder=elder, local_date=date(2025, 6, 2))
    assert usage.benefit_fen == sum(m.benefit_fen for m in meals) == 1500
    assert usage.meals == len(meals)


@pytest.mark.django_db(transaction=True)
def test_cap_holds_across_periods_under_concurrency(world_tx):
    w = world_tx
    elder = make_elder(w.xihu_c1, birth=date(1933, 1, 1), name="封顶老人")
    from zhucan.canteens.models import Dish

    pairs = [(w.canteen, Dish.objects.create(canteen=w.canteen, name="宴席", price_fen=3000)),
             (w.other_canteen, Dish.objects.create(canteen=w.other_canteen, name="宴席", price_fen=3000))]
    for when in ("2025-06-02 07:00", "2025-06-02 11:00", "2025-06-02 17:00"):
        assert _hammer(pairs, elder, when, per_thread=2, threads=4) == []
    total = sum(Meal.objects.filter(elder=elder).values_list("benefit_fen", flat=True))
    usage = ElderDayUsage.objects.get(elder=elder)
    assert total == usage.benefit_fen == 2000  # 15.00 + 5.00 (the cap's rest) + 0 (HZ-4)


@pytest.fixture
def world_tx(transactional_db):
    """A minimal world whose rows are committed, so that other threads' connections see them."""
    from types import SimpleNamespace

    from tests.conftest import make_region

    w = SimpleNamespace()
    w.hz = make_region("330100", "杭州市", "city")
    w.hz.policy_id = "hangzhou"
    w.hz.save()
    w.xihu = make_region("330106", "西湖区", "district", w.hz, "urban")
    w.sc = make_region("330102", "上城区", "district", w.hz, "urban")
    w.xihu_sub = make_region("330106001", "北山街道", "subdistrict", w.xihu)
    w.sc_sub = make_region("330102001", "湖滨街道", "subdistrict", w.sc)
    w.xihu_c1 = make_region("330106001001", "保俶社区", "community", w.xihu_sub)
    w.canteen = make_canteen(w.xihu_sub, "北山长者食堂")
    w.other_canteen = make_canteen(w.sc_sub, "湖滨长者食堂")
    return w
