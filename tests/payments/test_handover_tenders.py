"""An order and its online payment at handover: paid in advance → the meal carries the WeChat tender
with the provider's transaction id, whatever the channel, and no other tender is taken; a payment
started but not finished → the elder pays at handover and the late success is refunded at once."""

from __future__ import annotations

import pytest

from tests.conftest import login
from tests.payments.conftest import MORNING
from zhucan.checkout.models import Meal
from zhucan.checkout.services import TenderIn
from zhucan.core import clock
from zhucan.core.errors import DomainError
from zhucan.orders.handover import handover_code, order_handover
from zhucan.orders.models import OrderStatus
from zhucan.payments import services
from zhucan.payments.models import Payment

NOTIFY = "/payments/notify/wechat/"


def _notify(client, standin, out_trade_no):
    headers, body = standin.pay(out_trade_no)
    return client.post(NOTIFY, body, content_type="application/json", headers=headers)


def _tenders(meal):
    return [(t.kind, t.amount_fen, t.reference) for t in meal.tenders.order_by("pk")]


def test_an_order_paid_online_carries_its_online_tender_and_refuses_another(client, world, family_order, standin):
    started = services.payment_start(account=world.account, order_id=family_order.pk)
    assert _notify(client, standin, started["out_trade_no"]).status_code == 204
    tx = Payment.objects.get(order=family_order).transaction_id
    meals = Meal.objects.count()
    with pytest.raises(DomainError) as exc:
        order_handover(actor=world.users["cashier"], order_id=family_order.pk, method="handover_code",
                       evidence=handover_code(family_order), tenders=[TenderIn("cash", family_order.payable_fen)])
    assert exc.value.code == "ORDER_PAID_ONLINE" and "已由家属在线支付" in exc.value.message_zh
    family_order.refresh_from_db()
    assert family_order.status == OrderStatus.PLACED and Meal.objects.count() == meals

    manager = world.users["canteen_manager"]
    login(client, manager)
    board = client.get(f"/orders/board/?date={MORNING.date().isoformat()}&period=lunch").content.decode()
    form = board[board.index(f'id="handover-{family_order.pk}"'):]
    form = form[:form.index("</form>")]
    assert "已在线支付" in form and 'name="tender"' not in form
    client.post("/orders/board/handover/", {"date": MORNING.date().isoformat(), "period": "lunch",
                                            "order": family_order.pk, "method": "handover_code",
                                            "evidence": handover_code(family_order)})
    family_order.refresh_from_db()
    assert family_order.status == OrderStatus.HANDED_OVER
    assert _tenders(family_order.meal) == [("wechat", family_order.payable_fen, f"online:{tx}")]


def test_a_payment_left_pending_at_handover_is_refunded_when_it_succeeds_later(client, world, family_order,
                                                                             standin):
    started = services.payment_start(account=world.account, order_id=family_order.pk)
    meal = order_handover(actor=world.users["cashier"], order_id=family_order.pk, method="handover_code",
                          evidence=handover_code(family_order))  # the elder pays cash at the counter
    assert _tenders(meal) == [("cash", family_order.payable_fen, "")]
    with pytest.raises(DomainError) as exc:  # the phone page cannot start it again
        services.payment_start(account=world.account, order_id=family_order.pk)
    assert exc.value.code == "PAYMENT_ORDER_NOT_PAYABLE"

    assert _notify(client, standin, started["out_trade_no"]).status_code == 204  # the family finished paying
    payment = Payment.objects.get(order=family_order)
    refund = payment.refunds.get()
    assert payment.status == "refunded"
    assert (refund.amount_fen, refund.reason) == (payment.amount_fen, "交付时已当面付款")
    assert standin.refunds[refund.out_refund_no]["amount"] == family_order.payable_fen
    family_order.refresh_from_db()
    assert not family_order.paid_online and _tenders(family_order.meal) == [("cash", family_order.payable_fen, "")]
    # The provider's bill and our records agree: the money taken and given back is accounted for.
    assert services.reconcile(day=clock.local_date(MORNING)).items.count() == 0
