"""Locked months: a canteen-month whose statement is finalised (or paid) never changes again.

Checkout asks two questions here: may this meal still be voided in its own month (`is_locked`), and
which month should a late correction or a late report settle in (`open_settle_month`) — the record's
own month if that is still open, else the first later month that is not locked (issue 6, item 2).
"""

from __future__ import annotations

from datetime import date

from zhucan.settlement.models import LOCKED_STATUSES, Statement


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(month: date) -> date:
    return date(month.year + (month.month == 12), month.month % 12 + 1, 1)


def is_locked(canteen_id: int, month: date) -> bool:
    """True when the canteen's statement for the month of `month` is finalised or paid."""
    return Statement.objects.filter(canteen_id=canteen_id, month=month_start(month),
                                    status__in=LOCKED_STATUSES).exists()


def open_settle_month(canteen_id: int, day: date) -> date:
    """The first month, from the month of `day` on, whose statement for the canteen is not locked."""
    month = month_start(day)
    locked = set(Statement.objects.filter(canteen_id=canteen_id, month__gte=month, status__in=LOCKED_STATUSES)
                 .values_list("month", flat=True))
    while month in locked:
        month = next_month(month)
    return month
