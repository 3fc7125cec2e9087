"""Console of the random inspections at /inspections/: the district's roster, check items and
plans (the draw with its seed and method, results, publishing, export), the drawn inspector's
phone-friendly record form and follow-up; and the public list of published results (一公开)."""

from __future__ import annotations

from datetime import date
from urllib.parse import quote

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from zhucan.accounts.gate import requires
from zhucan.accounts.models import User
from zhucan.accounts.permissions import has_perm
from zhucan.core import clock
from zhucan.core.audit import audit_export
from zhucan.core.errors import DomainError, NotFound
from zhucan.core.http import client_ip, run_service
from zhucan.core.xlsx import xlsx_bytes, xlsx_response
from zhucan.inspections import draw as drawing
from zhucan.inspections import selectors, services
from zhucan.inspections.models import Category, InspectionStatus, Photo, PlanStatus, Result
from zhucan.inspections.services import INSPECTOR_ROLES
from zhucan.regions.models import Level


def _district(user):
    region = getattr(user, "region", None)
    return region if region is not None and region.level == Level.DISTRICT else None


def _date(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw)
    except (TypeError, ValueError):
        return None


@requires("inspection", "view")
def index(request):
    user = request.user
    district = _district(user)
    manage = has_perm(user, "inspection", "manage") and district is not None
    roster = selectors.roster(user=user)
    candidates = []
    if manage:
        on_roster = set(roster.values_list("user_id", flat=True))
        candidates = [u for u in User.objects.filter(role__in=INSPECTOR_ROLES, is_active=True,
                                                     region__path__startswith=district.path).order_by("username")
                      if u.pk not in on_roster]
    return render(request, "inspections/index.html", {
        "plans": selectors.plan_list(user=user), "roster": roster, "items": selectors.check_items(user=user),
        "mine": selectors.mine(user=user), "manage": manage, "candidates": candidates,
        "categories": Category.choices,
    })


@require_POST
@requires("inspection", "manage")
def roster_add(request):
    district = _district(request.user)
    user_id = request.POST.get("user", "")
    if district is not None:
        run_service(request, lambda: services.inspector_add(actor=request.user, region_id=district.pk,
                                                            user_id=int(user_id) if user_id.isdigit() else 0,
                                                            ip=client_ip(request)), "已列入检查人员名录")
    return redirect("inspections:index")


@require_POST
@requires("inspection", "manage")
def roster_remove(request, inspector_id: int):
    run_service(request, lambda: services.inspector_remove(actor=request.user, inspector_id=inspector_id,
                                                           ip=client_ip(request)), "已移出检查人员名录")
    return redirect("inspections:index")


@require_POST
@requires("inspection", "manage")
def checklist(request):
    district = _district(request.user)
    if district is not None:
        run_service(request, lambda: services.checklist_standard(actor=request.user, region_id=district.pk,
                                                                 ip=client_ip(request)), "已设置检查事项清单")
    return redirect("inspections:index")


@require_POST
@requires("inspection", "manage")
def plan_create(request):
    district = _district(request.user)
    if district is None:
        messages.error(request, "检查计划由区县制定")
        return redirect("inspections:index")
    try:
        plan = services.plan_create(actor=request.user, region_id=district.pk, title=request.POST.get("title", ""),
                                    categories=request.POST.getlist("categories"),
                                    proportion=request.POST.get("proportion", ""),
                                    inspectors_per_inspection=request.POST.get("per", "2"), ip=client_ip(request))
    except NotFound:
        raise
    except DomainError as exc:
        messages.error(request, exc.message_zh)
        return redirect("inspections:index")
    messages.success(request, "已建立检查计划")
    return redirect("inspections:plan", plan_id=plan.pk)


@requires("inspection", "view")
def plan(request, plan_id: int):
    p = selectors.plan_get(user=request.user, plan_id=plan_id)
    snippet = ""
    if p.seed is not None:
        snippet = drawing.snippet(seed=p.seed, canteen_ids=p.pool.get("canteens", []),
                                  inspector_ids=p.pool.get("inspectors", []), proportion=p.proportion,
                                  per_inspection=p.inspectors_per_inspection)
    manage = has_perm(request.user, "inspection", "manage")
    return render(request, "inspections/plan.html", {
        "p": p, "inspections": selectors.plan_inspections(p), "snippet": snippet,
        "can_draw": manage and p.status == PlanStatus.DRAFT, "can_publish": manage and p.status == PlanStatus.DRAWN,
    })


@require_POST
@requires("inspection", "manage")
def plan_draw(request, plan_id: int):
    selectors.plan_get(user=request.user, plan_id=plan_id)
    run_service(request, lambda: services.plan_draw(actor=request.user, plan_id=plan_id, ip=client_ip(request)),
                "已随机抽取检查对象和检查人员")
    return redirect("inspections:plan", plan_id=plan_id)


@require_POST
@requires("inspection", "manage")
def plan_publish(request, plan_id: int):
    selectors.plan_get(user=request.user, plan_id=plan_id)
    run_service(request, lambda: services.plan_publish(actor=request.user, plan_id=plan_id, ip=client_ip(request)),
                "检查结果已向社会公开")
    return redirect("inspections:plan", plan_id=plan_id)


EXPORT_HEADERS = ["助餐点", "所在街道", "检查人员", "检查日期", "状态", "不合格项数", "检查发现", "整改期限",
                  "回头看日期", "回头看情况"]


@requires("inspection", "export")
def plan_export(request, plan_id: int):
    p = selectors.plan_get(user=request.user, plan_id=plan_id)
    rows = [[i.canteen.name, i.canteen.region.name, "、".join(str(u) for u in i.inspectors.all()),
             i.visited_on.isoformat() if i.visited_on else "", i.get_status_display(), i.failed_items, i.findings,
             i.rectify_by.isoformat() if i.rectify_by else "", i.followup_on.isoformat() if i.followup_on else "",
             i.followup_note] for i in selectors.plan_inspections(p)]
    audit_export(actor=request.user, what="inspections.plan", filters={"plan": p.pk}, rows=len(rows),
                 ip=client_ip(request))
    return xlsx_response(f"双随机检查-{p.pk}.xlsx", xlsx_bytes(sheet="检查结果", headers=EXPORT_HEADERS, rows=rows))


@requires("inspection", "view")
def inspection(request, inspection_id: int):
    user = request.user
    i = services.inspection_for(user, inspection_id)
    items = list(services.inspection_items(i))
    drawn = i.inspectors.filter(pk=user.pk).exists()
    errors, typed = [], {}
    if request.method == "POST":
        if not has_perm(user, "inspection", "record"):
            return render(request, "console/denied.html", status=403)
        results = {it.pk: (request.POST.get(f"item_{it.pk}", ""), request.POST.get(f"note_{it.pk}", ""))
                   for it in items}
        photos = [(f.read(), f.name) for f in request.FILES.getlist("photos")]
        visited = _date(request.POST.get("visited_on", ""))
        try:
            services.inspection_record(actor=user, inspection_id=i.pk, visited_on=visited or clock.local_today(),
                                       results=results, findings=request.POST.get("findings", ""),
                                       rectify_by=_date(request.POST.get("rectify_by", "")), photos=photos,
                                       ip=client_ip(request))
        except NotFound:
            raise
        except DomainError as exc:
            errors.append(exc.message_zh)
            typed = {k: v[0] for k, v in results.items()}
        else:
            messages.success(request, "检查结果已保存")
            return redirect("inspections:inspection", inspection_id=i.pk)
    results = {r.item_id: r for r in i.results.all()}
    rows = [{"item": it, "result": results.get(it.pk), "typed": typed.get(it.pk, "")} for it in items]
    return render(request, "inspections/inspection.html", {
        "i": i, "rows": rows, "errors": errors, "Result": Result, "today": clock.local_today(),
        "photos": Photo.objects.filter(inspection=i).select_related("evidence"),
        "can_record": drawn and i.status == InspectionStatus.DRAWN and i.plan.status == PlanStatus.DRAWN,
        "can_followup": (drawn or has_perm(user, "inspection", "manage")) and i.status == InspectionStatus.RECTIFYING,
        "can_suspend": has_perm(user, "inspection", "manage") and i.serious_failure and not i.suspended,
        "inspectors": [u.display_name or u.username for u in i.inspectors.all()],
    })


@require_POST
@requires("inspection", "record")
def followup(request, inspection_id: int):
    services.inspection_for(request.user, inspection_id)
    run_service(request, lambda: services.inspection_followup(
        actor=request.user, inspection_id=inspection_id, on=_date(request.POST.get("on", "")) or clock.local_today(),
        rectified=request.POST.get("rectified") == "1", note=request.POST.get("note", ""), ip=client_ip(request)),
        "已记录回头看")
    return redirect("inspections:inspection", inspection_id=inspection_id)


@require_POST
@requires("inspection", "manage")
def suspend(request, inspection_id: int):
    services.inspection_for(request.user, inspection_id)
    run_service(request, lambda: services.inspection_suspend(
        actor=request.user, inspection_id=inspection_id, reason=request.POST.get("reason", ""),
        ip=client_ip(request)), "已暂停该助餐点的定点资格")
    return redirect("inspections:inspection", inspection_id=inspection_id)


@requires("inspection", "view")
def photo(request, inspection_id: int, photo_id: int):
    i = services.inspection_for(request.user, inspection_id)
    p = Photo.objects.filter(inspection=i, pk=photo_id).select_related("evidence").first()
    if p is None:
        raise NotFound("照片", "photo")
    response = HttpResponse(bytes(p.evidence.content), content_type=p.evidence.content_type)
    response["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(p.evidence.file_name)}"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def public_list(request):
    """一公开: the published results of every random inspection, for anyone (no login)."""
    return render(request, "inspections/public.html", {"inspections": selectors.published()})
