"""Writes of kitchen and dispatch: couriers, routes, stop order (remembered for the next day), the
courier's pick-up, delivery (through `orders.handover.order_handover`) and failure (`order_fail`),
and the SMS to the family. Each write is one transaction with its audit row."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Max

from zhucan.accounts.permissions import has_perm
from zhucan.accounts.scoping import get_scoped
from zhucan.canteens.models import Canteen
from zhucan.core import clock
from zhucan.core.audit import audit_record
from zhucan.core.errors import NotFound, PermissionDenied
from zhucan.delivery.errors import delivery_error
from zhucan.delivery.models import Courier, CourierCode, CourierKind, Route, Stop, StopMemory, StopStatus
from zhucan.elderphone import sms
from zhucan.elderphone.models import Binding, Relation
from zhucan.elderphone.phones import phone_normalise
from zhucan.orders.handover import COURIER_TENDERS, handover_tender, order_fail, order_handover
from zhucan.orders.models import Fulfilment, HandoverMethod, Order, OrderStatus

log = logging.getLogger("zhucan.delivery")
CODE_TTL = timedelta(minutes=5)


def _canteen(actor, canteen_id: int) -> Canteen:
    if not has_perm(actor, "route", "manage"):
        raise PermissionDenied("安排送餐", "arrange deliveries")
    return get_scoped(Canteen.objects.select_related("region"), actor, "view", what_zh="助餐点",
                      what_en="canteen", pk=canteen_id)


def courier_register(*, actor, canteen_id: int, name: str, phone: str, kind: str = CourierKind.VOLUNTEER) -> Courier:
    canteen = _canteen(actor, canteen_id)
    name = (name or "").strip()[:40]
    if not name:
        raise delivery_error("COURIER_NAME_REQUIRED", field="name")
    phone = phone_normalise(phone)
    with transaction.atomic():
        kind = kind if kind in CourierKind.values else CourierKind.VOLUNTEER
        courier = Courier(canteen=canteen, name=name, kind=kind,
                          created_at=clock.now(), created_by=actor)
        courier.phone = phone
        if Courier.objects.filter(canteen=canteen, phone_index=courier.phone_index).exists():
            raise delivery_error("COURIER_PHONE_TAKEN", field="phone")
        courier.save()
        audit_record(actor=actor, action="delivery.courier_register", obj=courier, region_path=canteen.region.path,
                     after={"name": name, "kind": courier.kind})
    return courier


def _code_hash(courier_id: int, code: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"courier:{courier_id}:{code}".encode(), hashlib.sha256).hexdigest()


def courier_send_code(*, phone: str) -> None:
    """Send a login code to every active courier registered with this phone. An unknown number
    gets nothing and the same answer (no probing who is a courier)."""
    try:
        phone = phone_normalise(phone)
    except Exception:
        return
    from zhucan.core.sealed import phone_index
    from zhucan.delivery.models import PHONE_CONTEXT
    couriers = list(Courier.objects.filter(phone_index=phone_index(phone, purpose=PHONE_CONTEXT), active=True))
    if not couriers:
        return
    code = f"{secrets.randbelow(1_000_000):06d}"
    now = clock.now()
    for courier in couriers:
        CourierCode.objects.create(courier=courier, code_hash=_code_hash(courier.pk, code), expires_at=now + CODE_TTL)
    sms.get_backend().send(phone, "COURIER_LOGIN", {"code": code})


def courier_login(*, phone: str, code: str) -> Courier:
    """The courier this phone and code identify (the newest unused, unexpired code)."""
    from zhucan.core.sealed import phone_index
    from zhucan.delivery.models import PHONE_CONTEXT
    try:
        phone = phone_normalise(phone)
    except Exception:
        raise delivery_error("COURIER_CODE_WRONG", field="code") from None
    now = clock.now()
    with transaction.atomic():
        rows = (CourierCode.objects.select_for_update().select_related("courier__canteen__region")
                .filter(courier__phone_index=phone_index(phone, purpose=PHONE_CONTEXT), courier__active=True,
                        used_at__isnull=True, expires_at__gt=now).order_by("-id"))
        for row in rows:
            given = _code_hash(row.courier_id, (code or "").strip())
            if row.attempts < 5 and hmac.compare_digest(row.code_hash, given):
                row.used_at = now
                row.save(update_fields=["used_at"])
                audit_record(actor=None, action="delivery.courier_login", obj=row.courier,
                             region_path=row.courier.canteen.region.path)
                return row.courier
            row.attempts += 1
            row.save(update_fields=["attempts"])
    raise delivery_error("COURIER_CODE_WRONG", field="code")


def route_create(*, actor, canteen_id: int, local_date, period: str, name: str, courier_id: int | None = None) -> Route:
    canteen = _canteen(actor, canteen_id)
    name = (name or "").strip()[:40]
    if not name:
        raise delivery_error("ROUTE_NAME_REQUIRED", field="name")
    courier = None
    if courier_id:
        courier = Courier.objects.filter(pk=courier_id, active=True).first()
        if courier is None or courier.canteen_id != canteen.pk:
            raise delivery_error("COURIER_OTHER_CANTEEN", field="courier")
    with transaction.atomic():
        if Route.objects.filter(canteen=canteen, local_date=local_date, period=period, name=name).exists():
            raise delivery_error("ROUTE_NAME_TAKEN", field="name", name=name)
        route = Route.objects.create(canteen=canteen, local_date=local_date, period=period, name=name,
                                     courier=courier, created_at=clock.now())
        audit_record(actor=actor, action="delivery.route_create", obj=route, region_path=canteen.region.path,
                     after={"name": name, "date": str(local_date), "period": period,
                            "courier": courier.name if courier else None})
    return route


def _route_for(actor, route_id: int) -> Route:
    """A route of the actor's own canteen; another canteen's answers exactly as a missing one."""
    if not has_perm(actor, "route", "manage"):
        raise PermissionDenied("安排送餐", "arrange deliveries")
    route = Route.objects.select_related("canteen__region").filter(pk=route_id).first()
    if route is None or not (actor.is_superuser or route.canteen_id == actor.canteen_id):
        raise NotFound("线路", "route")
    return route


def route_set_courier(*, actor, route_id: int, courier_id: int | None) -> Route:
    route = _route_for(actor, route_id)
    courier = None
    if courier_id:
        courier = Courier.objects.filter(pk=courier_id, active=True).first()
        if courier is None or courier.canteen_id != route.canteen_id:
            raise delivery_error("COURIER_OTHER_CANTEEN", field="courier")
    with transaction.atomic():
        before = route.courier.name if route.courier_id else None
        route.courier = courier
        route.save(update_fields=["courier"])
        audit_record(actor=actor, action="delivery.route_courier", obj=route, region_path=route.canteen.region.path,
                     before={"courier": before}, after={"courier": courier.name if courier else None})
    return route


def _remember(route: Route) -> None:
    for stop in route.stops.select_related("order"):
        StopMemory.objects.update_or_create(canteen_id=route.canteen_id, period=route.period, route_name=route.name,
                                            elder_id=stop.order.elder_id, defaults={"seq": stop.seq})


def _renumber(route: Route) -> None:
    for i, stop in enumerate(route.stops.order_by("seq", "id"), start=1):
        if stop.seq != i:
            Stop.objects.filter(pk=stop.pk).update(seq=i)


def route_assign(*, actor, route_id: int, order_id: int) -> Stop:
    """Put a delivery order on a route (moving it from another route of the same period). Its place
    is the one this elder had last time on a route of that name, else the end."""
    route = _route_for(actor, route_id)
    with transaction.atomic():
        order = Order.objects.select_for_update().filter(pk=order_id).first()
        if order is None or order.canteen_id != route.canteen_id:
            raise NotFound("订单", "order")
        if order.fulfilment != Fulfilment.DELIVERY:
            raise delivery_error("ROUTE_NOT_DELIVERY")
        if (order.local_date, order.period) != (route.local_date, route.period):
            raise delivery_error("ROUTE_ORDER_OTHER_DAY")
        if order.status != OrderStatus.PLACED:
            raise delivery_error("ROUTE_ORDER_CLOSED", state=order.get_status_display(), state_en=order.status)
        old = Stop.objects.filter(order=order).select_related("route").first()
        if old is not None:
            old_route = old.route
            old.delete()
            _renumber(old_route)
        memory = StopMemory.objects.filter(canteen_id=route.canteen_id, period=route.period, route_name=route.name,
                                           elder_id=order.elder_id).first()
        last = route.stops.aggregate(m=Max("seq"))["m"] or 0
        if memory is not None and memory.seq <= last:
            # insert before the first stop whose remembered place is later
            placed = {m.elder_id: m.seq for m in StopMemory.objects.filter(
                canteen_id=route.canteen_id, period=route.period, route_name=route.name)}
            seq = last + 1
            for stop in route.stops.select_related("order").order_by("seq"):
                if placed.get(stop.order.elder_id, 10**6) > memory.seq:
                    seq = stop.seq
                    break
            route.stops.filter(seq__gte=seq).update(seq=F("seq") + 1)
        else:
            seq = last + 1
        stop = Stop.objects.create(route=route, order=order, seq=seq, updated_at=clock.now())
        audit_record(actor=actor, action="delivery.route_assign", obj=route, region_path=route.canteen.region.path,
                     after={"order": order.pk, "seq": seq})
    return stop


def stop_move(*, actor, stop_id: int, direction: str) -> Stop:
    """Move a stop up or down its route; the new order is remembered for the next day."""
    stop = Stop.objects.select_related("route__canteen__region").filter(pk=stop_id).first()
    route = _route_for(actor, stop.route_id if stop else 0)
    with transaction.atomic():
        _renumber(route)
        stop.refresh_from_db()
        other_seq = stop.seq - 1 if direction == "up" else stop.seq + 1
        other = route.stops.filter(seq=other_seq).first()
        if other is not None:
            Stop.objects.filter(pk=other.pk).update(seq=stop.seq)
            Stop.objects.filter(pk=stop.pk).update(seq=other_seq)
        _remember(route)
        audit_record(actor=actor, action="delivery.stop_move", obj=route, region_path=route.canteen.region.path,
                     after={"stop": stop.pk, "direction": direction})
    stop.refresh_from_db()
    return stop


def routes_prepare(*, actor, canteen_id: int, local_date, period: str) -> int:
    """Default routes for a period: yesterday's route names and couriers, each delivery order on the
    route this elder was on before (in the remembered order). Returns the orders placed on routes."""
    canteen = _canteen(actor, canteen_id)
    names = (StopMemory.objects.filter(canteen=canteen, period=period)
             .values_list("route_name", flat=True).distinct())
    placed = 0
    for name in names:
        route = Route.objects.filter(canteen=canteen, local_date=local_date, period=period, name=name).first()
        if route is None:
            previous = Route.objects.filter(canteen=canteen, period=period, name=name,
                                            local_date__lt=local_date).order_by("-local_date").first()
            route = route_create(actor=actor, canteen_id=canteen.pk, local_date=local_date, period=period, name=name,
                                 courier_id=previous.courier_id if previous else None)
        elders = set(StopMemory.objects.filter(canteen=canteen, period=period, route_name=name)
                     .values_list("elder_id", flat=True))
        waiting = Order.objects.filter(canteen=canteen, local_date=local_date, period=period, elder_id__in=elders,
                                       fulfilment=Fulfilment.DELIVERY, status=OrderStatus.PLACED, stop__isnull=True)
        for order in waiting:
            route_assign(actor=actor, route_id=route.pk, order_id=order.pk)
            placed += 1
    return placed


# ------------------------------------------------------------------------------------------------
# the courier


def _courier_stop(courier: Courier, stop_id: int) -> Stop:
    stop = (Stop.objects.select_related("route", "order__elder", "order__canteen__region")
            .filter(pk=stop_id).first())
    if stop is None:
        raise NotFound("站点", "stop")
    if stop.order.canteen_id != courier.canteen_id:
        raise delivery_error("COURIER_WRONG_CANTEEN")
    if stop.route.courier_id != courier.pk or stop.route.local_date != clock.local_today():
        raise delivery_error("COURIER_NOT_ASSIGNED")
    return stop


def courier_reveal_phone(*, courier: Courier, stop_id: int) -> str:
    """The elder's whole phone number, for the courier assigned today only; every look is audited."""
    stop = _courier_stop(courier, stop_id)
    elder = stop.order.elder
    audit_record(actor=None, action="delivery.reveal_phone", obj=elder, region_path=elder.community.path,
                 after={"courier": courier.pk, "courier_name": courier.name, "stop": stop.pk}, note="送餐员拨打电话")
    return elder.phone


def _open(stop: Stop) -> None:
    if stop.status in (StopStatus.DELIVERED, StopStatus.FAILED):
        raise delivery_error("STOP_DONE", state=stop.get_status_display().removeprefix("已"), state_en=stop.status)


def courier_pickup(*, courier: Courier, stop_id: int) -> Stop:
    stop = _courier_stop(courier, stop_id)
    _open(stop)
    with transaction.atomic():
        Stop.objects.filter(pk=stop.pk).update(status=StopStatus.PICKED_UP, updated_at=clock.now())
        audit_record(actor=None, action="delivery.pickup", obj=stop.order, region_path=stop.order.canteen.region.path,
                     after={"courier": courier.pk})
    stop.refresh_from_db()
    return stop


def _family_phones(elder_id: int) -> list[str]:
    bindings = (Binding.objects.select_related("account").filter(elder_id=elder_id, revoked_at__isnull=True)
                .exclude(relation=Relation.SELF))
    return sorted({b.account.phone for b in bindings if b.account.phone})


def _notify(template: str, stop: Stop, **params) -> int:
    order = stop.order
    base = {"elder": order.elder.name[:1] + "老人", "period": order.get_period_display(),
            "canteen": order.canteen.name}
    sent = 0
    for phone in _family_phones(order.elder_id):
        try:
            sms.get_backend().send(phone, template, {**base, **params})
            sent += 1
        except sms.SmsSendError:
            log.warning("delivery SMS to family of order %s failed", order.pk)
    return sent


def courier_deliver(*, courier: Courier, stop_id: int, method: str, evidence: str = "", photo=None,
                    tender: str | None = None) -> Stop:
    """Confirm the delivery with the elder's 长者码 (scanned or typed), the 6-digit handover code, or
    a photo; the meal enters the ledger (order_handover) with how the elder paid at the door
    (`tender`: cash, wechat or alipay; None: cash, or the online payment of an order paid in advance)
    and the family gets an SMS."""
    stop = _courier_stop(courier, stop_id)
    _open(stop)
    tenders = None if tender is None else handover_tender(stop.order, kind=tender, allowed=COURIER_TENDERS)
    if method == HandoverMethod.PHOTO:
        if photo is None:
            raise delivery_error("STOP_PHOTO_REQUIRED", field="photo")
        stop.photo.save(f"stop-{stop.pk}.jpg", photo, save=False)
        evidence = stop.photo.name
    elif method not in (HandoverMethod.ELDER_CODE, HandoverMethod.HANDOVER_CODE):
        from zhucan.orders.errors import order_error
        raise order_error("HANDOVER_METHOD_INVALID", field="method")
    order_handover(courier=courier, order_id=stop.order_id, method=method, evidence=evidence, tenders=tenders)
    now = clock.now()
    Stop.objects.filter(pk=stop.pk).update(status=StopStatus.DELIVERED, updated_at=now,
                                           photo=stop.photo.name if method == HandoverMethod.PHOTO else "")
    stop.refresh_from_db()
    _notify("DELIVERY_DONE", stop, time=f"{now.astimezone(clock.LOCAL_TZ):%H:%M}")
    return stop


def courier_fail(*, courier: Courier, stop_id: int, reason: str) -> Stop:
    stop = _courier_stop(courier, stop_id)
    _open(stop)
    order = order_fail(courier=courier, order_id=stop.order_id, reason=reason)
    Stop.objects.filter(pk=stop.pk).update(status=StopStatus.FAILED, reason=order.fail_reason, updated_at=clock.now())
    stop.refresh_from_db()
    _notify("DELIVERY_FAILED", stop, reason=order.fail_reason)
    return stop
