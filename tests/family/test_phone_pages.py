"""Ordering on the phone page (/h5/orders/): the elder for themself, a family member for a bound
elder (代订), through the real order service; the service's refusals as precise Chinese messages."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.family.helpers import (
    AFTER_CUTOFF,
    ELDER_PHONE,
    FAMILY_PHONE,
    MORNING,
    h5_login,
    ordering_setup,
    place_on_phone,
)
from zhucan.orders.handover import handover_code
from zhucan.orders.models import Order, OrderStatus, StandingOrder, StandingSkip


@pytest.fixture
def o(world, frozen_clock):
    frozen_clock(MORNING)
    return ordering_setup(world)


def test_family_member_orders_lunch_delivery_for_their_parent(o, world, client):
    h5_login(client, FAMILY_PHONE)
    choose = client.get("/h5/orders/")
    assert choose.status_code == 200
    text = choose.content.decode()
    assert "张秀英" in text and "张国华" in text  # two bound elders: choose one
    menu = client.get(f"/h5/orders/e/{world.elder.pk}/new/")
    page = menu.content.decode()
    assert "保俶长者食堂" in page and "套餐" in page and "还剩3份" in page
    assert "elderphone/h5.css" in page and "orders/h5orders.css" in page  # the large-type phone page
    assert 'class="primary"' in page and "送餐上门" in page and "登记地址" in page

    quote, placed = place_on_phone(client, world.elder, o.offers["套餐"])
    assert quote.status_code == 200
    shown = quote.content.decode()
    assert "助餐优惠" in shown and "送餐费" in shown and "送餐补贴" in shown and "确认下单" in shown
    assert placed.status_code == 302
    order = Order.objects.get()
    assert (order.channel, order.placed_by_account_id, order.fulfilment) == ("family_phone", o.family_account.pk,
                                                                              "delivery")
    assert order.address == "保俶路12号3单元201" and order.payable_fen == quote.context["quote"].payable_fen
    assert order.benefit_fen > 0  # the elder's benefit is held by the reservation
    detail = client.get(placed["Location"])
    body = detail.content.decode()
    assert "下单成功" in body and handover_code(order) in body and len(handover_code(order)) == 6
    assert "保俶路" in body and "12号3单元201" not in body  # the address masked


def test_elder_orders_for_self_and_cancels_before_the_cutoff(o, world, client, frozen_clock):
    h5_login(client, ELDER_PHONE)
    assert client.get("/h5/orders/").status_code == 302  # one elder: straight to their page
    _quote, placed = place_on_phone(client, world.elder, o.offers["米饭"], fulfilment="pickup", qty=2)
    order = Order.objects.get()
    assert (order.channel, order.fulfilment, order.gross_fen) == ("elder_phone", "pickup", 200)
    listing = client.get(f"/h5/orders/e/{world.elder.pk}/").content.decode()
    assert "米饭×2" in listing and handover_code(order) in listing
    cancel = client.post(f"/h5/orders/e/{world.elder.pk}/o/{order.pk}/cancel/")
    assert cancel.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert "已取消" in client.get(placed["Location"]).content.decode()


def test_cancel_after_the_cutoff_is_refused_in_chinese(o, world, client, frozen_clock):
    h5_login(client, ELDER_PHONE)
    place_on_phone(client, world.elder, o.offers["米饭"], fulfilment="pickup")
    order = Order.objects.get()
    frozen_clock(AFTER_CUTOFF)
    assert "取消订单" not in client.get(f"/h5/orders/e/{world.elder.pk}/o/{order.pk}/").content.decode()
    refused = client.post(f"/h5/orders/e/{world.elder.pk}/o/{order.pk}/cancel/")
    assert refused.status_code == 409
    assert "订单已过截止时间，不能取消" in refused.content.decode()
    order.refresh_from_db()
    assert order.status == OrderStatus.PLACED


def test_an_order_is_reachable_only_under_its_own_bound_elder(o, world, client, standin):
    """Every order page (view, cancel, pay) answers 404 for an order of another elder or an elder
    the account is not bound to, and changes nothing; a GET on an action answers 405."""
    h5_login(client, FAMILY_PHONE)
    place_on_phone(client, o.second, o.offers["套餐"], fulfilment="pickup")
    order = Order.objects.get()
    assert order.payable_fen > 0  # something to pay online: a pay that got through would start a payment
    assert client.get(f"/h5/orders/e/{o.second.pk}/o/{order.pk}/").status_code == 200
    client.logout()
    h5_login(client, ELDER_PHONE)  # bound to world.elder only
    for elder_id in (world.elder.pk, o.second.pk):
        base = f"/h5/orders/e/{elder_id}/o/{order.pk}/"
        for answer in (client.get(base), client.post(base + "cancel/"), client.post(base + "pay/")):
            assert answer.status_code == 404 and "没有找到这位老人" in answer.content.decode()
    assert client.get(f"/h5/orders/e/{world.elder.pk}/o/{order.pk}/cancel/").status_code == 405
    order.refresh_from_db()
    assert order.status == OrderStatus.PLACED and not order.paid_online
    from zhucan.payments.models import Payment

    assert not Payment.objects.filter(order=order).exists()


def test_a_duplicate_submit_places_one_order(o, world, client):
    h5_login(client, FAMILY_PHONE)
    quote, placed = place_on_phone(client, world.elder, o.offers["套餐"])
    again = client.post(f"/h5/orders/e/{world.elder.pk}/new/", {
        "canteen": o.canteen.pk, "slot": f"{o.offers['套餐'].local_date}_lunch", f"qty_{o.offers['套餐'].pk}": 1,
        "fulfilment": "delivery", "where": "home", "action": "place", "key": "k-1",
        "expected_payable_fen": quote.context["quote"].payable_fen})
    assert again.status_code == 302 and again["Location"] == placed["Location"]
    assert Order.objects.count() == 1
    o.offers["套餐"].refresh_from_db()
    assert o.offers["套餐"].portions_taken == 1


def _quote(client, elder, offer, **extra):
    form = {"canteen": offer.canteen_id, "slot": f"{offer.local_date}_{offer.period}", f"qty_{offer.pk}": 1,
            "fulfilment": "delivery", "where": "home", "action": "quote", "key": "k-9"}
    form.update(extra)
    return client.post(f"/h5/orders/e/{elder.pk}/new/", form)


def test_refusals_are_precise_chinese_messages(o, world, client, frozen_clock):
    from zhucan.orders.models import MenuOffer

    h5_login(client, FAMILY_PHONE)
    offer = o.offers["套餐"]
    # sold out: 3 portions, 4 wanted
    sold = _quote(client, world.elder, offer, **{f"qty_{offer.pk}": 4})
    assert sold.status_code == 409 and "“套餐”只剩3份" in sold.content.decode()
    # price changed: the amount seen differs from the service's quote → the new price, to confirm again
    changed = client.post(f"/h5/orders/e/{world.elder.pk}/new/", {
        "canteen": o.canteen.pk, "slot": f"{offer.local_date}_lunch", f"qty_{offer.pk}": 1, "fulfilment": "delivery",
        "where": "home", "action": "place", "key": "k-2", "expected_payable_fen": 1})
    assert changed.status_code == 409
    body = changed.content.decode()
    payable = changed.context["quote"].payable_fen
    assert f"价格已变化，应付金额现为{payable // 100}.{payable % 100:02d}元" in body and "确认下单" in body
    assert not Order.objects.exists()
    # outside coverage: 西溪长者食堂 does not deliver to 保俶社区 → the canteens that do
    far = MenuOffer.objects.get(canteen=o.far_canteen)
    outside = _quote(client, world.elder, far)
    text = outside.content.decode()
    assert outside.status_code == 409
    assert "该地址不在“西溪长者食堂”的配送范围内" in text and f'href="?canteen={o.canteen.pk}">保俶长者食堂' in text
    # deceased
    from zhucan.elders.models import Elder

    Elder.objects.filter(pk=o.second.pk).update(status="deceased", status_since=MORNING.date())
    dead = _quote(client, o.second, offer)
    assert dead.status_code == 409 and "该老人档案状态为“已故”，不能订餐" in dead.content.decode()
    # not bound: another elder answers like one that does not exist
    stranger = client.get(f"/h5/orders/e/{world.other_elder.pk}/new/")
    assert stranger.status_code == 404 and "没有找到这位老人" in stranger.content.decode()
    # cut-off passed
    frozen_clock(AFTER_CUTOFF)
    late = client.post(f"/h5/orders/e/{world.elder.pk}/new/", {
        "canteen": o.canteen.pk, "slot": f"{offer.local_date}_lunch", f"qty_{offer.pk}": 1, "fulfilment": "pickup",
        "action": "quote", "key": "k-3"})
    assert late.status_code == 409 and "6月2日午餐的订餐已于09:30截止" in late.content.decode()
    assert not Order.objects.exists()


def test_a_key_reused_for_another_order_is_refused(o, world, client):
    h5_login(client, FAMILY_PHONE)
    place_on_phone(client, world.elder, o.offers["套餐"])
    offer = o.offers["米饭"]
    other = client.post(f"/h5/orders/e/{world.elder.pk}/new/", {
        "canteen": o.canteen.pk, "slot": f"{offer.local_date}_lunch", f"qty_{offer.pk}": 1, "fulfilment": "pickup",
        "action": "place", "key": "k-1", "expected_payable_fen": 0})
    assert other.status_code == 409 and "该请求编号已用于另一笔订单" in other.content.decode()
    assert Order.objects.count() == 1


def test_standing_order_set_up_paused_and_skipped_on_the_phone(o, world, client):
    h5_login(client, FAMILY_PHONE)
    page = client.get(f"/h5/orders/e/{world.elder.pk}/standing/new/")
    assert page.status_code == 200 and "周五" in page.content.decode()
    form = {"canteen": o.canteen.pk, "action": "save", "period": "lunch", "fulfilment": "delivery"}
    for day in range(1, 6):
        form[f"dish_{day}"], form[f"qty_{day}"] = o.dishes["套餐"].pk, 1
    saved = client.post(f"/h5/orders/e/{world.elder.pk}/standing/new/", form)
    assert saved.status_code == 302
    standing = StandingOrder.objects.get()
    assert sorted(standing.weekdays) == ["1", "2", "3", "4", "5"] and standing.created_by_account == o.family_account
    listing = client.get(saved["Location"]).content.decode()
    assert "长期订餐已设好" in listing and "周一：套餐" in listing
    until = MORNING.date() + timedelta(days=10)
    client.post(f"/h5/orders/e/{world.elder.pk}/standing/{standing.pk}/pause/", {"until": until.isoformat()})
    standing.refresh_from_db()
    assert standing.paused_until == until
    client.post(f"/h5/orders/e/{world.elder.pk}/standing/{standing.pk}/skip/",
                {"day": (MORNING.date() + timedelta(days=1)).isoformat()})
    assert StandingSkip.objects.filter(standing=standing, date=MORNING.date() + timedelta(days=1)).exists()
    empty = client.post(f"/h5/orders/e/{world.elder.pk}/standing/new/", {**form, **{f"dish_{d}": "" for d in
                                                                                  range(1, 6)}})
    assert empty.status_code == 400 and "请为至少一天选择菜品" in empty.content.decode()


def test_family_member_pays_online_when_the_platform_has_a_provider(o, world, client, standin):
    from zhucan.payments.models import Payment

    h5_login(client, FAMILY_PHONE)
    _quote, placed = place_on_phone(client, world.elder, o.offers["套餐"])
    order = Order.objects.get()
    assert order.payable_fen > 0
    page = client.get(placed["Location"]).content.decode()
    assert f"微信支付 ¥{order.payable_fen // 100}.{order.payable_fen % 100:02d}" in page
    paid = client.post(f"/h5/orders/e/{world.elder.pk}/o/{order.pk}/pay/")
    assert paid.status_code == 302 and paid["Location"].startswith(standin.base_url)
    payment = Payment.objects.get(order=order)
    assert payment.amount_fen == order.payable_fen


def test_without_a_provider_the_order_is_paid_at_handover(o, world, client, settings):
    settings.ZHUCAN_WECHATPAY_MCHID = ""
    h5_login(client, FAMILY_PHONE)
    _quote, placed = place_on_phone(client, world.elder, o.offers["套餐"])
    page = client.get(placed["Location"]).content.decode()
    assert "微信支付" not in page and "取餐或送达时付款" in page
    order = Order.objects.get()
    refused = client.post(f"/h5/orders/e/{world.elder.pk}/o/{order.pk}/pay/")
    assert refused.status_code == 409 and "本系统尚未开通在线支付，请在取餐时付款" in refused.content.decode()


def test_demo_family_order_is_placed_once_through_the_service(o, world):
    from zhucan.demo.family import seed_demo_family_orders
    from zhucan.elderphone.demo import FAMILY_PHONE as DEMO_FAMILY
    from zhucan.elderphone.services import binding_create

    binding_create(actor=world.users["subdistrict_staff"], elder_id=world.elder.pk, phone=DEMO_FAMILY,
                   relation="child", display_name="张晓东", notify=False)
    assert seed_demo_family_orders() == 1
    assert seed_demo_family_orders() == 0
    order = Order.objects.get()
    assert (order.elder, order.channel, order.fulfilment, order.canteen) == (world.elder, "family_phone", "delivery",
                                                                              o.canteen)
