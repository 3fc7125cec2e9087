"""Demo of the yearly assessment and the random inspections in Liaocheng's development zone, walked
through the real services: the district's 2023 indicator table (LC-6's five dimensions), each
operating canteen scored, confirmed and published — the evaluations the 2023 operating rewards
(LC-5) then read — and a 双随机 plan of June 2025 drawn from a fixed seed, inspected (one canteen
with a failure put right at the follow-up) and published. Seeding again changes nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction

from zhucan.accounts.models import User
from zhucan.assessment import services as assess
from zhucan.assessment.models import Assessment, IndicatorTable, Status
from zhucan.canteens.models import Canteen, CanteenStatus
from zhucan.inspections import services as inspect
from zhucan.inspections.models import CheckItem, Inspection, InspectionStatus, Plan, PlanStatus
from zhucan.regions.models import Region

ZONE_CODE = "371571"  # 聊城经济技术开发区
YEAR = 2023
# Share of each manual item's maximum the assessors gave, by canteen order (varied grades).
SHARES = [Decimal("1"), Decimal("0.85"), Decimal("0.95")]
NOTES = "现场查验，资料齐全"
PLAN_TITLE = "2025年6月食品安全与消防双随机检查"
PLAN_SEED = 20250618
VISIT = date(2025, 6, 18)


def _user(username: str) -> User:
    user = User.objects.filter(username=username).first()
    return user or User.objects.filter(is_superuser=True).order_by("pk").first()


def _assessments(zone: Region, district: User) -> int:
    table = IndicatorTable.objects.filter(region=zone, year=YEAR).first() or assess.table_create_standard(
        actor=district, region_id=zone.pk, year=YEAR)
    canteens = Canteen.objects.filter(region__path__startswith=zone.path, status=CanteenStatus.OPEN,
                                      opening_date__lte=date(YEAR, 12, 31)).order_by("opening_date", "name")
    published = 0
    for n, canteen in enumerate(canteens):
        a = Assessment.objects.filter(table=table, canteen=canteen).first() or assess.assessment_open(
            actor=district, table_id=table.pk, canteen_id=canteen.pk)
        if a.status == Status.SCORING:
            share = SHARES[n % len(SHARES)]
            for s in a.scores.select_related("indicator").filter(automatic=False):
                value = (s.indicator.max_score * share).quantize(Decimal("0.1"))
                assess.score_record(actor=district, assessment_id=a.pk, indicator_id=s.indicator_id, score=value,
                                    note=NOTES if not s.basis else f"{NOTES}（入户抽样调查）")
            a = assess.assessment_confirm(actor=district, assessment_id=a.pk)
        if a.status == Status.CONFIRMED:
            assess.assessment_publish(actor=district, assessment_id=a.pk)
            published += 1
    return published


def _inspections(zone: Region, district: User) -> int:
    staff = [district, *User.objects.filter(role="subdistrict_staff", is_active=True,
                                            region__path__startswith=zone.path).order_by("username")]
    for user in staff:
        if not user.is_superuser:
            inspect.inspector_add(actor=district, region_id=zone.pk, user_id=user.pk)
    if not CheckItem.objects.filter(region=zone).exists():
        inspect.checklist_standard(actor=district, region_id=zone.pk)
    plan = Plan.objects.filter(region=zone, title=PLAN_TITLE).first()
    if plan is None:
        per = max(1, min(2, len(inspect.draw_pool(Plan(region=zone))[1])))
        plan = inspect.plan_create(actor=district, region_id=zone.pk, title=PLAN_TITLE,
                                   categories=["food_hygiene", "fire_safety"], proportion=67,
                                   inspectors_per_inspection=per)
    if plan.status == PlanStatus.DRAFT:
        plan = inspect.plan_draw(actor=district, plan_id=plan.pk, seed=PLAN_SEED)
    recorded = 0
    for n, i in enumerate(Inspection.objects.filter(plan=plan).order_by("canteen__name")):
        who = i.inspectors.order_by("pk").first()
        if i.status == InspectionStatus.DRAWN:
            items = inspect.inspection_items(i)
            results = {it.pk: ("pass", "") for it in items}
            failed = n == 0 and items.filter(title="三防设施").first()
            if failed:
                results[failed.pk] = ("fail", "后厨纱窗破损")
            i = inspect.inspection_record(actor=who, inspection_id=i.pk, visited_on=VISIT, results=results,
                                          findings="后厨纱窗破损，责令限期整改" if failed else "未发现问题",
                                          rectify_by=date(2025, 7, 2) if failed else None)
            recorded += 1
        if i.status == InspectionStatus.RECTIFYING:
            inspect.inspection_followup(actor=who, inspection_id=i.pk, on=date(2025, 7, 3), rectified=True,
                                        note="纱窗已更换，回头看合格")
    if plan.status == PlanStatus.DRAWN:
        inspect.plan_publish(actor=district, plan_id=plan.pk)
    return recorded


def seed_demo_assessment() -> dict:
    """Call after the canteens, users and designations exist and before the funds demo computes
    the 2023 operating rewards (they read these published results)."""
    zone = Region.objects.filter(code=ZONE_CODE).first()
    if zone is None:
        return {"assessments": 0, "inspections": 0}
    district = _user("kfq_admin")
    with transaction.atomic():
        return {"assessments": _assessments(zone, district), "inspections": _inspections(zone, district)}
