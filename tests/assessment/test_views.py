"""The assessment consoles through the browser's requests: the district's workbench from the table
to publishing, the canteen's contest, the city's rankings, the exports, the funds page and the
public canteen page showing the grade."""

from __future__ import annotations

import re
from io import BytesIO

from openpyxl import load_workbook

from tests.assessment.conftest import YEAR, commit_meals, local
from tests.conftest import login
from zhucan.assessment.models import Assessment, Indicator, IndicatorTable
from zhucan.core.models import AuditLog

CODES = re.compile(r"\b(HZ|LC)-\d|ASSESS_|INSPECT_")


def _text(response) -> str:
    body = response.content.decode()
    assert not CODES.search(body), CODES.search(body)
    return body


def test_district_workbench_to_published_grade(world, menu, client, frozen_clock):
    from django.core.cache import cache

    from tests.filing.lifecycle_helpers import to_designated

    frozen_clock(local(2025, 3, 1))
    cache.clear()
    world.canteen.designated_spans.all().delete()
    to_designated(world.users["district_admin"], world.users["canteen_manager"], world.canteen)
    commit_meals(world, menu, 2)
    frozen_clock(local(2026, 1, 10))
    login(client, world.users["district_admin"])
    page = _text(client.get(f"/evaluation/assessments/?year={YEAR}"))
    assert "制定年度评估指标体系" in page
    response = client.post("/evaluation/assessments/tables/", {"year": str(YEAR)})
    table = IndicatorTable.objects.get(region=world.xihu, year=YEAR)
    assert response["Location"] == f"/evaluation/assessments/tables/{table.pk}/"
    page = _text(client.get(response["Location"]))
    assert "年度就餐人次" in page and "项目建设" in page
    # Weights that do not add up to 100 are refused with the sum; nothing changes.
    first = table.indicators.first()
    data = {f"weight_{i.pk}": str(i.weight) for i in table.indicators.all()}
    data |= {f"max_{i.pk}": str(i.max_score) for i in table.indicators.all()}
    data[f"weight_{first.pk}"] = "7"
    page = _text(client.post(f"/evaluation/assessments/tables/{table.pk}/", data))
    assert "各评估项目的权重合计须为 100 分，现为 102 分" in page
    assert Indicator.objects.get(pk=first.pk).weight == 5

    client.post(f"/evaluation/assessments/tables/{table.pk}/open/")
    a = Assessment.objects.get(canteen=world.canteen)
    assert not Assessment.objects.filter(canteen=world.other_canteen).exists()
    page = _text(client.get(f"/evaluation/assessments/{a.pk}/"))
    assert "平台自动计算" in page and "年度就餐 2 人次（目标 7000 人次）" in page and "暂无数据" in page
    for s in a.scores.select_related("indicator").filter(automatic=False):
        client.post(f"/evaluation/assessments/{a.pk}/score/", {"indicator": s.indicator_id,
                                                               "score": str(s.indicator.max_score), "note": "达标"})
    # A score over the item's maximum is refused with the item's name.
    manual = a.scores.select_related("indicator").filter(automatic=False).first()
    page = _text(client.post(f"/evaluation/assessments/{a.pk}/score/", {
        "indicator": manual.indicator_id, "score": "99", "note": "x"}, follow=True))
    assert f"“{manual.indicator.title}”的得分须在 0 至 {manual.indicator.max_score} 分之间" in page
    client.post(f"/evaluation/assessments/{a.pk}/confirm/")
    a.refresh_from_db()
    assert a.status == "confirmed" and a.grade == "good"  # 100 − 15 + 15 × 2/7000 → 85.0

    # The canteen sees its result and contests once.
    login(client, world.users["canteen_manager"])
    page = _text(client.get(f"/evaluation/assessments/{a.pk}/"))
    assert "提出异议" in page
    client.post(f"/evaluation/assessments/{a.pk}/contest/", {"indicator": manual.indicator_id, "reason": "有误"})
    assert "每次评估只能提出一次异议" in _text(client.post(f"/evaluation/assessments/{a.pk}/contest/", {
        "indicator": manual.indicator_id, "reason": "再提"}, follow=True))

    login(client, world.users["district_admin"])
    assert "尚未处理" in _text(client.post(f"/evaluation/assessments/{a.pk}/publish/", follow=True))
    client.post(f"/evaluation/assessments/{a.pk}/resolve/", {"decision": "reject", "answer": "经核实，维持原分"})
    client.post(f"/evaluation/assessments/{a.pk}/publish/")
    a.refresh_from_db()
    assert a.status == "published"

    ws = load_workbook(BytesIO(client.get(f"/evaluation/assessments/export.xlsx?year={YEAR}").content)).active
    assert [c.value for c in ws[2]][:6] == ["北山长者食堂", "西湖区", YEAR, "已公布", 85, "良好"]
    assert AuditLog.objects.filter(action="assessment.export", actor=world.users["district_admin"]).count() == 1

    # The funds page reads the published result, with no entry form left.
    page = _text(client.get(f"/funds/evaluations/?year={YEAR}"))
    assert "良好" in page and "录入评估结果" not in page and "name=\"passed\"" not in page

    # The city compares districts.
    login(client, world.users["city_admin"])
    page = _text(client.get(f"/evaluation/assessments/rankings/?year={YEAR}"))
    assert "西湖区" in page and "85.0" in page
    ws = load_workbook(BytesIO(client.get(f"/evaluation/assessments/rankings/export.xlsx?year={YEAR}").content)).active
    assert [c.value for c in ws[2]][:4] == [1, "西湖区", 1, 85]

    # The public canteen page shows the published grade (no login).
    client.logout()
    cache.clear()
    page = client.get(f"/public/canteens/{world.canteen.pk}/").content.decode()
    assert "服务质量评估" in page and f"{YEAR} 年度：良好（85.0 分）" in page


def test_roles_on_the_assessment_pages(world, client):
    from tests.assessment.conftest import ITEMS
    from zhucan.assessment import services

    table = services.table_create(actor=world.users["district_admin"], region_id=world.xihu.pk, year=YEAR,
                                  title="西湖区2025年度评估", items=ITEMS)
    a = services.assessment_open(actor=world.users["district_admin"], table_id=table.pk,
                                 canteen_id=world.canteen.pk)
    for role in ("city_admin", "district_admin", "subdistrict_staff", "auditor", "canteen_manager"):
        login(client, world.users[role])
        assert client.get(f"/evaluation/assessments/{a.pk}/").status_code == 200, role
        login(client, world.other[role])
        assert client.get(f"/evaluation/assessments/{a.pk}/").status_code == 404, role
    login(client, world.users["cashier"])
    assert client.get("/evaluation/assessments/").status_code == 403
    for role in ("city_admin", "auditor", "canteen_manager", "subdistrict_staff"):
        login(client, world.users[role])
        assert client.post(f"/evaluation/assessments/{a.pk}/confirm/").status_code == 403, role
        assert client.post("/evaluation/assessments/tables/", {"year": "2024"}).status_code == 403, role
    assert IndicatorTable.objects.count() == 1
