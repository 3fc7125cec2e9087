"""Background tasks of checkout (run by `zhucan worker`, see zhucan.core.scheduler)."""

from __future__ import annotations

from django_tasks import task

from zhucan.checkout.reservations import reservations_expire


@task()
def reservations_expire_task() -> dict:
    """Release the benefits held for orders whose period ended without a handover."""
    return {"released": reservations_expire()}
