"""The courier phone page at /courier/: log in with phone number and SMS code (staff and volunteers
alike: no password to remember), today's stops in the canteen's order, per stop the address, a
call button (the whole number only for the assigned courier on the day, audited), diet notes,
picked up / delivered (长者码 scan or typed, handover code, or photo; how the elder paid: cash,
WeChat or Alipay, or "已在线支付") / could not deliver."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhucan.checkout.models import TenderKind
from zhucan.core.errors import DomainError
from zhucan.delivery import selectors, services
from zhucan.delivery.models import Courier
from zhucan.orders.handover import COURIER_TENDERS

SESSION_KEY = "zhucan_courier_id"


def _courier(request) -> Courier | None:
    cid = request.session.get(SESSION_KEY)
    return Courier.objects.select_related("canteen").filter(pk=cid, active=True).first() if cid else None


def login(request):
    phone = request.POST.get("phone", "")
    if request.method == "POST":
        if request.POST.get("step") == "send":
            services.courier_send_code(phone=phone)
            messages.info(request, _("如该号码已登记为送餐员，验证码已发送"))
            return render(request, "delivery/courier_login.html", {"phone": phone, "sent": True})
        try:
            courier = services.courier_login(phone=phone, code=request.POST.get("code", ""))
        except DomainError as exc:
            messages.error(request, exc.message_zh)
            return render(request, "delivery/courier_login.html", {"phone": phone, "sent": True})
        request.session.cycle_key()
        request.session[SESSION_KEY] = courier.pk
        return redirect("courier:route")
    return render(request, "delivery/courier_login.html", {"phone": "", "sent": False})


@require_POST
def logout(request):
    request.session.pop(SESSION_KEY, None)
    return redirect("courier:login")


def route(request):
    courier = _courier(request)
    if courier is None:
        return redirect("courier:login")
    return render(request, "delivery/courier_route.html", {
        "courier": courier, "stops": selectors.courier_stops(courier),
        "tenders": [(kind, TenderKind(kind).label) for kind in COURIER_TENDERS]})


def _act(request, stop_id: int, call, success: str):
    courier = _courier(request)
    if courier is None:
        return redirect("courier:login")
    try:
        call(courier)
    except DomainError as exc:
        messages.error(request, exc.message_zh)
    else:
        messages.success(request, success)
    return redirect("courier:route")


@require_POST
def pickup(request, stop_id: int):
    return _act(request, stop_id, lambda c: services.courier_pickup(courier=c, stop_id=stop_id), _("已取餐"))


@require_POST
def deliver(request, stop_id: int):
    method = request.POST.get("method", "")
    return _act(request, stop_id, lambda c: services.courier_deliver(
        courier=c, stop_id=stop_id, method=method, evidence=request.POST.get("evidence", ""),
        photo=request.FILES.get("photo"), tender=request.POST.get("tender")), _("已送达，已通知家属"))


@require_POST
def fail(request, stop_id: int):
    return _act(request, stop_id, lambda c: services.courier_fail(
        courier=c, stop_id=stop_id, reason=request.POST.get("reason", "")), _("已记录未送达，已通知家属"))


@require_POST
def phone(request, stop_id: int):
    courier = _courier(request)
    if courier is None:
        return redirect("courier:login")
    try:
        number = services.courier_reveal_phone(courier=courier, stop_id=stop_id)
    except DomainError as exc:
        messages.error(request, exc.message_zh)
        return redirect("courier:route")
    return render(request, "delivery/courier_call.html", {"number": number})
