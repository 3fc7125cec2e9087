"""The canteen manager's filing console /filing/mine/: status per requirement, the declaration form
with several evidence files, precise Chinese refusals with nothing half-written, submit, the
district's return reason, resubmission and the history of rounds; another canteen's manager sees
nothing of it."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.conftest import login
from zhucan.core.audit import AuditLog
from zhucan.filing.models import Evidence, Filing, FilingItem

from .lifecycle_helpers import fill, review_all, state, to_filing
from .rows import F1_OK, jpeg_bytes, pdf_bytes, png_bytes

SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def world(module_world, db):
    """The world built once for this module (tests/filing/conftest.py: module_world); each test's
    writes roll back with its savepoint."""
    return module_world


@pytest.fixture
def filing(world, frozen_clock):
    frozen_clock(datetime(2026, 12, 7, 10, 0, tzinfo=SH))
    to_filing(world.users["district_admin"], world.canteen)
    return Filing.objects.get(canteen=world.canteen)


@pytest.fixture
def manager(client, world):
    return login(client, world.users["canteen_manager"])


def text_of(response) -> str:
    return re.sub(r"<[^>]+>", " ", response.content.decode())


def f1(filing) -> FilingItem:
    return filing.items.get(requirement="F1")


def post_f1(client, item, data=None, files=None):
    body = {**F1_OK, **(data or {})}
    body["files"] = files if files is not None else [SimpleUploadedFile("营业执照.pdf", pdf_bytes()),
                                                     SimpleUploadedFile("许可证.jpg", jpeg_bytes())]
    return client.post(f"/filing/mine/items/{item.pk}/", body)


def test_the_manager_sees_every_requirement_and_what_is_missing(manager, filing):
    page = text_of(manager.get("/filing/mine/"))
    for title in ["依法登记并具备服务资质", "阳光厨房实时画面", "执行统一优惠标准", "就餐数据完整并实时上传",
                  "收银终端支持卡、码、脸与小票打印", "惠老优先窗口与爱心餐桌", "线上点单与送餐上门",
                  "就餐区联网视频监控"]:
        assert title in page
    assert "第1轮" in page and "填报中" in page
    assert "请填写“统一社会信用代码”" in page and "缺少必需的证明材料" in page
    assert "本助餐点不对社会开放，此项无需填报" in page
    assert not re.search(r"\bF[1-8]\b|DECLARATION_|EVIDENCE_", page)  # no internal codes on screen


def test_before_selection_the_page_says_what_comes_first(manager, world):
    page = text_of(manager.get("/filing/mine/"))
    assert "尚未被区民政部门遴选" in page


def test_the_form_saves_the_declaration_with_several_files(manager, world, filing):
    item = f1(filing)
    form = manager.get(f"/filing/mine/items/{item.pk}/").content.decode()
    assert 'type="date"' in form and 'multiple' in form and "统一社会信用代码" in form
    response = post_f1(manager, item)
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.declaration == F1_OK
    assert sorted(item.evidence.values_list("file_name", "content_type")) == [
        ("营业执照.pdf", "application/pdf"), ("许可证.jpg", "image/jpeg")]
    page = text_of(manager.get("/filing/mine/"))
    assert "营业执照.pdf" in page and "已保存：依法登记并具备服务资质" in page
    # The manager can open their own files; the form keeps or drops them.
    first = item.evidence.order_by("pk").first()
    assert manager.get(f"/filing/mine/evidence/{first.pk}/").content == pdf_bytes()
    manager.post(f"/filing/mine/items/{item.pk}/", {**F1_OK, "keep": [str(first.pk)]})
    assert list(item.evidence.values_list("pk", flat=True)) == [first.pk]


@pytest.mark.parametrize(("data", "files", "message"), [
    ({"credit_code": "91330100716105852A"}, None, "统一社会信用代码校验位不正确，请核对"),
    ({"licence_expiry": "2026-12-06"}, None, "食品经营许可证已于2026-12-06到期，不能定点"),
    ({}, [SimpleUploadedFile("营业执照.pdf", b"%PDF-1.4 this is not a pdf")],
     "“营业执照.pdf”不是图片（JPEG、PNG）或PDF文件"),
    ({}, [SimpleUploadedFile("a.png", png_bytes()), SimpleUploadedFile("setup.pdf", b"MZ\x90\x00" * 40)],
     "“setup.pdf”不是图片（JPEG、PNG）或PDF文件"),
])
def test_bad_input_gets_a_precise_message_and_nothing_is_written(manager, filing, data, files, message):
    item = f1(filing)
    before = state()
    response = post_f1(manager, item, data, files)
    assert response.status_code == 200
    assert message in text_of(response)
    assert state() == before


def test_a_file_over_the_limit_is_refused_with_the_limit(manager, filing, settings):
    settings.ZHUCAN_FILING_MAX_UPLOAD_MB = 1
    big = png_bytes() + b"\0" * (1024 * 1024)
    before = state()
    response = post_f1(manager, f1(filing), files=[SimpleUploadedFile("照片.png", big)])
    assert "“照片.png”超过1MB，请压缩后上传" in text_of(response)
    assert state() == before


def test_submitting_an_incomplete_filing_names_what_is_missing(manager, world, filing):
    before = state()
    response = manager.post("/filing/mine/submit/", follow=True)
    page = text_of(response)
    assert "以下备案要求尚未填写完整" in page and "依法登记并具备服务资质" in page
    assert state() == before


def test_another_canteen_s_manager_cannot_see_or_file_it(client, world, filing):
    other = login(client, world.other["canteen_manager"])
    item = f1(filing)
    before = state()
    assert other.get(f"/filing/mine/items/{item.pk}/").status_code == 404
    assert post_f1(other, item).status_code == 404
    assert other.post(f"/filing/mine/rounds/{filing.pk}/").status_code == 404
    assert "北山长者食堂" not in text_of(other.get("/filing/mine/"))
    assert state() == before
    mine = Evidence.objects.create(file_name="x.png", content_type="image/png", size=1, sha256="0" * 64,
                                   content=png_bytes(), uploaded_by=world.users["canteen_manager"],
                                   uploaded_at=filing.created_at)
    item.evidence.add(mine)
    assert other.get(f"/filing/mine/evidence/{mine.pk}/").status_code == 404


@pytest.mark.parametrize("role", ["cashier", "district_admin", "city_admin"])
def test_other_roles_have_no_manager_console(client, world, filing, role):
    assert login(client, world.users[role]).get("/filing/mine/").status_code == 403


def test_submit_return_fix_and_resubmit_through_the_console(client, manager, world, filing):
    fill(world.users["canteen_manager"], world.canteen)
    response = manager.post("/filing/mine/submit/", follow=True)
    assert "备案已提交" in text_of(response)
    filing.refresh_from_db()
    assert filing.status == "submitted"
    page = text_of(manager.get("/filing/mine/"))
    assert "待审核" in page and "自动核验通过" in page and "60–79岁 8折" in page
    assert "/filing/mine/items/" not in manager.get("/filing/mine/").content.decode()  # read-only while reviewed
    assert post_f1(manager, f1(filing)).status_code == 200 and not FilingItem.objects.filter(
        filing=filing, declaration__credit_code=F1_OK["credit_code"]).exists()

    review_all(world.users["district_admin"], filing, returned={"F2": "公示屏照片看不清专间画面，请重新拍摄"})
    from zhucan.filing.services import filing_decide

    filing_decide(actor=world.users["district_admin"], filing=filing)
    page = text_of(manager.get("/filing/mine/"))
    assert "公示屏照片看不清专间画面，请重新拍摄" in page and "修改后重新提交" in page

    manager.post("/filing/mine/resubmit/")
    second = Filing.objects.get(canteen=world.canteen, round=2)
    assert second.status == "draft"
    page = text_of(manager.get("/filing/mine/"))
    assert "第2轮" in page and "历次备案" in page and "第1轮" in page
    assert "公示屏照片看不清专间画面" in text_of(manager.get(f"/filing/mine/rounds/{filing.pk}/"))

    f2 = second.items.get(requirement="F2")
    response = manager.post(f"/filing/mine/items/{f2.pk}/", {
        "screen_inches": "55", "rooms": ["清洗", "切配", "烹饪", "餐具消毒", "专间"],
        "keep": [str(e.pk) for e in f2.evidence.all()], "files": [SimpleUploadedFile("专间.png", png_bytes())]})
    assert response.status_code == 302
    assert manager.post("/filing/mine/submit/").status_code == 302
    second.refresh_from_db()
    assert second.status == "submitted"
    assert AuditLog.objects.filter(action__contains="submit").count() >= 2
