"""Locked months: a canteen-month whose statement is finalised never takes another record.

The ledger asks two questions here: may this meal still be voided in its own month (`is_locked`),
and which month should a late correction or a late report settle in (`open_settle_month`) — the
record's own month if that is still open, else the first later month that is not locked. Settlement
closes a month through `month_lock` when the city finalises its statement.
"""

from __future__ import annotations

from datetime import date

from zhucan.checkout.models import LockedMonth
from zhucan.core import clock


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(month: date) -> date:
    return date(month.year + (month.month == 12), month.month % 12 + 1, 1)


def is_locked(canteen_id: int, month: date) -> bool:
    """True when the canteen's month of `month` is closed."""
    return LockedMonth.objects.filter(canteen_id=canteen_id, month=month_start(month)).exists()


def open_settle_month(canteen_id: int, day: date) -> date:
    """The first month, from the month of `day` on, that is not closed for the canteen."""
    month = month_start(day)
    locked = set(LockedMonth.objects.filter(canteen_id=canteen_id, month__gte=month)
                 .values_list("month", flat=True))
    while month in locked:
        month = next_month(month)
    return month


def month_lock(*, canteen_id: int, month: date) -> LockedMonth:
    """Close the canteen's month for good. Called inside the finalising service's transaction, which
    writes the audit row; closing a closed month again changes nothing."""
    locked, _ = LockedMonth.objects.get_or_create(canteen_id=canteen_id, month=month_start(month),
                                                  defaults={"locked_at": clock.now()})
    return locked
