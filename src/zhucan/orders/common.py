"""What the order modules share: the ordering window, the period's name for people, the canteen's
meal period and an order's state in a message."""

from __future__ import annotations

from zhucan.canteens.models import Canteen, MealPeriod, PeriodName
from zhucan.orders.errors import order_error
from zhucan.orders.models import Order

DAYS_AHEAD = 7  # menus and orders: today and up to a week ahead
MAX_QUANTITY = 20


def period_zh(period: str) -> str:
    try:
        return str(PeriodName(period).label)
    except ValueError:
        return period


def meal_period_of(canteen: Canteen, period: str) -> MealPeriod:
    found = MealPeriod.objects.filter(canteen=canteen, name=period).first()
    if found is None:
        raise order_error("MENU_PERIOD_UNKNOWN", field="period", period=period_zh(period))
    return found


def order_state(order: Order) -> tuple[str, str]:
    return f"已{order.get_status_display().removeprefix('已')}", order.status
