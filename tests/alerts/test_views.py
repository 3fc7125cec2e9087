"""The /alerts/ console: the list and its Chinese filters, an alert's page (names, local time, yuan,
meals, snapshot, history), the handling forms, the detection button, the city's thresholds and the
export; scoped by role and area."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from io import BytesIO

import pytest
from openpyxl import load_workbook

from tests.alerts.conftest import sell
from tests.conftest import login
from zhucan.alerts.detection import detect
from zhucan.alerts.models import Alert, RuleSetting
from zhucan.alerts.services import alert_raise
from zhucan.canteens.models import Canteen
from zhucan.core.models import AuditLog

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


@pytest.fixture
def alerts(world, menu, today):
    """A far-apart alert (an 上城区 elder at 北山, then at 湖滨 15 minutes later; handled by 西湖区,
    where the benefit went) and an alert with a snapshot at 北山 (西湖区)."""
    Canteen.objects.filter(pk=world.canteen.pk).update(latitude="30.259", longitude="120.130")
    Canteen.objects.filter(pk=world.other_canteen.pk).update(latitude="30.259", longitude="120.203")
    sell(world.canteen, world.other_elder, menu["套餐"], "2026-03-09 11:05")
    sell(world.other_canteen, world.other_elder, menu["other:套餐"], "2026-03-09 11:20")
    detect(day=date(2026, 3, 9))
    far = Alert.objects.get(rule="elder.far_apart")
    camera = alert_raise(rule="elder.after_status", occurred_at=datetime(2026, 3, 9, 3, 15, tzinfo=UTC),
                         title="北山长者食堂就餐区异常", canteen=world.canteen, details={"通道": "就餐区1号"},
                         dedupe_key="cam-1", snapshot=PNG)
    return far, camera


def test_list_filters_and_scoping(world, alerts, client):
    far, camera = alerts
    login(client, world.users["city_admin"])
    page = client.get("/alerts/").content.decode()
    assert "短时间内异地就餐" in page and "北山长者食堂就餐区异常" in page and "2026-03-09 11:15" in page
    assert "elder.far_apart" not in re.sub(r"<[^>]*>", "", page)  # no rule codes on screen
    page = client.get("/alerts/", {"rule": "elder.far_apart"}).content.decode()
    assert far.title in page and camera.title not in page
    page = client.get("/alerts/", {"district": str(world.shangcheng.pk), "status": "open"}).content.decode()
    assert camera.title not in page and far.title not in page and "没有符合条件的预警" in page
    page = client.get("/alerts/", {"district": str(world.xihu.pk), "status": "active"}).content.decode()
    assert camera.title in page and far.title in page
    page = client.get("/alerts/", {"start": "2026-03-10", "status": "nonsense", "district": "x"}).content.decode()
    assert "没有符合条件的预警" in page
    # 西湖区 sees its own, 上城区 not; the 北山 subdistrict reads its area; canteen staff none.
    login(client, world.users["district_admin"])
    page = client.get("/alerts/").content.decode()
    assert camera.title in page and far.title in page and 'href="/alerts/"' in page  # in the navigation
    login(client, world.other["district_admin"])
    assert "没有符合条件的预警" in client.get("/alerts/").content.decode()
    assert client.get(f"/alerts/{far.pk}/").status_code == 404
    login(client, world.users["subdistrict_staff"])
    page = client.get("/alerts/").content.decode()
    assert camera.title in page and "开始检测" not in page
    login(client, world.users["cashier"])
    assert client.get("/alerts/").status_code == 403


def test_detail_shows_facts_meals_snapshot_and_the_district_handles_it(world, alerts, client):
    far, camera = alerts
    login(client, world.users["district_admin"])
    page = client.get(f"/alerts/{far.pk}/").content.decode()
    for text in ("李桂兰", "北山长者食堂 11:05", "湖滨长者食堂", "7.0公里", "15.00", "4.50", "指派处理人", "系统检测"):
        assert text in page, text
    response = client.post(f"/alerts/{far.pk}/assign/", {"assignee": str(world.users["district_admin"].pk)})
    assert response.status_code == 302
    client.post(f"/alerts/{far.pk}/investigate/")
    response = client.post(f"/alerts/{far.pk}/close/", {"outcome": "confirmed", "reason": "冒用", "recovery": "abc"},
                           follow=True)
    assert "追回金额应为元" in response.content.decode()
    response = client.post(f"/alerts/{far.pk}/close/", {"outcome": "confirmed", "reason": "冒用", "recovery": "9"},
                           follow=True)
    assert "追回金额9.00元超过涉及餐次的补贴4.50元" in response.content.decode()
    client.post(f"/alerts/{far.pk}/close/", {"outcome": "confirmed", "reason": "冒用他人市民卡"})
    far.refresh_from_db()
    # The 北山 meal carried the benefit (4.50); the 湖滨 meal in the same period paid full price.
    assert (far.status, far.recovery_fen) == ("confirmed", 450)
    page = client.get(f"/alerts/{far.pk}/").content.decode()
    assert "冒用他人市民卡" in page and "已确认" in page and f"/alerts/{far.pk}/assign/" not in page
    # The snapshot is served to those who may see the alert, not across districts.
    login(client, world.users["subdistrict_staff"])
    page = client.get(f"/alerts/{camera.pk}/").content.decode()
    assert f"/alerts/{camera.pk}/snapshot/" in page and f"/alerts/{camera.pk}/assign/" not in page
    response = client.get(f"/alerts/{camera.pk}/snapshot/")
    assert response["Content-Type"] == "image/png" and response.content == PNG
    assert client.post(f"/alerts/{camera.pk}/assign/", {"assignee": "1"}).status_code == 403
    login(client, world.other["district_admin"])
    assert client.get(f"/alerts/{camera.pk}/snapshot/").status_code == 404


def test_export_detect_button_and_thresholds(world, alerts, client):
    far, _camera = alerts
    login(client, world.users["district_admin"])
    response = client.get("/alerts/export.xlsx", {"rule": "elder.far_apart"})
    rows = list(load_workbook(BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("发生时间", "预警规则", "预警内容")
    assert [r[:6] for r in rows[1:]] == [("2026-03-09 11:20", "短时间内异地就餐", far.title, "西湖区", "北山长者食堂",
                                          "李*兰")]
    assert "两地距离：7.0公里" in rows[1][11]
    assert AuditLog.objects.filter(action="alerts.export", actor=world.users["district_admin"]).count() == 1
    response = client.post("/alerts/detect/", {"day": "2026-03-09"}, follow=True)
    assert "新增预警0条，已有1条" in response.content.decode()
    response = client.post("/alerts/detect/", {"day": "2026-03-10"}, follow=True)
    assert "不能检测今天及以后的日期" in response.content.decode()
    assert client.get("/alerts/rules/").status_code == 403  # thresholds are the city's
    login(client, world.users["city_admin"])
    page = client.get("/alerts/rules/").content.decode()
    assert "两个助餐点相距至少（米）" in page and "distance_m" in page  # the field's name, not shown text
    response = client.post("/alerts/rules/", {"code": "elder.far_apart", "distance_m": "-1", "minutes": "30",
                                              "enabled": "on"}, follow=True)
    assert "“两个助餐点相距至少（米）”应为不小于0的整数" in response.content.decode()
    client.post("/alerts/rules/", {"code": "elder.far_apart", "distance_m": "8000", "minutes": "20"})
    setting = RuleSetting.objects.get(code="elder.far_apart")
    assert (setting.params, setting.enabled) == ({"distance_m": 8000, "minutes": 20}, False)
    row = AuditLog.objects.get(action="alerts.rule_configure")
    assert row.before["params"] == {"distance_m": 5000, "minutes": 30} and row.after["params"]["distance_m"] == 8000
