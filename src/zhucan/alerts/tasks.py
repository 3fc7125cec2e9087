"""Background tasks of the alerts (run by `zhucan worker`, see zhucan.core.scheduler)."""

from __future__ import annotations

from django_tasks import task


@task()
def alerts_detect_task(day: str | None = None) -> dict:
    """The daily detection over yesterday's meals (or `day`, ISO), writing alerts idempotently."""
    from datetime import date

    from zhucan.alerts.detection import detect

    return detect(day=date.fromisoformat(day) if day else None).as_dict()
