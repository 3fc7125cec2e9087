"""Stable error codes of ordering ahead (the API's `code`; the phone pages and console show the Chinese)."""

from __future__ import annotations

from zhucan.core.errors import DomainError, coded_error

_MESSAGES: dict[str, tuple[int, str, str]] = {
    # --- menus ahead ---
    "MENU_DATE_RANGE": (400, "只能发布今天起{days}天内的菜单", "menus can be published up to {days} days ahead"),
    "MENU_DISH_UNKNOWN": (400, "菜品“{dish}”不在本食堂菜单中或已停售", "dish {dish} is not on the canteen's menu"),
    "MENU_PORTIONS_BELOW_TAKEN": (409, "“{dish}”已被订{taken}份，份数不能少于已订份数",
                                  "{dish}: {taken} portions are already ordered"),
    "MENU_PERIOD_UNKNOWN": (400, "本食堂没有“{period}”时段", "the canteen has no period {period}"),
    "MENU_CUTOFF_INVALID": (400, "截止时间须早于该时段结束（{end}）",
                            "the cut-off must be before the period ends ({end})"),
    "MENU_NOTHING_TO_COPY": (400, "上周没有发布过菜单，无可复制", "nothing was published last week"),
    "MENU_OFFER_ORDERED": (409, "“{dish}”已有人预订，不能撤下", "{dish} has orders and cannot be withdrawn"),
    # --- coverage ---
    "COVERAGE_OWN_COMMUNITY": (400, "配送范围必须包含本食堂所在社区（{community}）",
                               "coverage must include the canteen's own community ({community})"),
    "COVERAGE_NOT_COMMUNITY": (400, "“{name}”不是社区/村，请选择社区", "{name} is not a community"),
    "COVERAGE_RADIUS_INVALID": (400, "配送半径应在1到20000米之间", "the radius must be between 1 and 20000 metres"),
    "COVERAGE_NO_COORDINATES": (400, "本食堂未登记经纬度，不能按半径配送",
                                "the canteen has no coordinates for a radius"),
    # --- placing ---
    "ORDER_CUTOFF_PASSED": (409, "{date}{period}的订餐已于{cutoff}截止",
                            "ordering for {date} {period} closed at {cutoff}"),
    "ORDER_NOT_OFFERED": (409, "{date}{period}未开放预订", "{date} {period} is not open for ordering"),
    "ORDER_DATE_RANGE": (400, "只能预订今天起{days}天内的餐", "orders can be placed up to {days} days ahead"),
    "ORDER_SOLD_OUT": (409, "“{dish}”只剩{left}份", "only {left} portions of {dish} are left"),
    "ORDER_LINE_INVALID": (400, "所选菜品不在当日菜单中，或数量不对",
                           "a chosen dish is not on that day's menu or its quantity is wrong"),
    "ORDER_EMPTY": (400, "请至少选择一个菜品", "choose at least one dish"),
    "ORDER_NO_DELIVERY": (409, "该食堂{date}{period}不送餐，请选择到店自取",
                          "the canteen does not deliver {date} {period}"),
    "ORDER_ADDRESS_REQUIRED": (400, "送餐须有地址，老人档案中没有登记地址", "a delivery needs an address"),
    "ORDER_OUTSIDE_COVERAGE": (409, "该地址不在“{canteen}”的配送范围内{nearest}",
                               "the address is outside {canteen}'s delivery area"),
    "ORDER_ELDER_NOT_BOUND": (403, "您的账号未绑定这位老人，不能为其订餐", "this account is not bound to the elder"),
    "ORDER_ELDER_INACTIVE": (409, "该老人档案状态为“{status}”，不能订餐", "the elder is {status_en}: no orders"),
    "ORDER_PRICE_CHANGED": (409, "价格已变化，应付金额现为{payable}元，请确认后重新提交",
                            "the price changed: payable is now {payable} yuan"),
    "ORDER_DUPLICATE": (409, "该请求编号已用于另一笔订单", "this idempotency key was used for another order"),
    "ORDER_KEY_REQUIRED": (400, "缺少请求编号", "an idempotency key is required"),
    "ORDER_CHANNEL_INVALID": (400, "下单渠道不正确", "unknown ordering channel"),
    "ORDER_CANTEEN_CLOSED": (409, "该食堂目前不接受订餐", "the canteen does not take orders now"),
    # --- after placing ---
    "ORDER_NOT_CANCELLABLE": (409, "订单{state}，不能取消", "the order is {state_en}: it cannot be cancelled"),
    "ORDER_NOT_OPEN": (409, "订单{state}，不能交付", "the order is {state_en}"),
    "ORDER_WRONG_CANTEEN": (403, "这不是本食堂的订单", "the order belongs to another canteen"),
    "ORDER_HANDOVER_EARLY": (409, "订单是{date}的，今天不能交付", "the order is for {date}"),
    "HANDOVER_CODE_WRONG": (400, "交付码不正确", "the handover code is wrong"),
    "HANDOVER_METHOD_INVALID": (400, "交付方式不正确", "unknown handover method"),
    "HANDOVER_EVIDENCE_REQUIRED": (400, "请提供交付凭证（长者码、交付码或照片）", "handover evidence is required"),
    "HANDOVER_ELDER_CODE_WRONG": (400, "所扫长者码不是该订单的老人", "the scanned code is not the ordering elder's"),
    "ORDER_FAIL_REASON_REQUIRED": (400, "请写明未送达原因", "a reason is required"),
    "ORDER_PAID_ONLINE": (409, "该订单已由家属在线支付，交付时不再收款",
                          "the order was paid online in advance: no tender is taken at handover"),
    "HANDOVER_TENDER_INVALID": (400, "请选择收款方式", "choose how the elder paid"),
    # --- standing orders ---
    "STANDING_WEEKDAYS_INVALID": (400, "请为至少一天选择菜品（周一到周日）", "choose dishes for at least one weekday"),
    "STANDING_NOT_FOUND": (404, "长期订餐不存在或无权查看", "standing order not found"),
    "STANDING_SKIP_PAST": (400, "只能取消今天及以后的订餐", "only today or later can be skipped"),
}


def order_error(code: str, *, field: str | None = None, **params) -> DomainError:
    return coded_error(_MESSAGES, code, field=field, **params)
