from datetime import datetime, time
from types import SimpleNamespace

import pytest

from tests.conftest import make_canteen, make_elder, make_user
from zhucan.core import clock

MONDAY_8AM = datetime(2026, 12, 7, 8, 0, tzinfo=clock.LOCAL_TZ)


def place(d, elder, *, fulfilment="delivery", dish="套餐", qty=1, key=None):
    from zhucan.orders.placing import order_place, order_quote

    offer = d.offers[dish]
    common = dict(actor=d.manager, elder_id=elder.pk, canteen_id=d.canteen.pk, local_date=d.day, period="lunch",
                  lines=[(offer.pk, qty)], fulfilment=fulfilment, channel="canteen")
    quote = order_quote(**common)
    return order_place(**common, expected_payable_fen=quote.payable_fen,
                       idempotency_key=key or f"k-{elder.pk}-{fulfilment}-{dish}")


@pytest.fixture
def dispatch(world, frozen_clock):
    """保俶长者食堂 in 保俶社区 delivering lunch today, with a menu, two elders with diet notes, a
    bound family phone, a volunteer courier and the same at 湖滨长者食堂."""
    from zhucan.canteens.models import Dish
    from zhucan.delivery import services
    from zhucan.elderphone.services import binding_create
    from zhucan.elders.services import elder_set_diet
    from zhucan.orders.coverage import coverage_set
    from zhucan.orders.menus import cutoff_set, menu_publish

    frozen_clock(MONDAY_8AM)
    d = SimpleNamespace(world=world, day=MONDAY_8AM.date())
    d.canteen = make_canteen(world.xihu_c1, "保俶长者食堂")
    d.manager = make_user("baochu_mgr", "canteen_manager", canteen=d.canteen)
    d.other_manager = world.other["canteen_manager"]
    d.district = world.users["district_admin"]
    cutoff_set(actor=d.manager, canteen_id=d.canteen.pk, period="lunch", cutoff=time(9, 30), delivers=True)
    coverage_set(actor=d.manager, canteen_id=d.canteen.pk, community_ids=[world.xihu_c1.pk])
    dishes = {"套餐": Dish.objects.create(canteen=d.canteen, name="套餐", price_fen=1500),
              "米饭": Dish.objects.create(canteen=d.canteen, name="米饭", price_fen=100)}
    published = menu_publish(actor=d.manager, canteen_id=d.canteen.pk, local_date=d.day, period="lunch",
                             offers=[(dishes["套餐"].pk, 50), (dishes["米饭"].pk, None)], delivers=True)
    d.offers = {o.name: o for o in published}
    d.zhang = make_elder(world.xihu_c1, name="张秀英", address="保俶路12号3单元", phone="13900001111")
    d.wang = make_elder(world.xihu_c1, name="王德明", birth=datetime(1940, 5, 1).date(), sex="M",
                        address="保俶路20号", phone="13900002222")
    staff = world.users["subdistrict_staff"]
    elder_set_diet(actor=staff, elder_id=d.zhang.pk, notes=["low_salt", "soft"], allergies="花生")
    binding_create(actor=staff, elder_id=d.zhang.pk, phone="13700001234", relation="child", display_name="张小明",
                   notify=False)
    d.courier = services.courier_register(actor=d.manager, canteen_id=d.canteen.pk, name="李志愿",
                                          phone="13600005678")
    d.other_courier = services.courier_register(actor=d.other_manager, canteen_id=world.other_canteen.pk,
                                                name="赵师傅", phone="13600009999", kind="staff")
    return d
