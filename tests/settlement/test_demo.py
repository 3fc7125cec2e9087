"""The demo ledger: committed through checkout, idempotent, settles to the fen."""

from __future__ import annotations

from tests.settlement.conftest import JUNE
from zhucan.canteens.models import Dish
from zhucan.checkout.models import Meal
from zhucan.elders.models import Elder
from zhucan.settlement import services as S
from zhucan.settlement.demo import seed_demo_meals


def test_demo_meals_are_idempotent_and_settle(world, july):
    from tests.conftest import make_canteen

    lc_canteen = make_canteen(world.lc_sub, "蒋官屯幸福食堂")  # with the standard periods
    world.lc.policy_id = "liaocheng"
    world.lc.save()
    for c in (world.canteen, world.other_canteen, lc_canteen):
        Dish.objects.create(canteen=c, name="套餐", price_fen=1500)
        Dish.objects.create(canteen=c, name="汤", price_fen=300)
    from datetime import date

    from tests.conftest import make_elder

    make_elder(world.lc_c1, birth=date(1940, 1, 1), name="孙大爷")
    Elder.objects.update(verification="verified")
    first = seed_demo_meals(per_canteen=40)
    assert first["canteens"] == 3 and first["meals"] + first["skipped"] == 120
    n = Meal.objects.count()
    assert n == first["meals"] + first["voids"]
    assert Meal.objects.filter(canteen=lc_canteen, benefit_district_fen__gt=0).exists()
    again = seed_demo_meals(per_canteen=40)
    assert Meal.objects.count() == n and again["meals"] == 0  # every meal was already there (replayed)
    for st in S.statement_generate(actor=None, month=JUNE):
        assert S.statement_check(st)[0] == []
