"""The console's menus at 1366×768: one line for the city administrator (the role with most
entries, with the pages of the other apps in place), dropdowns that work from the keyboard."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


@pytest.mark.urls("tests.console.urls_full_nav")
def test_city_admin_navigation_fits_one_line_and_opens_from_the_keyboard(transactional_db, world, browser, live_server,
                                                                       settings):
    from playwright.sync_api import expect

    from tests.conftest import PASSWORD

    settings.ZHUCAN_CLOCK_START = "2025-06-10T11:00:00+08:00"  # the demo's clock badge takes room too
    admin = world.users["city_admin"]
    admin.display_name = "杭州市民政局 李明华"
    admin.save()
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport={"width": 1366, "height": 768})
    page = context.new_page()
    try:
        page.goto("/accounts/login/")
        page.get_by_label("用户名").fill(admin.username)
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        expect(page).to_have_url(f"{live_server.url}/dashboard/")  # landed on the dashboard

        menus = page.locator("nav.menus > *")
        assert menus.count() == 5
        assert page.locator("nav.menus").inner_text().split() == ["工作台", "老人与助餐点", "资金结算", "监管", "系统"]
        tops = {round(box["y"]) for box in (menus.nth(i).bounding_box() for i in range(menus.count()))}
        assert len(tops) == 1, tops
        header = page.locator("header.top").bounding_box()
        assert header["height"] < 60, header  # one line, not wrapped
        assert page.evaluate("document.documentElement.scrollWidth") <= 1366

        page.locator("nav.menus summary").first.focus()
        page.keyboard.press("Tab")  # to the second menu, 老人与助餐点
        page.keyboard.press("Enter")
        expect(page.get_by_role("link", name="老年人档案")).to_be_visible()
        page.keyboard.press("Escape")
        expect(page.get_by_role("link", name="老年人档案")).to_be_hidden()
        page.keyboard.press("Enter")
        page.keyboard.press("Tab")
        page.keyboard.press("Enter")  # follows the first link of the open menu
        expect(page).to_have_url(f"{live_server.url}/elders/")
        page.locator("summary", has_text="监管").click()
        expect(page.get_by_role("link", name="双随机检查")).to_be_visible()
    finally:
        context.close()
