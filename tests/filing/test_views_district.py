"""The officials' filing consoles at /filing/: queue, canteen page, agreement form, review page,
stage actions and the city's register with its audited export."""

from __future__ import annotations

import re
from datetime import date, timedelta
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from tests.conftest import login
from tests.filing.lifecycle_helpers import (
    pdf_bytes,
    review_all,
    to_designated,
    to_filing,
    to_submitted,
)
from zhucan.canteens.models import DesignatedSpan
from zhucan.core import clock
from zhucan.core.models import AuditLog
from zhucan.filing import services
from zhucan.filing.models import Agreement, Designation, Filing, Review, Stage

# Internal names that must never reach an official's screen.
CODES = re.compile(r"\bF[1-8]\b|HZ-|LC-|FILING_|_fen\b|designated_on|check_result")


@pytest.fixture
def world(module_world, db):
    """The world built once for this module (tests/filing/conftest.py: module_world); each test's
    writes roll back with its savepoint."""
    return module_world


@pytest.fixture
def w(world):
    world.district = world.users["district_admin"]
    world.manager = world.users["canteen_manager"]
    world.city = world.users["city_admin"]
    return world


def _main(response) -> str:
    body = response.content.decode()
    match = re.search(r"<main>(.*)</main>", body, re.S)
    assert match, body[:300]
    return match.group(1)


def _clean(text: str) -> str:
    assert not CODES.search(text), CODES.search(text).group(0)
    return text


def test_the_queue_counts_stages_and_lists_waiting_rounds_and_deadlines(w, client):
    to_submitted(w.district, w.manager, w.canteen)
    Filing.objects.filter(canteen=w.canteen).update(submitted_at=clock.now() - timedelta(days=9))
    page = _clean(_main(login(client, w.district).get("/filing/")))
    assert "备案待审" in page and "北山长者食堂" in page
    assert "第1轮备案待审核" in page and ">9<" in page
    # The agreement recorded today runs three years: not due; a licence ending within 60 days is.
    Designation.objects.filter(canteen=w.canteen).update(licence_expiry=clock.local_today() + timedelta(days=20))
    page = _main(client.get("/filing/"))
    assert "食品经营许可证到期" in page


def test_the_queue_lists_canteens_to_select_and_selecting_works(w, client):
    login(client, w.district)
    page = _main(client.get("/filing/"))
    assert "待遴选的助餐点" in page and "北山长者食堂" in page and "湖滨长者食堂" not in page
    response = client.post(f"/filing/canteens/{w.canteen.pk}/select/", {"note": "场地达标"})
    assert response.status_code == 302 and response["Location"] == f"/filing/canteens/{w.canteen.pk}/"
    designation = Designation.objects.get(canteen=w.canteen)
    assert (designation.stage, designation.selection_note, designation.selected_by_id) == (
        Stage.SELECTED, "场地达标", w.district.pk)


def test_selecting_a_canteen_of_another_district_is_not_found(w, client):
    login(client, w.other["district_admin"])
    response = client.post(f"/filing/canteens/{w.canteen.pk}/select/", {})
    assert response.status_code == 404
    assert not Designation.objects.exists()


def test_the_agreement_form_stores_the_signed_scan(w, client):
    services.canteen_select(actor=w.district, canteen=w.canteen)
    login(client, w.district)
    assert "协议扫描件" in _main(client.get(f"/filing/canteens/{w.canteen.pk}/agreement/"))
    response = client.post(f"/filing/canteens/{w.canteen.pk}/agreement/", {
        "number": "西民协〔2026〕12号", "party_a": "杭州市西湖区民政局", "party_b": "北山餐饮管理有限公司",
        "start_date": "2026-01-01", "end_date": "2028-12-31",
        "scan": SimpleUploadedFile("协议.pdf", pdf_bytes(), content_type="application/pdf")})
    assert response.status_code == 302, _main(response)
    agreement = Agreement.objects.get(canteen=w.canteen)
    assert agreement.scan.content_type == "application/pdf" and agreement.scan.file_name == "协议.pdf"
    page = _clean(_main(client.get(f"/filing/canteens/{w.canteen.pk}/")))
    assert "西民协〔2026〕12号" in page and "备案中" in page and "第1轮" in page
    scan = client.get(f"/filing/evidence/{agreement.scan.pk}/?download=1")
    assert scan.status_code == 200 and scan["Content-Type"] == "application/pdf"
    assert scan.content == bytes(agreement.scan.content) and scan.content.startswith(b"%PDF-")
    assert "attachment" in scan["Content-Disposition"]


def test_the_agreement_form_refuses_a_fake_pdf_and_writes_nothing(w, client):
    services.canteen_select(actor=w.district, canteen=w.canteen)
    login(client, w.district)
    response = client.post(f"/filing/canteens/{w.canteen.pk}/agreement/", {
        "number": "X-1", "party_a": "甲", "party_b": "乙", "start_date": "2026-01-01", "end_date": "2027-01-01",
        "scan": SimpleUploadedFile("协议.pdf", b"%PDF-1.4 not really", content_type="application/pdf")})
    assert response.status_code == 200
    assert "不是图片（JPEG、PNG）或PDF文件" in _main(response)
    assert not Agreement.objects.exists()


def test_the_review_page_shows_declaration_evidence_and_automatic_result_side_by_side(w, client):
    filing = to_submitted(w.district, w.manager, w.canteen)
    login(client, w.district)
    page = _clean(_main(client.get(f"/filing/rounds/{filing.pk}/")))
    assert "依法登记并具备服务资质" in page and "统一社会信用代码" in page and "陈建华" in page
    assert "自动核验通过" in page and "校验位正确" in page
    f1, f2 = filing.items.get(requirement="F1"), filing.items.get(requirement="F2")
    pdf, png = f1.evidence.get(), f2.evidence.get()
    assert f'href="/filing/evidence/{pdf.pk}/"' in page and "（PDF）" in page
    assert f'<img src="/filing/evidence/{png.pk}/"' in page
    image = client.get(f"/filing/evidence/{png.pk}/")
    assert image["Content-Type"] == "image/png" and image["Content-Disposition"].startswith("inline")
    assert "保存审核意见" in page and "作出审核决定" in page


def test_reviewing_and_deciding_through_the_page(w, client):
    filing = to_submitted(w.district, w.manager, w.canteen)
    login(client, w.district)
    f2 = filing.items.get(requirement="F2")
    response = client.post(f"/filing/items/{f2.pk}/review/", {"decision": "return", "reason": ""})
    assert response.status_code == 302
    f2.refresh_from_db()
    assert f2.review == Review.PENDING  # refused: a return needs its reason
    client.post(f"/filing/items/{f2.pk}/review/", {"decision": "return", "reason": "缺少专间画面"})
    for item in filing.items.exclude(pk=f2.pk):
        client.post(f"/filing/items/{item.pk}/review/", {"decision": "pass"})
    response = client.post(f"/filing/rounds/{filing.pk}/decide/", {"on": ""})
    assert response["Location"] == f"/filing/canteens/{w.canteen.pk}/"
    page = _clean(_main(client.get(response["Location"])))
    assert "已退回" in page and "缺少专间画面" in page


def test_designating_through_the_page_with_a_date(w, client):
    filing = to_submitted(w.district, w.manager, w.canteen)
    review_all(w.district, filing)
    login(client, w.district)
    client.post(f"/filing/rounds/{filing.pk}/decide/", {"on": "2026-02-01"})
    designation = Designation.objects.get(canteen=w.canteen)
    assert designation.stage == Stage.DESIGNATED and designation.designated_on == date(2026, 2, 1)
    page = _clean(_main(client.get(f"/filing/canteens/{w.canteen.pk}/")))
    assert designation.filing_number in page and "2026-02-01 至 今" in page
    assert "暂停定点" in page and "年度复核" in page and "撤销定点" in page


def test_stage_actions_through_the_page(w, client):
    to_designated(w.district, w.manager, w.canteen, on=date(2026, 1, 1))
    login(client, w.district)
    url = f"/filing/canteens/{w.canteen.pk}/"
    client.post(url + "suspend/", {"reason": "", "on": "2026-03-01"})
    assert Designation.objects.get(canteen=w.canteen).stage == Stage.DESIGNATED  # no reason: refused
    client.post(url + "suspend/", {"reason": "食品安全检查不合格", "on": "2026-03-01"})
    client.post(url + "reinstate/", {"reason": "整改合格", "on": "2026-04-01"})
    page = _main(client.get(url))
    assert "2026-01-01 至 2026-03-01（不含）" in page and "2026-04-01 至 今" in page
    client.post(url + "recheck/", {"note": "复核合格"})
    assert Designation.objects.get(canteen=w.canteen).recheck_due == date(2028, 1, 1)
    login(client, w.city)
    client.post(url + "revoke/", {"reason": "多次违规", "on": "2026-06-01"})
    assert Designation.objects.get(canteen=w.canteen).stage == Stage.REVOKED
    assert DesignatedSpan.objects.filter(canteen=w.canteen, end__isnull=True).count() == 0


def test_a_refused_stage_action_shows_the_chinese_reason(w, client):
    to_designated(w.district, w.manager, w.canteen, on=date(2026, 3, 1))
    login(client, w.district)
    response = client.post(f"/filing/canteens/{w.canteen.pk}/suspend/", {"reason": "检查", "on": "2026-01-01"},
                           follow=True)
    assert "日期不能早于2026-03-01" in response.content.decode()
    assert Designation.objects.get(canteen=w.canteen).stage == Stage.DESIGNATED


def test_pages_render_for_officials(w, client):
    filing = to_submitted(w.district, w.manager, w.canteen)  # one round for both roles: they only read
    for role in ("district_admin", "city_admin"):
        login(client, w.users[role])
        for url in ("/filing/", f"/filing/canteens/{w.canteen.pk}/", f"/filing/rounds/{filing.pk}/",
                    "/filing/register/"):
            response = client.get(url)
            assert response.status_code == 200, (role, url)
            _clean(_main(response))
        reviewing = "保存审核意见" in _main(client.get(f"/filing/rounds/{filing.pk}/"))
        assert reviewing == (role == "district_admin"), role


def test_other_roles_are_refused(w, client):
    filing = to_submitted(w.district, w.manager, w.canteen)  # one round for every role: they are refused
    for role in ("subdistrict_staff", "canteen_manager", "cashier", "auditor"):
        login(client, w.users[role])
        for url in ("/filing/", f"/filing/canteens/{w.canteen.pk}/", f"/filing/rounds/{filing.pk}/",
                    "/filing/register/", "/filing/register/export.xlsx"):
            assert client.get(url).status_code == 403, (role, url)


def test_another_district_sees_nothing_of_the_canteen(w, client):
    filing = to_submitted(w.district, w.manager, w.canteen)
    evidence = filing.items.get(requirement="F1").evidence.get()
    login(client, w.other["district_admin"])
    for url in (f"/filing/canteens/{w.canteen.pk}/", f"/filing/rounds/{filing.pk}/",
                f"/filing/evidence/{evidence.pk}/"):
        assert client.get(url).status_code == 404, url
    assert "北山长者食堂" not in _main(client.get("/filing/"))
    assert "北山长者食堂" not in _main(client.get("/filing/register/"))


def _sheet(response) -> list[list]:
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(BytesIO(response.content), read_only=True).active
    return [list(r) for r in sheet.iter_rows(values_only=True)]


def test_the_city_register_filters_and_exports_an_audited_xlsx(w, client):
    to_designated(w.district, w.manager, w.canteen, on=date(2026, 2, 1))
    to_filing(w.other["district_admin"], w.other_canteen, number="SC-1")
    login(client, w.city)
    page = _clean(_main(client.get("/filing/register/")))
    assert "北山长者食堂" in page and "湖滨长者食堂" in page and "西湖〔2026〕第001号" in page
    page = _main(client.get(f"/filing/register/?district={w.xihu.pk}"))
    assert "北山长者食堂" in page and "湖滨长者食堂" not in page
    page = _main(client.get("/filing/register/?stage=filing"))
    assert "北山长者食堂" not in page and "湖滨长者食堂" in page

    rows = _sheet(client.get(f"/filing/register/export.xlsx?district={w.xihu.pk}"))
    assert rows[0][:3] == ["备案编号", "助餐点", "所在区县"]
    assert len(rows) == 2 and rows[1][:4] == ["西湖〔2026〕第001号", "北山长者食堂", "西湖区", "北山街道"]
    audit = AuditLog.objects.get(action="filing.register_export")
    assert audit.actor_id == w.city.pk
    assert audit.after == {"district": w.xihu.pk, "stage": "", "q": "", "rows": 1}


def test_a_district_exports_only_its_own_canteens(w, client):
    to_designated(w.district, w.manager, w.canteen)
    to_designated(w.other["district_admin"], w.other["canteen_manager"], w.other_canteen, number="SC-1")
    login(client, w.district)
    rows = _sheet(client.get("/filing/register/export.xlsx"))
    assert [r[1] for r in rows[1:]] == ["北山长者食堂"]


def test_the_navigation_shows_the_filing_console_to_officials_only(w, client):
    login(client, w.district)
    assert 'href="/filing/"' in client.get("/workbench/").content.decode()
    login(client, w.users["cashier"])
    assert 'href="/filing/"' not in client.get("/workbench/").content.decode()


def test_the_queue_shows_agreements_and_rechecks_ending_within_sixty_days(w, client):
    today = clock.local_today()
    to_designated(w.district, w.manager, w.canteen, on=today - timedelta(days=340))
    Agreement.objects.filter(canteen=w.canteen).update(end_date=today + timedelta(days=45))
    page = _clean(_main(login(client, w.district).get("/filing/")))
    assert "年度复核" in page and "服务协议（XH-2026-001）到期" in page
    assert f"{today + timedelta(days=45):%Y-%m-%d}" in page and ">25<" in page and ">45<" in page
    Agreement.objects.filter(canteen=w.canteen).update(end_date=today + timedelta(days=61))
    assert "服务协议（XH-2026-001）到期" not in _main(client.get("/filing/"))
