"""Login throttling: after N failures a username (and separately a client address) is locked for
M minutes. Counted in the database so that every platform process sees the same count."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction

from zhucan.accounts.models import LoginThrottle
from zhucan.core import clock


def _keys(username: str, ip: str | None) -> list[str]:
    keys = [f"user:{username.strip().lower()}"]
    if ip:
        keys.append(f"ip:{ip}")
    return keys


def locked_until(username: str, ip: str | None):
    """The moment the lock lifts, if any key is locked now; else None."""
    now = clock.real_now()
    rows = LoginThrottle.objects.filter(key__in=_keys(username, ip), locked_until__gt=now)
    return max((r.locked_until for r in rows), default=None)


def record_failure(username: str, ip: str | None) -> None:
    limit = settings.ZHUCAN_LOGIN_MAX_FAILURES
    # The IP key tolerates more failures: one office may share an address.
    limits = {"user": limit, "ip": limit * 4}
    now = clock.real_now()
    window = timedelta(minutes=settings.ZHUCAN_LOGIN_LOCK_MINUTES)
    with transaction.atomic():
        for key in _keys(username, ip):
            row, _ = LoginThrottle.objects.select_for_update().get_or_create(key=key)
            if row.last_failure_at and now - row.last_failure_at > window:
                row.failures = 0
            row.failures += 1
            row.last_failure_at = now
            if row.failures >= limits[key.split(":", 1)[0]]:
                row.locked_until = now + window
                row.failures = 0
            row.save()


def record_success(username: str) -> None:
    LoginThrottle.objects.filter(key=f"user:{username.strip().lower()}").delete()
