"""Background tasks of online payment (run by `zhucan worker`, see zhucan.core.scheduler)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django_tasks import task

from zhucan.core import clock


@task()
def payments_reconcile_task() -> dict:
    """Yesterday's WeChat Pay trade bill against our payments (the bill is ready the next morning)."""
    from zhucan.payments.services import reconcile

    if not settings.ZHUCAN_WECHATPAY_MCHID:
        return {"skipped": "online payment not configured"}
    day = clock.local_today() - timedelta(days=1)
    rec = reconcile(day=day)
    return {"day": day.isoformat(), "mismatches": rec.items.count()}
