"""The demo's phone accounts: seeded through the services, idempotent, usable with the demo password."""

from __future__ import annotations

from datetime import date

from tests.conftest import _system_user, make_canteen, make_elder
from zhucan.canteens.models import Dish
from zhucan.checkout.models import Meal
from zhucan.elderphone import selectors, services
from zhucan.elderphone.demo import DEMO_PASSWORD, FAMILY_PHONE, SELF_PHONE, seed_demo_phone_accounts
from zhucan.elderphone.models import Binding
from zhucan.elders.models import Elder


def test_demo_accounts(world):
    canteen = make_canteen(world.xihu_sub2, "北山街道颐乐食堂")  # code 330106002, as in the demo
    for name, price in (("老年套餐（两荤一素）", 1500), ("番茄炒蛋", 600), ("米饭", 100), ("红烧肉", 1200),
                        ("清炒时蔬", 400)):
        Dish.objects.create(canteen=canteen, name=name, price_fen=price)
    first = make_elder(world.xihu_c2, birth=date(1938, 4, 2), name="陈阿婆")
    second = make_elder(world.xihu_c2, birth=date(1936, 9, 9), name="陈阿公")
    Elder.objects.filter(pk__in=[first.pk, second.pk]).update(verification="verified")

    counts = seed_demo_phone_accounts(actor=_system_user())
    assert counts["bindings"] == 3 and counts["meals"] == 8
    assert seed_demo_phone_accounts(actor=_system_user()) == {"bindings": 0, "meals": 0}
    assert {(b.account.phone, b.elder_id, b.relation) for b in Binding.objects.select_related("account")} == {
        (SELF_PHONE, first.pk, "self"), (FAMILY_PHONE, first.pk, "child"), (FAMILY_PHONE, second.pk, "child")}
    family = services.account_login(phone=FAMILY_PHONE, password=DEMO_PASSWORD)
    assert [b.elder for b in selectors.account_bindings(account=family)] == [first, second]
    assert services.account_login(phone=SELF_PHONE, password=DEMO_PASSWORD).display_name == "陈阿婆"
    rows = selectors.recent_meals(elder=first)
    assert len(rows) == 4 and [r.reversed_as for r in rows].count("已退款") == 1
    assert Meal.objects.filter(kind="refund").count() == 2
