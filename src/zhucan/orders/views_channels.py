"""Ordering for an elder from the console (/orders/channel/…, namespace "orderchannel"):
subdistrict / community staff on a phone call for an elder without a phone (channel "staff"),
canteen staff at the canteen (channel "canteen"). The same steps as the phone page — find the
elder, choose the day, period and dishes, see the service's quote, confirm — ending in
`orders.placing.order_place`; the channel is recorded on the order."""

from __future__ import annotations

from django.db.models import Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from zhucan.accounts.gate import requires
from zhucan.accounts.models import CANTEEN_ROLES
from zhucan.accounts.scoping import restrict
from zhucan.canteens.models import Canteen
from zhucan.core import clock
from zhucan.core.errors import DomainError
from zhucan.core.sealed import mask_name
from zhucan.elders.models import Elder, ElderStatus
from zhucan.elders.selectors import elder_list
from zhucan.orders import channels, handover, placing
from zhucan.orders.models import CoverageArea, Order, OrderChannel, OrderStatus

SEARCH_LIMIT = 20


def _at_canteen(user) -> bool:
    return user.role in CANTEEN_ROLES and not user.is_superuser


def _channel(user) -> str:
    return OrderChannel.CANTEEN if _at_canteen(user) else OrderChannel.STAFF


def _canteen_elders(user):
    """Canteen staff find the elders of the communities their canteen serves (its own and those it
    delivers to); they see masked names."""
    canteen = Canteen.objects.select_related("region").get(pk=user.canteen_id)
    area = CoverageArea.objects.filter(canteen=canteen).first()
    communities = {canteen.region_id} | (set(area.communities.values_list("pk", flat=True)) if area else set())
    return Elder.objects.filter(community_id__in=communities).select_related("community")


def _elders_for(user, q: str):
    if _at_canteen(user):
        if not user.canteen_id or not q:
            return []
        qs = _canteen_elders(user)
        digits = q.replace("*", "")
        cond = Q(name__contains=q)
        if digits.isdigit() and len(digits) >= 4:
            cond |= Q(id_number_masked__contains=digits)
        return list(qs.filter(cond).filter(status=ElderStatus.ACTIVE)[:SEARCH_LIMIT])
    if not q:
        return []
    return list(elder_list(user=user, q=q).filter(status=ElderStatus.ACTIVE)[:SEARCH_LIMIT])


def _elder(user, elder_id: int) -> Elder | None:
    if _at_canteen(user):
        return _canteen_elders(user).filter(pk=elder_id).first() if user.canteen_id else None
    return restrict(Elder.objects.select_related("community__parent__parent"), user, "view").filter(pk=elder_id).first()


def _shown_name(user, elder) -> str:
    return mask_name(elder.name) if _at_canteen(user) else elder.name


@requires("order", "place")
def start(request):
    """Find the elder: a name, the last digits of the ID number, or a whole phone or card number."""
    q = (request.GET.get("q") or "").strip()[:40]
    found = _elders_for(request.user, q)
    return render(request, "orders/channel/start.html", {
        "q": q, "rows": [{"elder": e, "name": _shown_name(request.user, e)} for e in found],
        "at_canteen": _at_canteen(request.user), "recent": _recent(request.user)})


def _recent(user) -> list[Order]:
    rows = list(Order.objects.filter(placed_by_user=user).select_related("elder", "canteen")
                .order_by("-created_at")[:10])
    for order in rows:
        order.shown_name = mask_name(order.elder.name)
    return rows


def _menu_context(user, elder, canteen_id, slot_key) -> dict:
    """Canteen staff order from their own canteen only."""
    only = Canteen.objects.select_related("region").get(pk=user.canteen_id) if _at_canteen(user) else None
    return channels.menu_context(elder, canteen_id, slot_key, only=only)


@requires("order", "place")
@require_http_methods(["GET", "POST"])
def place(request, elder_id: int):
    user = request.user
    elder = _elder(user, elder_id)
    if elder is None:
        return _missing(request)
    ctx = {"elder": elder, "name": _shown_name(user, elder), "error": None, "form": None,
           "channel_label": OrderChannel(_channel(user)).label}
    if request.method == "GET":
        ctx.update(_menu_context(user, elder, channels._int(request.GET.get("canteen")), request.GET.get("slot", "")))
        ctx["key"] = channels.new_key()
        return render(request, "orders/channel/menu.html", ctx)
    try:
        form = channels.read_form(request.POST)
    except DomainError as exc:
        ctx.update(_menu_context(user, elder, channels._int(request.POST.get("canteen")), request.POST.get("slot", "")))
        ctx.update(error=channels.refusal(exc), key=channels.new_key())
        return render(request, "orders/channel/menu.html", ctx, status=400)
    ctx.update(_menu_context(user, elder, form.canteen_id, f"{form.day.isoformat()}_{form.period}"))
    ctx.update(form=form, key=form.idempotency_key, lines=channels.lines_view(form, ctx["slot"]))
    common = {"actor": user, "elder_id": elder.pk, "canteen_id": form.canteen_id, "local_date": form.day,
              "period": form.period, "lines": form.lines, "fulfilment": form.fulfilment, "address": form.address,
              "channel": _channel(user), "community_id": form.community_id}
    try:
        if request.POST.get("action") == "place":
            order = placing.order_place(**common, expected_payable_fen=form.expected_payable_fen,
                                        idempotency_key=form.idempotency_key)
            return redirect(reverse("orderchannel:order", args=[order.pk]) + "?placed=1")
        ctx["quote"] = placing.order_quote(**common)
    except DomainError as exc:
        ctx["error"] = channels.refusal(exc)
        if exc.code == "ORDER_PRICE_CHANGED":
            try:
                ctx["quote"] = placing.order_quote(**common)
                return render(request, "orders/channel/confirm.html", ctx, status=409)
            except DomainError as again:
                ctx["error"] = channels.refusal(again)
        return render(request, "orders/channel/menu.html", ctx, status=channels.refusal_status(exc))
    return render(request, "orders/channel/confirm.html", ctx)


def _missing(request):
    return render(request, "orders/channel/missing.html", status=404)


def _order(user, order_id: int) -> Order | None:
    qs = Order.objects.select_related("elder", "canteen").prefetch_related("lines")
    if _at_canteen(user):
        return qs.filter(pk=order_id, canteen_id=user.canteen_id).first()
    return restrict(qs, user, "view").filter(pk=order_id).first()


@requires("order", "view")
def order_detail(request, order_id: int):
    order = _order(request.user, order_id)
    if order is None:
        return _missing(request)
    return render(request, "orders/channel/order.html", _order_ctx(request, order))


def _order_ctx(request, order, error=None) -> dict:
    placed_here = order.placed_by_user_id == request.user.pk
    return {"order": order, "name": _shown_name(request.user, order.elder), "error": error,
            "day": channels.day_label(order.local_date), "period": channels.period_label(order.period),
            # the code is for the elder: shown to the staff who placed the order on the elder's behalf
            "code": handover.handover_code(order) if placed_here and order.status == OrderStatus.PLACED else "",
            "cancellable": order.status == OrderStatus.PLACED and clock.now() < order.cutoff_at,
            "placed": request.GET.get("placed", "")}


@requires("order", "cancel")
@require_POST
def order_cancel(request, order_id: int):
    order = _order(request.user, order_id)
    if order is None:
        return _missing(request)
    try:
        placing.order_cancel(actor=request.user, order_id=order.pk,
                             reason=(request.POST.get("reason") or "电话取消").strip()[:200])
    except DomainError as exc:
        order.refresh_from_db()
        return render(request, "orders/channel/order.html", _order_ctx(request, order, channels.refusal(exc)),
                      status=exc.http_status if exc.http_status in (400, 403, 409) else 400)
    return redirect("orderchannel:order", order_id=order.pk)
