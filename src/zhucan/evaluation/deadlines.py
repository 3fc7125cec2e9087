"""Complaint deadlines in working days (Monday to Friday, local dates in Asia/Shanghai), the numbers
from settings.ZHUCAN_COMPLAINT_DEADLINES: the canteen answers within `answer` working days of receipt,
the district closes within `close`. A deadline falls at the end of its local day. Public holidays
and the make-up working weekends are not in the calendar yet: a holiday counts as a working day,
which errs on the strict side."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.conf import settings

from zhucan.core import clock

DEFAULTS = {"answer": 3, "close": 7}


def working_days() -> dict[str, int]:
    return {**DEFAULTS, **getattr(settings, "ZHUCAN_COMPLAINT_DEADLINES", {})}


def add_working_days(day: date, n: int) -> date:
    while n > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            n -= 1
    return day


def due_after(moment: datetime, days: int) -> datetime:
    """The end (23:59:59 local) of the `days`-th working day after the local date of `moment`."""
    last = add_working_days(clock.local_date(moment), days)
    return datetime.combine(last, time(23, 59, 59), clock.LOCAL_TZ)
