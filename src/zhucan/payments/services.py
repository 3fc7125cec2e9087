"""Online payment of an order in advance by a family member (WeChat Pay v3), callbacks, refunds on
cancellation, the daily reconciliation, and the tender an online-paid order carries at handover.
A payment that succeeds only after its order was closed (paid at handover instead, cancelled,
failed, expired) is refunded when its callback arrives: one meal is never paid twice.

Writes are keyword-only; each leaves its audit row in the same transaction. The provider is reached
outside any lock that other work waits on (prepay), or inside the caller's transaction where the
refund must stand or fall with the cancellation (the refund number is derived from the order, so a
retried cancellation asks the provider for the same refund and is not paid twice)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from datetime import time as dt_time

from django.conf import settings
from django.db import IntegrityError, transaction

from zhucan.checkout.services import TenderIn
from zhucan.core import clock
from zhucan.core.audit import audit_record
from zhucan.core.money import fen_to_yuan
from zhucan.elderphone.models import Binding
from zhucan.orders.models import Order, OrderStatus
from zhucan.payments.errors import payment_error
from zhucan.payments.models import (
    CallbackSeen,
    MismatchKind,
    Payment,
    PaymentStatus,
    Reconciliation,
    ReconciliationItem,
    Refund,
    RefundStatus,
)
from zhucan.payments.provider import PaymentProvider, get_provider

CALLBACK_MAX_AGE_S = 300  # a notification signed longer ago than this is refused as a replay

# Why a payment that succeeds after its order was closed is refunded (the refund's reason, ≤ 80 chars).
LATE_REFUND_REASONS = {
    OrderStatus.HANDED_OVER: "交付时已当面付款",
    OrderStatus.CANCELLED: "订单已取消",
    OrderStatus.FAILED: "未能送达",
    OrderStatus.EXPIRED: "订单已过期",
}


def out_trade_no_for(order: Order) -> str:
    return f"{settings.ZHUCAN_WECHATPAY_TRADE_PREFIX}{order.pk:012d}"


def _description(order: Order) -> str:
    return f"{order.canteen.name} {order.local_date:%m-%d} {order.get_period_display()}订餐"[:127]


def payment_start(*, account, order_id: int, payer_openid: str = "", client_ip: str = "",
                  provider: PaymentProvider | None = None) -> dict:
    """Prepay an order placed by (or for the elder bound to) this family phone account. Returns what
    the phone page needs to open WeChat Pay: {"out_trade_no", "amount_fen", "h5_url" | "prepay_id"}."""
    order = Order.objects.select_related("canteen__region").filter(pk=order_id).first()
    if order is None or account is None or not (
            order.placed_by_account_id == account.pk
            or Binding.objects.filter(account=account, elder_id=order.elder_id, revoked_at__isnull=True).exists()):
        raise payment_error("PAYMENT_ORDER_NOT_FOUND")
    provider = provider or get_provider()
    now = clock.now()
    with transaction.atomic():
        order = Order.objects.select_for_update().select_related("canteen__region").get(pk=order.pk)
        if order.status != OrderStatus.PLACED:
            raise payment_error("PAYMENT_ORDER_NOT_PAYABLE", status=order.get_status_display())
        if order.payable_fen <= 0:
            raise payment_error("PAYMENT_NOTHING_TO_PAY")
        payment = Payment.objects.select_for_update().filter(order=order).first()
        if payment is None:
            payment = Payment.objects.create(order=order, out_trade_no=out_trade_no_for(order), canteen=order.canteen,
                                             amount_fen=order.payable_fen, description=_description(order),
                                             created_at=now, updated_at=now)
            audit_record(actor=None, action="payments.start", obj=payment, region_path=order.canteen.region.path,
                         after={"order": order.pk, "amount_fen": payment.amount_fen, "account": account.pk})
        elif payment.status == PaymentStatus.PAID or order.paid_online:
            raise payment_error("PAYMENT_ALREADY_PAID")
        elif payment.amount_fen != order.payable_fen:
            raise payment_error("PAYMENT_AMOUNT_MISMATCH", paid=fen_to_yuan(payment.amount_fen),
                                due=fen_to_yuan(order.payable_fen))
    answer = provider.prepay(out_trade_no=payment.out_trade_no, amount_fen=payment.amount_fen,
                             description=payment.description, payer_openid=payer_openid, client_ip=client_ip)
    Payment.objects.filter(pk=payment.pk).update(prepay_id=str(answer.get("prepay_id", ""))[:64],
                                                 h5_url=str(answer.get("h5_url", ""))[:512], updated_at=clock.now())
    return {"out_trade_no": payment.out_trade_no, "amount_fen": payment.amount_fen,
            "prepay_id": answer.get("prepay_id", ""), "h5_url": answer.get("h5_url", "")}


def _paid_at(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return clock.now()


def payment_notify(*, headers, body: bytes, provider: PaymentProvider | None = None) -> Payment | Refund:
    """A provider callback: verified (signature on the platform key), decrypted (AES-256-GCM), fresh
    (signed within CALLBACK_MAX_AGE_S) and new (its notification id never seen). A replay or a bad
    signature is refused with a stable code and changes nothing; a second, different notification
    of an already-recorded outcome changes nothing either (idempotent)."""
    provider = provider or get_provider()
    note = provider.verify_callback(headers=headers, body=body)
    if note is None:
        raise payment_error("PAYMENT_CALLBACK_BAD_SIGNATURE")
    if not note.notification_id or abs(clock.now().timestamp() - note.timestamp) > CALLBACK_MAX_AGE_S:
        raise payment_error("PAYMENT_CALLBACK_REPLAYED")
    try:
        with transaction.atomic():
            if CallbackSeen.objects.filter(notification_id=note.notification_id).exists():
                raise payment_error("PAYMENT_CALLBACK_REPLAYED")
            seen = CallbackSeen.objects.create(notification_id=note.notification_id[:64],
                                               event_type=note.event_type[:40], received_at=clock.now())
            if note.event_type.startswith("REFUND."):
                result = _refund_notified(note.resource)
                seen.payment_id = result.payment_id
            else:
                result = _payment_notified(note.resource, provider)
                seen.payment_id = result.pk
            seen.save(update_fields=["payment"])
    except IntegrityError as exc:  # the same notification delivered twice at once
        raise payment_error("PAYMENT_CALLBACK_REPLAYED") from exc
    return result


def _payment_notified(res: dict, provider: PaymentProvider) -> Payment:
    out_trade_no = str(res.get("out_trade_no", ""))
    try:
        total = int(res["amount"]["total"])
    except (KeyError, TypeError, ValueError) as exc:
        raise payment_error("PAYMENT_CALLBACK_MALFORMED") from exc
    if res.get("mchid") and res["mchid"] != settings.ZHUCAN_WECHATPAY_MCHID:
        raise payment_error("PAYMENT_CALLBACK_MALFORMED")
    found = Payment.objects.filter(out_trade_no=out_trade_no).values_list("pk", "order_id").first()
    if found is None:
        raise payment_error("PAYMENT_UNKNOWN", out_trade_no=out_trade_no)
    # The order's row first, as placing, cancelling, prepaying and the handover lock it: a handover and
    # this callback are decided one after the other, never both as the payment of one meal.
    order = Order.objects.select_for_update().get(pk=found[1])
    payment = Payment.objects.select_for_update().select_related("canteen__region").get(pk=found[0])
    state = str(res.get("trade_state", ""))
    if payment.status in (PaymentStatus.PAID, PaymentStatus.REFUNDED):
        return payment  # already recorded: idempotent
    if state != "SUCCESS":
        if payment.status != PaymentStatus.FAILED:
            payment.status, payment.failure_reason = PaymentStatus.FAILED, str(res.get("trade_state_desc", state))[:200]
            payment.updated_at = clock.now()
            payment.save(update_fields=["status", "failure_reason", "updated_at"])
            audit_record(actor=None, action="payments.failed", obj=payment, region_path=payment.canteen.region.path,
                         after={"trade_state": state})
        return payment
    if total != payment.amount_fen:
        raise payment_error("PAYMENT_AMOUNT_MISMATCH", paid=fen_to_yuan(total), due=fen_to_yuan(payment.amount_fen))
    payment.status, payment.transaction_id = PaymentStatus.PAID, str(res.get("transaction_id", ""))[:64]
    payment.paid_at, payment.updated_at, payment.failure_reason = _paid_at(res.get("success_time")), clock.now(), ""
    payment.save(update_fields=["status", "transaction_id", "paid_at", "updated_at", "failure_reason"])
    audit_record(actor=None, action="payments.paid", obj=payment, region_path=payment.canteen.region.path,
                 after={"order": payment.order_id, "amount_fen": total, "transaction_id": payment.transaction_id})
    if order.status != OrderStatus.PLACED:
        # Paid after the order was closed: handed over and paid at the counter or the door, cancelled,
        # failed or expired. The money goes back at once; if the provider refuses, the callback fails
        # and WeChat Pay sends it again (and the day's reconciliation lists the money taken).
        _refund(payment, order=order, reason=LATE_REFUND_REASONS.get(order.status, "订单已关闭"), provider=provider)
        return payment
    Order.objects.filter(pk=payment.order_id).update(paid_online=True)
    return payment


def _refund_notified(res: dict) -> Refund:
    refund = (Refund.objects.select_for_update().select_related("payment__canteen__region")
              .filter(out_refund_no=str(res.get("out_refund_no", ""))).first())
    if refund is None:
        raise payment_error("PAYMENT_UNKNOWN", out_trade_no=str(res.get("out_trade_no", "")))
    status = RefundStatus.SUCCESS if res.get("refund_status") == "SUCCESS" else RefundStatus.FAILED
    if refund.status != status:
        refund.status, refund.refund_id, refund.updated_at = status, str(res.get("refund_id", ""))[:64], clock.now()
        refund.save(update_fields=["status", "refund_id", "updated_at"])
        audit_record(actor=None, action="payments.refund_notified", obj=refund,
                     region_path=refund.payment.canteen.region.path, after={"status": status})
    return refund


def payment_refund_for_order(*, order, provider: PaymentProvider | None = None) -> Refund | None:
    """Refund the whole online payment of a cancelled order (called inside the cancellation's
    transaction: if the provider refuses, the cancellation is refused too). None if nothing was paid."""
    payment = Payment.objects.select_for_update().select_related("canteen__region").filter(order_id=order.pk).first()
    if payment is None or payment.status not in (PaymentStatus.PAID, PaymentStatus.REFUNDED):
        return None
    return _refund(payment, order=order, reason="订单取消", provider=provider)


def _refund(payment: Payment, *, order, reason: str, provider: PaymentProvider | None = None) -> Refund:
    """The whole payment back (once: the refund number is derived from the payment)."""
    existing = payment.refunds.first()
    if existing is not None:
        return existing
    answer = (provider or get_provider()).refund(
        out_trade_no=payment.out_trade_no, out_refund_no=f"{payment.out_trade_no}R", amount_fen=payment.amount_fen,
        total_fen=payment.amount_fen, reason=reason)
    now = clock.now()
    with transaction.atomic():
        status = {"SUCCESS": RefundStatus.SUCCESS, "ABNORMAL": RefundStatus.FAILED,
                  "CLOSED": RefundStatus.FAILED}.get(answer.get("status"), RefundStatus.PROCESSING)
        refund = Refund.objects.create(payment=payment, out_refund_no=f"{payment.out_trade_no}R",
                                       amount_fen=payment.amount_fen, refund_id=str(answer.get("refund_id", ""))[:64],
                                       status=status, reason=reason, created_at=now, updated_at=now)
        payment.status, payment.updated_at = PaymentStatus.REFUNDED, now
        payment.save(update_fields=["status", "updated_at"])
        Order.objects.filter(pk=order.pk).update(paid_online=False)
        audit_record(actor=None, action="payments.refund", obj=refund, region_path=payment.canteen.region.path,
                     after={"order": order.pk, "amount_fen": refund.amount_fen, "status": status, "reason": reason})
    return refund


def online_tender(order) -> TenderIn | None:
    """At handover: the tender an order paid online carries into the ledger (the WeChat tender with
    the provider's transaction id), or None when it is paid at the counter."""
    payment = Payment.objects.filter(order_id=order.pk, status=PaymentStatus.PAID).first()
    if payment is None:
        return None
    return TenderIn(kind="wechat", amount_fen=payment.amount_fen, reference=f"online:{payment.transaction_id}")


def reconcile(*, day: date, provider: PaymentProvider | None = None) -> Reconciliation:
    """The provider's trade bill of `day` against our payments paid that local day (and refunds):
    money the provider took that we did not record, payments we recorded that the bill lacks, and
    amounts that differ. Re-running a day replaces its findings."""
    bill = (provider or get_provider()).trade_bill(day=day)
    collected: dict[str, tuple[int, str]] = {}
    for row in bill:
        if row.state == "SUCCESS":
            fen, _tx = collected.get(row.out_trade_no, (0, ""))
            collected[row.out_trade_no] = (fen + row.amount_fen, row.transaction_id)
    start = datetime.combine(day, dt_time.min, clock.LOCAL_TZ)
    local = {p.out_trade_no: p for p in Payment.objects.select_related("canteen").filter(
        paid_at__gte=start, paid_at__lt=start + timedelta(days=1),
        status__in=(PaymentStatus.PAID, PaymentStatus.REFUNDED))}
    others = {p.out_trade_no: p for p in Payment.objects.filter(out_trade_no__in=set(collected) - set(local))}
    items = []
    for no, (fen, tx) in sorted(collected.items()):
        p = local.get(no)
        if p is None:
            q = others.get(no)
            items.append(ReconciliationItem(kind=MismatchKind.MISSING_LOCAL, out_trade_no=no, transaction_id=tx,
                                            canteen_id=q.canteen_id if q else None, payment=q, provider_fen=fen,
                                            local_fen=None))
        elif p.amount_fen != fen:
            items.append(ReconciliationItem(kind=MismatchKind.AMOUNT, out_trade_no=no, transaction_id=tx,
                                            canteen_id=p.canteen_id, payment=p, provider_fen=fen,
                                            local_fen=p.amount_fen))
    for no, p in sorted(local.items()):
        if no not in collected:
            items.append(ReconciliationItem(kind=MismatchKind.MISSING_PROVIDER, out_trade_no=no,
                                            transaction_id=p.transaction_id, canteen_id=p.canteen_id, payment=p,
                                            provider_fen=None, local_fen=p.amount_fen))
    with transaction.atomic():
        rec, _created = Reconciliation.objects.update_or_create(day=day, defaults={
            "provider_count": len(collected), "provider_total_fen": sum(f for f, _t in collected.values()),
            "local_count": len(local), "local_total_fen": sum(p.amount_fen for p in local.values()),
            "ran_at": clock.now()})
        rec.items.all().delete()
        for item in items:
            item.reconciliation = rec
        ReconciliationItem.objects.bulk_create(items)
        audit_record(actor=None, action="payments.reconcile", obj=rec,
                     after={"day": day.isoformat(), "mismatches": len(items)})
    return rec


def payment_record_confirmed(*, actor, order_id: int, transaction_id: str, paid_at: datetime | None = None,
                             note: str = "") -> Payment:
    """Record an online payment the provider has confirmed by other means than a callback (its
    merchant platform or query API after a lost notification; the demo, which has no provider).
    The amount is the order's payable; an order already paid keeps its payment (idempotent)."""
    now = clock.now()
    with transaction.atomic():
        order = Order.objects.select_for_update().select_related("canteen__region").filter(pk=order_id).first()
        if order is None:
            raise payment_error("PAYMENT_ORDER_NOT_FOUND")
        payment = Payment.objects.select_for_update().filter(order=order).first()
        if payment is not None and payment.status == PaymentStatus.PAID:
            return payment
        if order.status != OrderStatus.PLACED:
            raise payment_error("PAYMENT_ORDER_NOT_PAYABLE", status=order.get_status_display())
        if order.payable_fen <= 0:
            raise payment_error("PAYMENT_NOTHING_TO_PAY")
        if not (transaction_id or "").strip():
            raise payment_error("PAYMENT_CALLBACK_MALFORMED", field="transaction_id")
        if payment is None:
            payment = Payment(order=order, out_trade_no=out_trade_no_for(order), canteen=order.canteen,
                              amount_fen=order.payable_fen, description=_description(order), created_at=now)
        payment.status, payment.transaction_id = PaymentStatus.PAID, transaction_id.strip()[:64]
        payment.paid_at, payment.updated_at = paid_at or now, now
        payment.save()
        Order.objects.filter(pk=order.pk).update(paid_online=True)
        audit_record(actor=actor, action="payments.recorded", obj=payment, region_path=order.canteen.region.path,
                     after={"order": order.pk, "amount_fen": payment.amount_fen, "transaction_id": transaction_id},
                     note=note[:200])
    return payment
