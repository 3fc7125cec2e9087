"""Issue 17's whole delivery story in real headless Chromium: a family member orders lunch delivery
for their parent on a phone; the canteen's manager registers a courier, opens a route and assigns
the order on the order board; at lunchtime the courier logs in on a phone with an SMS code, picks
the meal up and delivers it with the handover code; the family gets an SMS, the parent's phone page
lists the meal as delivered, and the district's live feed shows it without a reload.

The SMS gateway is the only stand-in (the console backend's outbox); the clock is frozen and moved
from the morning (before the 09:30 cut-off) to lunchtime."""

from __future__ import annotations

import os
import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_family_ordering import PHONE_VIEWPORT, family_login, family_orders_lunch_delivery
from tests.family.helpers import ELDER_PHONE, FAMILY_PHONE, MORNING, ordering_setup

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = pytest.mark.browser

LUNCHTIME = MORNING.replace(hour=11, minute=40)
COURIER_PHONE = "13600005678"


def _console(browser, live_server, user, password):
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.get_by_label("用户名").fill(user.username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))
    return context, page


def _phone(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", **PHONE_VIEWPORT)
    context.set_default_timeout(10_000)
    return context, context.new_page()


def test_family_orders_canteen_dispatches_courier_delivers_and_the_meal_shows(world, live_server, browser,
                                                                                 frozen_clock):
    import tests.conftest as base
    from tests.family.helpers import PASSWORD as PHONE_PASSWORD
    from zhucan.checkout.models import Channel
    from zhucan.elderphone import sms
    from zhucan.orders.models import Order, OrderStatus

    frozen_clock(MORNING)
    o = ordering_setup(world)
    sms.outbox_clear()
    contexts = []
    try:
        # 1. the child orders lunch delivered to the parent's registered address
        ctx, family = _phone(browser, live_server)
        contexts.append(ctx)
        family_login(family)
        code = family_orders_lunch_delivery(family, "张秀英")
        order_url = family.url
        placed = Order.objects.get()

        # 2. the canteen's manager registers a courier, opens a route with them and assigns the order
        ctx, board = _console(browser, live_server, o.manager, base.PASSWORD)
        contexts.append(ctx)
        board.goto("/orders/board/")
        expect(board.locator("#delivery-count")).to_have_text("1")
        board.get_by_text("登记送餐员").click()
        register = board.locator("#courier-form")
        register.get_by_label("姓名").fill("李志愿")
        register.get_by_label("手机号").fill(COURIER_PHONE)
        register.get_by_label("身份").select_option(label="志愿者")
        register.get_by_role("button", name="登记").click()
        expect(board.locator(".messages")).to_contain_text("送餐员已登记")
        new_route = board.locator("#route-form")
        new_route.get_by_label("新线路名称").fill("保俶一号线")
        new_route.get_by_label("送餐员").select_option(label="李志愿")
        new_route.get_by_role("button", name="建立线路").click()
        expect(board.locator(".messages")).to_contain_text("线路已建立")
        assign = board.locator("#assign-form")
        assign.get_by_label("待排线路的送餐订单").select_option(str(placed.pk))
        assign.get_by_label("排入线路").select_option(label="保俶一号线")
        assign.get_by_role("button", name="排入").click()
        expect(board.locator(".messages")).to_contain_text("已排入线路")
        route = board.locator(".route", has_text="保俶一号线")
        expect(route).to_contain_text("李志愿")
        expect(route.get_by_role("listitem")).to_contain_text("张秀英")
        expect(board.locator("#assign-form")).to_have_count(0)  # nothing left to assign

        # 3. lunchtime: the district official watches the live feed while the courier delivers
        frozen_clock(LUNCHTIME)
        ctx, feed = _console(browser, live_server, world.users["district_admin"], base.PASSWORD)
        contexts.append(ctx)
        feed.goto("/checkout/live/")
        expect(feed.locator("#feed-empty")).to_be_visible()

        ctx, courier = _phone(browser, live_server)
        contexts.append(ctx)
        courier.goto("/courier/")
        expect(courier).to_have_url(re.compile(r"/courier/login/$"))
        courier.get_by_label("手机号").fill(COURIER_PHONE)
        courier.get_by_role("button", name="获取验证码").tap()
        expect(courier.get_by_role("status")).to_contain_text("验证码已发送")
        login_code = sms.last_code(COURIER_PHONE)
        assert login_code and re.fullmatch(r"\d{6}", login_code)
        courier.get_by_label("短信验证码").fill(login_code)
        courier.get_by_role("button", name="登录").tap()
        expect(courier.get_by_role("heading", level=1)).to_have_text("李志愿 · 保俶长者食堂")
        stop = courier.locator("section.stop", has_text="张秀英")
        expect(stop).to_contain_text("保俶路12号3单元201")
        expect(stop).to_contain_text("套餐×1")
        expect(stop.locator(".status")).to_have_text("待取餐")
        stop.get_by_role("button", name="已取餐").tap()
        expect(stop.locator(".status")).to_have_text("已取餐")
        expect(stop.locator(".pay")).to_have_text("应收 10.50 元")  # ¥15.00 less the city's ¥4.50
        by_code = stop.locator("form", has=courier.get_by_role("button", name="凭交付码送达"))
        expect(by_code.get_by_label("收款方式")).to_have_value("cash")  # the courier takes cash by default
        by_code.get_by_label("交付码", exact=True).fill(code)
        by_code.get_by_role("button", name="凭交付码送达").tap()
        expect(courier.get_by_role("status")).to_have_text("已送达，已通知家属")
        expect(stop.locator(".status")).to_have_text("已送达")
        expect(stop.get_by_role("button")).to_have_count(0)  # nothing left to do at this stop
        assert courier.evaluate("document.documentElement.scrollWidth") <= 390

        # 4. the ledger has the meal, delivered; the family is told
        order = Order.objects.select_related("meal").get()
        assert order.status == OrderStatus.HANDED_OVER and order.handover_method == "handover_code"
        assert order.meal.channel == Channel.DELIVERY and order.meal.elder_id == world.elder.pk
        assert [(t.kind, t.amount_fen) for t in order.meal.tenders.all()] == [("cash", 1050)]
        family_sms = [m for m in sms.outbox(FAMILY_PHONE) if m.template_code == "DELIVERY_DONE"]
        assert len(family_sms) == 1 and "已于11:40送达" in family_sms[0].text
        assert "张秀英" not in family_sms[0].text
        family.goto(order_url)
        expect(family.locator("#order-status")).to_have_text("已交付")
        expect(family.locator("body")).to_contain_text("已于6月2日 11:40交付")

        # the live feed picks the meal up on its next poll, marked as delivered
        row = feed.locator("#feed-rows tr", has_text="保俶长者食堂")
        expect(row).to_have_count(1)
        expect(row).to_contain_text("张*英")
        expect(row).to_contain_text("11:40")
        expect(row).to_contain_text("送餐")
        expect(feed.locator("#feed-empty")).to_be_hidden()

        # the parent's own phone page: the meal among the recent meals, local time, delivered
        ctx, parent = _phone(browser, live_server)
        contexts.append(ctx)
        family_login(parent, phone=ELDER_PHONE, password=PHONE_PASSWORD)
        meal = parent.locator("ul.meals li.meal").first
        expect(meal).to_contain_text("6月2日 11:40 午餐")
        expect(meal).to_contain_text("保俶长者食堂")
        expect(meal.locator(".channel")).to_have_text("送餐上门")
    finally:
        for ctx in contexts:
            ctx.close()
