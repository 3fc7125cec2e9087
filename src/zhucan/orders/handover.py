"""After placing (issue 17 items 3, 6, 8): the handover code, the handover that writes the meal to
the ledger with how it was paid (the counter's tenders, the courier's, or the online payment made in
advance), a failed delivery, and the expiry of orders never handed over."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy

from zhucan.accounts.models import CANTEEN_ROLES
from zhucan.checkout import reservations
from zhucan.checkout.errors import checkout_error
from zhucan.checkout.models import Channel, IdentifiedBy, Meal, TenderKind
from zhucan.checkout.services import TenderIn
from zhucan.core import clock
from zhucan.core.audit import audit_record
from zhucan.core.errors import NotFound
from zhucan.orders.common import order_state
from zhucan.orders.errors import order_error
from zhucan.orders.models import Fulfilment, HandoverMethod, Order, OrderStatus

# The payments app registers `payments.services.online_tender` here from its AppConfig.ready(): at
# handover, the tender of an order paid online in advance (None when it is paid at handover).
ONLINE_TENDER_SOURCES: list = []

# What the counter takes at a pickup (as on the cashier page) and what a courier records at the door.
COUNTER_TENDERS = (TenderKind.CASH, TenderKind.CARD, TenderKind.WECHAT, TenderKind.ALIPAY)
COURIER_TENDERS = (TenderKind.CASH, TenderKind.WECHAT, TenderKind.ALIPAY)
ONLINE_PREFIX = "online:"  # the reference of an online payment's tender (payments.services.online_tender)


def register_online_tender(fn) -> None:
    """fn(order) -> TenderIn | None, read inside the handover's lock on the order."""
    if fn not in ONLINE_TENDER_SOURCES:
        ONLINE_TENDER_SOURCES.append(fn)


def handover_tender(order: Order, *, kind: str, reference: str = "", allowed=COUNTER_TENDERS) -> list[TenderIn]:
    """One tender of `kind` for the order's whole payable (what a page records at handover); none
    when nothing is payable. An unknown kind → HANDOVER_TENDER_INVALID."""
    if kind not in allowed:
        raise order_error("HANDOVER_TENDER_INVALID", field="tender")
    reference = (reference or "").strip()[:64] if kind in (TenderKind.WECHAT, TenderKind.ALIPAY) else ""
    return [TenderIn(kind, order.payable_fen, reference)] if order.payable_fen else []


def _tenders_at_handover(order: Order, tenders: list[TenderIn] | None) -> list[TenderIn] | None:
    """An order paid online carries its online tender, whatever the channel, and refuses any other;
    otherwise the tenders given (None: cash for the payable), checked against the payable by the
    ledger (TENDER_MISMATCH, INPUT_INVALID). An online payment's reference cannot be typed in."""
    online = next((t for t in (fn(order) for fn in ONLINE_TENDER_SOURCES) if t is not None), None)
    if online is not None:
        if tenders and [(t.kind, t.amount_fen, t.reference) for t in tenders] != [
                (online.kind, online.amount_fen, online.reference)]:
            raise order_error("ORDER_PAID_ONLINE", field="tenders")
        return [online]
    if tenders and any(str(t.reference or "").startswith(ONLINE_PREFIX) for t in tenders):
        raise checkout_error("INPUT_INVALID", field="tenders", detail="tender")
    return tenders


def handover_code(order: Order) -> str:
    """The order's 6-digit handover code, derived (never stored): shown only to the elder and family."""
    # In UTC, as the database gives it back: the same code from the placed order and a reloaded one.
    created = order.created_at.astimezone(UTC).isoformat()
    digest = hmac.new(settings.SECRET_KEY.encode(), f"order-handover:{order.pk}:{created}".encode(),
                      hashlib.sha256).digest()
    return f"{int.from_bytes(digest[:8], 'big') % 1_000_000:06d}"


def code_hash(order: Order, code: str) -> str:
    return hashlib.sha256(f"{order.pk}:{code}".encode()).hexdigest()


def order_handover(*, actor=None, courier=None, order_id: int, method: str, evidence: str = "",
                   tenders: list[TenderIn] | None = None) -> Meal:
    """The meal is handed over (picked up at the counter or delivered): it enters the ledger with
    the reservation's benefit. method: "counter", "elder_code" (the scanned 长者码 in `evidence`),
    "handover_code" (the 6 digits in `evidence`), "photo" (the photo's reference in `evidence`).
    `tenders`: how the payable was paid at handover (None: cash); an order paid online in advance
    carries its online tender instead and refuses any other (ORDER_PAID_ONLINE). A second handover
    returns the same meal."""
    if method not in HandoverMethod.values:
        raise order_error("HANDOVER_METHOD_INVALID", field="method")
    order = Order.objects.select_related("canteen__region", "elder").filter(pk=order_id).first()
    if order is None:
        raise NotFound("订单", "order")
    canteen_id = getattr(courier, "canteen_id", None) if courier is not None else None
    if actor is not None and not actor.is_superuser:
        if actor.role in CANTEEN_ROLES:
            canteen_id = actor.canteen_id
        else:
            raise order_error("ORDER_WRONG_CANTEEN")
    if canteen_id is not None and canteen_id != order.canteen_id:
        raise order_error("ORDER_WRONG_CANTEEN")
    if order.status == OrderStatus.HANDED_OVER:
        return order.meal
    if order.status != OrderStatus.PLACED:
        raise order_error("ORDER_NOT_OPEN", state=order_state(order)[0], state_en=order.status)
    if clock.local_today() != order.local_date:
        raise order_error("ORDER_HANDOVER_EARLY", date=order.local_date.isoformat())
    evidence = (evidence or "").strip()
    identified_by = IdentifiedBy.ELDER_ID
    if method == HandoverMethod.HANDOVER_CODE:
        if not hmac.compare_digest(code_hash(order, evidence), order.handover_code_hash):
            raise order_error("HANDOVER_CODE_WRONG", field="evidence")
    elif method == HandoverMethod.ELDER_CODE:
        if not evidence:
            raise order_error("HANDOVER_EVIDENCE_REQUIRED", field="evidence")
        from zhucan.identity.identification import identify_typed

        identified = identify_typed(value=evidence, canteen=order.canteen)
        if identified.elder.pk != order.elder_id:
            raise order_error("HANDOVER_ELDER_CODE_WRONG", field="evidence")
        identified_by = identified.identified_by
    elif method == HandoverMethod.PHOTO:
        if not evidence:
            raise order_error("HANDOVER_EVIDENCE_REQUIRED", field="evidence")
    channel = Channel.DELIVERY if order.fulfilment == Fulfilment.DELIVERY else Channel.PICKUP
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        if locked.status == OrderStatus.HANDED_OVER:
            return locked.meal
        if locked.status != OrderStatus.PLACED:
            raise order_error("ORDER_NOT_OPEN", state=order_state(locked)[0], state_en=locked.status)
        paid = _tenders_at_handover(locked, tenders)
        meal = reservations.reservation_handover(
            source=order.reservation_source, channel=channel, tenders=paid, identified_by=identified_by,
            cashier=actor, idempotency_key=f"order-{order.pk}-handover")
        Order.objects.filter(pk=order.pk).update(status=OrderStatus.HANDED_OVER, meal=meal, handed_over_at=clock.now(),
                                                 handover_method=method, handover_evidence=evidence[:200])
        audit_record(actor=actor, action="orders.handover", obj=order, region_path=order.canteen.region.path,
                     after={"method": method, "meal": meal.pk, "courier": getattr(courier, "pk", None),
                            "tenders": [t.kind for t in paid or []] or None})
    return meal


# What proved a handover, as the live feed shows it after 送餐上门 / 到店自提 (checkout.feed_labels); a
# handover at the counter or by the elder's code shows what the ledger recorded.
FEED_PROOF_LABELS = {HandoverMethod.HANDOVER_CODE: gettext_lazy("交付码"), HandoverMethod.PHOTO: gettext_lazy("拍照")}


def handover_proofs(meal_ids: list[int]) -> dict[int, str]:
    """{meal id: proof label} for the orders handed over as these meals by code or photo (one query)."""
    rows = (Order.objects.filter(meal_id__in=meal_ids, handover_method__in=list(FEED_PROOF_LABELS))
            .values_list("meal_id", "handover_method"))
    return {meal_id: str(FEED_PROOF_LABELS[method]) for meal_id, method in rows}


def order_fail(*, courier=None, actor=None, order_id: int, reason: str) -> Order:
    """Could not deliver: the order fails, its reservation is released (the portions were cooked)."""
    if not (reason or "").strip():
        raise order_error("ORDER_FAIL_REASON_REQUIRED", field="reason")
    order = Order.objects.select_related("canteen__region").filter(pk=order_id).first()
    if order is None:
        raise NotFound("订单", "order")
    canteen_id = getattr(courier, "canteen_id", None)
    if actor is not None and not actor.is_superuser and actor.role in CANTEEN_ROLES:
        canteen_id = actor.canteen_id
    if canteen_id is not None and canteen_id != order.canteen_id:
        raise order_error("ORDER_WRONG_CANTEEN")
    with transaction.atomic():
        order = Order.objects.select_for_update().select_related("canteen__region").get(pk=order.pk)
        if order.status == OrderStatus.FAILED:
            return order
        if order.status != OrderStatus.PLACED:
            raise order_error("ORDER_NOT_OPEN", state=order_state(order)[0], state_en=order.status)
        reservations.reservation_release(source=order.reservation_source, reason="failed")
        order.status, order.failed_at, order.fail_reason = OrderStatus.FAILED, clock.now(), reason.strip()[:200]
        order.save(update_fields=["status", "failed_at", "fail_reason"])
        audit_record(actor=actor, action="orders.fail", obj=order, region_path=order.canteen.region.path,
                     after={"reason": order.fail_reason, "courier": getattr(courier, "pk", None)})
    return order


def orders_expire(*, now: datetime | None = None) -> int:
    """Orders never handed over by the end of their period expire and release their reservation."""
    now = now or clock.now()
    count = 0
    due = Order.objects.filter(status=OrderStatus.PLACED, period_end_at__lte=now).values_list("pk", flat=True)
    for order_id in list(due):
        with transaction.atomic():
            order = Order.objects.select_for_update().get(pk=order_id)
            if order.status != OrderStatus.PLACED:
                continue
            reservations.reservation_release(source=order.reservation_source, reason="expired")
            Order.objects.filter(pk=order.pk).update(status=OrderStatus.EXPIRED)
            count += 1
    return count
