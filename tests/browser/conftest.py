"""Browser tests: Playwright (sync API) driving the Debian chromium against pytest-django's live server.

Never `playwright install` (it downloads a browser); `make system-deps` installs Debian `chromium`,
so a missing browser is a failure, not a skip.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

# Playwright's sync API runs an event loop in this thread; Django's async guard would otherwise refuse
# the ORM calls the tests (and the live server's setup) make from it.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

# `make test` runs the SQLite and PostgreSQL halves side by side on two cores, with Chromium and a live
# server in each: an assertion waits up to 15 s for the page (Playwright's 5 s default was seen to run
# out while a dish key waited out the widened keyboard-wedge window and its round trip).
expect.set_options(timeout=15_000)

CHROMIUM = Path(os.environ.get("ZHUCAN_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOT_DIR = Path("/tmp")


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium with `make system-deps` (`make test` runs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def shot():
    """Save a full-page screenshot as /tmp/zhucan-browser-<name>.png and return its path."""

    def take(page, name: str) -> Path:
        path = SCREENSHOT_DIR / f"zhucan-browser-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def beishan(base) -> SimpleNamespace:
    """杭州市 (with its policy) → 西湖区 → 北山街道 → 保俶社区 and 北山长者食堂, for the worlds of the
    cashier and phone tests (`base` is tests.conftest)."""
    hz = base.make_region("330100", "杭州市", "city")
    hz.policy_id = "hangzhou"
    hz.save()
    xihu = base.make_region("330106", "西湖区", "district", hz, "urban")
    sub = base.make_region("330106001", "北山街道", "subdistrict", xihu)
    community = base.make_region("330106001001", "保俶社区", "community", sub)
    return SimpleNamespace(xihu=xihu, sub=sub, community=community, canteen=base.make_canteen(sub, "北山长者食堂"))


@pytest.fixture
def console_world(transactional_db, monkeypatch):
    """Committed data for the live server thread: 西湖区 with two subdistricts, 上城区, a district
    administrator of 西湖区 and a few elders (only one of them with the searched last four digits)."""
    import tests.conftest as base

    # make_elder's process-wide sequence overflows make_id_number's 0..499 in long runs; restart it.
    monkeypatch.setattr(base, "_seq", iter(range(1, 500)))
    w = SimpleNamespace()
    w.hz = base.make_region("330100", "杭州市", "city")
    w.xihu = base.make_region("330106", "西湖区", "district", w.hz, "urban")
    w.shangcheng = base.make_region("330102", "上城区", "district", w.hz, "urban")
    w.xihu_sub = base.make_region("330106001", "北山街道", "subdistrict", w.xihu)
    w.xihu_sub2 = base.make_region("330106002", "西溪街道", "subdistrict", w.xihu)
    w.sc_sub = base.make_region("330102001", "湖滨街道", "subdistrict", w.shangcheng)
    w.xihu_c1 = base.make_region("330106001001", "保俶社区", "community", w.xihu_sub)
    w.xihu_c2 = base.make_region("330106002001", "西溪社区", "community", w.xihu_sub2)
    w.sc_c1 = base.make_region("330102001001", "东坡社区", "community", w.sc_sub)
    w.admin = base.make_user("xihu_admin", "district_admin", region=w.xihu)
    w.password = base.PASSWORD
    w.elder = base.make_elder(w.xihu_c1, name="张秀英", birth=date(1944, 6, 18))
    w.neighbour = base.make_elder(w.xihu_c2, name="陈阿婆", birth=date(1950, 1, 9), sex="F")
    w.other_elder = base.make_elder(w.sc_c1, name="李桂兰", birth=date(1946, 2, 2))
    return w
