"""F7 (online ordering and delivery covering the canteen's own community) as an automatic filing check."""

from __future__ import annotations

from datetime import time

from tests.orders.conftest import DAY
from zhucan.filing.checks import check_item
from zhucan.filing.models import Filing, FilingItem
from zhucan.orders.coverage import coverage_set
from zhucan.orders.menus import cutoff_set, menu_publish


def _item(canteen):
    return FilingItem(filing=Filing(canteen=canteen), requirement="F7")


def test_f7_passes_with_coverage_a_delivering_cutoff_and_offers(world, menu, frozen_clock):
    from tests.orders.conftest import at

    frozen_clock(at("2025-06-02 08:00"))
    manager = world.users["canteen_manager"]
    outcome = check_item(_item(world.canteen), DAY)
    assert outcome.result == "failed" and "未设置配送范围" in outcome.detail
    coverage_set(actor=manager, canteen_id=world.canteen.pk, community_ids=[world.xihu_c1.pk])
    cutoff_set(actor=manager, canteen_id=world.canteen.pk, period="lunch", cutoff=time(9, 30), delivers=True)
    outcome = check_item(_item(world.canteen), DAY)
    assert outcome.result == "failed" and "前后7天内没有发布预订菜单" in outcome.detail
    menu_publish(actor=manager, canteen_id=world.canteen.pk, local_date=DAY, period="lunch",
                 offers=[(menu["套餐"].pk, 10)])
    outcome = check_item(_item(world.canteen), DAY)
    assert outcome.result == "passed", outcome.detail
    assert any("保俶社区" in line for line in outcome.detail)
    assert check_item(_item(world.canteen), DAY.replace(day=20)).result == "failed"  # stale menus
