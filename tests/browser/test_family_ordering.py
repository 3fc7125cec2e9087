"""A family member orders lunch delivery for their parent on a phone (real headless Chromium at
390×844, touch) and sees the 6-digit handover code. The dispatch tests continue the story (the
canteen assigns the order, the courier delivers it with the code): `family_orders_lunch_delivery`
and `tests.family.helpers.ordering_setup` are importable for that."""

from __future__ import annotations

import os
import re

import pytest
from playwright.sync_api import expect

from tests.family.helpers import FAMILY_PHONE, MORNING, PASSWORD, ordering_setup

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = pytest.mark.browser

PHONE_VIEWPORT = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True,
                  "has_touch": True}


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", **PHONE_VIEWPORT)
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    context.close()


def family_login(page, phone: str = FAMILY_PHONE, password: str = PASSWORD) -> None:
    page.goto("/h5/login/")
    page.fill("input[name=phone]", phone)
    page.fill("input[name=password]", password)
    page.locator("form button[type=submit]").first.tap()
    page.wait_for_url(re.compile(r"/h5/(?!login)"))


def family_orders_lunch_delivery(page, elder_name: str, dish: str = "套餐") -> str:
    """On /h5/orders/: choose the elder, one portion of `dish` for the first open meal, delivered to
    the registered address; confirm. Returns the handover code shown."""
    page.goto("/h5/orders/")
    page.get_by_role("link", name=re.compile(elder_name)).tap()
    page.locator("#order-new").tap()
    page.get_by_label(re.compile(dish)).select_option("1")
    expect(page.locator("input[name=fulfilment][value=delivery]")).to_be_checked()
    page.locator("#to-confirm").tap()
    expect(page.locator("#payable")).to_contain_text("¥")
    page.locator("#confirm").tap()
    expect(page.locator("#order-status")).to_have_text("已下单")
    return page.locator("#handover-code").inner_text().strip()


def test_family_member_orders_lunch_delivery_on_a_phone(world, live_server, phone, frozen_clock):
    from zhucan.orders.handover import handover_code
    from zhucan.orders.models import Order

    frozen_clock(MORNING)
    ordering_setup(world)
    family_login(phone)
    code = family_orders_lunch_delivery(phone, "张秀英")
    order = Order.objects.get()
    assert (order.elder, order.channel, order.fulfilment) == (world.elder, "family_phone", "delivery")
    assert re.fullmatch(r"\d{6}", code) and code == handover_code(order)
    expect(phone.locator("body")).to_contain_text("送餐员送到时")
    # large type on the phone: 20 px text, nothing wider than the screen, big touch targets
    assert phone.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") >= 20
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    small = phone.evaluate("""() => Array.from(document.querySelectorAll('button, a.button'))
        .filter(el => el.offsetParent !== null && el.getBoundingClientRect().height < 48).length""")
    assert small == 0
