"""Stable error codes of checkout (the API's `code`; clients switch on them). Who the elder is, and
every refusal of that (CARD_UNKNOWN, ELDER_NOT_FOUND, QR_*, …), is the identity app's:
`zhucan.identity.errors`."""

from __future__ import annotations

from zhucan.core.errors import DomainError, coded_error

_MESSAGES: dict[str, tuple[int, str, str]] = {
    "ELDER_NOT_ELIGIBLE": (422, "该老人不符合助餐优惠条件：{reason}", "the elder is not eligible: {reason}"),
    "EMPTY_ORDER": (400, "请先点餐", "the order has no items"),
    "BAD_QUANTITY": (400, "菜品数量须为1到99之间的整数", "quantity must be an integer from 1 to 99"),
    "DISH_NOT_ON_MENU": (400, "菜品不在本店菜单或已停售：{dish}", "dish not on this canteen's menu: {dish}"),
    "AMOUNT_INVALID": (400, "金额须为不为负、最多两位小数的元金额", "amount must be non-negative yuan, 2 decimals"),
    "OUTSIDE_OPENING_HOURS": (422, "当前不在本店供餐时段内（{hours}）", "outside the canteen's hours ({hours})"),
    "CANTEEN_NOT_OPEN": (422, "本助餐点当前未在运营", "the canteen is not open"),
    "QUOTE_CHANGED": (409, "优惠已变化（可能刚在其他助餐点用餐），请重新计价", "the benefit changed; quote again"),
    "TENDER_MISMATCH": (400, "收款合计 {tendered} 元与应付 {payable} 元不符", "tenders {tendered} ≠ payable {payable}"),
    "IDEMPOTENCY_KEY_REQUIRED": (400, "缺少 Idempotency-Key 请求头", "the Idempotency-Key header is required"),
    "IDEMPOTENCY_KEY_REUSED": (409, "该 Idempotency-Key 已用于另一笔不同的请求",
                               "the key was used for another request"),
    "MEAL_NOT_FOUND": (404, "未找到该笔消费记录", "no such meal"),
    "MEAL_ALREADY_REVERSED": (409, "该笔消费已撤销或退款", "the meal was already voided or refunded"),
    "MEAL_NOT_REVERSIBLE": (422, "撤销或退款记录本身不能再撤销", "a reversal cannot be reversed"),
    "MEAL_IN_FINALISED_MONTH": (409, "该笔消费所在月份已终审结算，不能撤销；请办理退款（计入下一结算月）",
                                "the meal's month is finalised: refund it instead (it settles next month)"),
    "RESERVATION_NOT_FOUND": (404, "未找到该订单的优惠预留", "no such reservation"),
    "RESERVATION_RELEASED": (409, "该订单的优惠预留已释放（订单已取消或已过用餐时段），不能再交付",
                             "the reservation was released (cancelled or its period ended)"),
    "RESERVATION_CONSUMED": (409, "该订单已交付用餐，不能再释放预留；如需退回请办理撤销或退款",
                             "the reservation was consumed by a handed-over meal"),
    "RESERVATION_OTHER_DAY": (422, "该订单是 {day} 的，只能当天交付", "the order is for {day}: hand it over that day"),
    "RESERVATION_PERIOD_UNKNOWN": (400, "本助餐点没有该供餐时段：{period}", "the canteen has no period {period}"),
    "INPUT_INVALID": (400, "输入有误：{detail}", "invalid input: {detail}"),
}


def checkout_error(code: str, *, field: str | None = None, **params) -> DomainError:
    return coded_error(_MESSAGES, code, field=field, **params)


REASON_ZH = {
    "NOT_ELIGIBLE_AGE": "未达到年龄条件",
    "EXCLUDED_TAG": "已享受其他同类服务（如购买居家养老服务）",
    "MISSING_TAG": "不属于政策覆盖的人群",
    "ELDER_INACTIVE": "档案状态为已故或已迁出",
    "NOT_VERIFIED": "资格尚未通过街道核查",
}

# Policy reasons that mean the person is not a beneficiary at all (commit as an elder is refused),
# as opposed to limits reached today (the meal is sold at full price and still counted).
INELIGIBLE_REASONS = frozenset(REASON_ZH)
