"""One clock for the whole platform: aware datetimes only; local dates in Asia/Shanghai.

Tests freeze time by replacing `clock.now` through the `frozen_clock` fixture, so no code reads the
system time directly.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


_offset: timedelta | None = None


def _configured_offset() -> timedelta:
    """A simulated clock for training sessions and benchmarks outside meal hours: with
    ZHUCAN_CLOCK_START set (an aware ISO moment), time starts there and flows at the real rate.
    With ZHUCAN_CLOCK_ANCHOR (the real moment the start stands for), every process of the demo —
    web server, worker, simulated lunch — shows the same time, whenever it first reads the clock;
    without it, the start is the process's first reading. The production settings refuse it."""
    global _offset
    if _offset is None:
        start = getattr(settings, "ZHUCAN_CLOCK_START", None)
        anchor = getattr(settings, "ZHUCAN_CLOCK_ANCHOR", None)
        real = datetime.fromisoformat(anchor) if anchor else timezone.now()
        _offset = (datetime.fromisoformat(start) - real) if start else timedelta(0)
    return _offset


def real_now() -> datetime:
    """Wall-clock time, never simulated: for security windows (request signatures, nonces, login
    locks), which must hold against the real world even on a training clock; and for media time —
    cameras, recorders, ffmpeg and video platforms stamp their streams (EXT-X-PROGRAM-DATE-TIME,
    keepalives, recording lists) with the real time, so a stream's freshness or a recording's
    moment is compared with this, not with `now()`."""
    return timezone.now()


def media_shift() -> timedelta:
    """How far the business clock runs ahead of the real one, to the second (zero outside a
    simulated clock: the two readings a few microseconds apart do not count)."""
    return timedelta(seconds=round((now() - real_now()).total_seconds()))


def to_media(moment: datetime) -> datetime:
    """A business moment (what people see and pick) as the real moment a recorder knows it by."""
    return moment - media_shift()


def to_business(moment: datetime) -> datetime:
    """A moment stamped by equipment (real time) on the business clock people see."""
    return moment + media_shift()


def now() -> datetime:
    offset = _configured_offset()
    return timezone.now() + offset if offset else timezone.now()


def local_now() -> datetime:
    return now().astimezone(LOCAL_TZ)


def local_today() -> date:
    return local_now().date()


def local_date(moment: datetime) -> date:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: every moment must carry its timezone")
    return moment.astimezone(LOCAL_TZ).date()
