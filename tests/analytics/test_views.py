"""The dashboard page, its range choice, its exports, the list of elders not reached and the big
screen, as each role sees them."""

from __future__ import annotations

import json
import re
from io import BytesIO

from openpyxl import load_workbook

from tests.conftest import login
from zhucan.core.models import AuditLog


def _sheet(response):
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(BytesIO(response.content)).active
    return [list(r) for r in ws.iter_rows(values_only=True)]


def _charts(body: str) -> dict:
    m = re.search(r'<script id="dash-charts" type="application/json">(.*?)</script>', body, re.S)
    assert m, "charts JSON missing"
    return json.loads(m.group(1))


def test_dashboard_opens_on_the_month_with_data_and_speaks_chinese(ledger, client):
    login(client, ledger.users["district_admin"])
    body = client.get("/dashboard/").content.decode()
    assert "本月（2025-06-01 至 2025-06-10）" in body
    assert "北山长者食堂" in body and "湖滨长者食堂" not in body
    charts = _charts(body)
    assert charts["days"]["series"][0]["data"][1] == 2  # 06-02: two meals
    assert set(charts) >= {"days", "periods", "funders", "rules", "methods", "canteens", "coverage_community"}
    # No rule codes, requirement ids or raw method codes on screen.
    main = body.split("<main>")[1]
    for raw in ("hz.city", "HZ-", "LC-", "qr_card", "identified_by", "benefit_fen"):
        assert raw not in main, raw
    assert "40.0%" in body  # coverage of 西湖区
    assert "近30天未就餐的符合条件老人：3 人" in body
    assert "分区域就餐" in body  # the district compares its subdistricts
    login(client, ledger.users["subdistrict_staff"])
    assert "分区域就餐" not in client.get("/dashboard/").content.decode()


def test_default_range_is_the_latest_month_with_data(ledger, client, frozen_clock):
    from tests.checkout.conftest import at

    frozen_clock(at("2025-08-03 09:00"))  # nothing in August or July
    login(client, ledger.users["district_admin"])
    body = client.get("/dashboard/").content.decode()
    assert "2025年6月（2025-06-01 至 2025-06-30）" in body


def test_presets_custom_and_bad_ranges(ledger, client):
    login(client, ledger.users["district_admin"])
    assert "上月（2025-05-01 至 2025-05-31）" in client.get("/dashboard/?range=last_month").content.decode()
    assert "本周（2025-06-09 至 2025-06-10）" in client.get("/dashboard/?range=week").content.decode()
    assert "本年（2025-01-01 至 2025-06-10）" in client.get("/dashboard/?range=year").content.decode()
    body = client.get("/dashboard/?range=custom&start=2025-06-02&end=2025-06-02").content.decode()
    assert "2025-06-02 至 2025-06-02" in body
    assert _charts(body)["days"]["series"][0]["data"] == [2]
    for query, message in [("start=2025-06-09&end=2025-06-01", "结束日期不能早于开始日期"),
                           ("start=abc&end=", "请填写正确的起止日期"),
                           ("start=2020-01-01&end=2025-06-01", "所选时间段过长")]:
        response = client.get(f"/dashboard/?range=custom&{query}")
        assert response.status_code == 200
        assert message in response.content.decode()


def test_export_every_table_is_the_table_and_is_audited(ledger, client):
    login(client, ledger.users["district_admin"])
    rows = _sheet(client.get("/dashboard/export/canteens.xlsx?range=month"))
    assert rows[0][:3] == ["助餐点", "所在街道", "就餐份数"]
    assert rows[1][:4] == ["北山长者食堂", "北山街道", 4, 3]
    assert [float(v) for v in rows[1][4:7]] == [60.0, 15.0, 12.0] and rows[1][7:] == [1, 1]
    ws = load_workbook(BytesIO(client.get("/dashboard/export/canteens.xlsx").content)).active
    assert [ws.cell(row=2, column=c).number_format for c in (3, 5, 6, 7)] == ["General", "0.00", "0.00", "0.00"]
    log = AuditLog.objects.filter(action="dashboard.export").latest("id")
    assert log.actor == ledger.users["district_admin"] and log.after["rows"] == 1
    assert log.after["filters"]["start"] == "2025-06-01"
    for key in ("days", "periods", "funders", "rules", "methods", "regions", "coverage_subdistrict",
                "coverage_community", "coverage_age", "coverage_tag"):
        assert len(_sheet(client.get(f"/dashboard/export/{key}.xlsx"))) > 1, key
    assert client.get("/dashboard/export/nothing.xlsx").status_code == 404


def test_not_reached_export_masked_as_the_role_requires(ledger, client):
    from zhucan.elders.models import Elder

    e = Elder.objects.get(pk=ledger.e.pk)
    e.phone = "13900001234"
    e.save()
    for role, whole in [("district_admin", True), ("subdistrict_staff", True), ("city_admin", False),
                        ("auditor", False)]:
        login(client, ledger.users[role])
        page = client.get("/dashboard/not-reached/").content.decode()
        assert "钱*十" in page and "钱八十" not in page  # the list on screen is masked for everyone
        rows = _sheet(client.get("/dashboard/not-reached/export.xlsx"))
        names = {r[0] for r in rows[1:]}
        phones = {r[6] for r in rows[1:]}
        if whole:
            assert "钱八十" in names and "13900001234" in phones, role
        else:
            assert "钱*十" in names and "钱八十" not in names and "13900001234" not in phones, role
            assert "139****1234" in phones
        last = {r[0]: r[8] for r in rows[1:]}
        assert last[("钱八十" if whole else "钱*十")] == "2025-05-01"
        assert last[("王九二" if whole else "王*二")] == "从未就餐"  # the refunded meal does not count
        log = AuditLog.objects.filter(action="dashboard.not_reached.export").latest("id")
        assert log.actor == ledger.users[role]
        assert log.after["filters"]["full_contact"] == str(whole) and log.after["rows"] == len(rows) - 1


def test_canteen_manager_sees_own_canteen_only(ledger, client):
    login(client, ledger.users["canteen_manager"])
    body = client.get("/dashboard/").content.decode()
    assert "北山长者食堂" in body and "覆盖率" not in body and "近30天未就餐" not in body
    assert "分区域就餐" not in body
    assert client.get("/dashboard/not-reached/").status_code == 403
    login(client, ledger.other["canteen_manager"])
    rows = _sheet(client.get("/dashboard/export/canteens.xlsx"))
    assert [r[0] for r in rows[1:]] == ["湖滨长者食堂"]


def test_canteens_without_meals_are_listed_after_the_others(ledger, client, settings):
    from tests.conftest import make_canteen

    make_canteen(ledger.xihu_sub2, "西溪长者食堂")
    login(client, ledger.users["district_admin"])
    rows = _sheet(client.get("/dashboard/export/canteens.xlsx"))
    assert [(r[0], r[2]) for r in rows[1:]] == [("北山长者食堂", 4), ("西溪长者食堂", 0)]
    # More canteens with meals than the page holds: the page shows the first, says how many there
    # are and where the rest is; the export still has every canteen.
    settings.ZHUCAN_DASHBOARD_CANTEEN_PAGE = 1
    login(client, ledger.users["city_admin"])
    body = client.get("/dashboard/?range=custom&start=2025-06-01&end=2025-06-10").content.decode()
    table = body.split('data-table="canteens"')[1].split("</section>")[0]
    assert "北山长者食堂" in table and "湖滨长者食堂" not in table and "西溪长者食堂" not in table
    assert "共 2 家助餐点有就餐，此处列出就餐份数最多的 1 家" in table
    rows = _sheet(client.get("/dashboard/export/canteens.xlsx?range=custom&start=2025-06-01&end=2025-06-10"))
    assert [(r[0], r[2]) for r in rows[1:]] == [("北山长者食堂", 4), ("湖滨长者食堂", 1), ("西溪长者食堂", 0)]


def test_cashier_is_refused_everywhere(ledger, client):
    login(client, ledger.users["cashier"])
    for url in ("/dashboard/", "/dashboard/export/days.xlsx", "/dashboard/not-reached/", "/dashboard/screen/",
                "/dashboard/screen/data.json", "/dashboard/live.json"):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "无权访问" in response.content.decode()


def test_live_and_screen_json(ledger, client, frozen_clock, monkeypatch):
    from tests.analytics.conftest import sell
    from tests.checkout.conftest import at
    from zhucan.alerts import rules
    from zhucan.alerts.services import alert_raise
    from zhucan.canteens.models import Dish

    monkeypatch.setattr(rules, "RULES", dict(rules.RULES))
    rules.register_rule("test.rule", title_zh="测试规则", title_en="test rule", defaults={})

    sell(ledger.canteen, ledger.c, Dish.objects.get(canteen=ledger.canteen, name="套餐"), "t1", "2025-06-10 11:30")
    sell(ledger.other_canteen, None, Dish.objects.get(canteen=ledger.other_canteen), "t2", "2025-06-10 11:35")
    frozen_clock(at("2025-06-10 12:00"))
    alert_raise(rule="test.rule", occurred_at=at("2025-06-10 11:50"), title="疑似重复就餐", canteen=ledger.canteen,
                dedupe_key="t-1")
    login(client, ledger.users["city_admin"])
    live = client.get("/dashboard/live.json").json()
    assert (live["meals"], live["elder_meals"], live["benefit"]) == (2, 1, "3.00")
    data = client.get("/dashboard/screen/data.json").json()
    assert [(r["name"], r["meals"]) for r in data["regions"]] == [("上城区", 1), ("西湖区", 1)]
    assert data["feed"][0]["canteen"] == "湖滨长者食堂" and data["feed"][0]["elder"] == "顾客"
    assert data["feed"][1]["elder"] == "陈*五" and data["feed"][1]["time"] == "11:30:00"
    assert len(data["feed"]) == 2  # today's meals only
    assert data["month"]["meals"] == 7  # June: 4 in 西湖区, 1 in 上城区, 2 today
    assert [a["title"] for a in data["alerts"]] == ["疑似重复就餐"]
    screen = client.get("/dashboard/screen/").content.decode()
    assert "数据大屏" in screen and "陈*五" in screen and "陈七五" not in screen
    login(client, ledger.users["district_admin"])
    data = client.get("/dashboard/screen/data.json").json()
    assert [(r["name"], r["meals"]) for r in data["regions"]] == [("北山街道", 1), ("西溪街道", 0)]
    assert [f["canteen"] for f in data["feed"]][:1] == ["北山长者食堂"]
    assert all(f["canteen"] == "北山长者食堂" for f in data["feed"])
    login(client, ledger.other["district_admin"])
    assert client.get("/dashboard/screen/data.json").json()["alerts"] == []


def test_english_when_chosen(ledger, client, settings):
    login(client, ledger.users["district_admin"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    body = client.get("/dashboard/?range=last_month").content.decode()
    for text in ("Dashboard", "Meals per day", "Coverage by community", "Last month", "Previous period"):
        assert text in body, text
    rows = _sheet(client.get("/dashboard/export/coverage_age.xlsx"))
    assert rows[0] == ["Age band", "Eligible elders", "Elders who ate", "Coverage"]
