"""An elder rates yesterday's lunch on the phone page in real headless Chromium at a phone viewport
(390×844, touch): from the 长者码 page to 评价就餐, one tap per score on big buttons, a preset phrase,
no typing; the rating is stored against the ledger meal and shown as rated. Large type, no
horizontal overflow, every choice at least 48 px high."""

from __future__ import annotations

import os
from datetime import date, datetime, time, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.browser.conftest import beishan
from tests.browser.test_elder_phone import _CONTRAST_JS, _OVERFLOW_JS, PHONE_VIEWPORT

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
PHONE = "13800001111"
PASSWORD = "Laoren-2025"

_CHOICES_JS = """
() => Array.from(document.querySelectorAll('label.star span, label.chip span, button, a.button'))
  .filter(el => el.offsetParent !== null)
  .map(el => [el.textContent.trim(), el.getBoundingClientRect().height])
  .filter(([, h]) => h < 48)
"""


@pytest.fixture
def rate_world(transactional_db, monkeypatch):
    import tests.conftest as base
    from zhucan.canteens.models import Dish
    from zhucan.checkout.services import OrderLine, meal_commit
    from zhucan.core import clock
    from zhucan.elderphone.services import account_set_password, binding_create

    monkeypatch.setattr(base, "_seq", iter(range(1, 500)))
    w = SimpleNamespace()
    place = beishan(base)
    w.canteen = place.canteen
    dish = Dish.objects.create(canteen=w.canteen, name="营养套餐", price_fen=1500)
    staff = base.make_user("beishan_staff", "subdistrict_staff", region=place.sub)
    w.elder = base.make_elder(place.community, name="张秀英", birth=date(1945, 3, 15))
    own = binding_create(actor=staff, elder_id=w.elder.pk, phone=PHONE, relation="self", notify=False)
    account_set_password(account=own.binding.account, password=PASSWORD)
    yesterday = clock.local_today() - timedelta(days=1)
    w.lunch = meal_commit(canteen=w.canteen, elder=w.elder, lines=[OrderLine(dish_id=dish.pk, quantity=1)],
                          idempotency_key="rate-browser", request_digest="rate-browser", identified_by="qr",
                          at=datetime.combine(yesterday, time(11, 30), tzinfo=clock.LOCAL_TZ)).meal
    return w


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", **PHONE_VIEWPORT)
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    context.close()


def _elder_friendly(page) -> None:
    assert page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") >= 18
    layout = page.evaluate(_OVERFLOW_JS)
    assert layout["scrollWidth"] <= layout["width"] and not layout["wide"], layout
    assert page.evaluate(_CHOICES_JS) == []
    for el in page.locator("h1, button.primary").element_handles():
        assert el.evaluate(_CONTRAST_JS) >= 4.5


def test_an_elder_rates_lunch_in_large_type(rate_world, phone, live_server):
    from playwright.sync_api import expect

    from zhucan.evaluation.models import Rating

    w, page = rate_world, phone
    page.goto("/h5/login/")
    page.get_by_label("手机号").fill(PHONE)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").tap()
    expect(page).to_have_url(f"{live_server.url}/h5/e/{w.elder.pk}/")
    page.get_by_role("link", name="评价就餐").tap()
    expect(page.locator("h1")).to_have_text("评价就餐")
    expect(page.locator(f"#meal-{w.lunch.pk}")).to_contain_text("午餐")
    _elder_friendly(page)
    page.locator(f"#meal-{w.lunch.pk}").get_by_role("link", name="评价这顿饭").tap()
    expect(page.locator(".lead")).to_contain_text("北山长者食堂")
    _elder_friendly(page)

    # Submitting with a score missing: the precise message, nothing stored.
    for legend, stars in (("口味", "5"), ("分量", "4"), ("卫生", "5")):
        page.locator("fieldset.stars", has_text=legend).locator("label.star", has_text=stars).first.tap()
    page.get_by_role("button", name="提交评价").tap()
    expect(page.get_by_role("alert")).to_have_text("请为“服务”选择1到5颗星")
    assert not Rating.objects.exists()
    # the choices made are kept; one more tap and a preset phrase
    expect(page.locator("fieldset.stars", has_text="口味").locator("input:checked")).to_have_value("5")
    page.locator("fieldset.stars", has_text="服务").locator("label.star", has_text="很满意").tap()
    page.locator("label.chip", has_text="饭菜可口").tap()
    box = page.locator("fieldset.stars", has_text="服务").locator("label.star").first.bounding_box()
    assert box["height"] >= 56 and box["width"] >= 56, box
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "elder-rates-lunch.png"), full_page=True)
    page.get_by_role("button", name="提交评价").tap()

    expect(page.get_by_role("status")).to_have_text("谢谢您的评价！")
    expect(page.locator(f"#meal-{w.lunch.pk} .rated")).to_contain_text("口味5星 · 分量4星 · 卫生5星 · 服务5星")
    expect(page.locator(f"#meal-{w.lunch.pk} .rated")).to_contain_text("饭菜可口")
    _elder_friendly(page)
    rating = Rating.objects.get()
    assert (rating.meal_id, rating.taste, rating.portion, rating.hygiene, rating.service, rating.phrases) == (
        w.lunch.pk, 5, 4, 5, 5, ["饭菜可口"])
