"""Stable error codes of kitchen and dispatch (the courier page and the board show the Chinese)."""

from __future__ import annotations

from zhucan.core.errors import DomainError, coded_error

_MESSAGES: dict[str, tuple[int, str, str]] = {
    "ROUTE_NAME_REQUIRED": (400, "请填写线路名称", "a route name is required"),
    "ROUTE_NAME_TAKEN": (409, "本时段已有名为“{name}”的线路", "a route named {name} exists for this period"),
    "ROUTE_NOT_DELIVERY": (409, "该订单是到店自取，不能排入送餐线路", "the order is for pickup"),
    "ROUTE_ORDER_OTHER_DAY": (409, "订单与线路不是同一天同一时段", "the order is for another day or period"),
    "ROUTE_ORDER_CLOSED": (409, "订单{state}，不能再排线路", "the order is {state_en}"),
    "COURIER_OTHER_CANTEEN": (403, "该送餐员不属于本食堂", "the courier belongs to another canteen"),
    "COURIER_WRONG_CANTEEN": (403, "这不是您所在食堂的订单，不能确认", "the order belongs to another canteen"),
    "COURIER_NOT_ASSIGNED": (403, "这一单不在您今天的线路上", "the stop is not on your route today"),
    "COURIER_PHONE_TAKEN": (409, "该手机号已登记为本食堂的送餐员", "this phone is already a courier here"),
    "COURIER_NAME_REQUIRED": (400, "请填写送餐员姓名", "a name is required"),
    "COURIER_CODE_WRONG": (400, "验证码不正确或已过期", "the code is wrong or expired"),
    "STOP_DONE": (409, "这一单已{state}", "the stop is already {state_en}"),
    "STOP_PHOTO_REQUIRED": (400, "请拍一张交付照片", "a handover photo is required"),
}


def delivery_error(code: str, *, field: str | None = None, **params) -> DomainError:
    return coded_error(_MESSAGES, code, field=field, **params)
