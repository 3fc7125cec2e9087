"""Writes of the random inspections (双随机、一公开, HZ-12). Each service is one transaction with its
audit row; a refused call writes nothing; "not yours" answers like "not found"."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.db import transaction
from django.db.models import Q

from zhucan.accounts.models import Role, User
from zhucan.accounts.permissions import has_perm
from zhucan.accounts.scoping import get_scoped, restrict
from zhucan.canteens.models import Canteen, CanteenStatus
from zhucan.core import clock
from zhucan.core.audit import audit_record, snapshot
from zhucan.core.errors import NotFound, PermissionDenied
from zhucan.filing.evidence import evidence_check, evidence_store
from zhucan.filing.services import designation_suspend
from zhucan.inspections import draw as drawing
from zhucan.inspections.errors import inspect_error
from zhucan.inspections.models import (
    Category,
    CheckItem,
    Inspection,
    InspectionStatus,
    Inspector,
    ItemResult,
    Photo,
    Plan,
    PlanStatus,
    Result,
)
from zhucan.inspections.standard import ITEMS
from zhucan.regions.models import Level, Region

INSPECTION_AUDITED = ["status", "visited_on", "findings", "failed_items", "serious_failure", "rectify_by",
                      "followup_on", "followup_note", "suspended"]
INSPECTOR_ROLES = (Role.DISTRICT_ADMIN, Role.SUBDISTRICT_STAFF)
MAX_PHOTOS = 6


def _need(actor, action: str, zh: str, en: str) -> None:
    if not has_perm(actor, "inspection", action):
        raise PermissionDenied(zh, en)


def _district(actor, region_id: int) -> Region:
    region = get_scoped(Region.objects.all(), actor, "view", pk=region_id, what_zh="辖区", what_en="region")
    if region.level != Level.DISTRICT:
        raise inspect_error("INSPECT_NOT_DISTRICT", field="region")
    return region


# ---- roster and check items --------------------------------------------------------------------------

def inspector_add(*, actor, region_id: int, user_id: int, ip: str | None = None) -> Inspector:
    """Put a staff user of the district (district or subdistrict staff) on its roster of inspectors."""
    _need(actor, "manage", "管理检查人员名录", "manage the roster")
    with transaction.atomic():
        region = _district(actor, region_id)
        user = User.objects.filter(pk=user_id, is_active=True).select_related("region").first()
        if user is None or user.role not in INSPECTOR_ROLES or user.region is None \
                or not user.region.path.startswith(region.path):
            raise inspect_error("INSPECT_NOT_STAFF", field="user", name=user.display_name or user.username
                                if user else "该用户")
        inspector, created = Inspector.objects.get_or_create(
            region=region, user=user, defaults={"added_by": actor, "added_at": clock.now()})
        if not created and not inspector.active:
            inspector.active = True
            inspector.save(update_fields=["active"])
        audit_record(actor=actor, action="inspections.inspector_add", obj=inspector, region_path=region.path,
                     after={"user": user.username}, ip=ip)
    return inspector


def inspector_remove(*, actor, inspector_id: int, ip: str | None = None) -> Inspector:
    _need(actor, "manage", "管理检查人员名录", "manage the roster")
    with transaction.atomic():
        inspector = get_scoped(Inspector.objects.select_for_update().select_related("region", "user"), actor, "view",
                               pk=inspector_id, what_zh="检查人员", what_en="inspector")
        inspector.active = False
        inspector.save(update_fields=["active"])
        audit_record(actor=actor, action="inspections.inspector_remove", obj=inspector,
                     region_path=inspector.region.path, after={"user": inspector.user.username}, ip=ip)
    return inspector


def checklist_standard(*, actor, region_id: int, ip: str | None = None) -> int:
    """Give the district the standard check items it does not have yet; returns how many were added."""
    _need(actor, "manage", "管理检查事项清单", "manage check items")
    with transaction.atomic():
        region = _district(actor, region_id)
        have = set(CheckItem.objects.filter(region=region).values_list("category", "title"))
        new = [CheckItem(region=region, category=c, title=t, guidance=g, serious=s, order=i)
               for i, (c, t, g, s) in enumerate(ITEMS, 1) if (c, t) not in have]
        CheckItem.objects.bulk_create(new)
        if new:
            audit_record(actor=actor, action="inspections.checklist", object_type="inspections.checkitem",
                         object_repr=f"{region.name}检查事项清单", region_path=region.path,
                         after={"added": [i.title for i in new]}, ip=ip)
    return len(new)


# ---- plans and the draw -----------------------------------------------------------------------------

def plan_create(*, actor, region_id: int, title: str, categories: Sequence[str], proportion: int,
                inspectors_per_inspection: int = 2, ip: str | None = None) -> Plan:
    """A plan of the district: the share of its operating canteens to draw (%), the inspectors per
    inspection, the categories checked."""
    _need(actor, "manage", "制定检查计划", "create plans")
    categories = sorted({c for c in categories if c in Category.values})
    try:
        proportion, per = int(proportion), int(inspectors_per_inspection)
    except (TypeError, ValueError):
        proportion, per = 0, 0
    if not (1 <= proportion <= 100) or per < 1 or not categories or not (title or "").strip():
        raise inspect_error("INSPECT_BAD_PLAN", field="proportion")
    with transaction.atomic():
        region = _district(actor, region_id)
        plan = Plan.objects.create(region=region, title=title.strip()[:100], categories=categories,
                                   proportion=proportion, inspectors_per_inspection=per, created_by=actor,
                                   created_at=clock.now())
        audit_record(actor=actor, action="inspections.plan_create", obj=plan, region_path=region.path,
                     after={"categories": categories, "proportion": proportion, "per": per}, ip=ip)
    return plan


def draw_pool(plan: Plan) -> tuple[list[int], list[int]]:
    """What the draw runs over: the district's operating canteens and its active inspectors (ids)."""
    canteens = list(Canteen.objects.filter(region__path__startswith=plan.region.path, status=CanteenStatus.OPEN)
                    .values_list("pk", flat=True))
    inspectors = list(Inspector.objects.filter(region=plan.region, active=True, user__is_active=True)
                      .values_list("user_id", flat=True))
    return sorted(canteens), sorted(inspectors)


def plan_draw(*, actor, plan_id: int, seed: int | None = None, ip: str | None = None) -> Plan:
    """双随机: draw the canteens and, for each, its inspectors, from a seed (a fresh random one unless
    given), recording the seed, the lists drawn over and the method so anyone can re-run it."""
    _need(actor, "manage", "抽取检查对象", "draw plans")
    with transaction.atomic():
        plan = get_scoped(Plan.objects.select_for_update().select_related("region"), actor, "view", pk=plan_id,
                          what_zh="检查计划", what_en="plan")
        if plan.status != PlanStatus.DRAFT:
            raise inspect_error("INSPECT_WRONG_STATUS", status=plan.get_status_display(), action="抽取",
                                action_en="draw")
        canteens, inspectors = draw_pool(plan)
        if not canteens:
            raise inspect_error("INSPECT_NO_CANTEENS")
        if len(inspectors) < plan.inspectors_per_inspection:
            raise inspect_error("INSPECT_FEW_INSPECTORS", have=len(inspectors), need=plan.inspectors_per_inspection)
        if not CheckItem.objects.filter(region=plan.region, active=True, category__in=plan.categories).exists():
            raise inspect_error("INSPECT_NO_ITEMS")
        seed = drawing.new_seed() if seed is None else int(seed)
        result = drawing.draw(canteen_ids=canteens, inspector_ids=inspectors, proportion=plan.proportion,
                              per_inspection=plan.inspectors_per_inspection, seed=seed)
        for canteen_id, users in result:
            inspection = Inspection.objects.create(plan=plan, canteen_id=canteen_id)
            inspection.inspectors.set(users)
        plan.seed, plan.status, plan.drawn_by, plan.drawn_at = seed, PlanStatus.DRAWN, actor, clock.now()
        plan.pool = {"canteens": canteens, "inspectors": inspectors}
        plan.method = drawing.METHOD_ZH
        plan.save()
        audit_record(actor=actor, action="inspections.draw", obj=plan, region_path=plan.region.path,
                     after={"seed": seed, "pool": plan.pool, "drawn": [[c, u] for c, u in result]}, ip=ip)
    return plan


def plan_publish(*, actor, plan_id: int, ip: str | None = None) -> Plan:
    """一公开: publish the plan's results once every drawn inspection is recorded."""
    _need(actor, "manage", "公开检查结果", "publish results")
    with transaction.atomic():
        plan = get_scoped(Plan.objects.select_for_update().select_related("region"), actor, "view", pk=plan_id,
                          what_zh="检查计划", what_en="plan")
        if plan.status != PlanStatus.DRAWN:
            raise inspect_error("INSPECT_WRONG_STATUS", status=plan.get_status_display(), action="公开结果",
                                action_en="publish")
        waiting = [i.canteen.name for i in plan.inspections.select_related("canteen")
                   if i.status == InspectionStatus.DRAWN]
        if waiting:
            raise inspect_error("INSPECT_WRONG_STATUS", status=f"{'、'.join(waiting)}尚未检查", action="公开结果",
                                action_en="publish")
        plan.status, plan.published_at = PlanStatus.PUBLISHED, clock.now()
        plan.save()
        audit_record(actor=actor, action="inspections.publish", obj=plan, region_path=plan.region.path,
                     after={"inspections": plan.inspections.count()}, ip=ip)
    return plan


# ---- recording ---------------------------------------------------------------------------------------

def inspection_for(actor, inspection_id: int, *, lock: bool = False) -> Inspection:
    """An inspection the actor may see: in their jurisdiction, or one they were drawn for."""
    scoped = restrict(Inspection.objects.all(), actor, "view").values("pk")
    visible = has_perm(actor, "inspection", "view") and Inspection.objects.filter(
        Q(pk__in=scoped) | Q(inspectors=actor), pk=inspection_id).exists()
    if not visible:
        raise NotFound("检查记录", "inspection")
    qs = Inspection.objects.select_related("plan__region", "canteen__region")
    if lock:  # PostgreSQL refuses FOR UPDATE with the DISTINCT a join to the inspectors needs
        qs = qs.select_for_update(of=("self",))
    return qs.get(pk=inspection_id)


def _drawn(actor, inspection: Inspection) -> None:
    if not inspection.inspectors.filter(pk=actor.pk).exists():
        raise inspect_error("INSPECT_NOT_DRAWN")


def inspection_items(inspection: Inspection):
    return CheckItem.objects.filter(region=inspection.plan.region, active=True,
                                    category__in=inspection.plan.categories).order_by("order", "id")


def inspection_record(*, actor, inspection_id: int, visited_on: date, results: dict[int, tuple[str, str]],
                      findings: str = "", rectify_by: date | None = None,
                      photos: Sequence[tuple[bytes, str]] = (), ip: str | None = None) -> Inspection:
    """A drawn inspector records the visit: every check item pass / fail / not applicable (with a
    note), photos, findings, and a rectification deadline when anything failed."""
    _need(actor, "record", "录入检查结果", "record inspections")
    if len(photos) > MAX_PHOTOS:
        raise inspect_error("INSPECT_RESULTS_MISSING", field="photos", items=f"照片最多 {MAX_PHOTOS} 张")
    for data, name in photos:
        evidence_check(data=data, file_name=name)
    with transaction.atomic():
        inspection = inspection_for(actor, inspection_id, lock=True)
        _drawn(actor, inspection)
        if inspection.status != InspectionStatus.DRAWN or inspection.plan.status != PlanStatus.DRAWN:
            raise inspect_error("INSPECT_WRONG_STATUS", status=inspection.get_status_display(), action="录入检查结果",
                                action_en="record")
        if visited_on > clock.local_today():
            raise inspect_error("INSPECT_DATE_FUTURE", field="visited_on")
        items = list(inspection_items(inspection))
        missing = [i.title for i in items if (results.get(i.pk) or ("", ""))[0] not in Result.values]
        if missing:
            raise inspect_error("INSPECT_RESULTS_MISSING", items="、".join(missing))
        failed = [i for i in items if results[i.pk][0] == Result.FAIL]
        if failed and (rectify_by is None or rectify_by < visited_on):
            raise inspect_error("INSPECT_DEADLINE_REQUIRED", field="rectify_by")
        ItemResult.objects.bulk_create([ItemResult(inspection=inspection, item=i, result=results[i.pk][0],
                                                   note=(results[i.pk][1] or "")[:300]) for i in items])
        for data, name in photos:
            Photo.objects.create(inspection=inspection, evidence=evidence_store(actor=actor, data=data, file_name=name))
        before = snapshot(inspection, INSPECTION_AUDITED)
        inspection.visited_on, inspection.findings = visited_on, (findings or "").strip()[:4000]
        inspection.failed_items = len(failed)
        inspection.serious_failure = any(i.serious for i in failed)
        inspection.rectify_by = rectify_by if failed else None
        inspection.status = InspectionStatus.RECTIFYING if failed else InspectionStatus.PASSED
        inspection.recorded_by, inspection.recorded_at = actor, clock.now()
        inspection.save()
        audit_record(actor=actor, action="inspections.record", obj=inspection,
                     region_path=inspection.canteen.region.path, before=before,
                     after=snapshot(inspection, INSPECTION_AUDITED) | {"failed": [i.title for i in failed]}, ip=ip)
    return inspection


def inspection_followup(*, actor, inspection_id: int, on: date, rectified: bool, note: str,
                        ip: str | None = None) -> Inspection:
    """回头看: a drawn inspector (or the district) records whether the failures were put right."""
    _need(actor, "record", "录入回头看", "record follow-ups")
    note = (note or "").strip()
    with transaction.atomic():
        inspection = inspection_for(actor, inspection_id, lock=True)
        if not has_perm(actor, "inspection", "manage"):
            _drawn(actor, inspection)
        if inspection.status != InspectionStatus.RECTIFYING:
            raise inspect_error("INSPECT_WRONG_STATUS", status=inspection.get_status_display(), action="录入回头看",
                                action_en="follow up")
        if not note:
            raise inspect_error("INSPECT_REASON_REQUIRED", field="note")
        if on > clock.local_today():
            raise inspect_error("INSPECT_DATE_FUTURE", field="on")
        before = snapshot(inspection, INSPECTION_AUDITED)
        inspection.followup_on, inspection.followup_note, inspection.followup_by = on, note[:4000], actor
        inspection.status = InspectionStatus.RECTIFIED if rectified else InspectionStatus.NOT_RECTIFIED
        inspection.save()
        audit_record(actor=actor, action="inspections.followup", obj=inspection,
                     region_path=inspection.canteen.region.path, before=before,
                     after=snapshot(inspection, INSPECTION_AUDITED), ip=ip)
    return inspection


def inspection_suspend(*, actor, inspection_id: int, reason: str, ip: str | None = None) -> Inspection:
    """A serious failure (an important item failed) may suspend the canteen's designation, through
    the filing lifecycle (HZ-8): its meals carry no benefit from today."""
    _need(actor, "manage", "暂停定点", "suspend designation")
    reason = (reason or "").strip()
    with transaction.atomic():
        inspection = get_scoped(Inspection.objects.select_for_update(of=("self",)).select_related(
            "canteen__region", "plan"), actor, "view", pk=inspection_id, what_zh="检查记录", what_en="inspection")
        if not inspection.serious_failure or inspection.suspended:
            raise inspect_error("INSPECT_NOT_SERIOUS")
        if not reason:
            raise inspect_error("INSPECT_REASON_REQUIRED", field="reason")
        designation_suspend(actor=actor, canteen=inspection.canteen,
                            reason=f"{inspection.plan.title}检查发现重要事项不合格：{reason}")
        inspection.suspended = True
        inspection.save(update_fields=["suspended"])
        audit_record(actor=actor, action="inspections.suspend", obj=inspection,
                     region_path=inspection.canteen.region.path, after={"reason": reason}, ip=ip)
    return inspection
