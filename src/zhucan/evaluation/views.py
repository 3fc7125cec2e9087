"""The console at /evaluation/ (issue #18 item 6, ratings and complaints): satisfaction per canteen
over the months, the district's complaints queue, the canteen answering its complaints, the city's
ranking of districts and escalated cases, exports; community staff record ratings and calls.
Thin: validate, call a service or selector, render."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from zhucan.accounts.gate import requires
from zhucan.accounts.models import Role
from zhucan.accounts.permissions import has_perm
from zhucan.accounts.scoping import get_scoped, restrict
from zhucan.canteens.models import Canteen
from zhucan.core import clock
from zhucan.core.audit import CountedRows, audit_export
from zhucan.core.errors import DomainError, NotFound
from zhucan.core.http import client_ip, paginate, run_service
from zhucan.core.sealed import mask_name
from zhucan.core.xlsx import xlsx_bytes, xlsx_response
from zhucan.elders.models import Elder
from zhucan.evaluation import selectors, services
from zhucan.evaluation.models import ComplaintKind, Satisfaction, Status
from zhucan.regions.models import Level

STARS = [1, 2, 3, 4, 5]


def _date(raw: str | None) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def _int(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isdigit() else None


def _canteens(user):
    return restrict(Canteen.objects.select_related("region"), user, "view").order_by("region__path", "name")


@requires("evaluation", "view")
def index(request):
    user = request.user
    today = clock.local_today()
    months, trends = selectors.canteen_trends(user=user, today=today)
    at_city = bool(user.region_id and user.region.level == Level.CITY) or user.is_superuser
    year_start = today.replace(month=1, day=1)
    return render(request, "evaluation/index.html", {
        "months": months, "trends": trends,
        "charts": {"trend": _trend_chart(months, trends)}, "counts": selectors.complaint_counts(user=user),
        "overdue": selectors.complaints(user=user, overdue=True)[:20],
        "open_cases": selectors.complaints(user=user).exclude(status=Status.CLOSED)[:20],
        "at_city": at_city, "is_canteen": user.role in (Role.CANTEEN_MANAGER, Role.CASHIER),
        "ranking": selectors.district_ranking(user=user, start=year_start, end=today) if at_city else [],
        "escalated": selectors.complaints(user=user, escalated=True).exclude(status=Status.CLOSED)[:20],
        "year_start": year_start, "today": today,
        "can_record_rating": has_perm(user, "rating", "record"),
        "can_record_complaint": has_perm(user, "complaint", "record"),
    })


def _trend_chart(months, trends, limit: int = 8) -> dict:
    """The satisfaction of the canteens with most ratings, one line each, month by month (a month
    without ratings is a gap, not a zero)."""
    busiest = sorted(trends, key=lambda t: -t.total[1])[:limit]
    return {"kind": "line", "categories": [f"{m.year}年{m.month}月" for m in months],
            "series": [{"name": t.canteen.name,
                        "data": [None if score is None else str(score) for score, _n in t.cells]}
                       for t in busiest]}


# ---- ratings ------------------------------------------------------------------------------------


def _rating_filters(request):
    return {"canteen_id": _int(request.GET.get("canteen")), "start": _date(request.GET.get("start")),
            "end": _date(request.GET.get("end"))}


@requires("evaluation", "view")
def rating_list(request):
    filters = _rating_filters(request)
    qs = selectors.ratings(user=request.user, **filters)
    page, query = paginate(request, qs)
    return render(request, "evaluation/ratings.html", {
        "page": page, "query": query, "rows": [(r, mask_name(r.elder.name)) for r in page],
        "canteens": _canteens(request.user),
        "f": request.GET, "can_record": has_perm(request.user, "rating", "record")})


@requires("evaluation", "export")
def rating_export(request):
    rows = CountedRows(
        [r.meal_date, r.canteen.name, mask_name(r.elder.name), r.taste, r.portion, r.hygiene, r.service,
         "、".join(r.phrases), r.comment, r.get_source_display(), clock.local_date(r.rated_at)]
        for r in selectors.ratings(user=request.user, **_rating_filters(request)).iterator(chunk_size=500))
    content = xlsx_bytes(sheet="就餐评价", headers=["就餐日期", "助餐点", "老人", "口味", "分量", "卫生", "服务",
                                                 "常用评语", "留言", "来源", "评价日期"], rows=rows)
    audit_export(actor=request.user, what="evaluation.ratings", filters=request.GET, rows=rows.count,
                 ip=client_ip(request))
    return xlsx_response(f"就餐评价-{clock.local_today():%Y%m%d}.xlsx", content)


@requires("rating", "record")
def rating_record(request):
    """Community staff record a rating gathered in person or by phone: find the elder by name, pick
    the meal, tap the scores."""
    user = request.user
    elder, meals, error = None, [], None
    elder_id = _int(request.POST.get("elder") or request.GET.get("elder"))
    if elder_id:
        elder = get_scoped(Elder.objects.all(), user, "view", what_zh="老人", what_en="elder", pk=elder_id)
    if request.method == "POST" and elder is not None:
        values = {k: request.POST.get(k, "") for k in ("taste", "portion", "hygiene", "service", "comment")}
        values["phrases"] = request.POST.getlist("phrases")
        try:
            services.rating_record(actor=user, elder_id=elder.pk, meal_id=_int(request.POST.get("meal")) or 0,
                                   values=values, ip=client_ip(request))
        except NotFound:
            raise
        except DomainError as exc:
            error = exc.message_zh
        else:
            messages.success(request, f"已代录{mask_name(elder.name)}的评价")
            return redirect(f"{request.path}?elder={elder.pk}")
    if elder is not None:
        meals = selectors.rateable_meals(elder=elder)
    return render(request, "evaluation/rating_record.html", {
        "q": request.GET.get("q", ""), "found": selectors.elders_for_recording(user=user, q=request.GET.get("q", "")),
        "elder": elder, "elder_masked": mask_name(elder.name) if elder else "", "meals": meals, "error": error,
        "dimensions": list(services.DIMENSION_LABELS.items()), "stars": STARS, "phrases": services.PHRASES,
    })


# ---- complaints ---------------------------------------------------------------------------------


def _complaint_filters(request):
    return {"status": request.GET.get("status", ""), "overdue": request.GET.get("overdue") == "1",
            "escalated": request.GET.get("escalated") == "1"}


@requires("evaluation", "view")
def complaint_list(request):
    qs = selectors.complaints(user=request.user, **_complaint_filters(request))
    page, query = paginate(request, qs)
    return render(request, "evaluation/complaints.html", {
        "page": page, "query": query, "statuses": Status.choices, "f": request.GET, "now": clock.now(),
        "can_record": has_perm(request.user, "complaint", "record")})


@requires("evaluation", "export")
def complaint_export(request):
    rows = CountedRows(
        [c.code, c.get_kind_display(), c.get_channel_display(), c.canteen.name, c.district.name,
         clock.local_date(c.received_at), c.get_status_display(), clock.local_date(c.answer_due),
         clock.local_date(c.answered_at) if c.answered_at else "", clock.local_date(c.close_due),
         clock.local_date(c.closed_at) if c.closed_at else "", c.get_satisfaction_display() if c.satisfaction else "",
         "是" if c.escalated_at else "否", c.contact_masked, c.text]
        for c in selectors.complaints(user=request.user, **_complaint_filters(request)).iterator(chunk_size=500))
    content = xlsx_bytes(sheet="投诉建议", headers=[
        "受理编号", "类别", "渠道", "助餐点", "承办区县", "受理日期", "办理状态", "答复期限", "答复日期", "办结期限",
        "办结日期", "满意度", "提级督办", "联系电话", "内容"], rows=rows)
    audit_export(actor=request.user, what="evaluation.complaints", filters=request.GET, rows=rows.count,
                 ip=client_ip(request))
    return xlsx_response(f"投诉建议-{clock.local_today():%Y%m%d}.xlsx", content)


@requires("evaluation", "view")
def complaint_detail(request, complaint_id: int):
    user = request.user
    c = selectors.complaint_get(user=user, complaint_id=complaint_id)
    return render(request, "evaluation/complaint.html", {
        "c": c, "now": clock.now(),
        "can_assign": c.status == Status.RECEIVED and has_perm(user, "complaint", "assign"),
        "can_answer": c.status == Status.ASSIGNED and has_perm(user, "complaint", "answer"),
        "can_close": c.status == Status.ANSWERED and has_perm(user, "complaint", "close"),
        "canteens": _canteens(user) if has_perm(user, "complaint", "assign") else [],
        "satisfactions": Satisfaction.choices})


@require_POST
@requires("complaint", "assign")
def complaint_assign(request, complaint_id: int):
    run_service(request, lambda: services.complaint_assign(
        actor=request.user, complaint_id=complaint_id, canteen_id=_int(request.POST.get("canteen")),
        note=request.POST.get("note", ""), ip=client_ip(request)), "已转办助餐点")
    return redirect("evaluation:complaint", complaint_id=complaint_id)


@require_POST
@requires("complaint", "answer")
def complaint_answer(request, complaint_id: int):
    run_service(request, lambda: services.complaint_answer(
        actor=request.user, complaint_id=complaint_id, answer=request.POST.get("answer", ""),
        ip=client_ip(request)), "已答复")
    return redirect("evaluation:complaint", complaint_id=complaint_id)


@require_POST
@requires("complaint", "close")
def complaint_close(request, complaint_id: int):
    run_service(request, lambda: services.complaint_close(
        actor=request.user, complaint_id=complaint_id, satisfaction=request.POST.get("satisfaction", ""),
        note=request.POST.get("note", ""), ip=client_ip(request)), "已办结")
    return redirect("evaluation:complaint", complaint_id=complaint_id)


@requires("complaint", "record")
def complaint_new(request):
    """Staff record a complaint or suggestion taken by phone or at a visit."""
    canteens = _canteens(request.user)
    form = {k: request.POST.get(k, "") for k in ("canteen", "kind", "text", "contact_phone", "contact_name")}
    error = None
    if request.method == "POST":
        canteen = canteens.filter(pk=_int(form["canteen"]) or 0).first()
        try:
            complaint = services.complaint_submit(
                channel="staff", canteen=canteen, kind=form["kind"], text=form["text"],
                contact_phone=form["contact_phone"], contact_name=form["contact_name"], actor=request.user,
                ip=client_ip(request))
        except NotFound:
            raise
        except DomainError as exc:
            error = exc.message_zh
        else:
            messages.success(request, f"已登记，受理编号 {complaint.code}")
            return redirect("evaluation:complaint", complaint_id=complaint.pk)
    return render(request, "evaluation/complaint_new.html", {
        "canteens": canteens, "kinds": ComplaintKind.choices, "form": form, "error": error})
