"""Stable error codes of online payment (the API's and the provider callback's `code`)."""

from __future__ import annotations

from zhucan.core.errors import DomainError, coded_error

_MESSAGES: dict[str, tuple[int, str, str]] = {
    "PAYMENT_NOT_CONFIGURED": (503, "本系统尚未开通在线支付，请在取餐时付款", "online payment is not configured"),
    "PAYMENT_ORDER_NOT_FOUND": (404, "订单不存在或无权支付", "order not found"),
    "PAYMENT_ORDER_NOT_PAYABLE": (409, "该订单当前为“{status}”，不能在线支付",
                                  "the order is {status}: it cannot be paid"),
    "PAYMENT_NOTHING_TO_PAY": (400, "该订单无需付款", "nothing to pay for this order"),
    "PAYMENT_ALREADY_PAID": (409, "该订单已在线支付", "the order is already paid"),
    "PAYMENT_AMOUNT_INVALID": (400, "支付金额须为正整数分", "the amount must be a positive number of fen"),
    "PAYMENT_PROVIDER_UNAVAILABLE": (502, "微信支付暂时无法连接，请稍后再试", "the payment provider cannot be reached"),
    "PAYMENT_PROVIDER_REFUSED": (502, "微信支付拒绝了请求：{reason}", "the payment provider refused: {reason}"),
    "PAYMENT_CALLBACK_BAD_SIGNATURE": (401, "支付通知签名校验失败，已忽略", "the callback's signature is not valid"),
    "PAYMENT_CALLBACK_REPLAYED": (409, "该支付通知已处理过或已过期，已忽略",
                                  "the callback was already handled or is stale"),
    "PAYMENT_CALLBACK_MALFORMED": (400, "支付通知内容无法识别", "the callback cannot be read"),
    "PAYMENT_UNKNOWN": (404, "没有商户订单号为“{out_trade_no}”的支付", "no payment {out_trade_no}"),
    "PAYMENT_AMOUNT_MISMATCH": (409, "支付金额{paid}元与订单应付{due}元不符", "paid {paid} but {due} is due"),
    "PAYMENT_NOT_PAID": (409, "该支付尚未成功，不能退款", "the payment has not succeeded: nothing to refund"),
}


def payment_error(code: str, *, field: str | None = None, **params) -> DomainError:
    return coded_error(_MESSAGES, code, field=field, **params)
