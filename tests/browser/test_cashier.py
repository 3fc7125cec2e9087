"""Card checkout end to end in real headless Chromium — a cashier presses dish
keys, a card reader types the card number + Enter, the quote shows in large type, Enter confirms, the
receipt number appears and the receipt file is written, and a district administrator's live feed
(another browser context) shows the meal within a few seconds. Time flows here (the live server is
another thread): the platform's simulated clock starts at today's 11:30, inside the policy's lunch."""

from __future__ import annotations

import os
import re
from datetime import date, time
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.browser.conftest import beishan

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = pytest.mark.browser

CARD = "330100000077"
SCREENSHOT = Path("/tmp/zhucan-cashier.png")


def _lunch_clock(monkeypatch) -> None:
    """The platform's simulated clock (as `make demo` uses it) starting at today's 11:30: the policy's
    own lunch period (10:30–12:30) holds whatever the hour the tests run; time still flows, and
    security windows keep real time."""
    from django.utils import timezone

    from zhucan.core import clock

    start = clock.real_now().astimezone(clock.LOCAL_TZ).replace(hour=11, minute=30, second=0, microsecond=0)
    monkeypatch.setattr(clock, "_offset", start - timezone.now())


@pytest.fixture
def till_world(transactional_db, monkeypatch, settings, tmp_path):
    """Committed data the live server thread can see: 北山 canteen with a menu open all day, its
    cashier, the 西湖区 administrator, an 80-year-old elder with a citizen card."""
    import tests.conftest as base
    from zhucan.canteens.models import Dish
    from zhucan.canteens.services import canteen_set_periods

    monkeypatch.setattr(base, "_seq", iter(range(1, 500)))
    _lunch_clock(monkeypatch)
    settings.ZHUCAN_RECEIPT_PRINTER = f"file://{tmp_path}/receipts/{{receipt_no}}.bin"
    w = SimpleNamespace(receipts=tmp_path / "receipts", password=base.PASSWORD)
    place = beishan(base)
    w.canteen = place.canteen
    canteen_set_periods(actor=base._system_user(), canteen_id=w.canteen.pk, periods=[
        ("breakfast", time(0, 0), time(9, 59)), ("lunch", time(10, 0), time(15, 59)),
        ("dinner", time(16, 0), time(23, 59))])
    for i, (name, price) in enumerate([("营养套餐", 1500), ("米饭", 100), ("红烧肉", 2000), ("青菜豆腐", 600)]):
        Dish.objects.create(canteen=w.canteen, name=name, price_fen=price, sort_order=i)
    w.cashier = base.make_user("beishan_cashier", "cashier", canteen=w.canteen)
    w.admin = base.make_user("xihu_admin", "district_admin", region=place.xihu)
    w.elder = base.make_elder(place.community, name="张秀英", birth=date(1945, 3, 15), citizen_card_number=CARD)
    return w


def _logged_in_page(browser, live_server, user, password, width: int = 1366):
    from playwright.sync_api import expect

    context = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport={"width": width, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.get_by_label("用户名").fill(user.username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))  # landed on the role's page
    return context, page


def _reader_window(page, ms: int = 1000) -> None:
    """Widen the till's keyboard-wedge window: a card reader types its number within a few
    milliseconds, Playwright's keystrokes on a loaded machine can be 50 ms apart (the till would
    then take the number's first digit for a dish key). Lone dish keys still work, only later."""
    page.locator("#pos-ident").evaluate("(el, ms) => { el.dataset.wedgeMs = String(ms); }", ms)


def test_card_checkout_end_to_end(till_world, browser, live_server):
    from playwright.sync_api import expect

    from zhucan.checkout.models import Meal

    w = till_world
    feed_context, feed = _logged_in_page(browser, live_server, w.admin, w.password)
    feed.locator("summary", has_text="工作台").click()  # the menus are dropdowns
    feed.get_by_role("link", name="实时就餐").click()
    expect(feed.get_by_role("heading", name=re.compile("实时就餐"))).to_be_visible()
    expect(feed.locator("#feed-empty")).to_be_visible()

    context, page = _logged_in_page(browser, live_server, w.cashier, w.password)
    page.locator("summary", has_text="工作台").click()
    page.get_by_role("link", name="收银台").click()
    ident = page.locator("#pos-ident")
    expect(ident).not_to_be_focused()  # keys are dish keys until a number is typed or scanned
    _reader_window(page)
    rows = page.locator("#pos-state table.order tbody tr")

    # Dish keys: 1 = 营养套餐, 2 = 米饭; "+" and "−" change the quantity of the last line.
    page.keyboard.press("1")
    expect(rows.first).to_contain_text("营养套餐")
    page.keyboard.press("2")
    expect(rows).to_have_count(2)
    page.keyboard.press("+")
    expect(rows.nth(1).locator("td.qty b")).to_have_text("2")
    page.keyboard.press("-")
    expect(rows.nth(1).locator("td.qty b")).to_have_text("1")
    expect(page.locator("#pos-state .gross")).to_have_text("¥16.00")
    expect(ident).not_to_be_focused()

    # The card reader types the number and Enter (a keyboard wedge: fast keystrokes).
    page.keyboard.type(CARD)
    page.keyboard.press("Enter")
    quote = page.locator("#pos-state .quote")
    expect(quote).to_be_visible()
    expect(page.locator("#pos-state .pos-customer .who")).to_have_text("张*英")
    expect(quote.locator(".payable b")).to_have_text("¥11.20")  # 16.00 at 7折 (HZ-2)
    expect(quote.locator(".benefit b")).to_have_text("¥4.80")
    expect(quote.locator(".explain")).to_contain_text("7折")
    expect(quote).to_contain_text("剩余 15.20 元")
    payable_px = float(quote.locator(".payable b").evaluate("e => parseFloat(getComputedStyle(e).fontSize)"))
    explain_px = float(quote.locator(".explain").evaluate("e => parseFloat(getComputedStyle(e).fontSize)"))
    assert payable_px >= 56 and explain_px >= 22, (payable_px, explain_px)
    expect(ident).not_to_be_focused()  # the scanned number is in: Enter confirms, dish keys add
    expect(ident).to_have_value("")
    assert Meal.objects.count() == 0
    page.screenshot(path=str(SCREENSHOT))

    # Enter confirms; the receipt number appears and the receipt file is printed.
    page.keyboard.press("Enter")
    receipt_no = page.locator("#pos-receipt .receipt-no")
    expect(receipt_no).to_have_text(re.compile(r"^C\d{5}-\d{8}$"))
    expect(page.locator("#pos-state .pos-msg.ok")).to_contain_text("已收款 11.20 元")
    expect(page.locator("#pos-receipt .receipt-text")).to_contain_text("北山长者食堂")
    meal = Meal.objects.get()
    assert receipt_no.inner_text() == meal.receipt_no and meal.cashier_id == w.cashier.pk
    printed = (w.receipts / f"{meal.receipt_no}.bin").read_bytes()
    assert meal.receipt_no.encode() in printed and "营养套餐".encode("gb18030") in printed
    expect(rows).to_have_count(1)  # the empty-order row: ready for the next customer
    expect(ident).not_to_be_focused()
    page.screenshot(path="/tmp/zhucan-cashier-receipt.png")

    # The district's live feed shows it within a few seconds (HTMX polling every 2 s).
    feed_row = feed.locator(f'#feed-rows tr[data-id="{meal.pk}"]')
    expect(feed_row).to_be_visible(timeout=6_000)
    expect(feed_row).to_contain_text("张*英")
    expect(feed_row).to_contain_text("11.20")
    expect(feed.locator("#feed-stats .stats .value").first).to_have_text("1")
    expect(feed.locator("#feed-empty")).to_be_hidden()
    feed.screenshot(path="/tmp/zhucan-live.png", full_page=True)

    # F9 → Enter voids the last meal; the reversal reaches the feed too and the count drops.
    page.keyboard.press("3")
    expect(rows.first).to_contain_text("红烧肉")
    page.keyboard.press("Escape")
    expect(rows.first).to_contain_text("按菜品键点餐")
    page.keyboard.press("F9")
    expect(page.locator("#pos-state .void-confirm")).to_contain_text(meal.receipt_no)
    page.keyboard.press("Enter")
    expect(page.locator("#pos-state .pos-msg.ok")).to_contain_text(f"已撤销 {meal.receipt_no}")
    expect(feed.locator("#feed-rows tr.void")).to_have_count(1, timeout=6_000)
    expect(feed.locator("#feed-stats .stats .value").first).to_have_text("0")
    assert Meal.objects.count() == 2
    context.close()
    feed_context.close()


def test_face_checkout_in_the_browser(till_world, browser, live_server, tmp_path):
    """刷脸 at the till: headless Chromium has no camera, so F6 falls back to choosing a photo; the
    chosen photo is posted, the elder is identified by face, Enter sells, the meal records "face"."""
    from playwright.sync_api import expect

    from zhucan.checkout.models import Meal
    from zhucan.face import samples
    from zhucan.face.services import face_canteen_setting_set, face_consent_record, face_enrol

    w = till_world
    import tests.conftest as base

    staff = base.make_user("beishan_staff", "subdistrict_staff", region=w.elder.community.parent)
    admin = w.admin
    for scope in ("verify_1_1", "identify_1_n"):
        face_consent_record(actor=staff, elder_id=w.elder.pk, scope=scope, text_version="face-2025-06-v1")
    photo = samples.to_bytes(samples.photo("astronaut"), "JPEG", 92)
    face_enrol(actor=staff, elder_id=w.elder.pk, image_bytes=photo, source="staff_upload")
    face_canteen_setting_set(actor=admin, canteen_id=w.canteen.pk, identify_enabled=True)
    frame = tmp_path / "frame.jpg"
    frame.write_bytes(samples.to_bytes(samples.frame_640x480(samples.TRANSFORMS["flip"](samples.photo("astronaut"))),
                                       "JPEG", 85))

    context, page = _logged_in_page(browser, live_server, w.cashier, w.password)
    page.goto("/checkout/cashier/")
    page.keyboard.press("1")
    expect(page.locator("#pos-state .order tbody tr").first).to_contain_text("营养套餐")  # in before the camera
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("F6")  # no camera here: the photo chooser opens instead
    chooser.value.set_files(str(frame))
    expect(page.locator("#pos-state .pos-customer .how")).to_contain_text("人脸")
    expect(page.locator("#pos-state .quote")).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.locator("#pos-state .pos-msg.ok")).to_contain_text("已收款")
    meal = Meal.objects.get()
    assert meal.elder_id == w.elder.pk and meal.identified_by == "face"
    context.close()


def test_phone_code_scanned_by_the_camera_in_the_browser(till_world, browser, live_server, tmp_path):
    """摄像头扫码 (F7) without a camera falls back to choosing a picture: the phone's 长者码 in it
    identifies the elder, Enter sells, the meal records "qr"."""
    from playwright.sync_api import expect

    from zhucan.checkout.models import Meal
    from zhucan.identity import qr
    from zhucan.identity.services import elder_qr_issue

    w = till_world
    token, _ = elder_qr_issue(elder=w.elder)
    picture = tmp_path / "phone.png"
    picture.write_bytes(qr.render_png(token, scale=8))
    context, page = _logged_in_page(browser, live_server, w.cashier, w.password)
    page.goto("/checkout/cashier/")
    page.keyboard.press("1")
    expect(page.locator("#pos-state .order tbody tr").first).to_contain_text("营养套餐")  # in before the camera
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("F7")
    chooser.value.set_files(str(picture))
    expect(page.locator("#pos-state .pos-customer .how")).to_contain_text("长者码")
    page.keyboard.press("Enter")
    expect(page.locator("#pos-state .pos-msg.ok")).to_contain_text("已收款")
    assert Meal.objects.get().identified_by == "qr"
    context.close()


def test_face_enrolment_at_the_till_in_the_browser(till_world, browser, live_server, tmp_path):
    """录入人脸 (F8) after a card: without a camera the photo chooser opens; the face is enrolled."""
    from playwright.sync_api import expect

    import tests.conftest as base
    from zhucan.face import samples
    from zhucan.face.models import FaceEnrolment
    from zhucan.face.services import face_consent_record

    w = till_world
    staff = base.make_user("beishan_staff2", "subdistrict_staff", region=w.elder.community.parent)
    face_consent_record(actor=staff, elder_id=w.elder.pk, scope="verify_1_1", text_version="face-2025-06-v1")
    photo = tmp_path / "elder.jpg"
    photo.write_bytes(samples.to_bytes(samples.photo("astronaut"), "JPEG", 92))
    context, page = _logged_in_page(browser, live_server, w.cashier, w.password)
    page.goto("/checkout/cashier/")
    _reader_window(page)
    page.keyboard.type(CARD)
    page.keyboard.press("Enter")
    expect(page.locator("#pos-state .pos-enrol")).to_be_visible()
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("F8")
    chooser.value.set_files(str(photo))
    expect(page.locator("#pos-state .pos-msg.ok")).to_contain_text("人脸已录入")
    enrolment = FaceEnrolment.objects.get()
    assert enrolment.elder_id == w.elder.pk and enrolment.source == "terminal"
    context.close()


def _overlaps(a: dict, b: dict) -> bool:
    return a["left"] < b["right"] - 0.5 and b["left"] < a["right"] - 0.5 and \
        a["top"] < b["bottom"] - 0.5 and b["top"] < a["bottom"] - 0.5


_BOXES_JS = """(sel) => [...document.querySelectorAll(sel)].filter((e) => e.getClientRects().length)
  .map((e) => { const r = e.getBoundingClientRect();
                return {what: e.id || e.textContent.trim().slice(0, 12), left: r.left, top: r.top,
                        right: r.right, bottom: r.bottom}; })"""


@pytest.mark.parametrize("width", [1024, 1366, 1920])
def test_till_layout_shows_the_number_and_nothing_overlaps(till_world, browser, live_server, width):
    """The 刷卡/扫码 field holds at least 20 characters (an 18-digit ID number with room to spare) at
    the widths of the counters' screens, with an order, an identified elder and the quote on screen;
    nothing overlaps or spills sideways. Screenshots: /tmp/zhucan-cashier-<width>.png."""
    from playwright.sync_api import expect

    w = till_world
    context, page = _logged_in_page(browser, live_server, w.cashier, w.password, width=width)
    page.goto("/checkout/cashier/")
    page.keyboard.press("1")
    expect(page.locator("#pos-state .order tbody tr").first).to_contain_text("营养套餐")
    ident = page.locator("#pos-ident")
    ident.fill(CARD)
    page.locator("#pos-identify").click()
    expect(page.locator("#pos-state .quote")).to_be_visible()

    ident.fill("33010619450315123X01")  # 20 characters
    assert ident.evaluate("e => e.scrollWidth <= e.clientWidth"), ident.evaluate("e => [e.scrollWidth, e.clientWidth]")
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    for area, parts in ((".pos-side", ".pos-ident input, .pos-ident button, .pos-ident label, .pos-ident p"),
                        (".pos-menu", ".dish, .pos-title")):
        box = page.locator(area).evaluate("e => { const r = e.getBoundingClientRect(); "
                                          "return {left: r.left, top: r.top, right: r.right, bottom: r.bottom}; }")
        boxes = page.evaluate(_BOXES_JS, f"{area} :is({parts})")
        for b in boxes:
            assert box["left"] <= b["left"] + 0.5 and b["right"] <= box["right"] + 0.5, (area, b, box)
        for i, a in enumerate(boxes):
            for b in boxes[i + 1:]:
                assert not _overlaps(a, b), (a, b)
    overflowing = page.evaluate("""() => [...document.querySelectorAll('.pos *')]
      .filter((e) => e.getClientRects().length && getComputedStyle(e).overflowX === 'visible'
                     && e.scrollWidth > e.clientWidth + 1 && e.clientWidth > 0)
      .map((e) => e.outerHTML.slice(0, 80))""")
    assert overflowing == []
    page.screenshot(path=f"/tmp/zhucan-cashier-{width}.png", full_page=True)
    context.close()


def test_hidden_face_submit_stays_hidden(till_world, browser, live_server):
    """The form's own 刷脸识别 submit (the camera posts through it) is marked hidden and stays so."""
    from playwright.sync_api import expect

    w = till_world
    context, page = _logged_in_page(browser, live_server, w.cashier, w.password)
    page.goto("/checkout/cashier/")
    expect(page.locator("#pos-face-submit")).to_be_hidden()
    expect(page.locator("#pos-face-file")).to_be_hidden()
    expect(page.get_by_role("button", name="刷脸识别")).to_have_count(0)
    context.close()


def test_numbers_typed_by_hand_go_to_the_field_never_to_the_dishes(till_world, browser, live_server):
    """A cashier types a card number at human speed (150 ms a key) after clicking into the
    刷卡/扫码 field, then an ID number after pressing *: the right elder each time, no dish rung up;
    the help under the field says how; afterwards the dish keys work again."""
    from playwright.sync_api import expect

    from zhucan.checkout.models import Meal

    w = till_world
    context, page = _logged_in_page(browser, live_server, w.cashier, w.password)
    page.goto("/checkout/cashier/")
    ident = page.locator("#pos-ident")
    rows = page.locator("#pos-state .order tbody tr")
    help_line = page.locator("#pos-ident-help")
    expect(help_line).to_be_visible()
    expect(help_line).to_contain_text("按菜品键加菜")
    expect(help_line).to_contain_text("点此框或按 *")

    ident.click()
    expect(help_line).to_contain_text("正在输入号码")
    page.keyboard.type(CARD, delay=150)
    expect(ident).to_have_value(CARD)
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("按菜品键点餐")
    page.keyboard.press("Enter")
    expect(page.locator("#pos-state .pos-customer .who")).to_have_text("张*英")
    expect(page.locator("#pos-state .pos-customer .how")).to_contain_text("市民卡")
    expect(rows.first).to_contain_text("按菜品键点餐")
    expect(ident).to_have_value("")
    expect(ident).not_to_be_focused()

    page.keyboard.press("1")  # dish keys again, now the number is in
    expect(rows.first).to_contain_text("营养套餐")
    expect(page.locator("#pos-state .quote")).to_be_visible()

    page.keyboard.press("Escape")  # clear the order and the customer
    expect(page.locator("#pos-state .pos-customer .none")).to_be_visible()
    page.keyboard.press("*")
    expect(ident).to_be_focused()
    page.keyboard.type(w.elder.plain_id_number, delay=150)
    expect(ident).to_have_value(w.elder.plain_id_number)
    page.keyboard.press("Enter")
    expect(page.locator("#pos-state .pos-customer .how")).to_contain_text("身份证")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("按菜品键点餐")
    assert Meal.objects.count() == 0
    context.close()


def test_elder_page_shows_the_meal_just_sold_and_what_is_left(till_world, browser, live_server):
    """A meal sold at the till shows on the elder's page for district staff: local time, canteen,
    amounts, benefit by funder, how identified, and today's allowance left. Screenshot:
    /tmp/zhucan-elder-meals.png."""
    from playwright.sync_api import expect

    from zhucan.checkout.models import Meal
    from zhucan.core import clock

    w = till_world
    context, page = _logged_in_page(browser, live_server, w.cashier, w.password)
    page.goto("/checkout/cashier/")
    page.keyboard.press("1")
    expect(page.locator("#pos-state .order tbody tr").first).to_contain_text("营养套餐")
    page.keyboard.press("*")
    page.keyboard.type(CARD, delay=150)
    page.keyboard.press("Enter")
    expect(page.locator("#pos-state .quote .payable b")).to_have_text("¥10.50")
    page.keyboard.press("Enter")
    expect(page.locator("#pos-state .pos-msg.ok")).to_contain_text("已收款 10.50 元")
    meal = Meal.objects.get()
    context.close()

    context, page = _logged_in_page(browser, live_server, w.admin, w.password)
    page.goto(f"/elders/{w.elder.pk}/")
    section = page.locator("#elder-meals")
    expect(section).to_contain_text("今日还可优惠 ¥15.50（每日封顶 ¥20.00）")
    expect(section).to_contain_text("已用时段：午餐")
    row = section.locator(f'tr[data-receipt="{meal.receipt_no}"]')
    when = meal.at.astimezone(clock.LOCAL_TZ).strftime("%Y-%m-%d %H:%M")
    expect(row.locator("td")).to_have_text([when, "北山长者食堂", "午餐", "¥15.00", "¥4.50", "市级 ¥4.50", "¥10.50",
                                             "市民卡", "已收款"])
    page.screenshot(path="/tmp/zhucan-elder-meals.png", full_page=True)
    context.close()
