"""One clock for the whole platform: aware datetimes only; local dates in Asia/Shanghai.

Tests freeze time by replacing `clock.now` through the `frozen_clock` fixture, so no code reads the
system time directly.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.utils import timezone

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def now() -> datetime:
    return timezone.now()


def local_now() -> datetime:
    return now().astimezone(LOCAL_TZ)


def local_today() -> date:
    return local_now().date()


def local_date(moment: datetime) -> date:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: every moment must carry its timezone")
    return moment.astimezone(LOCAL_TZ).date()
