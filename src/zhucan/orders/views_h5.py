"""Ordering on the phone page (/h5/orders/…, namespace "h5orders"): the elder orders for themself,
a bound family member for any elder bound to them (代订). The phone page's own session
(elderphone.session) and large type; only elders bound to the account are reachable, any other id
answers 404 like one that does not exist. Every write goes through the orders services
(`orders.placing`, `orders.standing`)."""

from __future__ import annotations

from datetime import date, timedelta
from functools import wraps

from django.conf import settings
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from zhucan.canteens.models import Dish, PeriodName
from zhucan.core import clock
from zhucan.core.errors import DomainError, NotFound
from zhucan.core.http import client_ip
from zhucan.elderphone.models import Relation
from zhucan.elderphone.phones import name_mask
from zhucan.elderphone.selectors import account_bindings, account_elder
from zhucan.elderphone.session import h5_login_required
from zhucan.orders import channels, handover, placing, standing
from zhucan.orders.models import Fulfilment, Order, OrderChannel, OrderStatus, StandingOrder

UPCOMING_DAYS = 7


def _not_found(request):
    return render(request, "elderphone/h5/not_found.html", status=404)


def _bound_elder(view):
    """A page about one elder bound to the signed-in account: the view gets the elder instead of
    its id, and `request.h5_channel`, the ordering channel the binding implies (the elder's own
    phone, or a family member's 代订). Any other id answers 404 like one that does not exist."""

    @wraps(view)
    def page(request, elder_id: int, **kwargs):
        try:
            elder, binding = account_elder(account=request.h5_account, elder_id=elder_id)
        except NotFound:
            return _not_found(request)
        request.h5_channel = (OrderChannel.ELDER_PHONE if binding.relation == Relation.SELF
                              else OrderChannel.FAMILY_PHONE)
        return view(request, elder, **kwargs)

    return page


def _bound_order(view):
    """A page about one order of a bound elder: the view gets the elder and the order; an order of
    another elder answers 404."""

    @_bound_elder
    @wraps(view)
    def page(request, elder, order_id: int, **kwargs):
        order = (Order.objects.filter(pk=order_id, elder=elder).select_related("canteen", "elder")
                 .prefetch_related("lines").first())
        if order is None:
            return _not_found(request)
        return view(request, elder, order, **kwargs)

    return page


def _base(request, elder) -> dict:
    return {"account": request.h5_account, "elder": elder, "masked_name": name_mask(elder.name),
            "several": len(account_bindings(account=request.h5_account)) > 1}


@never_cache
@h5_login_required
def choose(request):
    bindings = account_bindings(account=request.h5_account)
    if len(bindings) == 1:
        return redirect("h5orders:elder", elder_id=bindings[0].elder_id)
    return render(request, "orders/h5/choose.html", {
        "account": request.h5_account,
        "choices": [{"binding": b, "name": b.elder.name} for b in bindings]})


def order_rows(orders) -> list[dict]:
    rows = []
    for order in orders:
        rows.append({"order": order, "day": channels.day_label(order.local_date),
                     "period": channels.period_label(order.period),
                     "code": handover.handover_code(order) if order.status == OrderStatus.PLACED else "",
                     "lines": list(order.lines.all())})
    return rows


@never_cache
@h5_login_required
@_bound_elder
def elder_orders(request, elder):
    today = clock.local_today()
    upcoming = (Order.objects.filter(elder=elder, local_date__gte=today - timedelta(days=1))
                .select_related("canteen").prefetch_related("lines").order_by("local_date", "cutoff_at", "id"))
    standing = StandingOrder.objects.filter(elder=elder, active=True).select_related("canteen")
    return render(request, "orders/h5/elder.html", {
        **_base(request, elder), "rows": order_rows(upcoming),
        "standing": [{"s": s, "summary": standing_summary(s)} for s in standing],
        "done": request.GET.get("done", "")})


def standing_summary(standing: StandingOrder) -> str:
    names = dict(Dish.objects.filter(canteen=standing.canteen).values_list("pk", "name"))
    parts = []
    for day in sorted(standing.weekdays, key=int):
        dishes = "、".join(f"{names.get(d, '—')}×{q}" if q > 1 else names.get(d, "—")
                          for d, q in standing.weekdays[day])
        parts.append(f"{channels.WEEKDAYS_ZH[int(day) - 1]}：{dishes}")
    return "；".join(parts)


@never_cache
@h5_login_required
@require_http_methods(["GET", "POST"])
@_bound_elder
def order_new(request, elder):
    """Step 1 (GET): the canteen, the day and period, the dishes, pickup or delivery. Step 2 (POST
    action=quote): the price, the benefit and the delivery terms from the service, to confirm.
    Step 3 (POST action=place): the order is placed with the amount the person saw."""
    ctx = {**_base(request, elder), "error": None, "form": None,
           "online": bool(getattr(settings, "ZHUCAN_WECHATPAY_MCHID", ""))}
    if request.method == "GET":
        ctx.update(channels.menu_context(elder, channels._int(request.GET.get("canteen")),
                                         request.GET.get("slot", "")))
        ctx["key"] = channels.new_key()
        return render(request, "orders/h5/menu.html", ctx)
    action = request.POST.get("action", "quote")
    try:
        form = channels.read_form(request.POST)
    except DomainError as exc:
        ctx.update(channels.menu_context(elder, channels._int(request.POST.get("canteen")),
                                         request.POST.get("slot", "")))
        ctx.update(error=channels.refusal(exc), key=channels.new_key())
        return render(request, "orders/h5/menu.html", ctx, status=channels.refusal_status(exc))
    ctx.update(channels.menu_context(elder, form.canteen_id, f"{form.day.isoformat()}_{form.period}"))
    ctx.update(form=form, key=form.idempotency_key, lines=channels.lines_view(form, ctx["slot"]))
    common = {"account": request.h5_account, "elder_id": elder.pk, "canteen_id": form.canteen_id,
              "local_date": form.day, "period": form.period, "lines": form.lines, "fulfilment": form.fulfilment,
              "address": form.address, "channel": request.h5_channel, "community_id": form.community_id}
    try:
        if action == "place":
            order = placing.order_place(**common, expected_payable_fen=form.expected_payable_fen,
                                        idempotency_key=form.idempotency_key)
            return redirect(reverse("h5orders:order", args=[elder.pk, order.pk]) + "?placed=1")
        quote = placing.order_quote(**common)
    except DomainError as exc:
        ctx["error"] = channels.refusal(exc)
        if exc.code == "ORDER_PRICE_CHANGED":  # show the new quote to confirm again
            try:
                ctx["quote"] = placing.order_quote(**common)
                return render(request, "orders/h5/confirm.html", ctx, status=409)
            except DomainError as again:
                ctx["error"] = channels.refusal(again)
        return render(request, "orders/h5/menu.html", ctx, status=channels.refusal_status(exc))
    ctx["quote"] = quote
    return render(request, "orders/h5/confirm.html", ctx)


def _payable_online(order: Order) -> bool:
    """An online payment can be started: the deployment has a provider, the order is open, unpaid
    and has something to pay."""
    return bool(getattr(settings, "ZHUCAN_WECHATPAY_MCHID", "")) and order.status == OrderStatus.PLACED \
        and not order.paid_online and order.payable_fen > 0


def _order_page(request, elder, order, *, exc: DomainError | None = None, status: int | None = None):
    """The order's page; after a refused action, with the service's message."""
    if exc is not None and status is None:
        status = channels.refusal_status(exc)
    ctx = {**_base(request, elder), "row": order_rows([order])[0], "order": order,
           "cancellable": order.status == OrderStatus.PLACED and clock.now() < order.cutoff_at,
           "pay_online": _payable_online(order), "placed": request.GET.get("placed", ""),
           "error": channels.refusal(exc) if exc is not None else None}
    return render(request, "orders/h5/order.html", ctx, status=status or 200)


@never_cache
@h5_login_required
@_bound_order
def order_detail(request, elder, order):
    return _order_page(request, elder, order)


@h5_login_required
@require_POST
@_bound_order
def order_pay(request, elder, order):
    """Pay online in advance (WeChat Pay): the payment service prepays the order and the phone goes
    to the provider's page; the order shows 已在线支付 once the provider's callback is verified."""
    from zhucan.payments.services import payment_start

    try:
        answer = payment_start(account=request.h5_account, order_id=order.pk, client_ip=client_ip(request) or "")
    except DomainError as exc:
        return _order_page(request, elder, order, exc=exc, status=409 if exc.http_status == 503 else None)
    if answer.get("h5_url"):
        return redirect(answer["h5_url"])
    return redirect("h5orders:order", elder_id=elder.pk, order_id=order.pk)


@h5_login_required
@require_POST
@_bound_order
def order_cancel(request, elder, order):
    try:
        placing.order_cancel(account=request.h5_account, order_id=order.pk, reason="手机取消")
    except DomainError as exc:
        order.refresh_from_db()
        return _order_page(request, elder, order, exc=exc)
    return redirect("h5orders:order", elder_id=elder.pk, order_id=order.pk)


# ---------------------------------------------------------------------------------------------
# standing orders


@never_cache
@h5_login_required
@require_http_methods(["GET", "POST"])
@_bound_elder
def standing_new(request, elder):
    """"Every weekday lunch, delivered": the canteen, the period, pickup or delivery, and for each
    weekday the dish (or nothing) and how many."""
    choices = channels.canteens_for(elder)
    canteen = channels.choose_canteen(choices, channels._int(request.POST.get("canteen") or request.GET.get("canteen")))
    dishes = list(Dish.objects.filter(canteen=canteen, active=True).order_by("name")) if canteen else []
    periods = [(p.name, channels.period_label(p.name)) for p in (canteen.periods.all() if canteen else [])]
    ctx = {**_base(request, elder), "canteens": choices, "canteen": canteen, "dishes": dishes, "periods": periods,
           "weekdays": list(enumerate(channels.WEEKDAYS_ZH, start=1)), "error": None,
           "values": request.POST if request.method == "POST" else {"period": PeriodName.LUNCH,
                                                                     "fulfilment": Fulfilment.DELIVERY}}
    if request.method == "POST" and request.POST.get("action") == "save" and canteen is not None:
        weekdays = {}
        for number in range(1, 8):
            dish_id = channels._int(request.POST.get(f"dish_{number}"))
            qty = channels._int(request.POST.get(f"qty_{number}"), 1)
            if dish_id:
                weekdays[str(number)] = [[dish_id, qty]]
        try:
            standing.standing_create(account=request.h5_account, elder_id=elder.pk, canteen_id=canteen.pk,
                                     period=request.POST.get("period", ""),
                                     fulfilment=request.POST.get("fulfilment", ""), weekdays=weekdays,
                                     address=(request.POST.get("address") or "").strip())
        except DomainError as exc:
            ctx["error"] = channels.refusal(exc)
            return render(request, "orders/h5/standing.html", ctx, status=channels.refusal_status(exc))
        return redirect(reverse("h5orders:elder", args=[elder.pk]) + "?done=standing")
    return render(request, "orders/h5/standing.html", ctx)


@h5_login_required
@require_POST
@_bound_elder
def standing_change(request, elder, standing_id: int, what: str):
    """pause (until a date) / resume / skip (one day) / stop."""
    if not StandingOrder.objects.filter(pk=standing_id, elder=elder).exists():
        return _not_found(request)
    account = request.h5_account
    try:
        if what == "pause":
            standing.standing_pause(account=account, standing_id=standing_id, until=_date(request.POST.get("until")))
        elif what == "resume":
            standing.standing_pause(account=account, standing_id=standing_id, until=None)
        elif what == "skip":
            standing.standing_skip(account=account, standing_id=standing_id, day=_date(request.POST.get("day")))
        elif what == "stop":
            standing.standing_stop(account=account, standing_id=standing_id)
        else:
            return _not_found(request)
    except DomainError as exc:
        return render(request, "orders/h5/message.html", {**_base(request, elder), "error": channels.refusal(exc)},
                      status=channels.refusal_status(exc))
    return redirect(reverse("h5orders:elder", args=[elder.pk]) + f"?done={what}")


def _date(value) -> date:
    try:
        return date.fromisoformat((value or "").strip())
    except ValueError:
        raise DomainError(code="DATE_REQUIRED", message_zh="请选择日期", message_en="choose a date",
                          field="day") from None
