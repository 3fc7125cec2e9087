"""The elder phone page in real headless Chromium at a phone viewport (390×844, 2× pixels, touch): an
elder sets a password with the SMS code, sees the live 长者码, and the code read back from the
screenshot by zxing-cpp identifies the elder. Large type, no horizontal overflow, big touch
targets, no request leaves the platform, the screenshot is not blank; the code refreshes on a tap
and as soon as a counter has used it."""

from __future__ import annotations

import io
import os
from datetime import date, datetime, time, timedelta
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import zxingcpp
from PIL import Image

from tests.browser.conftest import beishan

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
PHONE = "13800001111"
FAMILY = "13900002222"
PASSWORD = "Laoren-2025"
PHONE_VIEWPORT = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True,
                  "has_touch": True}

# Relative luminance contrast (WCAG 2.x) of an element's text against its nearest opaque background.
_CONTRAST_JS = """
el => {
  const rgb = s => (s.match(/[\\d.]+/g) || []).map(Number);
  const lin = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
  const lum = ([r, g, b]) => [r, g, b].map(lin)
    .reduce((acc, v, i) => acc + v * [0.2126, 0.7152, 0.0722][i], 0);
  let node = el, bg = null;
  while (node && node.nodeType === 1) {
    const c = rgb(getComputedStyle(node).backgroundColor);
    if (c.length === 3 || (c.length === 4 && c[3] === 1)) { bg = c.slice(0, 3); break; }
    node = node.parentElement;
  }
  bg = bg || [255, 255, 255];
  const fg = rgb(getComputedStyle(el).color).slice(0, 3);
  const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
  return (a + 0.05) / (b + 0.05);
}
"""

_OVERFLOW_JS = """
() => {
  const width = document.documentElement.clientWidth;
  const wide = [];
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.width > 0 && (r.right > width + 0.5 || r.left < -0.5)) wide.push(el.tagName + '.' + el.className);
  }
  return {scrollWidth: document.documentElement.scrollWidth, width, wide};
}
"""

_SMALL_TARGETS_JS = """
() => Array.from(document.querySelectorAll('button, a.button, input:not([type=hidden])'))
  .filter(el => el.offsetParent !== null)
  .map(el => [el.textContent.trim() || el.name, el.getBoundingClientRect().height])
  .filter(([, h]) => h < 48)
"""


@pytest.fixture
def phone_world(transactional_db, monkeypatch):
    """Committed data for the live server: Hangzhou's policy, 北山 canteen, an 80-year-old elder
    bound to their own phone (not yet activated) and to a family phone, one meal yesterday."""
    import tests.conftest as base
    from zhucan.canteens.models import Dish
    from zhucan.checkout.services import OrderLine, meal_commit
    from zhucan.core import clock
    from zhucan.elderphone import sms
    from zhucan.elderphone.services import account_set_password, binding_create

    monkeypatch.setattr(base, "_seq", iter(range(1, 500)))
    sms.outbox_clear()
    w = SimpleNamespace()
    place = beishan(base)
    w.canteen = place.canteen
    dish = Dish.objects.create(canteen=w.canteen, name="营养套餐", price_fen=1500)
    w.staff = base.make_user("beishan_staff", "subdistrict_staff", region=place.sub)
    w.elder = base.make_elder(place.community, name="张秀英", birth=date(1945, 3, 15))
    binding_create(actor=w.staff, elder_id=w.elder.pk, phone=PHONE, relation="self", notify=False)
    family = binding_create(actor=w.staff, elder_id=w.elder.pk, phone=FAMILY, relation="child",
                            display_name="张晓东", notify=False)
    account_set_password(account=family.binding.account, password=PASSWORD)
    yesterday = clock.local_today() - timedelta(days=1)
    meal_commit(canteen=w.canteen, elder=w.elder, lines=[OrderLine(dish_id=dish.pk, quantity=1)],
                idempotency_key="h5-browser", request_digest="h5-browser", identified_by="qr",
                at=datetime.combine(yesterday, time(11, 30), tzinfo=clock.LOCAL_TZ))
    return w


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", **PHONE_VIEWPORT)
    context.set_default_timeout(10_000)
    tab = context.new_page()
    tab.requests = []
    tab.on("request", lambda request: tab.requests.append(request.url))
    yield tab
    context.close()


def _save(page, name: str) -> bytes:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return page.screenshot(path=str(SCREENSHOTS / f"elder-phone-{name}.png"))


def _check_elder_friendly(page) -> None:
    font = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert font >= 18, font
    layout = page.evaluate(_OVERFLOW_JS)
    assert layout["scrollWidth"] <= layout["width"] and not layout["wide"], layout
    assert page.evaluate(_SMALL_TARGETS_JS) == []
    for selector in ("body", "h1", "button.primary"):
        for el in page.locator(selector).element_handles():
            ratio = el.evaluate(_CONTRAST_JS)
            assert ratio >= 4.5, (selector, ratio)  # WCAG AA for body text


def _not_blank(png: bytes) -> None:
    gray = np.asarray(Image.open(io.BytesIO(png)).convert("L"), dtype=np.float64)
    assert gray.shape == (844 * 2, 390 * 2)
    assert gray.std() > 20 and (gray < 60).mean() > 0.02 and (gray > 200).mean() > 0.2


def _decode(png: bytes) -> list[str]:
    """The QR codes zxing-cpp finds in the screenshot (as identity.qr.decode_png reads a PNG)."""
    gray = np.asarray(Image.open(io.BytesIO(png)).convert("L"))
    found = zxingcpp.read_barcodes(gray, formats=zxingcpp.BarcodeFormat.QRCode)
    return [b.text for b in found if b.valid]


def test_elder_sets_a_password_and_shows_the_live_code(phone_world, phone, live_server):
    from playwright.sync_api import expect

    from zhucan.elderphone import sms
    from zhucan.identity.services import identify_by_qr

    w, page = phone_world, phone
    page.goto("/h5/")
    expect(page).to_have_url(f"{live_server.url}/h5/login/")
    _check_elder_friendly(page)
    _save(page, "login")

    # A wrong password: a clear Chinese message.
    page.get_by_label("手机号").fill(FAMILY)
    page.get_by_label("密码").fill("not-the-password")
    page.get_by_role("button", name="登录").tap()
    expect(page.get_by_role("alert")).to_contain_text("手机号或密码不正确")

    # 首次登录: the code comes by SMS (the console backend's outbox here).
    page.get_by_role("link", name="首次登录/忘记密码").tap()
    page.get_by_label("手机号").fill(PHONE)
    page.get_by_role("button", name="获取验证码").tap()
    expect(page.get_by_text("验证码已发送到")).to_contain_text("138****1111")
    page.get_by_label("短信验证码（6位数字）").fill(sms.last_code(PHONE))
    page.get_by_label("新密码（至少8位）").fill(PASSWORD)
    page.get_by_label("再输入一次新密码").fill(PASSWORD)
    _check_elder_friendly(page)
    page.get_by_role("button", name="确定并登录").tap()

    # The elder's page: the code, large, with the masked name and a countdown.
    expect(page).to_have_url(f"{live_server.url}/h5/e/{w.elder.pk}/")
    expect(page.locator(".bar .who")).to_have_text("张*英")
    qr_box = page.locator("#qr").bounding_box()
    assert qr_box["width"] >= 300, qr_box  # CSS pixels: most of a 390-pixel-wide screen
    first_left = int(page.locator("#left").inner_text())
    page.wait_for_timeout(2100)
    assert int(page.locator("#left").inner_text()) < first_left  # counting down
    expect(page.get_by_text("还可优惠")).to_be_visible()
    expect(page.locator("li.meal")).to_have_count(1)
    expect(page.locator("li.meal")).to_contain_text("北山长者食堂")
    expect(page.locator("ul.family")).to_contain_text("139****2222")
    _check_elder_friendly(page)
    png = _save(page, "code")
    _not_blank(png)
    full = page.screenshot(full_page=True)
    (SCREENSHOTS / "elder-phone-full.png").write_bytes(full)

    # zxing-cpp reads the code from the screenshot; it identifies this elder.
    [token] = _decode(png)
    elder, method = identify_by_qr(token=token, canteen=w.canteen, consume=False)
    assert elder == w.elder and method.name == "qr"

    # 刷新 on a tap: a new single-use code.
    shown = page.locator("#code").get_attribute("data-n")
    page.get_by_role("button", name="刷新").tap()
    expect(page.locator("#code")).not_to_have_attribute("data-n", shown)
    [token] = _decode(_save(page, "refreshed"))

    # A counter uses the code: the page notices within seconds and shows a new one.
    shown = page.locator("#code").get_attribute("data-n")
    identify_by_qr(token=token, canteen=w.canteen)
    expect(page.locator("#code-status")).to_contain_text("已在北山长者食堂使用", timeout=8000)
    expect(page.locator("#code")).not_to_have_attribute("data-n", shown)
    [fresh] = _decode(_save(page, "after-use"))
    assert fresh != token
    assert identify_by_qr(token=fresh, canteen=w.canteen, consume=False)[0] == w.elder

    # Nothing was loaded from anywhere but the platform (no CDN).
    assert all(u.startswith(live_server.url) or u.startswith("data:") for u in page.requests), page.requests

    page.get_by_role("button", name="退出登录").tap()
    expect(page).to_have_url(f"{live_server.url}/h5/login/")
