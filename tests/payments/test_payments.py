"""Online payment against the WeChat Pay v3 stand-in: signed prepay, verified callbacks (success,
failure, forged, replayed, stale, wrong amount), refund on cancellation, daily reconciliation."""

from __future__ import annotations

import json

import pytest

from tests.conftest import login
from tests.payments.conftest import MORNING
from tests.payments.standin import Keys, _pem_private
from zhucan.core.audit import AuditLog
from zhucan.core.errors import DomainError
from zhucan.payments import services
from zhucan.payments.models import CallbackSeen, Payment, Reconciliation, Refund

NOTIFY = "/payments/notify/wechat/"


def _post(client, headers, body):
    return client.post(NOTIFY, body, content_type="application/json", headers=headers)


def _start(world, order):
    return services.payment_start(account=world.account, order_id=order.pk, client_ip="10.0.0.8")


def _paid(client, world, order, standin):
    answer = _start(world, order)
    headers, body = standin.pay(answer["out_trade_no"])
    assert _post(client, headers, body).status_code == 204
    return answer, headers, body


def test_prepay_is_signed_and_in_fen(world, family_order, standin):
    assert family_order.payable_fen > 0
    answer = _start(world, family_order)
    trade = standin.trades[answer["out_trade_no"]]
    assert trade["amount"] == family_order.payable_fen == answer["amount_fen"]
    assert answer["h5_url"].startswith(standin.base_url) and trade["notify_url"].endswith(NOTIFY)
    assert standin.requests == [("POST", "/v3/pay/transactions/h5", True)]
    payment = Payment.objects.get(order=family_order)
    assert (payment.status, payment.amount_fen, payment.h5_url) == ("created", family_order.payable_fen,
                                                                     answer["h5_url"])
    # A second start (the family member comes back) prepays the same trade, no second payment row.
    assert _start(world, family_order)["out_trade_no"] == answer["out_trade_no"]
    assert Payment.objects.count() == 1


def test_a_request_signed_with_another_key_is_refused(world, family_order, standin, settings):
    settings.ZHUCAN_WECHATPAY_PRIVATE_KEY = _pem_private(Keys().merchant)
    with pytest.raises(DomainError) as err:
        _start(world, family_order)
    assert err.value.code == "PAYMENT_PROVIDER_REFUSED" and "签名错误" in err.value.message_zh
    assert standin.requests == [("POST", "/v3/pay/transactions/h5", False)] and standin.trades == {}


def test_success_callback_marks_the_order_paid_and_gives_the_handover_tender(client, world, family_order, standin):
    answer, _h, _b = _paid(client, world, family_order, standin)
    payment = Payment.objects.get(order=family_order)
    family_order.refresh_from_db()
    assert payment.status == "paid" and family_order.paid_online
    assert payment.transaction_id == standin.trades[answer["out_trade_no"]]["transaction_id"]
    assert payment.paid_at == MORNING
    tender = services.online_tender(family_order)
    assert (tender.kind, tender.amount_fen, tender.reference) == ("wechat", family_order.payable_fen,
                                                                 f"online:{payment.transaction_id}")
    with pytest.raises(DomainError) as err:
        _start(world, family_order)
    assert err.value.code == "PAYMENT_ALREADY_PAID"


def test_replayed_and_stale_callbacks_change_nothing(client, world, family_order, standin):
    answer, headers, body = _paid(client, world, family_order, standin)
    audits = AuditLog.objects.count()
    again = _post(client, headers, body)
    assert again.status_code == 409 and again.json()["code"] == "PAYMENT_CALLBACK_REPLAYED"
    stale_headers, stale_body = standin.pay(answer["out_trade_no"], timestamp=int(MORNING.timestamp()) - 600)
    stale = _post(client, stale_headers, stale_body)
    assert stale.status_code == 409 and stale.json()["code"] == "PAYMENT_CALLBACK_REPLAYED"
    # A different, fresh notification of the same outcome is accepted and changes nothing (idempotent).
    fresh_headers, fresh_body = standin.pay(answer["out_trade_no"])
    assert _post(client, fresh_headers, fresh_body).status_code == 204
    assert AuditLog.objects.filter(action="payments.paid").count() == 1
    assert AuditLog.objects.count() == audits and CallbackSeen.objects.count() == 2


def test_forged_or_tampered_callbacks_are_refused(client, world, family_order, standin):
    answer = _start(world, family_order)
    headers, body = standin.pay(answer["out_trade_no"], forge=True)
    forged = _post(client, headers, body)
    assert forged.status_code == 401 and forged.json()["code"] == "PAYMENT_CALLBACK_BAD_SIGNATURE"
    headers, body = standin.pay(answer["out_trade_no"])
    tampered = json.loads(body)
    tampered["summary"] = "支付成功!"
    bad = _post(client, headers, json.dumps(tampered, ensure_ascii=False).encode())
    assert bad.status_code == 401 and bad.json()["code"] == "PAYMENT_CALLBACK_BAD_SIGNATURE"
    family_order.refresh_from_db()
    assert Payment.objects.get(order=family_order).status == "created" and not family_order.paid_online
    assert CallbackSeen.objects.count() == 0
    assert _post(client, headers, body).status_code == 204  # the genuine one still goes through


def test_failed_payment_then_a_wrong_amount_then_success(client, world, family_order, standin):
    answer = _start(world, family_order)
    headers, body = standin.pay(answer["out_trade_no"], success=False)
    assert _post(client, headers, body).status_code == 204
    payment = Payment.objects.get(order=family_order)
    assert payment.status == "failed" and payment.failure_reason == "银行卡余额不足"
    _start(world, family_order)  # tries again
    headers, body = standin.pay(answer["out_trade_no"], amount_fen=family_order.payable_fen - 1)
    wrong = _post(client, headers, body)
    assert wrong.status_code == 409 and wrong.json()["code"] == "PAYMENT_AMOUNT_MISMATCH"
    assert Payment.objects.get(pk=payment.pk).status == "failed" and CallbackSeen.objects.count() == 1
    headers, body = standin.pay(answer["out_trade_no"])
    assert _post(client, headers, body).status_code == 204
    assert Payment.objects.get(pk=payment.pk).status == "paid"


def test_cancellation_refunds_the_online_payment_once(client, world, family_order, standin):
    from zhucan.orders.placing import order_cancel

    answer, _h, _b = _paid(client, world, family_order, standin)
    order = order_cancel(account=world.account, order_id=family_order.pk, reason="临时有事")
    assert order.status == "cancelled"
    refund = Refund.objects.get()
    assert (refund.status, refund.amount_fen) == ("success", family_order.payable_fen)
    assert standin.refunds[refund.out_refund_no]["amount"] == family_order.payable_fen
    assert Payment.objects.get().status == "refunded"
    order_cancel(account=world.account, order_id=family_order.pk, reason="临时有事")
    assert Refund.objects.count() == 1 and len(standin.refunds) == 1
    assert answer["out_trade_no"] == standin.refunds[refund.out_refund_no]["out_trade_no"]


def test_a_refused_refund_refuses_the_cancellation(client, world, family_order, standin):
    from zhucan.checkout.models import Reservation
    from zhucan.orders.placing import order_cancel

    answer, _h, _b = _paid(client, world, family_order, standin)
    standin.trades[answer["out_trade_no"]]["state"] = "CLOSED"  # the provider no longer knows it as paid
    with pytest.raises(DomainError) as err:
        order_cancel(account=world.account, order_id=family_order.pk, reason="临时有事")
    assert err.value.code == "PAYMENT_PROVIDER_REFUSED"
    family_order.refresh_from_db()
    assert family_order.status == "placed" and family_order.paid_online and Refund.objects.count() == 0
    assert Reservation.objects.get(source=family_order.reservation_source).status == "held"


def test_reconciliation_finds_missing_and_mismatched_payments(client, world, family_order, standin):
    answer, _h, _b = _paid(client, world, family_order, standin)
    no = answer["out_trade_no"]
    standin.bill_amount_override[no] = family_order.payable_fen + 100
    standin.extra_bill_rows.append({"out_trade_no": "ZC999999999999", "transaction_id": "4200000000001",
                                    "amount": 1234, "success_time": "2026-03-09T11:02:00+08:00"})
    rec = services.reconcile(day=MORNING.date())
    found = {(i.kind, i.out_trade_no, i.provider_fen, i.local_fen) for i in rec.items.all()}
    assert found == {("amount", no, family_order.payable_fen + 100, family_order.payable_fen),
                     ("missing_local", "ZC999999999999", 1234, None)}
    assert (rec.provider_count, rec.local_count, rec.local_total_fen) == (2, 1, family_order.payable_fen)

    login(client, world.users["district_admin"])
    page = client.get("/payments/reconciliation/").content.decode()
    from zhucan.core.money import fen_to_yuan
    assert "金额不一致" in page and fen_to_yuan(family_order.payable_fen + 100) in page and "张*英" in page
    login(client, world.other["district_admin"])
    assert no not in client.get("/payments/reconciliation/").content.decode()

    standin.trades.pop(no)  # the provider's bill lacks a payment we recorded
    standin.bill_amount_override.clear()
    standin.extra_bill_rows.clear()
    rec = services.reconcile(day=MORNING.date())
    assert [(i.kind, i.out_trade_no, i.local_fen) for i in rec.items.all()] == [
        ("missing_provider", no, family_order.payable_fen)]
    assert Reconciliation.objects.count() == 1


def test_who_may_pay_and_an_unconfigured_deployment(world, family_order, standin, settings):
    from zhucan.elderphone.models import PhoneAccount

    stranger = PhoneAccount.objects.create(phone="13900002222", display_name="路人", created_at=MORNING)
    with pytest.raises(DomainError) as err:
        services.payment_start(account=stranger, order_id=family_order.pk)
    assert err.value.code == "PAYMENT_ORDER_NOT_FOUND"
    settings.ZHUCAN_WECHATPAY_MCHID = ""
    with pytest.raises(DomainError) as err:
        _start(world, family_order)
    assert err.value.code == "PAYMENT_NOT_CONFIGURED" and "取餐时付款" in err.value.message_zh
    assert Payment.objects.count() == 0 and standin.requests == []


def test_a_payment_confirmed_out_of_band_is_recorded_once(world, family_order, standin):
    first = services.payment_record_confirmed(actor=world.users["canteen_manager"], order_id=family_order.pk,
                                              transaction_id="4200009999", note="商户平台核实")
    again = services.payment_record_confirmed(actor=None, order_id=family_order.pk, transaction_id="4200009999")
    family_order.refresh_from_db()
    assert first.pk == again.pk and family_order.paid_online and first.amount_fen == family_order.payable_fen
    assert AuditLog.objects.filter(action="payments.recorded").count() == 1
    rec = services.reconcile(day=MORNING.date())  # the stand-in never saw it: the bill lacks it
    assert [(i.kind, i.local_fen) for i in rec.items.all()] == [("missing_provider", family_order.payable_fen)]


def test_the_daily_job_reconciles_yesterday_and_the_demo_records_one_online_payment(world, family_order, standin,
                                                                                     frozen_clock, settings):
    from datetime import timedelta

    from zhucan.demo.payments import DEMO_TRANSACTION, seed_demo_payments
    from zhucan.payments.tasks import payments_reconcile_task

    assert (seed_demo_payments(), seed_demo_payments()) == (1, 0)
    assert Payment.objects.get().transaction_id == DEMO_TRANSACTION
    frozen_clock(MORNING + timedelta(days=1, hours=2))
    assert payments_reconcile_task.call() == {"day": "2026-03-09", "mismatches": 1}
    assert Reconciliation.objects.get().day == MORNING.date()
    settings.ZHUCAN_WECHATPAY_MCHID = ""
    assert "skipped" in payments_reconcile_task.call()


def test_the_phone_pay_button_opens_the_wechat_cashier_or_says_why_not(client, world, family_order, standin):
    from tests.elderphone.conftest import h5_login
    from zhucan.elderphone.services import account_set_password

    url = f"/payments/h5/pay/{family_order.pk}/"
    assert client.post(url)["Location"].startswith("/h5/login")
    account_set_password(account=world.account, password="Zc-test-2026!")
    h5_login(client, "13900001111", "Zc-test-2026!")
    response = client.post(url)
    assert response.status_code == 302 and response["Location"].startswith(f"{standin.base_url}/pay?prepay_id=")
    headers, body = standin.pay(Payment.objects.get().out_trade_no)
    assert _post(client, headers, body).status_code == 204
    again = client.post(url)
    assert again.status_code == 409 and "该订单已在线支付" in again.content.decode()
    assert client.post(f"/payments/h5/pay/{family_order.pk + 999}/").status_code == 404
