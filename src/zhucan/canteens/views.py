"""Console views of the canteen registry."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from zhucan.accounts.gate import requires
from zhucan.accounts.permissions import has_perm
from zhucan.accounts.scoping import get_scoped
from zhucan.canteens import selectors, services
from zhucan.canteens.forms import CanteenForm, DishForm, PeriodsForm
from zhucan.canteens.models import CanteenStatus, CanteenType, Dish
from zhucan.core import clock
from zhucan.core.audit import CountedRows, audit_export
from zhucan.core.errors import DomainError
from zhucan.core.http import add_domain_error, client_ip, paginate
from zhucan.core.money import fen_to_yuan
from zhucan.core.xlsx import xlsx_bytes, xlsx_response
from zhucan.regions.models import Level
from zhucan.regions.selectors import region_choices


def _filters(request) -> dict:
    g = request.GET
    region = g.get("region", "")
    return {"q": g.get("q", ""), "region_id": int(region) if region.isdigit() else None,
            "canteen_type": g.get("type", ""), "status": g.get("status", ""), "area": g.get("area", "")}


@requires("canteen", "view")
def canteen_list(request):
    filters = _filters(request)
    page, query = paginate(request, selectors.canteen_list(user=request.user, **filters))
    return render(request, "canteens/list.html", {
        "page": page, "query": query, "filters": filters, "types": CanteenType.choices,
        "statuses": CanteenStatus.choices,
        "regions": region_choices(user=request.user, levels=(Level.DISTRICT, Level.SUBDISTRICT)),
        "can_create": has_perm(request.user, "canteen", "create"),
        "can_export": has_perm(request.user, "canteen", "export"),
    })


@requires("canteen", "export")
def canteen_export(request):
    qs = selectors.canteen_list(user=request.user, action="export", **_filters(request))
    headers = ["名称", "运营主体", "建设类型", "城乡类别", "所在区县", "所在街道/社区", "地址", "座位数",
               "建筑面积（㎡）", "开业日期", "状态", "在售菜品数"]
    rows = CountedRows([c.name, c.operator, c.get_canteen_type_display(), c.get_area_display(),
                        (c.district.name if c.district else ""), c.region.name, c.address, c.seats,
                        float(c.floor_area_m2), c.opening_date, c.get_status_display(), c.dish_count] for c in qs)
    content = xlsx_bytes(sheet="助餐点", headers=headers, rows=rows)
    audit_export(actor=request.user, what="canteen", filters=request.GET, rows=rows.count, ip=client_ip(request))
    return xlsx_response(f"助餐点-{clock.local_today():%Y%m%d}.xlsx", content)


@requires("canteen", "view")
def canteen_detail(request, canteen_id: int):
    canteen = selectors.canteen_get(user=request.user, canteen_id=canteen_id)
    return render(request, "canteens/detail.html", {
        "canteen": canteen, "periods": canteen.periods.all(), "dishes": canteen.dishes.all(),
        "can_change": has_perm(request.user, "canteen", "change"),
    })


@requires("canteen", "create")
def canteen_create(request):
    form = CanteenForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            canteen = services.canteen_create(actor=request.user, values=form.cleaned_data, ip=client_ip(request))
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("已新建助餐点：%(name)s") % {"name": canteen.name})
            return redirect("canteens:detail", canteen_id=canteen.pk)
    return render(request, "canteens/form.html", {"form": form, "creating": True})


@requires("canteen", "change")
def canteen_edit(request, canteen_id: int):
    canteen = selectors.canteen_get(user=request.user, canteen_id=canteen_id, action="change")
    registration = has_perm(request.user, "canteen", "change_registration")
    form = CanteenForm(request.POST or None, instance=canteen, user=request.user, registration=registration)
    if request.method == "POST" and form.is_valid():
        try:
            services.canteen_update(actor=request.user, canteen_id=canteen.pk, values=form.cleaned_data,
                                    ip=client_ip(request))
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("已保存"))
            return redirect("canteens:detail", canteen_id=canteen.pk)
    return render(request, "canteens/form.html", {"form": form, "canteen": canteen, "creating": False})


@requires("canteen", "change")
def canteen_periods(request, canteen_id: int):
    canteen = selectors.canteen_get(user=request.user, canteen_id=canteen_id, action="change")
    initial = {}
    for p in canteen.periods.all():
        initial[f"{p.name}_start"], initial[f"{p.name}_end"] = p.start, p.end
    form = PeriodsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        periods = form.periods()
        if not form.errors:
            try:
                services.canteen_set_periods(actor=request.user, canteen_id=canteen.pk, periods=periods,
                                             ip=client_ip(request))
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, _("供餐时段已更新"))
                return redirect("canteens:detail", canteen_id=canteen.pk)
    return render(request, "canteens/periods.html", {"form": form, "canteen": canteen})


@requires("canteen", "change")
def dish_edit(request, canteen_id: int, dish_id: int | None = None):
    canteen = selectors.canteen_get(user=request.user, canteen_id=canteen_id, action="change")
    dish = None
    initial = {}
    if dish_id is not None:
        dish = get_scoped(Dish.objects.all(), request.user, "change", pk=dish_id, canteen=canteen,
                          what_zh="菜品", what_en="dish")
        initial = {"name": dish.name, "category": dish.category, "price": fen_to_yuan(dish.price_fen),
                   "active": dish.active, "sort_order": dish.sort_order}
    form = DishForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        values = {"name": d["name"], "category": d["category"], "price_fen": d["price"], "active": d["active"],
                  "sort_order": d.get("sort_order") or 0}
        try:
            services.dish_save(actor=request.user, canteen_id=canteen.pk, dish_id=dish_id, values=values,
                               ip=client_ip(request))
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("菜品已保存"))
            return redirect("canteens:detail", canteen_id=canteen.pk)
    return render(request, "canteens/dish_form.html", {"form": form, "canteen": canteen, "dish": dish})

