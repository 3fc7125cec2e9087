"""A district official opens the dashboard in real headless Chromium: the ECharts canvases are drawn
(pixels read back from the canvas), the range changes (a preset, then a custom range), and a table
is exported (the download opened with openpyxl)."""

from __future__ import annotations

import re
from datetime import date, datetime
from types import SimpleNamespace

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

# Painted pixels (alpha > 0) of a chart's canvas: an ECharts instance that drew axes, bars or lines.
PAINTED_JS = """el => { const c = el.querySelector('canvas'); if (!c) return 0;
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0;
  for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; }"""


@pytest.fixture
def dash_world(transactional_db, monkeypatch, frozen_clock):
    import tests.conftest as base
    from tests.browser.conftest import beishan
    from tests.checkout.conftest import SH
    from zhucan.canteens.models import Dish
    from zhucan.checkout import services as S
    from zhucan.elders.services import elder_verify

    monkeypatch.setattr(base, "_seq", iter(range(1, 500)))
    frozen_clock(datetime(2025, 6, 10, 20, 0, tzinfo=SH))
    w = SimpleNamespace(**vars(beishan(base)))
    w.admin = base.make_user("xihu_admin", "district_admin", region=w.xihu)
    w.password = base.PASSWORD
    dish = Dish.objects.create(canteen=w.canteen, name="套餐", price_fen=1500)
    elders = [base.make_elder(w.community, name=n, birth=date(1945, 3, 15)) for n in ("张秀英", "王阿婆", "陈大伯")]
    for e in elders:
        elder_verify(actor=base._system_user(), elder_id=e.pk, approve=True)
    for i, (day, hour, elder) in enumerate([(2, 11, 0), (2, 17, 1), (3, 11, 0), (5, 11, 1), (28, 11, 0)]):
        month = 5 if day == 28 else 6
        S.meal_commit(canteen=w.canteen, elder=elders[elder], lines=[S.OrderLine(dish_id=dish.pk, quantity=1)],
                      idempotency_key=f"b{i}", request_digest=f"b{i}", identified_by="card",
                      at=datetime(2025, month, day, hour, 30, tzinfo=SH))
    return w


def _painted(page, key: str) -> int:
    """The chart's painted pixels, once ECharts has drawn (it paints on the next animation frame)."""
    chart = page.locator(f'[data-chart="{key}"]')
    expect(chart.locator("canvas")).to_have_count(1)
    handle = chart.element_handle()
    page.wait_for_function(f"el => ({PAINTED_JS})(el) > 500", arg=handle, timeout=15_000)
    return chart.evaluate(PAINTED_JS)


def test_district_official_sees_charts_changes_range_and_exports(dash_world, page, tmp_path, shot):
    w = dash_world
    page.goto("/accounts/login/?next=/dashboard/")
    page.get_by_label("用户名").fill(w.admin.username)
    page.get_by_label("密码").fill(w.password)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    expect(page.get_by_role("heading", name="本月（2025-06-01 至 2025-06-10）")).to_be_visible()
    for key in ("days", "periods", "funders", "methods", "canteens", "coverage_community", "today"):
        assert _painted(page, key) > 500, key
    expect(page.locator('[data-table="canteens"] tbody tr').first).to_contain_text("北山长者食堂")
    shot(page, "dashboard")

    page.get_by_role("link", name="上月", exact=True).click()
    expect(page.get_by_role("heading", name="上月（2025-05-01 至 2025-05-31）")).to_be_visible()
    assert _painted(page, "days") > 500
    expect(page.locator('[data-table="canteens"] tbody tr').first).to_contain_text("北山长者食堂")

    page.get_by_label("自").fill("2025-06-02")
    page.get_by_label("至").fill("2025-06-03")
    page.get_by_role("button", name="查询").click()
    expect(page.get_by_role("heading", name="2025-06-02 至 2025-06-03", exact=True)).to_be_visible()
    assert _painted(page, "days") > 500
    days = page.locator('[data-table="days"] tbody tr')
    expect(days).to_have_count(2)
    expect(days.nth(0)).to_contain_text("2025-06-02")

    with page.expect_download() as info:
        page.locator('[data-export="canteens"]').click()
    path = tmp_path / "canteens.xlsx"
    info.value.save_as(path)
    assert info.value.suggested_filename == "助餐点运营情况-20250602-20250603.xlsx"
    rows = [list(r) for r in load_workbook(path).active.iter_rows(values_only=True)]
    assert rows[0][:4] == ["助餐点", "所在街道", "就餐份数", "老人就餐人次"]
    assert rows[1][:4] == ["北山长者食堂", "北山街道", 3, 3]
