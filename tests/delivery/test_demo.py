"""The delivery demo: seeded through the services, idempotent, the courier can log in."""

from datetime import date, datetime

from tests.conftest import make_canteen, make_elder
from zhucan.accounts.models import User
from zhucan.canteens.models import Dish
from zhucan.core import clock
from zhucan.delivery import services
from zhucan.delivery.models import Route
from zhucan.demo.delivery import COURIER_PHONE, seed_demo_delivery
from zhucan.elderphone import sms
from zhucan.elders.models import Elder
from zhucan.orders.models import Order


def test_demo_delivery(world, frozen_clock):
    frozen_clock(datetime(2026, 12, 7, 10, 0, tzinfo=clock.LOCAL_TZ))  # lunch closed: dinner is ordered
    canteen = make_canteen(world.xihu_sub2, "北山街道颐乐食堂")
    for name, price in (("老年套餐（两荤一素）", 1500), ("番茄炒蛋", 600), ("米饭", 100)):
        Dish.objects.create(canteen=canteen, name=name, price_fen=price)
    User.objects.filter(username="beishan_mgr").update(canteen=canteen)
    User.objects.filter(username="beishan_staff").update(region=world.xihu_sub2)
    for i, name in enumerate(("陈阿婆", "陈阿公", "周奶奶", "吴爷爷")):
        make_elder(world.xihu_c2, birth=date(1938, 4, 2 + i), name=name, address=f"西溪路{i + 1}号")
    Elder.objects.update(verification="verified")

    first = seed_demo_delivery()
    assert (first["orders"], first["period"], first["day"]) == (4, "dinner", date(2026, 12, 7))
    assert seed_demo_delivery()["orders"] == 4 and Order.objects.filter(canteen=canteen).count() == 4
    route = Route.objects.get(canteen=canteen)
    assert route.courier.name == "王志愿" and route.stops.count() == 3
    sms.outbox_clear()
    services.courier_send_code(phone=COURIER_PHONE)
    assert services.courier_login(phone=COURIER_PHONE, code=sms.last_code(COURIER_PHONE)) == route.courier
