"""The canteen's order board at /orders/board/: today by period — orders, portions per dish, pickup
vs delivery, routes and couriers, handover at the counter, the production sheet and labels. A
district or city user sees the day's figures per canteen in their area."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.contrib import messages
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhucan.accounts.gate import requires
from zhucan.accounts.permissions import has_perm
from zhucan.accounts.scoping import restrict
from zhucan.canteens.models import Canteen, PeriodName
from zhucan.checkout.models import TenderKind
from zhucan.checkout.receipts_printers import printer_from_url
from zhucan.core import clock
from zhucan.core.audit import audit_export
from zhucan.core.errors import DomainError, NotFound
from zhucan.core.http import run_service
from zhucan.core.pdf import pdf_response
from zhucan.delivery import printing, selectors, services
from zhucan.delivery.models import CourierKind
from zhucan.orders.handover import COUNTER_TENDERS, handover_tender, order_handover
from zhucan.orders.models import HandoverMethod, Order, OrderStatus


def _day_period(request) -> tuple[date, str]:
    raw = request.GET.get("date") or request.POST.get("date") or ""
    try:
        day = date.fromisoformat(raw) if raw else clock.local_today()
    except ValueError:
        day = clock.local_today()
    period = request.GET.get("period") or request.POST.get("period") or ""
    if period not in PeriodName.values:
        period = PeriodName.LUNCH
    return day, period


def _back(day, period):
    response = redirect("delivery:board")
    response["Location"] += f"?date={day.isoformat()}&period={period}"
    return response


def _canteen(request) -> Canteen:
    if request.user.canteen_id is None:
        raise NotFound("助餐点", "canteen")
    return request.user.canteen


@requires("order", "view")
def board(request):
    day, period = _day_period(request)
    if request.user.canteen_id is None:
        rows = (restrict(Canteen.objects.all(), request.user, "view")
                .annotate(total=Count("orders", filter=Q(orders__local_date=day) & ~Q(orders__status="cancelled")),
                          delivered=Count("orders", filter=Q(orders__local_date=day, orders__fulfilment="delivery",
                                                             orders__status=OrderStatus.HANDED_OVER)),
                          failed=Count("orders", filter=Q(orders__local_date=day, orders__status=OrderStatus.FAILED)))
                .filter(total__gt=0).order_by("name"))
        return render(request, "delivery/overview.html", {"day": day, "rows": rows})
    canteen = request.user.canteen
    data = selectors.board(canteen=canteen, local_date=day, period=period)
    return render(request, "delivery/board.html", {
        "b": data, "day": day, "period": period, "periods": PeriodName.choices,
        "period_label": dict(PeriodName.choices)[period], "can_manage": has_perm(request.user, "route", "manage"),
        "kinds": CourierKind.choices, "methods": [(HandoverMethod.HANDOVER_CODE, _("交付码")),
                                                  (HandoverMethod.ELDER_CODE, _("长者码"))],
        "tenders": [(kind, TenderKind(kind).label) for kind in COUNTER_TENDERS],
    })


@require_POST
@requires("route", "manage")
def route_create(request):
    day, period = _day_period(request)
    run_service(request, lambda: services.route_create(
        actor=request.user, canteen_id=_canteen(request).pk, local_date=day, period=period,
        name=request.POST.get("name", ""), courier_id=int(request.POST.get("courier") or 0) or None),
        _("线路已建立"))
    return _back(day, period)


@require_POST
@requires("route", "manage")
def routes_prepare(request):
    day, period = _day_period(request)
    run_service(request, lambda: services.routes_prepare(actor=request.user, canteen_id=_canteen(request).pk,
                                                         local_date=day, period=period), _("已按上次的线路排好"))
    return _back(day, period)


@require_POST
@requires("route", "manage")
def route_courier(request, route_id: int):
    day, period = _day_period(request)
    run_service(request, lambda: services.route_set_courier(
        actor=request.user, route_id=route_id, courier_id=int(request.POST.get("courier") or 0) or None),
        _("送餐员已更换"))
    return _back(day, period)


@require_POST
@requires("route", "manage")
def route_assign(request):
    day, period = _day_period(request)
    try:
        route_id, order_id = int(request.POST.get("route", "")), int(request.POST.get("order", ""))
    except ValueError:
        messages.error(request, _("请选择线路"))
        return _back(day, period)
    run_service(request, lambda: services.route_assign(actor=request.user, route_id=route_id, order_id=order_id),
                _("已排入线路"))
    return _back(day, period)


@require_POST
@requires("route", "manage")
def stop_move(request, stop_id: int):
    day, period = _day_period(request)
    run_service(request, lambda: services.stop_move(actor=request.user, stop_id=stop_id,
                                                    direction=request.POST.get("direction", "")), _("顺序已调整"))
    return _back(day, period)


@require_POST
@requires("route", "manage")
def courier_register(request):
    day, period = _day_period(request)
    run_service(request, lambda: services.courier_register(
        actor=request.user, canteen_id=_canteen(request).pk, name=request.POST.get("name", ""),
        phone=request.POST.get("phone", ""), kind=request.POST.get("kind", "")), _("送餐员已登记"))
    return _back(day, period)


@require_POST
@requires("route", "manage")
def handover(request):
    """Pickup at the counter: the elder shows the handover code or their 长者码 / card and pays the
    order's payable with one of the counter's tenders (a WeChat / Alipay reference optional); an order
    paid online in advance shows no tender choice and carries its online payment."""
    day, period = _day_period(request)
    try:
        order_id = int(request.POST.get("order", ""))
    except ValueError:
        messages.error(request, _("请选择订单"))
        return _back(day, period)
    method = request.POST.get("method", "")
    if method not in (HandoverMethod.HANDOVER_CODE, HandoverMethod.ELDER_CODE):
        method = HandoverMethod.HANDOVER_CODE
    order = Order.objects.filter(pk=order_id, canteen_id=_canteen(request).pk).first()
    if order is None:
        raise NotFound("订单", "order")

    def hand_over():
        # No tender field: the page showed "已在线支付" (or nothing to pay). A tender posted for an
        # order paid online meanwhile is refused by the service, so the cashier takes no money twice.
        kind = request.POST.get("tender")
        tenders = None if kind is None else handover_tender(order, kind=kind,
                                                            reference=request.POST.get("reference", ""))
        return order_handover(actor=request.user, order_id=order.pk, method=method,
                              evidence=request.POST.get("evidence", ""), tenders=tenders)

    run_service(request, hand_over, _("已交付，已记入用餐记录"))
    return _back(day, period)


def _paper(request, kind: str):
    day, period = _day_period(request)
    canteen = _canteen(request)
    label = dict(PeriodName.choices)[period]
    content = (printing.sheet_pdf if kind == "sheet" else printing.labels_pdf)(canteen, day, period, label)
    rows = len(selectors.labels(canteen=canteen, local_date=day, period=period))
    if kind == "sheet":
        audit_export(actor=request.user, what="delivery.sheet", filters={"date": day, "period": period}, rows=rows)
    else:
        audit_export(actor=request.user, what="delivery.labels", filters={"date": day, "period": period}, rows=rows)
    name = "生产单" if kind == "sheet" else "餐盒标签"
    return pdf_response(f"{canteen.name}-{name}-{day.isoformat()}-{label}.pdf", content)


@requires("route", "view")
def sheet_pdf(request):
    return _paper(request, "sheet")


@requires("route", "view")
def labels_pdf(request):
    return _paper(request, "labels")


@require_POST
@requires("route", "view")
def labels_print(request):
    day, period = _day_period(request)
    canteen = _canteen(request)
    try:
        url = getattr(settings, "ZHUCAN_LABEL_PRINTER", "") or settings.ZHUCAN_RECEIPT_PRINTER.replace(
            "{receipt_no}", f"labels-{canteen.pk}-{day.isoformat()}-{period}")
        printing.print_labels(canteen, day, period, dict(PeriodName.choices)[period], printer_from_url(url))
    except DomainError as exc:
        messages.error(request, exc.message_zh)
    else:
        messages.success(request, _("标签已发送到打印机"))
    return _back(day, period)
