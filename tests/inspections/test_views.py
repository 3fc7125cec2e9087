"""The inspection consoles through requests: the district sets up and draws a plan, the drawn
inspector records on the phone form, results are exported and published on the public page."""

from __future__ import annotations

from io import BytesIO

from openpyxl import load_workbook

from tests.conftest import login
from zhucan.inspections.models import CheckItem, Inspection, Plan


def test_plan_draw_record_publish_through_the_console(world, client):
    district, staff = world.users["district_admin"], world.users["subdistrict_staff"]
    login(client, district)
    page = client.get("/inspections/").content.decode()
    assert "新建检查计划" in page and "beishan_staff" in page  # a candidate for the roster
    client.post("/inspections/checklist/")
    client.post("/inspections/roster/", {"user": staff.pk})
    client.post("/inspections/roster/", {"user": district.pk})
    assert CheckItem.objects.filter(region=world.xihu).count() == 12
    response = client.post("/inspections/plans/", {"title": "西湖区消防专项检查", "categories": ["fire_safety"],
                                                   "proportion": "100", "per": "2"})
    plan = Plan.objects.get()
    assert response["Location"] == f"/inspections/plans/{plan.pk}/"
    client.post(f"/inspections/plans/{plan.pk}/draw/")
    plan.refresh_from_db()
    page = client.get(f"/inspections/plans/{plan.pk}/").content.decode()
    assert f'<code id="seed">{plan.seed}</code>' in page and "random.Random" in page and "北山长者食堂" in page
    assert "湖滨长者食堂" not in page
    inspection = Inspection.objects.get(plan=plan)

    # The drawn subdistrict inspector finds it under "待我检查" and records it on the form.
    login(client, staff)
    assert f"/inspections/{inspection.pk}/" in client.get("/inspections/").content.decode()
    items = list(CheckItem.objects.filter(region=world.xihu, category="fire_safety"))
    data = {f"item_{i.pk}": "pass" for i in items} | {"visited_on": "", "findings": "消防设施完好"}
    data[f"item_{items[0].pk}"] = ""
    page = client.post(f"/inspections/{inspection.pk}/", data).content.decode()
    assert f"以下检查事项尚未填写结果：{items[0].title}" in page
    data[f"item_{items[0].pk}"] = "pass"
    client.post(f"/inspections/{inspection.pk}/", data)
    inspection.refresh_from_db()
    assert (inspection.status, inspection.recorded_by_id) == ("passed", staff.pk)

    login(client, district)
    ws = load_workbook(BytesIO(client.get(f"/inspections/plans/{plan.pk}/export.xlsx").content)).active
    assert [c.value for c in ws[2]][:2] == ["北山长者食堂", "北山街道"] and ws.cell(2, 5).value == "检查合格"
    client.logout()
    assert "北山长者食堂" not in client.get("/public/inspections/").content.decode()
    login(client, district)
    client.post(f"/inspections/plans/{plan.pk}/publish/")
    client.logout()
    page = client.get("/public/inspections/").content.decode()
    assert "北山长者食堂" in page and "西湖区消防专项检查" in page and "消防设施完好" in page


def test_roles_on_the_inspection_pages(world, client):
    for role in ("canteen_manager", "cashier"):
        login(client, world.users[role])
        assert client.get("/inspections/").status_code == 403
    for role in ("city_admin", "subdistrict_staff", "auditor"):
        login(client, world.users[role])
        assert client.get("/inspections/").status_code == 200
        assert client.post("/inspections/plans/", {"title": "x", "categories": ["funds"],
                                                   "proportion": "50"}).status_code == 403
    assert not Plan.objects.exists()
