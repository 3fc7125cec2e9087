"""A canteen is filed, returned, fixed, designated and published — in real headless Chromium: the
manager fills all eight requirements and uploads the evidence through the real form, the district
returns one requirement with a reason and passes the rest, the manager opens the next round, fixes it
and resubmits, the district designates, and the canteen appears in the public directory with its
filing number (no login)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

pytestmark = pytest.mark.browser

RETURN_REASON = "公示屏照片看不清切配区，请重新拍摄并上传"


@pytest.fixture
def filing_world(transactional_db, monkeypatch):
    """杭州市 → 西湖区 → 北山街道 → 保俶社区; 北山长者食堂 (open to the public, not designated yet),
    selected by the district with its service agreement recorded, so round 1 is open for its manager."""
    from types import SimpleNamespace

    from django.core.cache import cache

    import tests.conftest as base
    from tests.filing.lifecycle_helpers import to_filing

    monkeypatch.setitem(base.fixture_designation, "from", None)
    cache.clear()
    w = SimpleNamespace()
    w.hz = base.make_region("330100", "杭州市", "city")
    w.hz.policy_id = "hangzhou"
    w.hz.save()
    w.xihu = base.make_region("330106", "西湖区", "district", w.hz, "urban")
    w.sub = base.make_region("330106001", "北山街道", "subdistrict", w.xihu)
    w.community = base.make_region("330106001001", "保俶社区", "community", w.sub)
    w.canteen = base.make_canteen(w.sub, "北山长者食堂", open_to_public=True)
    w.district = base.make_user("xihu_admin", "district_admin", region=w.xihu)
    w.manager = base.make_user("beishan_mgr", "canteen_manager", canteen=w.canteen)
    w.password = base.PASSWORD
    to_filing(w.district, w.canteen)
    return w


@pytest.fixture
def evidence_files(tmp_path):
    from tests.filing.lifecycle_helpers import pdf_bytes, png_bytes

    licence = tmp_path / "营业执照与食品经营许可证.pdf"
    licence.write_bytes(pdf_bytes())
    photo = tmp_path / "公示屏.png"
    photo.write_bytes(png_bytes())
    retaken = tmp_path / "公示屏-重拍.png"
    retaken.write_bytes(png_bytes())
    return {"licence": licence, "photo": photo, "retaken": retaken}


def _tab(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    return context, context.new_page()


def _log_in(page, w, user, landing: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"/accounts/login/?next={landing}")
    page.get_by_label("用户名").fill(user.username)
    page.get_by_label("密码").fill(w.password)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(re.escape(landing) + "$"))


def _section(page, title: str):
    return page.locator("section.card").filter(has=page.get_by_role("heading", name=re.compile("^" + title)))


def _open_item(page, title: str, link: str) -> None:
    from playwright.sync_api import expect

    _section(page, title).get_by_role("link", name=link).click()
    expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible()


def _save_item(page, title: str) -> None:
    from playwright.sync_api import expect

    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text(f"已保存：{title}")).to_be_visible()


def _declare_everything(page, w, files) -> None:
    """Every requirement through its real form, the evidence uploaded where the form asks for it."""
    from tests.filing.lifecycle_helpers import credit_code
    from zhucan.core import clock

    _open_item(page, "依法登记并具备服务资质", "填写")
    page.get_by_label("统一社会信用代码").fill(credit_code())
    page.get_by_label("食品经营许可证编号").fill("JY13301060012345")
    page.get_by_label("食品经营许可证有效期至").fill((clock.local_today() + timedelta(days=700)).isoformat())
    page.get_by_label("经营主体").fill(w.canteen.operator)
    page.get_by_label("法定代表人").fill("陈建华")
    page.locator("input[type=file]").set_input_files(str(files["licence"]))
    _save_item(page, "依法登记并具备服务资质")

    _open_item(page, "阳光厨房实时画面", "填写")
    page.get_by_label("公示屏尺寸（英寸）").fill("43")
    for room in ("清洗", "切配", "烹饪", "餐具消毒", "专间"):
        page.get_by_label(room, exact=True).check()
    page.locator("input[type=file]").set_input_files(str(files["photo"]))
    _save_item(page, "阳光厨房实时画面")

    for title, box in (("执行统一优惠标准", "执行全市统一的老年人助餐优惠标准"),
                       ("就餐数据完整并实时上传", "就餐数据通过收银终端实时上传平台"),
                       ("收银终端支持卡、码、脸与小票打印", re.compile("^收银终端支持读卡"))):
        _open_item(page, title, "填写")
        page.get_by_label(box).check()
        _save_item(page, title)

    _open_item(page, "惠老优先窗口与爱心餐桌", "填写")
    page.get_by_label("设置惠老优先窗口").check()
    page.get_by_label("爱心餐桌（张）").fill("2")
    if page.locator("input[type=file]").count():
        page.locator("input[type=file]").set_input_files(str(files["photo"]))
    _save_item(page, "惠老优先窗口与爱心餐桌")

    _open_item(page, "线上点单与送餐上门", "填写")
    page.get_by_label("提供线上点单").check()
    page.get_by_label("提供送餐上门").check()
    page.get_by_label("保俶社区").check()
    _save_item(page, "线上点单与送餐上门")

    _open_item(page, "就餐区联网视频监控", "填写")
    page.get_by_label("就餐区监控摄像头（个）").fill("2")
    page.get_by_label("市级平台可实时调看就餐区画面").check()
    page.get_by_label("录像保存天数").fill("15")
    _save_item(page, "就餐区联网视频监控")


def _review(page, returned: dict[str, str]) -> None:
    """Each requirement still waiting: pass it, or return it with its reason; then decide."""
    from playwright.sync_api import expect

    titles = [t.strip() for t in page.locator("section.card h2").all_inner_texts()]
    for title in [re.sub(r"\s*(待审核|审核通过|退回修改)$", "", t) for t in titles if t.endswith("待审核")]:
        section = _section(page, title)
        if title in returned:
            section.get_by_label("退回修改").check()
            section.get_by_label("退回原因").fill(returned[title])
        else:
            section.get_by_label("通过", exact=True).check()
        section.get_by_role("button", name="保存审核意见").click()
        expect(page.get_by_text(f"“{title}”：{'已退回' if title in returned else '通过'}")).to_be_visible()
    page.get_by_role("button", name="作出审核决定").click()
    expect(page.get_by_text("已作出审核决定")).to_be_visible()


def _open_review_from_queue(page) -> None:
    from playwright.sync_api import expect

    page.goto("/filing/")
    waiting = page.locator("table.list").filter(has_text="已等待（天）")
    waiting.get_by_role("link", name="北山长者食堂").click()
    page.get_by_role("link", name="审核", exact=True).click()
    expect(page.get_by_role("heading", name=re.compile("北山长者食堂 · 第\\d轮备案"))).to_be_visible()


def test_a_canteen_is_filed_returned_fixed_designated_and_published(
        filing_world, browser, live_server, evidence_files, shot):
    from playwright.sync_api import expect

    from zhucan.core import clock
    from zhucan.filing.models import Designation, Stage

    w = filing_world
    manager_ctx, manager = _tab(browser, live_server)
    district_ctx, district = _tab(browser, live_server)
    public_ctx, citizen = _tab(browser, live_server)
    try:
        # The manager declares all eight requirements with evidence and submits round 1.
        _log_in(manager, w, w.manager, "/filing/mine/")
        _declare_everything(manager, w, evidence_files)
        expect(manager.locator("span.badge", has_text="未完成")).to_have_count(0)
        licence_section = _section(manager, "依法登记并具备服务资质")
        expect(licence_section.get_by_role("link", name=evidence_files["licence"].name)).to_be_visible()
        manager.get_by_role("button", name="提交备案").click()
        expect(manager.get_by_text("备案已提交，请等待区民政部门审核")).to_be_visible()

        # The district finds it in its queue, returns the kitchen screen with a reason, passes the rest.
        _log_in(district, w, w.district, "/filing/")
        _open_review_from_queue(district)
        expect(_section(district, "依法登记并具备服务资质").get_by_role(
            "link", name=f"{evidence_files['licence'].name}（PDF）")).to_be_visible()
        _review(district, {"阳光厨房实时画面": RETURN_REASON})
        shot(district, "filing-returned")

        # The manager reads the reason, opens round 2, fixes that requirement and resubmits.
        manager.goto("/filing/mine/")
        returned = _section(manager, "阳光厨房实时画面")
        expect(returned.get_by_text(RETURN_REASON)).to_be_visible()
        expect(returned.locator("span.badge", has_text="退回修改")).to_be_visible()
        manager.get_by_role("button", name="修改后重新提交").click()
        expect(manager.get_by_text("已开始新一轮备案")).to_be_visible()
        _open_item(manager, "阳光厨房实时画面", "修改")
        manager.get_by_label("公示屏尺寸（英寸）").fill("55")
        manager.locator("input[type=file]").set_input_files(str(evidence_files["retaken"]))
        _save_item(manager, "阳光厨房实时画面")
        manager.get_by_role("button", name="提交备案").click()
        expect(manager.get_by_text("备案已提交，请等待区民政部门审核")).to_be_visible()

        # Round 2: only the fixed requirement waits; the district passes it and designates.
        _open_review_from_queue(district)
        expect(district.locator("section.card h2", has_text="待审核")).to_have_count(1)
        _review(district, {})
        number = f"西湖〔{clock.local_today().year}〕第001号"
        expect(district.get_by_text(number)).to_be_visible()
        designation = Designation.objects.get(canteen=w.canteen)
        assert (designation.stage, designation.filing_number) == (Stage.DESIGNATED, number)

        manager.goto("/filing/mine/")
        expect(manager.get_by_text(number)).to_be_visible()

        # The public directory, without login, lists it; its page shows the filing number.
        citizen.goto("/public/canteens/")
        citizen.get_by_role("link", name=re.compile("北山长者食堂")).first.click()
        expect(citizen).to_have_url(re.compile(rf"/public/canteens/{w.canteen.pk}/"))
        expect(citizen.get_by_text(number)).to_be_visible()
        shot(citizen, "filing-public")
    finally:
        for context in (manager_ctx, district_ctx, public_ctx):
            context.close()
