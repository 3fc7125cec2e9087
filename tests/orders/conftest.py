from __future__ import annotations

from datetime import date, datetime, time
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

SH = ZoneInfo("Asia/Shanghai")
DAY = date(2025, 6, 2)  # a Monday


def at(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=SH)


@pytest.fixture
def shop(world, menu, frozen_clock):
    """北山长者食堂 takes lunch orders until 09:30 and delivers; coverage: 保俶社区; lunch of DAY
    published (套餐 with 3 portions, 米饭 unlimited); the clock at 08:00 on DAY."""
    from zhucan.orders.coverage import coverage_set
    from zhucan.orders.menus import cutoff_set, menu_publish

    frozen_clock(at("2025-06-02 08:00"))
    manager = world.users["canteen_manager"]
    cutoff_set(actor=manager, canteen_id=world.canteen.pk, period="lunch", cutoff=time(9, 30), delivers=True)
    coverage_set(actor=manager, canteen_id=world.canteen.pk, community_ids=[world.xihu_c1.pk])
    offers = menu_publish(actor=manager, canteen_id=world.canteen.pk, local_date=DAY, period="lunch",
                          offers=[(menu["套餐"].pk, 3), (menu["米饭"].pk, None)])
    world.elder.address = "保俶路1号"
    world.elder.save()
    return SimpleNamespace(manager=manager, set=offers[0], rice=offers[1], clock=frozen_clock)


@pytest.fixture
def family(world):
    """A family member's phone account bound to 张秀英."""
    from zhucan.core import clock
    from zhucan.elderphone.models import Binding, PhoneAccount

    account = PhoneAccount(display_name="张小明", created_at=clock.now())
    account.phone = "13900001111"
    account.save()
    Binding.objects.create(account=account, elder=world.elder, relation="child", bound_at=clock.now())
    return account
