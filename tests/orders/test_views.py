"""The console pages of ordering ahead: the manager's menu writes role by role, supervision figures."""

from __future__ import annotations

import pytest

from tests.conftest import login
from tests.orders.conftest import DAY, at
from zhucan.core.models import AuditLog
from zhucan.orders import selectors
from zhucan.orders.handover import order_fail, order_handover
from zhucan.orders.models import MenuOffer, PeriodCutoff
from zhucan.orders.placing import order_cancel, order_place, order_quote


def test_manager_publishes_sets_cutoff_and_copies(client, world, shop, menu):
    login(client, shop.manager)
    page = client.get(f"/orders/menus/?day={DAY:%Y-%m-%d}&period=lunch").content.decode()
    assert "红烧肉" in page and "余3/3份" in page and "09:30" in page
    response = client.post("/orders/menus/publish/", {"day": DAY.isoformat(), "period": "lunch",
                                                      f"offer_{menu['红烧肉'].pk}": "1",
                                                      f"portions_{menu['红烧肉'].pk}": "5",
                                                      f"offer_{menu['套餐'].pk}": "1",
                                                      f"portions_{menu['套餐'].pk}": ""})
    assert response.status_code == 302
    offers = {o.name: o.portions for o in MenuOffer.objects.filter(canteen=world.canteen, local_date=DAY)}
    assert offers == {"红烧肉": 5, "套餐": None}
    assert AuditLog.objects.filter(action="orders.menu_publish", actor=shop.manager).count() == 2
    client.post("/orders/menus/cutoff/", {"period": "dinner", "cutoff": "15:00", "delivers": "1"})
    assert PeriodCutoff.objects.get(canteen=world.canteen, period="dinner").delivers
    # a cut-off after the period's end: the Chinese message, nothing written
    response = client.post("/orders/menus/cutoff/", {"period": "breakfast", "cutoff": "09:00"}, follow=True)
    assert "截止时间须早于该时段结束（08:30）" in response.content.decode()
    assert not PeriodCutoff.objects.filter(period="breakfast").exists()
    response = client.post("/orders/menus/copy/", {"week_start": "2025-06-09"}, follow=True)
    assert "上周没有发布过菜单" not in response.content.decode()


@pytest.mark.parametrize("role", ["city_admin", "district_admin", "subdistrict_staff", "cashier", "auditor"])
def test_only_the_manager_writes_menus(client, world, shop, menu, role):
    login(client, world.users[role])
    before = list(MenuOffer.objects.values())
    for url, data in (("/orders/menus/publish/", {"day": DAY.isoformat(), "period": "lunch"}),
                      ("/orders/menus/cutoff/", {"period": "lunch", "cutoff": "08:00"}),
                      ("/orders/menus/copy/", {"week_start": "2025-06-09"})):
        assert client.post(url, data).status_code == 403
    assert list(MenuOffer.objects.values()) == before


def test_supervision_counts_deliveries_on_time_and_failed(client, world, shop, family):
    orders = []
    for i in range(3):
        args = dict(elder_id=world.elder.pk, canteen_id=world.canteen.pk, local_date=DAY, period="lunch",
                    lines=[(shop.rice.pk, 1)], fulfilment="delivery", channel="family_phone")
        quote = order_quote(account=family, **args)
        orders.append(order_place(account=family, expected_payable_fen=quote.payable_fen,
                                    idempotency_key=f"s{i}", **args))
    order_cancel(account=family, order_id=orders[2].pk, reason="不要了")
    shop.clock(at("2025-06-02 11:45"))
    order_handover(actor=world.users["cashier"], order_id=orders[0].pk, method="photo", evidence="photo:1")
    order_fail(actor=world.users["cashier"], order_id=orders[1].pk, reason="家中无人")
    data = selectors.supervision(world.users["district_admin"], start=DAY, end=DAY)
    total = data["total"]
    assert (total.orders, total.deliveries, total.delivered, total.on_time, total.failed, total.cancelled) == \
        (2, 2, 1, 1, 1, 1)
    assert total.on_time_rate == "100.0%"
    assert selectors.supervision(world.other["district_admin"], start=DAY, end=DAY)["canteens"] == []
    login(client, world.users["district_admin"])
    page = client.get(f"/orders/supervision/?start={DAY:%Y-%m-%d}&end={DAY:%Y-%m-%d}").content.decode()
    assert "北山长者食堂" in page and "100.0%" in page and "echarts.min.js" in page
