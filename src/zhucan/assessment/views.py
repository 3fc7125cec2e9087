"""Console of the yearly assessment at /evaluation/assessments/: the district's workbench (indicator
table, scoring, confirmation, contests, publishing), the canteen's own results and contest, the
city's rankings across districts; every table exportable. Thin: validate, call a service or a
selector, render."""

from __future__ import annotations

from urllib.parse import quote

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from zhucan.accounts.gate import requires
from zhucan.accounts.permissions import has_perm
from zhucan.assessment import selectors, services
from zhucan.assessment.models import ContestStatus, Source, Status
from zhucan.core import clock
from zhucan.core.audit import audit_export
from zhucan.core.errors import NotFound
from zhucan.core.http import client_ip, run_service
from zhucan.core.xlsx import xlsx_bytes, xlsx_response
from zhucan.regions.models import Level


def _year(request) -> int:
    raw = request.GET.get("year", "")
    return int(raw) if raw.isdigit() and 2000 <= int(raw) <= 2100 else clock.local_today().year - 1


def _district(user):
    region = getattr(user, "region", None)
    return region if region is not None and region.level == Level.DISTRICT else None


@requires("assessment", "view")
def index(request):
    user = request.user
    year = _year(request)
    return render(request, "assessment/index.html", {
        "year": year, "tables": selectors.table_list(user=user),
        "assessments": selectors.assessment_list(user=user, year=year),
        "can_manage": has_perm(user, "assessment", "manage") and _district(user) is not None,
        "is_city": user.region is not None and user.region.level == Level.CITY,
    })


@require_POST
@requires("assessment", "manage")
def table_create(request):
    district = _district(request.user)
    year = request.POST.get("year", "")
    if district is None:
        messages.error(request, "评估指标体系由区县制定")
        return redirect("assessment:index")
    ok = run_service(request, lambda: services.table_create_standard(
        actor=request.user, region_id=district.pk, year=year, ip=client_ip(request)),
        f"已建立 {year} 年度评估指标体系")
    table = selectors.table_list(user=request.user).filter(year=year if year.isdigit() else 0).first() if ok else None
    return redirect("assessment:table", table_id=table.pk) if table else redirect("assessment:index")


@requires("assessment", "view")
def table(request, table_id: int):
    t = selectors.table_get(user=request.user, table_id=table_id)
    indicators = list(t.indicators.all())
    can_manage = has_perm(request.user, "assessment", "manage")
    if request.method == "POST":
        if not can_manage:
            return render(request, "console/denied.html", status=403)
        weights = {i.pk: (request.POST.get(f"weight_{i.pk}", ""), request.POST.get(f"max_{i.pk}", ""))
                   for i in indicators}
        if run_service(request, lambda: services.table_set_weights(actor=request.user, table_id=t.pk,
                                                                   weights=weights, ip=client_ip(request)),
                       "已保存权重和满分"):
            return redirect("assessment:table", table_id=t.pk)
        for i in indicators:  # show what was typed next to the refusal
            i.weight, i.max_score = weights[i.pk]
    dimensions: dict[str, list] = {}
    for i in indicators:
        dimensions.setdefault(i.dimension, []).append(i)
    return render(request, "assessment/table.html", {
        "t": t, "dimensions": dimensions, "editable": can_manage and not t.assessments.exists(),
        "can_open": can_manage, "assessments": selectors.assessment_list(user=request.user, table_id=t.pk),
    })


@require_POST
@requires("assessment", "manage")
def table_open_all(request, table_id: int):
    t = selectors.table_get(user=request.user, table_id=table_id)
    run_service(request, lambda: services.assessment_open_all(actor=request.user, table_id=t.pk,
                                                              ip=client_ip(request)), "已为辖区内助餐点开展评估")
    return redirect("assessment:table", table_id=t.pk)


@requires("assessment", "view")
def detail(request, assessment_id: int):
    user = request.user
    a = selectors.assessment_get(user=user, assessment_id=assessment_id)
    scores = list(a.scores.select_related("indicator", "scored_by", "evidence"))
    contest = getattr(a, "contest", None)  # the reverse one-to-one raises AttributeError when absent
    manage = has_perm(user, "assessment", "manage")
    today = clock.local_today()
    return render(request, "assessment/detail.html", {
        "a": a, "scores": scores, "contest": contest, "Source": Source,
        "can_score": manage and a.status == Status.SCORING,
        "can_confirm": manage and a.status == Status.SCORING,
        "can_publish": manage and a.status == Status.CONFIRMED,
        "can_contest": (has_perm(user, "assessment", "contest") and contest is None and a.status != Status.SCORING
                        and a.contest_until is not None and today <= a.contest_until),
        "can_resolve": manage and contest is not None and contest.status == ContestStatus.PENDING,
    })


def _act(request, assessment_id: int, call, done: str, anchor: str = ""):
    selectors.assessment_get(user=request.user, assessment_id=assessment_id)  # 404 before anything
    run_service(request, call, done)
    response = redirect("assessment:detail", assessment_id=assessment_id)
    response["Location"] += anchor
    return response


@require_POST
@requires("assessment", "manage")
def score(request, assessment_id: int):
    upload = request.FILES.get("evidence")
    evidence = (upload.read(), upload.name) if upload else None
    indicator = request.POST.get("indicator", "")
    return _act(request, assessment_id, lambda: services.score_record(
        actor=request.user, assessment_id=assessment_id, indicator_id=int(indicator) if indicator.isdigit() else 0,
        score=request.POST.get("score", ""), note=request.POST.get("note", ""), evidence=evidence,
        ip=client_ip(request)), "已评分", f"#item-{indicator}")


@require_POST
@requires("assessment", "manage")
def refresh(request, assessment_id: int):
    return _act(request, assessment_id, lambda: services.assessment_refresh(
        actor=request.user, assessment_id=assessment_id, ip=client_ip(request)), "已按平台数据重新计算")


@require_POST
@requires("assessment", "manage")
def confirm(request, assessment_id: int):
    return _act(request, assessment_id, lambda: services.assessment_confirm(
        actor=request.user, assessment_id=assessment_id, ip=client_ip(request)),
        "评估结果已确认，助餐点可在异议期内提出异议")


@require_POST
@requires("assessment", "manage")
def publish(request, assessment_id: int):
    return _act(request, assessment_id, lambda: services.assessment_publish(
        actor=request.user, assessment_id=assessment_id, ip=client_ip(request)), "评估结果已公布")


@require_POST
@requires("assessment", "contest")
def contest(request, assessment_id: int):
    indicator = request.POST.get("indicator", "")
    return _act(request, assessment_id, lambda: services.contest_file(
        actor=request.user, assessment_id=assessment_id, indicator_id=int(indicator) if indicator.isdigit() else 0,
        reason=request.POST.get("reason", ""), ip=client_ip(request)), "异议已提交，等待区县处理")


@require_POST
@requires("assessment", "manage")
def resolve(request, assessment_id: int):
    uphold = request.POST.get("decision") == "uphold"
    return _act(request, assessment_id, lambda: services.contest_resolve(
        actor=request.user, assessment_id=assessment_id, uphold=uphold, answer=request.POST.get("answer", ""),
        new_score=request.POST.get("new_score") if uphold else None, ip=client_ip(request)), "异议已处理")


@requires("assessment", "view")
def evidence(request, assessment_id: int, indicator_id: int):
    a = selectors.assessment_get(user=request.user, assessment_id=assessment_id)
    s = a.scores.select_related("evidence").filter(indicator_id=indicator_id, evidence__isnull=False).first()
    if s is None:
        raise NotFound("佐证材料", "evidence")
    e = s.evidence
    response = HttpResponse(bytes(e.content), content_type=e.content_type)
    response["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(e.file_name)}"
    response["X-Content-Type-Options"] = "nosniff"
    return response


EXPORT_HEADERS = ["助餐点", "所在区县", "年度", "状态", "总分", "等次", "异议", "公布日期"]


@requires("assessment", "export")
def export(request):
    year = _year(request)
    rows = []
    for a in selectors.assessment_list(user=request.user, year=year, action="export"):
        district = a.canteen.region.ancestor(Level.DISTRICT)
        c = getattr(a, "contest", None)
        rows.append([a.canteen.name, district.name if district else "", a.table.year, a.get_status_display(),
                     a.total, a.get_grade_display() if a.grade else "", c.get_status_display() if c else "无",
                     clock.local_date(a.published_at).isoformat() if a.published_at else ""])
    audit_export(actor=request.user, what="assessment", filters={"year": year}, rows=len(rows), ip=client_ip(request))
    return xlsx_response(f"服务质量评估-{year}.xlsx", xlsx_bytes(sheet=f"{year}年度服务质量评估",
                                                               headers=EXPORT_HEADERS, rows=rows))


@requires("assessment", "view")
def rankings(request):
    year = _year(request)
    ranks, published = selectors.rankings(user=request.user, year=year)
    return render(request, "assessment/rankings.html", {"year": year, "ranks": ranks, "published": published})


@requires("assessment", "export")
def rankings_export(request):
    year = _year(request)
    ranks, _published = selectors.rankings(user=request.user, year=year)
    rows = [[i, r.district, r.count, r.mean, *r.grades.values()] for i, r in enumerate(ranks, 1)]
    audit_export(actor=request.user, what="assessment.rankings", filters={"year": year}, rows=len(rows),
                 ip=client_ip(request))
    headers = ["名次", "区县", "已公布助餐点数", "平均分", "优秀", "良好", "合格", "不合格"]
    return xlsx_response(f"评估排名-{year}.xlsx", xlsx_bytes(sheet=f"{year}年度各区县评估", headers=headers, rows=rows))
