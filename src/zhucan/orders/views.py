"""Console pages of ordering ahead: the canteen manager's menus ahead (/orders/menus/), delivery
coverage (/orders/coverage/, the canteen's own or its district's) and the district's supervision of
orders and deliveries (/orders/supervision/, with an xlsx export). Writes go through the services."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhucan.accounts.gate import requires
from zhucan.accounts.models import CANTEEN_ROLES
from zhucan.canteens.models import Dish, PeriodName
from zhucan.core import clock
from zhucan.core.audit import audit_export
from zhucan.core.errors import NotFound
from zhucan.core.http import run_service
from zhucan.core.xlsx import xlsx_bytes, xlsx_response
from zhucan.orders import selectors
from zhucan.orders.coverage import coverage_set, includes_own_community
from zhucan.orders.menus import cutoff_set, menu_copy_last_week, menu_publish
from zhucan.orders.models import CoverageArea
from zhucan.regions.models import Level, Region


def _own_canteen(user):
    if user.canteen_id is None:
        raise NotFound("助餐点", "canteen")
    return user.canteen


def _day(text: str | None, default: date) -> date:
    try:
        return date.fromisoformat(text) if text else default
    except ValueError:
        return default


@requires("order_menu", "manage")
def menus(request):
    canteen = _own_canteen(request.user)
    today = clock.local_today()
    days = selectors.week(canteen, today)
    chosen_day = _day(request.GET.get("day"), today)
    chosen_period = request.GET.get("period") or (days[0].period if days else PeriodName.LUNCH)
    current = next((d for d in days if d.day == chosen_day and d.period == chosen_period), None)
    offered = {o.dish_id: o for o in (current.offers if current else [])}
    dishes = [(d, offered.get(d.pk)) for d in Dish.objects.filter(canteen=canteen, active=True)]
    cutoffs = selectors.cutoffs(canteen)
    return render(request, "orders/menus.html", {
        "canteen": canteen, "days": days, "current": current,
        "dishes": dishes, "chosen_day": chosen_day, "chosen_period": chosen_period,
        "periods": [(p.name, p.get_name_display(), cutoffs.get(p.name)) for p in canteen.periods.order_by("start")],
        "week_start": today - timedelta(days=today.weekday()) + timedelta(days=7),
    })


@require_POST
@requires("order_menu", "manage")
def menus_publish(request):
    canteen = _own_canteen(request.user)
    day = _day(request.POST.get("day"), clock.local_today())
    period = request.POST.get("period", "")
    offers = []
    for dish in Dish.objects.filter(canteen=canteen, active=True):
        if request.POST.get(f"offer_{dish.pk}"):
            raw = (request.POST.get(f"portions_{dish.pk}") or "").strip()
            offers.append((dish.pk, int(raw) if raw.isdigit() else None))
    run_service(request, lambda: menu_publish(actor=request.user, canteen_id=canteen.pk, local_date=day,
                                              period=period, offers=offers),
                _("菜单已发布"))
    return redirect(f"{reverse('orders:menus')}?day={day.isoformat()}&period={period}")


@require_POST
@requires("order_menu", "manage")
def menus_cutoff(request):
    canteen = _own_canteen(request.user)
    period = request.POST.get("period", "")
    try:
        cutoff = datetime.strptime(request.POST.get("cutoff", ""), "%H:%M").time()
    except ValueError:
        cutoff = None
    run_service(request, lambda: cutoff_set(actor=request.user, canteen_id=canteen.pk, period=period,
                                            cutoff=cutoff, delivers=bool(request.POST.get("delivers"))),
                _("截止时间已保存"))
    return redirect("orders:menus")


@require_POST
@requires("order_menu", "manage")
def menus_copy(request):
    canteen = _own_canteen(request.user)
    week_start = _day(request.POST.get("week_start"), clock.local_today())
    run_service(request, lambda: menu_copy_last_week(actor=request.user, canteen_id=canteen.pk,
                                                     week_start=week_start),
                _("已复制上周菜单"))
    return redirect("orders:menus")


@requires("order_coverage", "view")
def coverage(request):
    user = request.user
    canteens = selectors.scoped_canteens(user)
    if user.role in CANTEEN_ROLES and not user.is_superuser:
        chosen = _own_canteen(user)
    else:
        chosen_id = request.GET.get("canteen")
        chosen = canteens.filter(pk=chosen_id).first() if chosen_id and chosen_id.isdigit() else None
        if chosen_id and chosen is None:
            raise NotFound("助餐点", "canteen")
    rows = []
    areas = {a.canteen_id: a for a in CoverageArea.objects.filter(canteen__in=canteens)
             .prefetch_related("communities")}
    for canteen in canteens[:200]:
        area = areas.get(canteen.pk)
        rows.append({"canteen": canteen, "communities": [c.name for c in area.communities.all()] if area else [],
                     "radius_m": area.radius_m if area else None,
                     "own": bool(area) and includes_own_community(canteen, list(area.communities.all()))})
    context = {"rows": rows, "chosen": chosen, "can_manage": False}
    if chosen is not None:
        from zhucan.accounts.permissions import has_perm

        district = chosen.region.ancestor(Level.DISTRICT) or chosen.region
        area = areas.get(chosen.pk)
        context.update({
            "can_manage": has_perm(user, "order_coverage", "manage"),
            "communities": Region.objects.filter(level=Level.COMMUNITY, path__startswith=district.path)
            .select_related("parent").order_by("path"),
            "selected": {c.pk for c in area.communities.all()} if area else set(),
            "radius_m": area.radius_m if area else None,
        })
    return render(request, "orders/coverage.html", context)


@require_POST
@requires("order_coverage", "manage")
def coverage_save(request, canteen_id: int):
    raw = (request.POST.get("radius_m") or "").strip()
    radius = int(raw) if raw.isdigit() else (None if not raw else -1)
    ids = [int(i) for i in request.POST.getlist("communities") if i.isdigit()]
    run_service(request, lambda: coverage_set(actor=request.user, canteen_id=canteen_id,
                                              community_ids=ids, radius_m=radius),
                _("配送范围已保存"))
    return redirect(f"{reverse('orders:coverage')}?canteen={canteen_id}")


def _range(request) -> tuple[date, date, str]:
    today = clock.local_today()
    start = _day(request.GET.get("start"), today - timedelta(days=13))
    end = _day(request.GET.get("end"), today)
    error = ""
    if end < start or (end - start).days > 92:
        start, end, error = today - timedelta(days=13), today, _("统计时段须在92天以内且起始日不晚于结束日")
    return start, end, error


@requires("order", "supervise")
def supervision(request):
    start, end, error = _range(request)
    data = selectors.supervision(request.user, start=start, end=end)
    chart = {"days": [f"{d:%m-%d}" for d, _f in data["days"]],
             "orders": [f.orders for _d, f in data["days"]], "deliveries": [f.deliveries for _d, f in data["days"]],
             "delivered": [f.delivered for _d, f in data["days"]], "failed": [f.failed for _d, f in data["days"]]}
    return render(request, "orders/supervision.html", {
        "data": data, "start": start, "end": end, "error": error, "chart": json.dumps(chart, ensure_ascii=False),
        "query": request.GET.urlencode()})


HEADERS = ["助餐点", "日期", "订单数", "送餐单数", "已送达", "准时送达", "准时率", "未送达", "已取消"]


@requires("order", "export")
def supervision_export(request):
    start, end, _error = _range(request)
    data = selectors.supervision(request.user, start=start, end=end)
    rows = [[entry["name"], day, f.orders, f.deliveries, f.delivered, f.on_time, f.on_time_rate, f.failed,
             f.cancelled] for entry in data["canteens"] for day, f in entry["days"]]
    content = xlsx_bytes(sheet="订餐送餐监管", headers=HEADERS, rows=rows)
    with transaction.atomic():
        audit_export(actor=request.user, what="orders.supervision", rows=len(rows),
                     filters={"start": start.isoformat(), "end": end.isoformat()})
    return xlsx_response(f"订餐送餐监管-{start:%Y%m%d}-{end:%Y%m%d}.xlsx", content)
