"""LC-1 progress counts, the console pages and exports, and the demo seed."""

from __future__ import annotations

from datetime import date
from io import BytesIO

import pytest
from openpyxl import load_workbook

from tests.conftest import login, make_canteen
from zhucan.funds import services
from zhucan.funds.models import ConstructionSubsidy, OperatingReward, SubsidyStatus
from zhucan.funds.selectors import target_progress


def _target(lc):
    return services.target_create(actor=lc.lc_users["city_admin"], region_id=lc.lc_zone.pk, title="建成幸福食堂7处",
                                  target_count=7, deadline=date(2022, 12, 31), legal_ref="LC 二、工作任务")


def _pay(lc, canteen):
    s = services.subsidy_apply(actor=lc.lc_users["district_admin"], canteen_id=canteen.pk, evidence_note="验收")
    services.subsidy_review(actor=lc.lc_users["district_admin"], subsidy_id=s.pk, approve=True)
    services.subsidy_approve(actor=lc.lc_users["city_admin"], subsidy_id=s.pk, approve=True)
    return services.subsidy_mark_paid(actor=lc.lc_users["city_admin"], subsidy_id=s.pk, reference="P-1")


def test_lc1_progress_counts(lc):
    make_canteen(lc.lc_sub, "规划幸福食堂", status="planned")
    make_canteen(lc.lc_sub, "在建幸福食堂", status="under_construction", area="rural")
    make_canteen(lc.lc_sub, "截止日开业食堂", opening_date=date(2022, 12, 31))
    make_canteen(lc.lc_sub, "逾期开业食堂", opening_date=date(2023, 1, 1))
    make_canteen(lc.lc_sub, "未登记日期食堂")
    _pay(lc, lc.new_build)
    _target(lc)
    [p] = target_progress(user=lc.lc_users["district_admin"])
    # new_build, upgrade, branded (2022) and the one opened on the deadline count; lc.foreign is elsewhere.
    assert (p.opened_by_deadline, p.opened_after_deadline, p.opened_undated) == (4, 1, 1)
    assert (p.planned, p.under_construction, p.subsidy_paid) == (1, 1, 1)
    assert p.percent == 57 and not p.met
    assert [target_progress(user=u) for u in (lc.other_district_admin, lc.users["city_admin"])] == [[], []]
    assert len(target_progress(user=lc.lc_users["city_admin"])) == 1


def test_pages_render_for_each_role(lc, client):
    _target(lc)
    s = services.subsidy_apply(actor=lc.lc_users["canteen_manager"], canteen_id=lc.new_build.pk, evidence_note="x")
    for role in ("city_admin", "district_admin", "canteen_manager", "auditor", "subdistrict_staff"):
        login(client, lc.lc_users[role])
        for url in ("/funds/", "/funds/subsidies/", f"/funds/subsidies/{s.pk}/", "/funds/targets/",
                    "/funds/evaluations/?year=2023", "/funds/rewards/?year=2023"):
            response = client.get(url)
            assert response.status_code == 200, (role, url)
        assert "建设补贴与运营奖补" in client.get("/funds/").content.decode()
    login(client, lc.lc_users["cashier"])
    assert client.get("/funds/").status_code == 403
    login(client, lc.other_district_admin)
    assert client.get(f"/funds/subsidies/{s.pk}/").status_code == 404


def test_console_workflow_and_exports(lc, lc_elder, client):
    from tests.funds.conftest import add_meals

    login(client, lc.lc_users["district_admin"])
    response = client.post("/funds/subsidies/apply/", {"canteen": lc.upgrade.pk, "evidence_note": "改造完成",
                                                       "documents": "竣工验收备案表 KFQ-1\n消防验收意见书"})
    s = ConstructionSubsidy.objects.get(canteen=lc.upgrade)
    assert response.status_code == 302 and s.evidence.count() == 2
    client.post(f"/funds/subsidies/{s.pk}/review/", {"decision": "approve", "reason": ""})
    assert ConstructionSubsidy.objects.get(pk=s.pk).status == SubsidyStatus.DISTRICT_REVIEWED
    # The district cannot approve: 403 and nothing changes.
    assert client.post(f"/funds/subsidies/{s.pk}/approve/", {"decision": "approve"}).status_code == 403
    login(client, lc.lc_users["city_admin"])
    client.post(f"/funds/subsidies/{s.pk}/approve/", {"decision": "approve"})
    response = client.post(f"/funds/subsidies/{s.pk}/pay/", {"reference": ""})
    assert ConstructionSubsidy.objects.get(pk=s.pk).status == SubsidyStatus.CITY_APPROVED
    client.post(f"/funds/subsidies/{s.pk}/pay/", {"reference": "LCCZ-9"})
    assert ConstructionSubsidy.objects.get(pk=s.pk).status == SubsidyStatus.PAID

    wb = load_workbook(BytesIO(client.get("/funds/subsidies/export.xlsx").content))
    ws = wb.active
    assert ws["A1"].value == "助餐点" and ws.freeze_panes == "A2"
    assert ws.cell(ws.max_row, 1).value == "合计" and ws.cell(ws.max_row, 6).value == 80_000

    add_meals(lc.new_build, lc_elder, 10_000, date(2023, 7, 1))
    login(client, lc.lc_users["district_admin"])
    # The evaluation is the assessment app's published result (a 良好 passes).
    services.evaluation_publish(actor=lc.lc_users["district_admin"], canteen_id=lc.new_build.pk, year=2023,
                                score=88, grade="good", source="assessment:test")
    client.post("/funds/rewards/compute/", {"year": 2023})
    reward = OperatingReward.objects.get(canteen=lc.new_build, year=2023)
    assert reward.status == "proposed" and reward.city_fen == 1_500_000
    page = client.get("/funds/rewards/?year=2023").content.decode()
    assert "评估未通过或未评估" in page and "15000.00" in page
    login(client, lc.lc_users["city_admin"])
    client.post(f"/funds/rewards/{reward.pk}/approve/")
    client.post(f"/funds/rewards/{reward.pk}/pay/", {"reference": "R-2024-1"})
    assert OperatingReward.objects.get(pk=reward.pk).status == "paid"
    ws = load_workbook(BytesIO(client.get("/funds/rewards/export.xlsx?year=2023").content)).active
    assert ws.cell(ws.max_row, 1).value == "合计" and ws.cell(ws.max_row, 11).value == 30_000
    assert ws.cell(ws.max_row, 5).value == 10_000


@pytest.mark.django_db
def test_demo_seed_is_idempotent():
    from zhucan.demo.seed import seed_all
    from zhucan.funds.demo import seed_demo_funds

    seed_all(elders=20, meals_per_canteen=5, recent_per_day=0)  # seeds the funds too
    states = dict(ConstructionSubsidy.objects.values_list("canteen__name", "status"))
    assert states == {"蒋官屯街道幸福食堂": "paid", "北城街道幸福食堂": "city_approved",
                      "物流产业园区幸福食堂": "applied"}
    assert seed_demo_funds() == {"targets": 0, "subsidies": 0, "rewards": 0}
    # The 2023 evaluations the rewards read are the published assessments (zhucan.demo.assessment),
    # and the demo has a published 双随机 plan with results; seeding again changes nothing.
    from zhucan.assessment.models import Assessment
    from zhucan.demo.assessment import seed_demo_assessment
    from zhucan.funds.models import CanteenEvaluation, OperatingReward
    from zhucan.inspections.models import Inspection, Plan

    published = {a.canteen_id: a for a in Assessment.objects.filter(table__year=2023, status="published")}
    assert len(published) == 3
    evaluations = CanteenEvaluation.objects.filter(year=2023)
    assert {(e.canteen_id, e.source, e.passed) for e in evaluations} == {
        (c, f"assessment:{a.pk}", a.grade != "fail") for c, a in published.items()}
    assert {r.canteen_id: r.evaluation_passed for r in OperatingReward.objects.filter(
        year=2023, canteen_id__in=published)} == {c: a.grade != "fail" for c, a in published.items()}
    plan = Plan.objects.get(status="published")
    assert plan.seed == 20250618 and Inspection.objects.filter(plan=plan, status="rectified").count() == 1
    assert seed_demo_assessment() == {"assessments": 0, "inspections": 0}
    from zhucan.accounts.models import User

    [p] = target_progress(user=User.objects.get(username="kfq_admin"))
    assert p.opened_by_deadline == 3 and p.under_construction == 1 and p.subsidy_paid == 1


def test_pdf_exports(lc, client):
    s = services.subsidy_apply(actor=lc.lc_users["district_admin"], canteen_id=lc.upgrade.pk, evidence_note="x")
    assert s.total_fen == 8_000_000
    login(client, lc.lc_users["city_admin"])
    for url in ("/funds/subsidies/export.pdf", "/funds/rewards/export.pdf?year=2023"):
        response = client.get(url)
        assert response.status_code == 200 and response.content.startswith(b"%PDF"), url


def test_money_in_the_exports_is_exact_yuan_with_two_decimals(lc, client):
    login(client, lc.lc_users["city_admin"])
    services.subsidy_apply(actor=lc.lc_users["district_admin"], canteen_id=lc.upgrade.pk, evidence_note="验收")
    ws = load_workbook(BytesIO(client.get("/funds/subsidies/export.xlsx").content)).active
    headers = [c.value for c in ws[1]]
    money = [ws.cell(2, headers.index(h) + 1) for h in ("市级补贴（元）", "区级补贴（元）", "合计（元）")]
    s = ConstructionSubsidy.objects.get(canteen=lc.upgrade)
    assert [c.value * 100 for c in money] == [s.city_fen, s.district_fen, s.total_fen]
    assert [c.number_format for c in money] == ["0.00"] * 3
