"""Browser test of the yearly assessment: a district assessor scores a canteen, confirms and
publishes; the canteen's public page then shows the published grade."""

from __future__ import annotations

import re

import pytest


@pytest.fixture
def assess_world(transactional_db, monkeypatch):
    from types import SimpleNamespace

    from django.core.cache import cache

    import tests.conftest as base
    from tests.filing.lifecycle_helpers import to_designated
    from zhucan.assessment import services
    from zhucan.core import clock

    monkeypatch.setitem(base.fixture_designation, "from", None)
    cache.clear()
    w = SimpleNamespace(password=base.PASSWORD)
    hz = base.make_region("330100", "杭州市", "city")
    hz.policy_id = "hangzhou"
    hz.save()
    w.xihu = base.make_region("330106", "西湖区", "district", hz, "urban")
    sub = base.make_region("330106001", "北山街道", "subdistrict", w.xihu)
    base.make_region("330106001001", "保俶社区", "community", sub)
    w.canteen = base.make_canteen(sub, "北山长者食堂", open_to_public=True)
    w.district = base.make_user("xihu_admin", "district_admin", region=w.xihu)
    manager = base.make_user("beishan_mgr", "canteen_manager", canteen=w.canteen)
    to_designated(w.district, manager, w.canteen)
    w.year = clock.local_today().year - 1
    items = [{"dimension": "人员配备", "title": "从业人员持健康证上岗", "weight": 60, "max_score": 60,
              "source": "manual", "guidance": "每缺一人扣 2 分"},
             {"dimension": "服务质量", "title": "按公告时段稳定供餐", "weight": 40, "max_score": 40,
              "source": "manual", "guidance": "无故停餐一次扣 2 分"}]
    table = services.table_create(actor=w.district, region_id=w.xihu.pk, year=w.year, title="西湖区评估",
                                  items=items)
    w.assessment = services.assessment_open(actor=w.district, table_id=table.pk, canteen_id=w.canteen.pk)
    w.items = {i.title: i for i in table.indicators.all()}
    return w


def test_district_scores_and_publishes_then_the_public_page_shows_the_grade(assess_world, page, shot):
    from playwright.sync_api import expect

    w = assess_world
    page.goto(f"/accounts/login/?next=/evaluation/assessments/{w.assessment.pk}/")
    page.get_by_label("用户名").fill(w.district.username)
    page.get_by_label("密码").fill(w.password)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name=re.compile("北山长者食堂"))).to_be_visible()
    for title, score in (("从业人员持健康证上岗", "58"), ("按公告时段稳定供餐", "38")):
        row = page.locator(f"#item-{w.items[title].pk}")
        row.get_by_label("得分").fill(score)
        row.get_by_label("说明").fill("现场查验")
        row.get_by_role("button", name="保存").click()
        expect(page.get_by_text("已评分")).to_be_visible()
    page.get_by_role("button", name="确认评估结果").click()
    expect(page.get_by_text("总分 96.0 分，等次 优秀")).to_be_visible()
    page.get_by_role("button", name="公布评估结果").click()
    expect(page.get_by_text("评估结果已公布")).to_be_visible()
    shot(page, "assessment-published")

    page.goto(f"/public/canteens/{w.canteen.pk}/")
    expect(page.locator("#assessment-grade")).to_have_text(f"{w.year} 年度：优秀（96.0 分）")
    shot(page, "assessment-public")
