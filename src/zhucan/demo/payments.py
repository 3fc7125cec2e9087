"""Demo data of online payment: the demo has no payment provider (a deployment configures WeChat Pay
with ZHUCAN_WECHATPAY_*, docs/payments.md), so one order placed from a family phone is recorded as
paid online through the payments service, as the merchant platform would confirm it. The other
demo orders are paid at handover (the counter's tenders). Idempotent."""

from __future__ import annotations

from zhucan.orders.models import Order, OrderStatus
from zhucan.payments.models import Payment
from zhucan.payments.services import payment_record_confirmed

DEMO_TRANSACTION = "4200002026030900000000000001"


def seed_demo_payments() -> int:
    if Payment.objects.filter(transaction_id=DEMO_TRANSACTION).exists():
        return 0
    order = (Order.objects.filter(status=OrderStatus.PLACED, placed_by_account__isnull=False, payable_fen__gt=0,
                                  paid_online=False).order_by("local_date", "pk").first())
    if order is None:
        return 0
    payment_record_confirmed(actor=None, order_id=order.pk, transaction_id=DEMO_TRANSACTION,
                             note="演示数据：家属在线预付")
    return 1
