"""Ordering for an elder from the console (/orders/channel/): subdistrict staff on a phone call
(channel "staff"), canteen staff at the canteen (channel "canteen"), through the real service."""

from __future__ import annotations

import pytest

from tests.conftest import login
from tests.family.helpers import AFTER_CUTOFF, MORNING, ordering_setup
from zhucan.orders.handover import handover_code
from zhucan.orders.models import Order, OrderStatus


@pytest.fixture
def o(world, frozen_clock):
    frozen_clock(MORNING)
    return ordering_setup(world)


def _place(client, elder, offer, *, fulfilment="delivery", key="c-1"):
    form = {"canteen": offer.canteen_id, "slot": f"{offer.local_date}_{offer.period}", f"qty_{offer.pk}": 1,
            "fulfilment": fulfilment, "where": "home", "action": "quote", "key": key}
    quote = client.post(f"/orders/channel/new/{elder.pk}/", form)
    assert quote.status_code == 200, quote.content.decode()[-1500:]
    return quote, client.post(f"/orders/channel/new/{elder.pk}/", {
        **form, "action": "place", "expected_payable_fen": quote.context["quote"].payable_fen})


def test_subdistrict_staff_order_on_a_phone_call(o, world, client):
    staff = world.users["subdistrict_staff"]
    login(client, staff)
    found = client.get("/orders/channel/new/", {"q": "张秀英"}).content.decode()
    assert f"/orders/channel/new/{world.elder.pk}/" in found
    page = client.get(f"/orders/channel/new/{world.elder.pk}/").content.decode()
    assert "为张秀英订餐" in page and "保俶长者食堂（可送餐）" in page and "社区代订" in page
    quote, placed = _place(client, world.elder, o.offers["套餐"])
    assert "助餐优惠" in quote.content.decode()
    assert placed.status_code == 302
    order = Order.objects.get()
    assert (order.channel, order.placed_by_user, order.fulfilment) == ("staff", staff, "delivery")
    detail = client.get(placed["Location"]).content.decode()
    assert handover_code(order) in detail and "社区代订" in detail and "下单成功" in detail
    # cancelled on a second call, before the cut-off
    assert client.post(f"/orders/channel/{order.pk}/cancel/", {"reason": "老人住院"}).status_code == 302
    order.refresh_from_db()
    assert (order.status, order.cancel_reason) == (OrderStatus.CANCELLED, "老人住院")


def test_canteen_staff_order_at_the_canteen(o, world, client, frozen_clock):
    login(client, o.cashier)
    found = client.get("/orders/channel/new/", {"q": "张"}).content.decode()
    assert "张*英" in found and "张秀英" not in found  # masked names at the canteen
    assert f"/orders/channel/new/{world.other_elder.pk}/" not in found
    _place(client, world.elder, o.offers["米饭"], fulfilment="pickup")
    order = Order.objects.get()
    assert (order.channel, order.canteen, order.placed_by_user) == ("canteen", o.canteen, o.cashier)
    # an elder outside the canteen's communities: like one that does not exist
    assert client.get(f"/orders/channel/new/{world.other_elder.pk}/").status_code == 404
    # another canteen's staff do not see the order
    login(client, o.far_manager)
    assert client.get(f"/orders/channel/{order.pk}/").status_code == 404
    # after the cut-off the order can no longer be cancelled: the reason in Chinese, nothing changed
    login(client, o.cashier)
    frozen_clock(AFTER_CUTOFF)
    refused = client.post(f"/orders/channel/{order.pk}/cancel/")
    assert refused.status_code == 409 and "订单已过截止时间，不能取消" in refused.content.decode()
    order.refresh_from_db()
    assert order.status == OrderStatus.PLACED


def test_order_page_roles(o, world, client):
    """The order page: staff who may view orders in their jurisdiction; others 403 or not found."""
    login(client, world.users["subdistrict_staff"])
    _place(client, world.elder, o.offers["套餐"])
    order = Order.objects.get()
    login(client, world.users["district_admin"])
    page = client.get(f"/orders/channel/{order.pk}/")
    assert page.status_code == 200 and "张秀英" in page.content.decode()
    assert handover_code(order) not in page.content.decode()  # the code only to who placed it for the elder
    login(client, world.other["subdistrict_staff"])
    assert client.get(f"/orders/channel/{order.pk}/").status_code == 404
    assert client.post(f"/orders/channel/{order.pk}/cancel/").status_code == 404
    login(client, world.users["city_admin"])
    assert client.post(f"/orders/channel/{order.pk}/cancel/").status_code == 403
    login(client, world.users["auditor"])
    assert client.get("/orders/channel/new/").status_code == 403
    order.refresh_from_db()
    assert order.status == OrderStatus.PLACED


def test_the_console_refuses_a_delivery_outside_coverage_with_the_nearest_canteens(o, world, client):
    from zhucan.orders.models import MenuOffer

    login(client, world.users["subdistrict_staff"])
    far = MenuOffer.objects.get(canteen=o.far_canteen)
    refused = client.post(f"/orders/channel/new/{world.elder.pk}/", {
        "canteen": o.far_canteen.pk, "slot": f"{far.local_date}_lunch", f"qty_{far.pk}": 1, "fulfilment": "delivery",
        "where": "home", "action": "quote", "key": "c-9"})
    body = refused.content.decode()
    assert refused.status_code == 409
    assert "该地址不在“西溪长者食堂”的配送范围内，可选择：保俶长者食堂" in body
    assert f'href="?canteen={o.canteen.pk}">保俶长者食堂' in body
    assert not Order.objects.exists()
